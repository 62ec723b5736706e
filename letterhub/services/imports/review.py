"""Reviewing an imported letter's lists: pairing its English and Arabic entries, resolving possible duplicates.

A proposed pair (:mod:`.pairing`) links both rows to one directory entry at import time; the
coordinator confirms, corrects (:func:`confirm_pair`) or undoes it (:func:`unpair`). Possible
duplicates (two names of one list that may be one organisation, :mod:`.duplicates`) are
resolved by :func:`merge_duplicate` (one entry leaves the list, which is numbered again) or
:func:`dismiss_duplicate` (both stay). Services never commit: the caller does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import (
    LANGUAGES,
    AuditEvent,
    DuplicateStatus,
    ImportCreatedOrganization,
    ImportedSignatory,
    ImportPossibleDuplicate,
    Invitation,
    Letter,
    Organization,
    Signature,
    User,
)
from .. import audit, publishing
from ..finalizing import imported_rows
from .storage import IMPORTED, newest_organization_id, record_created_organizations

__all__ = [
    "DuplicateError",
    "MergedDuplicate",
    "PairingError",
    "PossibleDuplicate",
    "confirm_pair",
    "dismiss_duplicate",
    "import_details",
    "imported_languages",
    "imported_rows",
    "merge_duplicate",
    "open_duplicates",
    "partner_rows",
    "partners_of",
    "unpair",
]


class PairingError(ValueError):
    """The rows given do not belong to this imported letter, or not in the expected languages."""


class DuplicateError(ValueError):
    """A possible duplicate cannot be resolved as asked. Nothing was changed.

    ``reason`` says why, for the caller to word it: ``"not_imported"`` (the letter has no
    published list), ``"same_row"`` (one entry given twice), ``"other_letter"`` (an entry is not
    on this letter), ``"removed"`` (an entry was already removed by a merge), ``"languages"``
    (the two entries are on different lists) or ``"not_open"`` (the pair is not an open possible
    duplicate, so there is nothing to dismiss).
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PossibleDuplicate:
    """Two entries of one imported list that the import reported as possibly the same organisation."""

    language: str
    first: ImportedSignatory  # the one earlier in the list
    second: ImportedSignatory


@dataclass(frozen=True)
class MergedDuplicate:
    """What :func:`merge_duplicate` did: the entry kept, the name removed, the directory entry deleted."""

    kept: ImportedSignatory
    removed_name: str
    organization_deleted: int | None


# --------------------------------------------------------------------------- reviewing the pairs


def imported_languages(letter: Letter) -> tuple[str, ...]:
    """The languages whose list was imported, in ``letter.first_language`` order first."""
    present = set(
        db.session.scalars(
            select(ImportedSignatory.language).where(ImportedSignatory.letter_id == letter.id).distinct()
        )
    )
    order = (
        letter.first_language,
        *(language for language in LANGUAGES if language != letter.first_language),
    )
    return tuple(language for language in order if language in present)


