"""Storing a published letter: the database side of :mod:`.parsing`.

:mod:`.parsing` turns text into a :class:`~.parsing.ParsedLetter`; this module stores it. What an import creates, in the
caller's transaction (services never commit):

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
- directory entries (:class:`Organization`), each published spelling kept as an alias of its
  entry (:func:`..directory.remember_spellings`) where it differs from the entry's names: every name is found in, or added to, the
  directory and its row linked to it. Where :func:`.pairing.propose_pairs` pairs an English
  and an Arabic name (a known directory pair, a shared acronym, or one name written in the other's
  script, see :mod:`.transliteration`) both rows are linked to
  **one** organisation. The coordinator reviews and corrects with :mod:`.review`.

- one open :class:`ImportPossibleDuplicate` per possible duplicate the parser reported, and one
  :class:`ImportCreatedOrganization` per directory entry the import added: the state the
  review (:mod:`.review`) works on.

The ``letter.imported`` audit event records what happened: the import report (counts,
numbering gaps, possible duplicates, warnings), the proposed pairs and the warnings as
``notes`` (language, code, params) that :mod:`.messages` words in the reader's language. It
also names the directory entries created, so that the history is complete. The review page
shows the report and warnings from it (what the import found, which never changes); what the
coordinator changes afterwards lives in the tables above, never in audit events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    LANGUAGES,
    REVISION_FIELDS,
    AliasSource,
    ImportCreatedOrganization,
    ImportedSignatory,
    ImportPossibleDuplicate,
    Letter,
    LetterRevision,
    LetterStatus,
    Organization,
    User,
)
from ...models.types import utcnow
from .. import audit, directory, drafting, inviting, publishing, teams
from .messages import english
from .notes import ImportNote, LetterImportError
from .pairing import ProposedPair, propose_pairs
from .parsing import ParsedLetter, parse_letter_text

IMPORTED = "imported"
NAME_MAX_LENGTH = 300  # ImportedSignatory.name and Organization.name_* columns

_USE_DIRECTORY = object()


@dataclass(frozen=True)
class ImportResult:
    letter_id: int
    signatory_ids: dict[str, list[int]]  # language -> ImportedSignatory ids in published order
    report: dict  # import_report(): per language
    pairs: list[ProposedPair]
    warnings: list[str] = field(default_factory=list)  # in English, as the CLI prints them

    def as_json(self) -> dict:
        """What ``flask letters import`` prints."""
        return {
            "letter": self.letter_id,
            "languages": self.report,
            "pairs": [[pair.name_en, pair.name_ar, pair.reason] for pair in self.pairs],
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------- importing


def import_report(parsed: dict[str, ParsedLetter]) -> dict:
    """The per-language summary the CLI prints as JSON (the ``"languages"`` part); warnings in English."""
    return {
        language: {
            "signatories": len(letter.signatories),
            "numbering_gaps": list(letter.numbering_gaps),
            "possible_duplicates": [list(pair) for pair in letter.possible_duplicates],
            "warnings": [english(note) for note in letter.warnings],
        }
        for language, letter in parsed.items()
    }


def parse_texts(texts: Sequence[str]) -> dict[str, ParsedLetter]:
    """Parse each text (one per language). Raises LetterImportError, naming the text that failed."""
    texts = [text for text in texts if text and text.strip()]
    if not texts:
        raise LetterImportError("nothing_to_import")
    if len(texts) > len(LANGUAGES):
        raise LetterImportError("too_many_texts")
    parsed: dict[str, ParsedLetter] = {}
    for number, text in enumerate(texts, start=1):
        try:
            letter = parse_letter_text(text)
        except LetterImportError as error:
            if len(texts) == 1:
                raise
            raise type(error)(error.code, **error.params, text_number=number) from None
        if letter.language in parsed:
            raise LetterImportError("same_language", language=letter.language)
        for signatory in letter.signatories:
            if len(signatory.name) > NAME_MAX_LENGTH:
                raise LetterImportError("name_too_long", max_length=NAME_MAX_LENGTH, name=signatory.name[:60])
        parsed[letter.language] = letter
    return parsed


def import_letter(texts: Sequence[str], *, author: User, directory_pairs=_USE_DIRECTORY) -> ImportResult:
    """Store a published letter (one text per language) as a closed, imported letter.

    ``directory_pairs``: known (English, Arabic) name pairs for :func:`.pairing.propose_pairs`;
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

    newest_organization = newest_organization_id()
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
    # The directory keeps each published spelling, so that a search finds the entry under it.
    directory.remember_spellings(
        (
            (organization, language, name)
            for language, by_name in organizations.items()
            for name, organization in by_name.items()
        ),
        AliasSource.IMPORT,
    )
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
        _record_possible_duplicates(letter, language, rows, letter_text.possible_duplicates)

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
                ImportNote("only_language", {"language": only}),
            )
        )
    warnings = [f"[{language}] {english(note)}" if language else english(note) for language, note in notes]
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
            {"language": language, "code": note.code, "params": note.params, "text": english(note)}
            for language, note in notes
        ],
        created_organizations=record_created_organizations(letter, newest_organization),
    )
    teams.add_owner(letter, author)  # the importing coordinator owns the imported letter
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
    """Revision 1 with each imported language's text; a language not imported stays empty."""
    fields = dict.fromkeys(
        (f"{name}_{language}" for name in REVISION_FIELDS for language in LANGUAGES),
        "",
    )
    for language, text in parsed.items():
        fields[f"title_{language}"] = text.title
        fields[f"addressees_{language}"] = text.addressees
        fields[f"body_{language}"] = text.body
        fields[f"heading_{language}"] = text.signatories_heading or drafting.DEFAULT_HEADINGS[language]
    return drafting.add_revision(letter, 1, drafting.normalise_fields(fields), author)


