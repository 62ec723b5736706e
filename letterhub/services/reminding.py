"""Reminders to the organisations that have not answered, counted back from the deadline.

Each letter has a schedule of days before its deadline (``reminder_days``, "7,3,1" by
default). ``send_due_reminders`` is called by the worker each round: for every open letter
whose deadline is still ahead, every invitation that was sent and still waits for an answer
that counts and is not marked "do not remind" gets a reminder. Waiting: unanswered (pending or
opened), or confirmed before a substantive change and not since (must reconfirm: its reminder
says the text changed since the organisation confirmed and asks it to confirm again); never
an invitation whose answer counts, a declined or revoked one, nor one whose request to confirm
again the worker has not written yet. A reminder goes for the latest point of the schedule that has come, unless it was emailed after that
point already (a point that passed before the invitation went out is not sent; a worker that
was down sends only the latest point it missed, not every one).

A reminder row and its outbox message are written in one transaction; the unique constraint
on (invitation, scheduled point) lets only one of several workers reaching the same point at
the same moment write it: the others' inserts fail and they move on.

Links: a reminder carries a fresh link, which supersedes the older one (one live link per
invitation, as a resend). The older email's link then opens a page saying that a newer email
was sent, when, to which address, and whom to ask: never a dead end without an explanation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from .. import database
from ..extensions import db
from ..models import (
    Decision,
    Invitation,
    InvitationState,
    Letter,
    LetterRevision,
    LetterStatus,
    Reminder,
    ReminderKind,
    Signature,
    User,
)
from ..models.types import utcnow
from . import audit, changes, inviting, reconfirming

DEFAULT_REMINDER_DAYS = (7, 3, 1)
MAX_REMINDER_DAYS = 365
UNANSWERED = (InvitationState.PENDING, InvitationState.OPENED)


class NotRemindable(ValueError):
    """The invitation's answer counts, it is declined, revoked, never sent, marked "do not
    remind", or the letter is not open."""