def _events(letter: Letter, *actions: str) -> list[AuditEvent]:
    """The letter's audit events of these kinds, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.letter_id == letter.id, AuditEvent.action.in_(actions))
            .order_by(AuditEvent.id)
        )
    )


def import_details(letter: Letter) -> dict:
    """The report, proposed pairs and warnings recorded when the letter was imported.

    ``notes`` are the warnings as ``{"language", "code", "params", "text"}`` (``language`` is
    ``None`` for a note about the whole import). Letters imported before notes were recorded
    get one note per English warning, with no language and no code.
    """
    events = _events(letter, "letter.imported")
    details = dict(events[0].details) if events else {}
    warnings = details.get("warnings", [])
    notes = details.get("notes")
    if notes is None:
        notes = [{"language": None, "code": None, "params": {}, "text": warning} for warning in warnings]
    return {
        "report": details.get("report", {}),
        "pairs": details.get("pairs", []),
        "warnings": warnings,
        "notes": notes,
    }


def partner_rows(letter: Letter) -> dict[int, ImportedSignatory]:
    """English row id -> the Arabic row of this letter linked to the same organisation."""
    return partners_of(imported_rows(letter, "en"), imported_rows(letter, "ar"))


def partners_of(
    english: Sequence[ImportedSignatory], arabic: Sequence[ImportedSignatory]
) -> dict[int, ImportedSignatory]:
    """:func:`partner_rows` for lists already loaded."""
    arabic_by_org: dict[int, ImportedSignatory] = {}
    for row in arabic:
        if row.organization_id is not None:
            arabic_by_org.setdefault(row.organization_id, row)
    return {
        row.id: arabic_by_org[row.organization_id] for row in english if row.organization_id in arabic_by_org
    }


def _pair_rows(letter: Letter, en_row_id: int, ar_row_id: int) -> tuple[ImportedSignatory, ImportedSignatory]:
    if letter.source != IMPORTED:
        raise PairingError("only imported letters have published lists to pair")
    en_row = db.session.get(ImportedSignatory, en_row_id)
    ar_row = db.session.get(ImportedSignatory, ar_row_id)
    for row, row_id, language in ((en_row, en_row_id, "en"), (ar_row, ar_row_id, "ar")):
        if row is None or row.letter_id != letter.id or row.language != language:
            raise PairingError(f"no {language} entry {row_id} on this letter")
    if en_row is None or ar_row is None:  # checked above; says so to the type checker
        raise PairingError("missing entry")
    return en_row, ar_row


def confirm_pair(letter: Letter, en_row_id: int, ar_row_id: int, *, by: User | None = None) -> Organization:
    """Link an English and an Arabic list entry of ``letter`` to one directory entry.

    The entry is the directory's pair of these two names if there is one; else the English
    row's entry when it has no Arabic name yet (or the Arabic row's, symmetrically); else a new
    entry holding both names. Other entries of this letter that were paired with either row
    lose that pairing (they get a single-name entry of their own), and an entry left with no
    rows, invitations or signatures is removed from the directory.
    """
    en_row, ar_row = _pair_rows(letter, en_row_id, ar_row_id)
    newest_organization = newest_organization_id()
    previous = {en_row.organization, ar_row.organization} - {None}
    target = db.session.scalars(
        select(Organization)
        .where(Organization.name_en == en_row.name, Organization.name_ar == ar_row.name)
        .order_by(Organization.id)
    ).first()
    if target is None:
        en_org, ar_org = en_row.organization, ar_row.organization
        if en_org is not None and en_org.name_ar in ("", ar_row.name):
            target = en_org
        elif ar_org is not None and ar_org.name_en in ("", en_row.name):
            target = ar_org
        else:
            target = Organization(name_en=en_row.name, name_ar=ar_row.name, email="")
            db.session.add(target)
    target.name_en = target.name_en or en_row.name
    target.name_ar = target.name_ar or ar_row.name
    db.session.flush()

    # One organisation, one pair: rows of this letter already on the target (or on the entries
    # the two rows leave) in either language are split off onto entries of their own.
    for row in imported_rows(letter):
        if row.id in (en_row.id, ar_row.id):
            continue
        if row.organization_id == target.id or (
            row.organization in previous and row.organization.name_en and row.organization.name_ar
        ):
            row.organization = _single_name_entry_for(row, avoid={target.id})
    en_row.organization = target
    ar_row.organization = target
    db.session.flush()
    _drop_unused(previous - {target})
    audit.record(
        "import.paired",
        letter=letter,
        user=by,
        en_row=en_row.id,
        ar_row=ar_row.id,
        organization=target.id,
        created_organizations=record_created_organizations(letter, newest_organization),
    )
    return target


def unpair(letter: Letter, en_row_id: int, ar_row_id: int, *, by: User | None = None) -> None:
    """Undo a pairing: the two entries are different organisations.

    The English row keeps the shared directory entry, which loses the Arabic name (so the
    directory stops proposing the pair); the Arabic row moves to an Arabic-only entry.
    """
    en_row, ar_row = _pair_rows(letter, en_row_id, ar_row_id)
    shared = en_row.organization
    if shared is None or ar_row.organization_id != shared.id:
        return
    newest_organization = newest_organization_id()
    if shared.name_ar == ar_row.name:
        shared.name_ar = ""
        db.session.flush()
    ar_row.organization = _single_name_entry_for(ar_row, avoid={shared.id})
    db.session.flush()
    audit.record(
        "import.unpaired",
        letter=letter,
        user=by,
        en_row=en_row.id,
        ar_row=ar_row.id,
        created_organizations=record_created_organizations(letter, newest_organization),
    )


def _single_name_entry_for(row: ImportedSignatory, *, avoid: set[int]) -> Organization:
    """A directory entry with only ``row``'s name (in its language), found or created."""
    if row.language == "en":
        condition = (Organization.name_en == row.name, Organization.name_ar == "")
        new = Organization(name_en=row.name, name_ar="", email="")
    else:
        condition = (Organization.name_ar == row.name, Organization.name_en == "")
        new = Organization(name_en="", name_ar=row.name, email="")
    found = db.session.scalars(
        select(Organization).where(*condition, Organization.id.not_in(avoid)).order_by(Organization.id)
    ).first()
    if found is not None:
        return found
    db.session.add(new)
    db.session.flush()
    return new