def _record_possible_duplicates(
    letter: Letter,
    language: str,
    rows: Sequence[ImportedSignatory],
    pairs: Sequence[tuple[str, str]],
) -> None:
    """One open :class:`ImportPossibleDuplicate` per pair of names the parser reported.

    Each name is found in the list again: the first entry of that name, and for the second
    name another entry (a name listed twice is a pair of itself).
    """
    by_name: dict[str, list[ImportedSignatory]] = defaultdict(list)
    for row in rows:
        by_name[row.name].append(row)
    for first_name, second_name in pairs:
        first = by_name[first_name][0]
        second = next(row for row in by_name[second_name] if row is not first)
        first, second = sorted((first, second), key=lambda row: row.position)
        db.session.add(
            ImportPossibleDuplicate(
                letter_id=letter.id,
                language=language,
                first_row_id=first.id,
                second_row_id=second.id,
                first_name=first.name,
                second_name=second.name,
            )
        )
    db.session.flush()


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
                entries[language][name] = single_name_entry(name, language)
    return entries


def single_name_entry(name: str, language: str) -> Organization:
    if language == "en":
        return inviting.find_or_create_organization(name, "", "")
    return inviting.find_or_create_organization("", name, "")


def newest_organization_id() -> int:
    return db.session.scalar(select(func.max(Organization.id))) or 0


def record_created_organizations(letter: Letter, newest: int) -> list[int]:
    """Record the directory entries of this letter's rows with an id above ``newest``: created since it was read.

    Ids only grow (a PostgreSQL sequence; SQLite's largest rowid plus one), so an entry newer
    than the newest one before an operation was created by that operation. Returns their ids
    (the audit event names them too).
    """
    db.session.flush()
    created = sorted(
        {
            organization_id
            for organization_id in db.session.scalars(
                select(ImportedSignatory.organization_id).where(
                    ImportedSignatory.letter_id == letter.id, ImportedSignatory.organization_id > newest
                )
            )
            if organization_id is not None
        }
    )
    db.session.add_all(
        ImportCreatedOrganization(organization_id=organization_id, letter_id=letter.id)
        for organization_id in created
    )
    db.session.flush()
    return created