def parse_reminder_days(text: str) -> tuple[int, ...]:
    """ "7, 3, 1" -> (7, 3, 1): whole days before the deadline, each once, largest first.

    Raises ValueError for anything else (words, negative numbers, more than a year).
    """
    days = set()
    for part in text.replace("،", ",").replace(";", ",").replace(" ", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ValueError(f"not a number of days: {part!r}")
        value = int(part)
        if not 0 < value <= MAX_REMINDER_DAYS:
            raise ValueError(f"days out of range: {value}")
        days.add(value)
    return tuple(sorted(days, reverse=True))


def format_reminder_days(days: Iterable[int]) -> str:
    return ",".join(str(day) for day in days)


def schedule(letter: Letter) -> list[tuple[int, datetime]]:
    """(days before, moment) of each point of the letter's schedule, earliest first."""
    if letter.deadline is None:
        return []
    try:
        days = parse_reminder_days(letter.reminder_days or "")
    except ValueError:
        days = DEFAULT_REMINDER_DAYS
    return [(day, letter.deadline - timedelta(days=day)) for day in days]


def next_reminder(letter: Letter, now: datetime | None = None) -> datetime | None:
    """The next point of the schedule still to come, while signing is open."""
    now = now or utcnow()
    if letter.status != LetterStatus.OPEN or letter.deadline is None or now >= letter.deadline:
        return None
    return next((moment for _day, moment in schedule(letter) if moment > now), None)


def due_point(invitation: Invitation, now: datetime) -> tuple[int, datetime] | None:
    """The point of the schedule this invitation should be reminded for now, if any."""
    letter = invitation.letter
    if not remindable(invitation) or letter.deadline is None or now >= letter.deadline:
        return None
    last_emailed = invitation.token_issued_at
    due = [
        (day, moment)
        for day, moment in schedule(letter)
        if moment <= now and (last_emailed is None or moment > last_emailed)
    ]
    return due[-1] if due else None


def remindable(invitation: Invitation, current: LetterRevision | None = None) -> bool:
    """Whether a reminder may go to the invitation now (``current``: the letter's current
    revision, when the caller knows it)."""
    return (
        invitation.letter.status == LetterStatus.OPEN
        and invitation.token_hash is not None
        and not reconfirming.email_on_its_way(invitation)
        and not invitation.do_not_remind
        and (invitation.state in UNANSWERED or must_reconfirm(invitation, current))
    )


def must_reconfirm(invitation: Invitation, current: LetterRevision | None = None) -> bool:
    """Confirmed a text that no longer counts (before a substantive change), and not since."""
    if invitation.state != InvitationState.CONFIRMED:
        return False
    signature = invitation.signature
    return (
        signature is not None
        and signature.decision == Decision.CONFIRMED
        and not changes.answers_count_for(signature.revision, current or invitation.letter.current_revision)
    )


def _waiting_for_an_answer():
    """SQL condition on an Invitation outer-joined to its Signature: unanswered, or must
    reconfirm (its confirmation is of an agreement older than the letter's latest, which is
    the current revision's: agreement numbers only grow)."""
    confirmed = aliased(LetterRevision)
    latest_agreement = (
        select(func.max(LetterRevision.agreement_number))
        .where(LetterRevision.letter_id == Invitation.letter_id)
        .scalar_subquery()
    )
    outdated = (
        select(confirmed.id)
        .where(confirmed.id == Signature.revision_id, confirmed.agreement_number < latest_agreement)
        .exists()
    )
    return or_(
        Invitation.state.in_(UNANSWERED),
        and_(
            Invitation.state == InvitationState.CONFIRMED, Signature.decision == Decision.CONFIRMED, outdated
        ),
    )


def send_due_reminders(now: datetime | None = None) -> dict[str, int]:
    """Queue the reminders that are due (the worker's step; a transaction boundary: it commits).

    ``now`` moves the clock (tests). Each reminder is its own transaction, so a worker that
    loses a race for one invitation carries on with the next. Returns {"reminded": n}.
    """
    now = now or utcnow()
    with database.writing():
        candidates = (
            db.session.execute(
                select(Invitation.id)
                .join(Letter, Invitation.letter_id == Letter.id)
                .outerjoin(Signature, Signature.invitation_id == Invitation.id)
                .where(
                    Letter.status == LetterStatus.OPEN,
                    Letter.deadline.is_not(None),
                    Letter.deadline > now,
                    _waiting_for_an_answer(),
                    Invitation.token_hash.is_not(None),
                    Invitation.token_hash != reconfirming.LINK_BEING_SENT,
                    Invitation.do_not_remind.is_(False),
                )
                .order_by(Invitation.id)
            )
            .scalars()
            .all()
        )
        db.session.commit()
        reminded = 0
        for invitation_id in candidates:
            invitation = db.session.get(Invitation, invitation_id)
            point = due_point(invitation, now) if invitation is not None else None
            if invitation is None or point is None:
                db.session.commit()
                continue
            days_before, moment = point
            try:
                _remind(invitation, ReminderKind.SCHEDULED, moment, days_before=days_before, now=now)
                db.session.commit()
            except IntegrityError:  # another worker sent this point first
                db.session.rollback()
                continue
            reminded += 1
    return {"reminded": reminded}


def remind_now(
    invitations: Iterable[Invitation], *, by: User | None = None, now: datetime | None = None
) -> int:
    """Remind these invitations at once (the coordinator's "remind now"); skips the ones that
    cannot be reminded. Returns how many were queued. Does not commit."""
    now = now or utcnow()
    count = 0
    current: dict[int, LetterRevision] = {}
    for invitation in invitations:
        letter_id = invitation.letter_id
        if letter_id not in current:
            current[letter_id] = invitation.letter.current_revision
        if not remindable(invitation, current[letter_id]):
            continue
        _remind(invitation, ReminderKind.MANUAL, now, now=now, by=by)
        count += 1
    return count


def _remind(
    invitation: Invitation,
    kind: ReminderKind,
    scheduled_for: datetime,
    *,
    now: datetime,
    days_before: int | None = None,
    by: User | None = None,
) -> Reminder:
    """Write the reminder row first (the unique constraint decides a race), then its email."""
    reminder = Reminder(
        invitation=invitation, kind=kind, scheduled_for=scheduled_for, days_before=days_before
    )
    db.session.add(reminder)
    db.session.flush()
    current = invitation.letter.current_revision
    reconfirm = must_reconfirm(invitation, current)
    link = inviting.issue_link(invitation, now=now)
    message = inviting.queue_email(
        "reminder",
        invitation,
        link=link,
        revision=current,
        # confirmed an earlier text: the reminder says it changed and asks to confirm again
        confirmed=invitation.signature.revision if reconfirm else None,
    )
    db.session.flush()
    reminder.outbox_message_id = message.id
    audit.record(
        "invitation.reminded",
        letter=invitation.letter,
        user=by,
        invitation=invitation.id,
        kind=kind.value,
        days_before=days_before,
        must_reconfirm=reconfirm,
    )
    return reminder


def reminder_history(letter: Letter) -> dict[int, tuple[int, datetime]]:
    """invitation id -> (reminders sent, time of the last one), in one query for the letter page."""
    rows = db.session.execute(
        select(Reminder.invitation_id, func.count(), func.max(Reminder.created_at))
        .join(Invitation, Reminder.invitation_id == Invitation.id)
        .where(Invitation.letter_id == letter.id)
        .group_by(Reminder.invitation_id)
    ).all()
    return {invitation_id: (count, _aware(last)) for invitation_id, count, last in rows}


def _aware(moment: datetime) -> datetime:
    """MAX() over a SQLite column comes back as naive text-parsed time; the column holds UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def set_do_not_remind(invitation: Invitation, value: bool, *, by: User | None = None) -> None:
    if invitation.do_not_remind == value:
        return
    invitation.do_not_remind = value
    audit.record(
        "invitation.do_not_remind", letter=invitation.letter, user=by, invitation=invitation.id, value=value
    )


def unanswered(letter: Letter) -> list[Invitation]:
    """Invitations sent and still waiting for an answer (not confirmed, declined or revoked)."""
    return [
        invitation
        for invitation in sorted(letter.invitations, key=lambda i: i.id)
        if invitation.token_hash is not None and invitation.state in UNANSWERED
    ]


def notify_new_deadline(letter: Letter, *, by: User | None = None) -> int:
    """Tell every unanswered organisation the new deadline, in its invitation's language.

    The email carries no new link: the one they hold works until the new deadline (see
    ``deadlines.link_expires_at``). Returns how many emails were queued. Does not commit.
    """
    if letter.status != LetterStatus.OPEN or letter.deadline is None:
        return 0
    invitations = unanswered(letter)
    for invitation in invitations:
        inviting.queue_email("deadline_extended", invitation)
    if invitations:
        audit.record("letter.deadline_notified", letter=letter, user=by, count=len(invitations))
    return len(invitations)