def _drop_unused(organizations: set[Organization]) -> None:
    for organization in organizations:
        if not _in_use(organization):
            db.session.delete(organization)
    db.session.flush()


def _in_use(organization: Organization) -> bool:
    """Whether an imported list entry, an invitation or a signature refers to the directory entry."""
    return any(
        db.session.scalar(select(model.id).where(model.organization_id == organization.id).limit(1))
        is not None
        for model in (ImportedSignatory, Invitation, Signature)
    )


def organizations_created_by_import(letter: Letter) -> set[int]:
    """Ids of the directory entries created by importing this letter or by reviewing its pairs."""
    return set(
        db.session.scalars(
            select(ImportCreatedOrganization.organization_id).where(
                ImportCreatedOrganization.letter_id == letter.id
            )
        )
    )


# --------------------------------------------------------------------------- possible duplicates


def _duplicates(letter: Letter, *conditions: Any) -> list[ImportPossibleDuplicate]:
    return list(
        db.session.scalars(
            select(ImportPossibleDuplicate)
            .where(ImportPossibleDuplicate.letter_id == letter.id, *conditions)
            .options(
                joinedload(ImportPossibleDuplicate.first),
                joinedload(ImportPossibleDuplicate.second),
            )
            .order_by(ImportPossibleDuplicate.id)
        )
    )


def open_duplicates(letter: Letter) -> list[PossibleDuplicate]:
    """The possible duplicates the import reported that the coordinator has not resolved yet."""
    if letter.source != IMPORTED:
        return []
    return [
        PossibleDuplicate(record.language, record.first, record.second)
        for record in _duplicates(letter, ImportPossibleDuplicate.status == DuplicateStatus.OPEN)
        if record.first is not None and record.second is not None
    ]


def merge_duplicate(
    letter: Letter, keep_row_id: int, drop_row_id: int, *, by: User | None = None
) -> MergedDuplicate:
    """Keep one entry of a list and remove the other: they are one organisation, named as the kept one.

    The list is numbered 1..N again without a gap (published numbers stay as printed). The
    removed entry's directory entry is deleted if this import created it and nothing refers to
    it any more; otherwise the directory is left alone. The letter's final documents are
    issued again under a new verification code, since they list the removed name; the previous
    documents are superseded (kept, and their code keeps resolving with a notice). Any two
    entries of one list can be merged; the review page offers it for :func:`open_duplicates`.
    Raises :class:`DuplicateError`, having changed nothing.
    """
    kept, removed = _duplicate_rows(letter, keep_row_id, drop_row_id)
    organization = removed.organization
    details: dict[str, Any] = {
        "language": removed.language,
        "kept_row": kept.id,
        "kept": kept.name,
        "removed_row": removed.id,
        "removed": removed.name,
        "removed_position": removed.position,
        "removed_published_number": removed.published_number,
        "organization_deleted": None,
    }
    publishing.supersede_final_documents(letter)  # kept; the old code will point to the new one
    _record_merge(letter, kept, removed, by)
    db.session.delete(removed)
    db.session.flush()
    _close_gap(letter, details["language"], details["removed_position"])
    if (
        organization is not None
        and organization.id in organizations_created_by_import(letter)
        and not _in_use(organization)
    ):
        details["organization_deleted"] = organization.id
        db.session.delete(organization)
    publishing.queue_final_documents(letter)
    audit.record("import.duplicate_merged", letter=letter, user=by, **details)
    db.session.flush()
    return MergedDuplicate(kept, details["removed"], details["organization_deleted"])


