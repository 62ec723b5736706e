"""Importing published letters: the database side of :mod:`letterhub.services.importing`.

``importing`` turns text into a :class:`~letterhub.services.importing.ParsedLetter`; this
module stores it. What an import creates, in the caller's transaction (services never commit):

- one :class:`Letter` with ``source="imported"``. It was signed and published elsewhere, so it
  is created **closed**: ``status=CLOSED``, ``closed_at`` now and
  ``finalized_revision_number=1``. Its text cannot be edited and no invitations can be sent,
  but it can be rendered (``flask letters pdf``) and re-issued with letterhub's numbering.
- revision 1, holding the parsed title, addressees, body and signatory heading of each
  imported language. A language that was not imported stays empty (the drafting rule "both
  languages are required" is for letters written here); such a letter renders only the
  languages it has (:func:`imported_languages`).
- one :class:`ImportedSignatory` row per published list entry, in published order
  (``position`` 1..N, ``published_number`` as printed, ``None`` for a bullet).
- directory entries (:class:`Organization`): every name is found in, or added to, the
  directory and its row linked to it. Where :func:`importing.propose_pairs` pairs an English
  and an Arabic name (a known directory pair, a shared acronym, or one name written in the other's
  script, see :mod:`letterhub.services.transliteration`) both rows are linked to
  **one** organisation. The coordinator reviews and corrects with :func:`confirm_pair` and
  :func:`unpair`.

The import report (counts, numbering gaps, possible duplicates, warnings), the proposed pairs
and the directory entries the import created are kept in the ``letter.imported`` audit event,
so the review page can show them later. The warnings are kept twice: as English text
(``warnings``, what the CLI prints) and as ``notes`` (language, code, params, text) that the
review page words in the reader's language.

Possible duplicates (two names of one list that may be one organisation) are resolved by the
coordinator: :func:`merge_duplicate` keeps one entry and removes the other, :func:`dismiss_duplicate`
keeps both. Both leave an audit event, and those events are the record the review page reads
back (:func:`open_duplicates`): a merge shows in the list itself (an entry is gone), a dismissal
only in its ``import.duplicate_dismissed`` event. No table of its own is needed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import (
    LANGUAGES,
    AuditEvent,
    ImportedSignatory,
    Invitation,
    Letter,
    LetterRevision,
    LetterStatus,
    Organization,
    Signature,
    User,
)
from ..models.types import utcnow
from . import audit, drafting, inviting, publishing
from .finalizing import imported_rows  # noqa: F401  (used here and by the import views)
from .importing import (
    ImportNote,
    LetterImportError,
    ParsedLetter,
    ProposedPair,
    import_report,
    parse_letter_text,
    propose_pairs,
)

IMPORTED = "imported"
NAME_MAX_LENGTH = 300  # ImportedSignatory.name and Organization.name_* columns

_USE_DIRECTORY = object()


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


@dataclass(frozen=True)
class ImportResult:
    letter_id: int
    signatory_ids: dict[str, list[int]]  # language -> ImportedSignatory ids in published order
    report: dict  # importing.import_report(): per language
    pairs: list[ProposedPair]
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """What ``flask letters import`` prints."""
        return {
            "letter": self.letter_id,
            "languages": self.report,
            "pairs": [[pair.name_en, pair.name_ar, pair.reason] for pair in self.pairs],
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------- importing


def parse_texts(texts: Sequence[str]) -> dict[str, ParsedLetter]:
    """Parse each text (one per language). Raises LetterImportError, naming the text that failed."""
    texts = [text for text in texts if text and text.strip()]
    if not texts:
        raise LetterImportError("There is no text to import.", "nothing_to_import")
    if len(texts) > len(LANGUAGES):
        raise LetterImportError(
            "Import at most one text per language (English and Arabic).", "too_many_texts"
        )
    parsed: dict[str, ParsedLetter] = {}
    for number, text in enumerate(texts, start=1):
        try:
            letter = parse_letter_text(text)
        except LetterImportError as error:
            prefix = f"Text {number}: " if len(texts) > 1 else ""
            raise type(error)(prefix + error.message, error.code, **error.params) from None
        if letter.language in parsed:
            raise LetterImportError(
                f"Two texts are in the same language ({_language_name(letter.language)}): "
                "import one English and one Arabic text of the same letter.",
                "same_language",
                language=letter.language,
            )
        for signatory in letter.signatories:
            if len(signatory.name) > NAME_MAX_LENGTH:
                raise LetterImportError(
                    f"A signatory name is longer than {NAME_MAX_LENGTH} characters: "
                    f"“{signatory.name[:60]}…”. Is the list really a list of organisations?",
                    "name_too_long",
                    max_length=NAME_MAX_LENGTH,
                    name=signatory.name[:60],
                )
        parsed[letter.language] = letter
    return parsed


def import_letter(texts: Sequence[str], *, author: User, directory_pairs=_USE_DIRECTORY) -> ImportResult:
    """Store a published letter (one text per language) as a closed, imported letter.

    ``directory_pairs``: known (English, Arabic) name pairs for :func:`importing.propose_pairs`;
    by default every directory entry that has both names. Raises LetterImportError (nothing
    is added to the session) when a text cannot be parsed, has no signatory list, or two
    texts are in the same language.
    """
    parsed = parse_texts(texts)
    if directory_pairs is _USE_DIRECTORY:
        directory_pairs = known_directory_pairs()
    names = {language: [s.name for s in letter.signatories] for language, letter in parsed.items()}
    pairs = (
        propose_pairs(names.get("en", ()), names.get("ar", ()), directory_pairs) if len(parsed) == 2 else []
    )

    newest_organization = _newest_organization_id()
    letter = Letter(
        created_by=author,
        source=IMPORTED,
        status=LetterStatus.CLOSED,
        closed_at=utcnow(),
        finalized_revision_number=1,
        first_language="en" if "en" in parsed else "ar",
    )
    db.session.add(letter)
    db.session.flush()
    revision = _add_imported_revision(letter, parsed, author)

    organizations = _directory_entries(names, pairs)
    signatory_ids: dict[str, list[int]] = {}
    for language, letter_text in parsed.items():
        rows = [
            ImportedSignatory(
                letter_id=letter.id,
                language=language,
                position=position,
                published_number=signatory.published_number,
                name=signatory.name,
                organization_id=organizations[language][signatory.name].id,
            )
            for position, signatory in enumerate(letter_text.signatories, start=1)
        ]
        db.session.add_all(rows)
        db.session.flush()
        signatory_ids[language] = [row.id for row in rows]

    publishing.queue_final_documents(letter)  # the worker renders it, as for a letter closed here
    report = import_report(parsed)
    notes: list[tuple[str | None, ImportNote]] = [
        (language, warning) for language, text in parsed.items() for warning in text.warnings
    ]
    if len(parsed) == 1:
        (only,) = parsed
        notes.append(
            (
                None,
                ImportNote(
                    f"Only the {_language_name(only)} text was imported; the letter renders in that language only.",
                    "only_language",
                    language=only,
                ),
            )
        )
    warnings = [f"[{language}] {note}" if language else str(note) for language, note in notes]
    audit.record(
        "letter.imported",
        letter=letter,
        user=author,
        revision=revision.number,
        sha256=revision.content_sha256,
        report=report,
        pairs=[[p.name_en, p.name_ar, p.reason] for p in pairs],
        warnings=warnings,
        notes=[
            {"language": language, "code": note.code, "params": note.params, "text": str(note)}
            for language, note in notes
        ],
        created_organizations=_organizations_created_since(letter, newest_organization),
    )
    return ImportResult(letter.id, signatory_ids, report, pairs, warnings)


def known_directory_pairs() -> list[tuple[str, str]]:
    """(English, Arabic) names of every directory entry that has both: pairs already confirmed."""
    rows = db.session.execute(
        select(Organization.name_en, Organization.name_ar).where(
            Organization.name_en != "", Organization.name_ar != ""
        )
    ).all()
    return [(name_en, name_ar) for name_en, name_ar in rows]


def _add_imported_revision(letter: Letter, parsed: dict[str, ParsedLetter], author: User) -> LetterRevision:
    fields = {
        f"{name}_{language}": ""
        for name in ("title", "addressees", "date_place", "body", "heading")
        for language in LANGUAGES
    }
    for language, text in parsed.items():
        fields[f"title_{language}"] = text.title
        fields[f"addressees_{language}"] = text.addressees
        fields[f"body_{language}"] = text.body
        fields[f"heading_{language}"] = text.signatories_heading or drafting.DEFAULT_HEADINGS[language]
    fields = drafting.normalise_fields(fields)
    revision = LetterRevision(
        letter_id=letter.id,
        number=1,
        content_sha256=drafting.content_sha256(fields),
        created_by=author,
        **fields,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def _directory_entries(
    names: dict[str, list[str]], pairs: list[ProposedPair]
) -> dict[str, dict[str, Organization]]:
    """language -> name -> directory entry; the two names of a proposed pair share one entry."""
    entries: dict[str, dict[str, Organization]] = {language: {} for language in names}
    for pair in pairs:
        organization = inviting.find_or_create_organization(pair.name_en, pair.name_ar, "")
        entries["en"][pair.name_en] = organization
        entries["ar"][pair.name_ar] = organization
    for language, language_names in names.items():
        for name in language_names:
            if name not in entries[language]:
                entries[language][name] = _single_name_entry(name, language)
    return entries


def _single_name_entry(name: str, language: str) -> Organization:
    if language == "en":
        return inviting.find_or_create_organization(name, "", "")
    return inviting.find_or_create_organization("", name, "")


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
    arabic_by_org: dict[int, ImportedSignatory] = {}
    for row in imported_rows(letter, "ar"):
        if row.organization_id is not None:
            arabic_by_org.setdefault(row.organization_id, row)
    return {
        row.id: arabic_by_org[row.organization_id]
        for row in imported_rows(letter, "en")
        if row.organization_id in arabic_by_org
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
    newest_organization = _newest_organization_id()
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
        created_organizations=_organizations_created_since(letter, newest_organization),
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
    newest_organization = _newest_organization_id()
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
        created_organizations=_organizations_created_since(letter, newest_organization),
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


def _newest_organization_id() -> int:
    return db.session.scalar(select(func.max(Organization.id))) or 0


def _organizations_created_since(letter: Letter, newest: int) -> list[int]:
    """Directory entries of this letter's rows with an id above ``newest``: created since it was read.

    Ids only grow (a PostgreSQL sequence; SQLite's largest rowid plus one), so an entry newer
    than the newest one before an operation was created by that operation.
    """
    db.session.flush()
    return sorted(
        set(
            db.session.scalars(
                select(ImportedSignatory.organization_id).where(
                    ImportedSignatory.letter_id == letter.id, ImportedSignatory.organization_id > newest
                )
            )
        )
    )


def organizations_created_by_import(letter: Letter) -> set[int]:
    """Ids of the directory entries created by importing this letter or by reviewing its pairs.

    Letters imported before this was recorded have none: their directory entries are left alone.
    """
    return {
        organization_id
        for event in _events(letter, "letter.imported", "import.paired", "import.unpaired")
        for organization_id in (event.details or {}).get("created_organizations", [])
    }


# --------------------------------------------------------------------------- possible duplicates


def open_duplicates(letter: Letter) -> list[PossibleDuplicate]:
    """The possible duplicates of the import report that the coordinator has not resolved yet.

    The report names the two entries of each pair; they are found again in the list by name
    (the first entry of that name, and for the second name another entry). A pair of which
    one entry was merged away is resolved; so is a pair recorded as "not a duplicate".
    """
    if letter.source != IMPORTED:
        return []
    dismissed = {
        frozenset(event.details.get("rows", ())) for event in _events(letter, "import.duplicate_dismissed")
    }
    found = []
    for language, summary in import_details(letter)["report"].items():
        by_name: dict[str, list[ImportedSignatory]] = defaultdict(list)
        for row in imported_rows(letter, language):
            by_name[row.name].append(row)
        for first_name, second_name in summary.get("possible_duplicates", ()):
            first = next(iter(by_name.get(first_name, ())), None)
            second = next((row for row in by_name.get(second_name, ()) if row is not first), None)
            if first is None or second is None or frozenset((first.id, second.id)) in dismissed:
                continue
            if second.position < first.position:
                first, second = second, first
            found.append(PossibleDuplicate(language, first, second))
    return found


def merge_duplicate(
    letter: Letter, keep_row_id: int, drop_row_id: int, *, by: User | None = None
) -> MergedDuplicate:
    """Keep one entry of a list and remove the other: they are one organisation, named as the kept one.

    The list is numbered 1..N again without a gap (published numbers stay as printed). The
    removed entry's directory entry is deleted if this import created it and nothing refers to
    it any more; otherwise the directory is left alone. The letter's final documents are
    queued again (with a new verification code), since they list the removed name. Any two
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
    publishing.discard_final_documents(letter)
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
    if not any({pair.first.id, pair.second.id} == {first.id, second.id} for pair in open_duplicates(letter)):
        raise DuplicateError(
            "not_open", f"entries {first.id} and {second.id} are not an open possible duplicate"
        )
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
    return {
        int(event.details["removed_row"])
        for event in _events(letter, "import.duplicate_merged")
        if event.details.get("removed_row") is not None
    }


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


def _language_name(language: str) -> str:
    return {"en": "English", "ar": "Arabic"}.get(language, language)
