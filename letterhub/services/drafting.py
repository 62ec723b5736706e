"""Writing letters: creating them and saving revisions of their two-language text.

Once invitations have gone out, whoever saves says what the change is (:class:`ChangeKind`):
a *correction* (typos, formatting) keeps the confirmations already given; a *substantive*
change (the default, and every save before invitations go out) asks the organisations that
confirmed to confirm again (services.reconfirming). Either way the ``letter.revised`` audit
event records the kind and, per language, how many words were inserted and deleted.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import LANGUAGES, REVISION_FIELDS, ChangeKind, Letter, LetterRevision, LetterStatus, User
from . import audit, changes, deadlines, inviting, reconfirming, teams
from .names import clean_name

DEFAULT_HEADINGS = {"en": "Signatories:", "ar": "الموقعون:"}

# Fields that must not be empty in either language: a letter is two full texts.
REQUIRED_FIELDS = ("title", "body")


class RevisionConflict(Exception):
    """Someone else saved a newer revision since this one was opened for editing."""

    def __init__(self, current: LetterRevision):
        super().__init__(f"revision {current.number} was saved meanwhile")
        self.current = current


class LetterClosed(Exception):
    """The letter is closed for signing; its text is final."""


def empty_fields() -> dict[str, str]:
    fields = {f"{field}_{language}": "" for field in REVISION_FIELDS for language in LANGUAGES}
    for language in LANGUAGES:
        fields[f"heading_{language}"] = DEFAULT_HEADINGS[language]
    return fields


def normalise_fields(fields: dict[str, str]) -> dict[str, str]:
    """Unify line endings and trim the edges; one-line fields lose control characters."""
    clean = {}
    for field in REVISION_FIELDS:
        for language in LANGUAGES:
            key = f"{field}_{language}"
            value = (fields.get(key) or "").replace("\r\n", "\n").replace("\r", "\n")
            if field in ("title", "heading", "date_place"):
                value = clean_name(value)
            else:
                value = "\n".join(line.rstrip() for line in value.strip("\n").split("\n"))
            clean[key] = value
    return clean


def missing_required_fields(fields: dict[str, str]) -> list[str]:
    return [
        f"{field}_{language}"
        for language in LANGUAGES
        for field in REQUIRED_FIELDS
        if not (fields.get(f"{field}_{language}") or "").strip()
    ]


def content_sha256(fields: dict[str, str]) -> str:
    """SHA-256 of the text in a canonical form (sorted keys, UTF-8 JSON): what a signature binds to."""
    canonical = {key: fields[key] for key in sorted(fields)}
    encoded = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def create_letter(
    author: User,
    fields: dict[str, str],
    *,
    coalition: str = "",
    deadline: deadlines.DeadlineSettings | None = None,
) -> Letter:
    fields = normalise_fields(fields)
    if missing := missing_required_fields(fields):
        raise ValueError(f"missing fields: {', '.join(missing)}")
    letter = Letter(
        created_by=author, coalition=clean_name(coalition), deadline_timezone=deadlines.default_timezone()
    )
    db.session.add(letter)
    db.session.flush()
    if deadline is not None:
        deadlines.apply_settings(letter, deadline, by=author)
    add_revision(letter, 1, fields, author)
    audit.record("letter.created", letter=letter, user=author)
    teams.add_owner(letter, author)
    return letter


def save_revision(
    letter: Letter,
    base_number: int,
    fields: dict[str, str],
    author: User,
    kind: ChangeKind = ChangeKind.SUBSTANTIVE,
) -> LetterRevision:
    """Save ``fields`` as the revision after ``base_number``, the one the editor started from.

    ``kind`` is what ``author`` judged the change to be. A correction is taken as one only once
    invitations have gone out (before, no one has confirmed anything and every save is
    substantive); it keeps the confirmations of its predecessor's agreement. A substantive
    save after invitations went out asks every organisation whose confirmation no longer
    counts to confirm again (an email with the difference and a fresh link, which the mail
    worker writes: services.reconfirming); the ``letter.revised`` event records how many.

    Returns the current revision unchanged when the text did not change. Raises
    RevisionConflict when another revision was saved since ``base_number`` — checked here and,
    for two saves racing each other, by the unique (letter, number) constraint.
    """
    if letter.status == LetterStatus.CLOSED:
        raise LetterClosed()
    fields = normalise_fields(fields)
    if missing := missing_required_fields(fields):
        raise ValueError(f"missing fields: {', '.join(missing)}")
    current = letter.current_revision
    if current.number != base_number:
        raise RevisionConflict(current)
    if current.content_sha256 == content_sha256(fields):
        return current
    invited = inviting.invitations_sent(letter)
    if not invited:
        kind = ChangeKind.SUBSTANTIVE
    try:
        with db.session.begin_nested():
            revision = add_revision(
                letter, base_number + 1, fields, author, kind=kind, agreement_number=current.agreement_number
            )
    except IntegrityError:
        db.session.expire_all()
        raise RevisionConflict(letter.current_revision) from None
    comparison = changes.compare(current, revision)
    asked = (
        reconfirming.ask_to_reconfirm(letter, revision) if kind == ChangeKind.SUBSTANTIVE and invited else 0
    )
    audit.record(
        "letter.revised",
        letter=letter,
        user=author,
        revision=revision.number,
        sha256=revision.content_sha256,
        change_kind=kind.value,
        changes=comparison.word_counts(),
        asked_to_reconfirm=asked,
    )
    return revision


def update_settings(
    letter: Letter, *, coalition: str, deadline: deadlines.DeadlineSettings, author: User
) -> bool:
    """Save the coalition and the deadline settings. Returns whether the deadline moved."""
    letter.coalition = clean_name(coalition)
    moved = deadlines.apply_settings(letter, deadline, by=author)
    audit.record("letter.settings", letter=letter, user=author)
    return moved


def add_revision(
    letter: Letter,
    number: int,
    fields: dict[str, str],
    author: User,
    *,
    kind: ChangeKind = ChangeKind.SUBSTANTIVE,
    agreement_number: int | None = None,
) -> LetterRevision:
    """Store ``fields`` (already normalised) as revision ``number`` with the SHA-256 of its text.

    The one place a revision is made: drafting here, and imported letters' revision 1. A
    substantive revision starts an agreement of its own; a correction joins
    ``agreement_number`` (its predecessor's) and records ``author`` as the one who judged it so.
    """
    correction = kind == ChangeKind.CORRECTION and agreement_number is not None
    revision = LetterRevision(
        letter_id=letter.id,
        number=number,
        content_sha256=content_sha256(fields),
        created_by=author,
        change_kind=ChangeKind.CORRECTION if correction else ChangeKind.SUBSTANTIVE,
        agreement_number=agreement_number if correction else number,
        judged_by=author if correction else None,
        **fields,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def revision_by_number(letter: Letter, number: int) -> LetterRevision | None:
    return db.session.scalars(
        select(LetterRevision).where(LetterRevision.letter_id == letter.id, LetterRevision.number == number)
    ).first()


def restore_revision(letter: Letter, number: int, author: User) -> LetterRevision:
    """Save revision ``number``'s text again as a new revision, like any save (it is one).

    A restore is always a substantive change: it usually undoes more than a typo, and the
    restored text was not necessarily the one organisations confirmed, so those that confirmed
    are asked to confirm again. A coordinator who only wants to undo a correction does so in
    the editor and declares it a correction there.

    Returns the current revision unchanged when its text is already that text. Raises
    LookupError for a revision the letter does not have, LetterClosed as a save would.
    """
    old = revision_by_number(letter, number)
    if old is None:
        raise LookupError(f"letter {letter.id} has no revision {number}")
    current = letter.current_revision
    revision = save_revision(letter, current.number, old.content(), author)
    if revision.number != current.number:
        audit.record("letter.restored", letter=letter, user=author, revision=revision.number, restored=number)
    return revision


# What a letter started from another one takes from it besides the text.
COPIED_SETTINGS = (
    "coalition",
    "reminder_days",
    "contact_email",
    "allow_late_signatures",
    "numbering_style",
    "arabic_indic_digits",
    "list_order",
    "late_signatories",
    "two_columns",
    "first_language",
)


def start_from(source: Letter, author: User) -> Letter:
    """A new draft with ``source``'s current text (titles, addressees, body, headings) and settings.

    Not copied: the deadline (a new letter has its own), the invitations (see
    services.inviting.invite_from), revisions, signatures and final documents.
    """
    letter = create_letter(author, source.current_revision.content(), coalition=source.coalition)
    for name in COPIED_SETTINGS:
        setattr(letter, name, getattr(source, name))
    audit.record("letter.started_from", letter=letter, user=author, source=source.id)
    return letter