def dismiss_duplicate(
    letter: Letter, first_row_id: int, second_row_id: int, *, by: User | None = None
) -> PossibleDuplicate:
    """Record that an open possible duplicate is two organisations: both entries stay on the list.

    Raises :class:`DuplicateError` (``"not_open"`` when the pair is not an open possible
    duplicate, e.g. it was already dismissed), having changed nothing.
    """
    first, second = sorted(_duplicate_rows(letter, first_row_id, second_row_id), key=lambda row: row.position)
    record = _open_record(letter, first.id, second.id)
    if record is None:
        raise DuplicateError(
            "not_open", f"entries {first.id} and {second.id} are not an open possible duplicate"
        )
    record.resolve(DuplicateStatus.DISMISSED, by_id=_user_id(by))
    audit.record(
        "import.duplicate_dismissed",
        letter=letter,
        user=by,
        language=first.language,
        rows=[first.id, second.id],
        names=[first.name, second.name],
    )
    db.session.flush()
    return PossibleDuplicate(first.language, first, second)


def _duplicate_rows(letter: Letter, *row_ids: int) -> list[ImportedSignatory]:
    if letter.source != IMPORTED:
        raise DuplicateError("not_imported", "only imported letters have published lists")
    if len(set(row_ids)) != len(row_ids):
        raise DuplicateError("same_row", "the same entry was given twice")
    rows = []
    for row_id in row_ids:
        row = db.session.get(ImportedSignatory, row_id)
        if row is None and row_id in _removed_row_ids(letter):
            raise DuplicateError("removed", f"entry {row_id} was already removed from this letter's list")
        if row is None or row.letter_id != letter.id:
            raise DuplicateError("other_letter", f"no entry {row_id} on this letter")
        rows.append(row)
    if len({row.language for row in rows}) != 1:
        raise DuplicateError("languages", "the entries are on the lists of different languages")
    return rows


def _removed_row_ids(letter: Letter) -> set[int]:
    return set(
        db.session.scalars(
            select(ImportPossibleDuplicate.removed_row_id).where(
                ImportPossibleDuplicate.letter_id == letter.id,
                ImportPossibleDuplicate.removed_row_id.is_not(None),
            )
        )
    )


def _open_record(letter: Letter, one_row_id: int, other_row_id: int) -> ImportPossibleDuplicate | None:
    rows = {one_row_id, other_row_id}
    return next(
        (
            record
            for record in _duplicates(letter, ImportPossibleDuplicate.status == DuplicateStatus.OPEN)
            if {record.first_row_id, record.second_row_id} == rows
        ),
        None,
    )


def _record_merge(
    letter: Letter, kept: ImportedSignatory, removed: ImportedSignatory, by: User | None
) -> None:
    """Mark the pair merged (recording it if the import had not reported it), and close every
    other open pair of the removed entry: one of its two entries has left the list."""
    if _open_record(letter, kept.id, removed.id) is None:
        first, second = sorted((kept, removed), key=lambda row: row.position)
        db.session.add(
            ImportPossibleDuplicate(
                letter_id=letter.id,
                language=removed.language,
                first_row_id=first.id,
                second_row_id=second.id,
                first_name=first.name,
                second_name=second.name,
            )
        )
        db.session.flush()
    for record in _duplicates(letter):
        if removed.id not in (record.first_row_id, record.second_row_id):
            continue
        if record.status == DuplicateStatus.OPEN:
            record.resolve(DuplicateStatus.MERGED, by_id=_user_id(by), removed_row_id=removed.id)
        # The entry is deleted next; the database would set these to NULL behind the session's back.
        if record.first_row_id == removed.id:
            record.first_row_id = None
        else:
            record.second_row_id = None
    db.session.flush()


def _user_id(user: User | None) -> int | None:
    return user.id if user is not None and getattr(user, "is_authenticated", True) else None


def _close_gap(letter: Letter, language: str, position: int) -> None:
    """Move the entries after ``position`` one place up, so that the list is numbered 1..N again.

    (letter, language, position) is unique, and both PostgreSQL and SQLite check that row by
    row during an UPDATE: the entries are first moved out of the way (to negative positions,
    which no entry has) and then to their new place.
    """
    same_list = (ImportedSignatory.letter_id == letter.id, ImportedSignatory.language == language)
    for statement in (
        update(ImportedSignatory)
        .where(*same_list, ImportedSignatory.position > position)
        .values(position=-ImportedSignatory.position),
        update(ImportedSignatory)
        .where(*same_list, ImportedSignatory.position < 0)
        .values(position=-ImportedSignatory.position - 1),
    ):
        db.session.execute(statement, execution_options={"synchronize_session": "fetch"})
