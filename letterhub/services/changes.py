"""What changed between two revisions of a letter, and which confirmations still count after it.

The one rule of what counts: an answer given to revision A counts for revision R when both
belong to the same agreement (the same substantive revision; a correction belongs to its
predecessor's, see ``LetterRevision.agreement_number``). A confirmation of revision 3 still
counts after correction 4, and no longer after a substantive revision 5. Every place that asks
"is this answer to the current text?" (the final list, the dashboard's counts and rows, the
signing page, the signing service's stale-page checks, the requests to confirm again) asks it
here. The word differences themselves are services.diffing's (pure).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, select

from ..models import (
    LANGUAGES,
    REVISION_FIELDS,
    Decision,
    Invitation,
    InvitationState,
    Letter,
    LetterRevision,
    Signature,
)
from . import diffing


def answers_count_for(answered: LetterRevision | None, revision: LetterRevision) -> bool:
    """Whether an answer given to ``answered`` counts for ``revision``."""
    return (
        answered is not None
        and answered.letter_id == revision.letter_id
        and answered.agreement_number == revision.agreement_number
    )


def agreeing_revision_ids(revision: LetterRevision) -> Select:
    """The ids of the revisions whose answers count for ``revision``, as a subquery."""
    return select(LetterRevision.id).where(
        LetterRevision.letter_id == revision.letter_id,
        LetterRevision.agreement_number == revision.agreement_number,
    )


def answer_counts_for(revision: LetterRevision) -> ColumnElement[bool]:
    """SQL condition: the :class:`Signature` in the query answers a text that counts for ``revision``."""
    return Signature.revision_id.in_(agreeing_revision_ids(revision))


def confirmations(letter: Letter) -> Select:
    """SELECT of the letter's confirmed signatures whose invitation stands confirmed (joined as
    :class:`Invitation`), to any revision: the base of both the final list (those that count
    for a revision, services.finalizing) and the organisations that must confirm again (those
    that do not, services.reconfirming)."""
    return (
        select(Signature)
        .join(Invitation, Signature.invitation_id == Invitation.id)
        .where(
            Signature.letter_id == letter.id,
            Signature.decision == Decision.CONFIRMED,
            Invitation.state == InvitationState.CONFIRMED,
        )
    )


@dataclass(frozen=True)
class Comparison:
    """Two revisions' texts compared field by field; ``fields[language]`` is [(field, TextDiff)]."""

    old: LetterRevision
    new: LetterRevision
    fields: dict[str, list[tuple[str, diffing.TextDiff]]]

    @property
    def changed_languages(self) -> list[str]:
        return [lang for lang, diffs in self.fields.items() if any(d.changed for _, d in diffs)]

    def changed_fields(self, language: str) -> list[tuple[str, diffing.TextDiff]]:
        return [(field, diff) for field, diff in self.fields[language] if diff.changed]

    def word_counts(self) -> dict[str, dict]:
        """Per language: whether it changed, and how many words were inserted and deleted
        (what the ``letter.revised`` audit event records)."""
        counts = {}
        for language, fields in self.fields.items():
            diffs = [diff for _field, diff in fields]
            counts[language] = {
                "changed": any(diff.changed for diff in diffs),
                "inserted_words": sum(diff.inserted_words for diff in diffs),
                "deleted_words": sum(diff.deleted_words for diff in diffs),
            }
        return counts


def compare(old: LetterRevision, new: LetterRevision) -> Comparison:
    old_text, new_text = old.content(), new.content()
    return Comparison(
        old,
        new,
        {
            language: [
                (field, diffing.diff_text(old_text[f"{field}_{language}"], new_text[f"{field}_{language}"]))
                for field in REVISION_FIELDS
            ]
            for language in LANGUAGES
        },
    )
