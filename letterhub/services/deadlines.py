"""The signing deadline: a moment in the coalition's time zone, and what follows from it.

A letter's ``deadline`` is stored in UTC with the zone it was entered in
(``deadline_timezone``). A date alone means the end of that day (23:59:59) in that zone.
Until the deadline a focal point may confirm or decline; after it, a confirmation is refused
unless the letter allows late signatures (then it is recorded and counted late, the same
rule the final list uses); declining (withdrawing) stays possible until signing closes.

An invitation link works until the later of its own maximum age (``INVITATION_MAX_AGE_DAYS``
from when it was issued) and ``DEADLINE_LINK_GRACE_DAYS`` after the deadline. That is computed
when the link is used, so extending the deadline extends every live link, including links
that had already expired, without sending new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date, format_time, get_timezone_location
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from ..models import Invitation, Letter, User
from ..models.types import utcnow
from . import audit

END_OF_DAY = time(23, 59, 59)
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


class UnknownTimezone(ValueError):
    """Not an IANA time zone name this machine knows."""


@cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA zone this machine knows (Debian's tzdata), sorted, for the letter form."""
    return tuple(sorted(available_timezones()))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownTimezone(name) from error


def default_timezone() -> str:
    return current_app.config["DEFAULT_TIMEZONE"]


def deadline_moment(day: date, at: time | None, zone_name: str) -> datetime:
    """The UTC moment of ``day`` at ``at`` (the end of the day when None) in ``zone_name``."""
    local = datetime.combine(day, at if at is not None else END_OF_DAY, tzinfo=zone(zone_name))
    return local.astimezone(UTC)


@dataclass(frozen=True)
class LocalDeadline:
    """A letter's deadline as the coordinator entered it: date, time (None: end of day), zone."""

    day: date | None
    at: time | None
    zone_name: str


def local_deadline(letter: Letter) -> LocalDeadline:
    if letter.deadline is None:
        return LocalDeadline(None, None, letter.deadline_timezone or default_timezone())
    local = letter.deadline.astimezone(zone(letter.deadline_timezone))
    at = None if local.time() == END_OF_DAY else local.time()
    return LocalDeadline(local.date(), at, letter.deadline_timezone)


def deadline_passed(letter: Letter, now: datetime | None = None) -> bool:
    return letter.deadline is not None and (now or utcnow()) > letter.deadline


def late_after(letter: Letter) -> datetime | None:
    """Confirmations after this moment are late: the letter's own ``late_after`` or its deadline."""
    return letter.late_after or letter.deadline


def is_late(letter: Letter, moment: datetime) -> bool:
    limit = late_after(letter)
    return limit is not None and moment > limit


def may_confirm(letter: Letter, now: datetime | None = None) -> bool:
    """Whether a confirmation is accepted now: before the deadline, or after it if late ones are allowed."""
    return not deadline_passed(letter, now) or letter.allow_late_signatures


def contact_email(letter: Letter) -> str:
    """Whom a focal point asks once the deadline has passed."""
    return letter.contact_email or (letter.created_by.email if letter.created_by else "")


def link_expires_at(invitation: Invitation, issued_at: datetime | None = None) -> datetime | None:
    """When the invitation's current link stops working (see the module's docstring).

    ``issued_at`` is the time signed into the link when one is being read; otherwise the time
    the current link was issued.
    """
    config = current_app.config
    issued_at = issued_at or invitation.token_issued_at
    if issued_at is None:
        return None
    own = issued_at + timedelta(days=int(config["INVITATION_MAX_AGE_DAYS"]))
    if invitation.expires_at is not None:
        own = min(own, invitation.expires_at)
    letter = invitation.letter
    if letter.deadline is None:
        return own
    return max(own, letter.deadline + timedelta(days=int(config["DEADLINE_LINK_GRACE_DAYS"])))


def format_moment(moment: datetime | None, zone_name: str, language: str | None = None) -> str:
    """``moment`` in ``zone_name``, in the reader's language and digits, with the zone named.

    "Tuesday, 15 December 2026, 23:59 (Syria Time, Asia/Damascus)"; in Arabic the same words
    in Arabic with Arabic-Indic digits.
    """
    if moment is None:
        return ""
    locale = language or str(get_locale() or "en")
    tz = zone(zone_name)
    local = moment.astimezone(tz)
    text = _(
        "%(date)s, %(time)s (%(zone)s, %(zone_id)s)",
        date=format_date(local.date(), "full", locale=locale),
        time=format_time(local.time(), "HH:mm", locale=locale),
        zone=get_timezone_location(tz, locale=locale),
        zone_id=zone_name,
    )
    if locale.startswith("ar"):
        text = text.translate(_ARABIC_INDIC)
    return text


def format_short_moment(moment: datetime | None, zone_name: str, language: str | None = None) -> str:
    """``moment`` in ``zone_name``, briefly, for a list: "1 Dec 2026, 11:30" (the month in words,
    so that no reader takes 12/1 for the 12th of January); in Arabic, with Arabic-Indic digits.
    The zone is the letter's, named once on the page beside the deadline."""
    if moment is None:
        return ""
    locale = language or str(get_locale() or "en")
    local = moment.astimezone(zone(zone_name))
    text = _(
        "%(date)s, %(time)s",
        date=format_date(local.date(), "d MMM y", locale=locale),
        time=format_time(local.time(), "HH:mm", locale=locale),
    )
    if locale.startswith("ar"):
        text = text.translate(_ARABIC_INDIC)
    return text


def format_deadline(letter: Letter, language: str | None = None) -> str:
    return format_moment(letter.deadline, letter.deadline_timezone, language)


@dataclass(frozen=True)
class DeadlineSettings:
    """What the letter form says about the deadline and what follows from it."""

    day: date | None
    at: time | None = None
    zone_name: str = ""
    allow_late: bool = False
    reminder_days: str = "7,3,1"
    contact_email: str = ""


def apply_settings(letter: Letter, settings: DeadlineSettings, *, by: User | None = None) -> bool:
    """Set the letter's deadline and its companions. Returns whether the deadline moved.

    Links need no change: their end is computed from the deadline when they are used, so a
    later deadline reopens every live link.
    """
    zone_name = settings.zone_name or letter.deadline_timezone or default_timezone()
    zone(zone_name)  # refuse an unknown zone before changing anything
    moment = deadline_moment(settings.day, settings.at, zone_name) if settings.day is not None else None
    changed = moment != letter.deadline
    letter.deadline = moment
    letter.deadline_timezone = zone_name
    letter.allow_late_signatures = settings.allow_late
    letter.reminder_days = settings.reminder_days
    letter.contact_email = settings.contact_email.strip().lower()
    if changed:
        audit.record(
            "letter.deadline",
            letter=letter,
            user=by,
            deadline=moment.isoformat() if moment else None,
            timezone=zone_name,
        )
    return changed
