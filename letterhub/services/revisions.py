"""A letter's revisions read back: the list, save collisions, and the warnings that its two
languages differ with their acknowledgements. Comparisons of two revisions, and which
confirmations still count after one, are services.changes'; the pure work is in diffing and
parity."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import LANGUAGES, REVISION_FIELDS, Letter, LetterRevision, ParityAcknowledgement, User
from . import audit, diffing, drafting, parity


def revisions_of(letter: Letter) -> list[LetterRevision]:
    """Every revision, newest first, with its author and who judged it a correction."""
    return list(
        db.session.scalars(
            select(LetterRevision)
            .where(LetterRevision.letter_id == letter.id)
            .options(selectinload(LetterRevision.created_by), selectinload(LetterRevision.judged_by))
            .order_by(LetterRevision.number.desc())
        )
    )


def collision(base: LetterRevision, theirs: LetterRevision, yours: dict[str, str]) -> dict[str, list]:
    """The three-way view of a save collision: per language, [(field, ThreeWay)] of fields that differ.

    ``yours`` is the form as sent: normalised as a save would store it (a browser sends a
    textarea's lines ended by CRLF), so that a field nobody changed is not listed."""
    base_text, their_text = base.content(), theirs.content()
    yours = drafting.normalise_fields(yours)
    return {
        language: [
            (field, diffing.three_way(base_text[key], their_text[key], yours.get(key, "")))
            for field in REVISION_FIELDS
            if len({base_text[(key := f"{field}_{language}")], their_text[key], yours.get(key, "")}) > 1
        ]
        for language in LANGUAGES
    }


@dataclass(frozen=True)
class ParityItem:
    warning: parity.ParityWarning
    acknowledgement: ParityAcknowledgement | None


def parity_items(letter: Letter) -> list[ParityItem]:
    """The warnings for the current revision, each with its acknowledgement if there is one."""
    revisions = list(reversed(revisions_of(letter)))
    if not revisions:
        return []
    current = revisions[-1]
    warnings = parity.check_texts(current.content()) + parity.check_history(
        [(r.number, r.content()) for r in revisions]
    )
    acknowledgements = {
        a.warning_key: a
        for a in db.session.scalars(
            select(ParityAcknowledgement)
            .where(ParityAcknowledgement.letter_id == letter.id)
            .options(selectinload(ParityAcknowledgement.acknowledged_by))
            .order_by(ParityAcknowledgement.id)
        )
    }
    return [ParityItem(w, acknowledgements.get(w.key)) for w in warnings]


def unresolved(letter: Letter) -> list[parity.ParityWarning]:
    return [item.warning for item in parity_items(letter) if item.acknowledgement is None]


def acknowledge(letter: Letter, key: str, by: User) -> ParityAcknowledgement | None:
    """Record that ``by`` let the current warning ``key`` stand. None if there is no such warning now."""
    item = next((i for i in parity_items(letter) if i.warning.key == key), None)
    if item is None:
        return None
    if item.acknowledgement is not None:
        return item.acknowledgement
    number = letter.current_revision.number
    acknowledgement = ParityAcknowledgement(
        letter_id=letter.id, revision_number=number, warning_key=key, acknowledged_by=by
    )
    db.session.add(acknowledgement)
    db.session.flush()
    audit.record(
        "parity.acknowledged",
        letter=letter,
        user=by,
        revision=number,
        warning=item.warning.code,
        key=key,
    )
    return acknowledgement
