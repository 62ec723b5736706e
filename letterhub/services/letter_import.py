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
  and an Arabic name (a known directory pair, or a shared acronym) both rows are linked to
  **one** organisation. The coordinator reviews and corrects with :func:`confirm_pair` and
  :func:`unpair`.

The import report (counts, numbering gaps, possible duplicates, warnings) and the proposed
pairs are kept in the ``letter.imported`` audit event, so the review page can show them later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

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
        raise LetterImportError("There is no text to import.")
    if len(texts) > len(LANGUAGES):
        raise LetterImportError("Import at most one text per language (English and Arabic).")
    parsed: dict[str, ParsedLetter] = {}
    for number, text in enumerate(texts, start=1):
        try:
            letter = parse_letter_text(text)
        except LetterImportError as error:
            prefix = f"Text {number}: " if len(texts) > 1 else ""
            raise type(error)(prefix + error.message) from None
        if letter.language in parsed:
            raise LetterImportError(
                f"Two texts are in the same language ({_language_name(letter.language)}): "
                "import one English and one Arabic text of the same letter."
            )
        for signatory in letter.signatories:
            if len(signatory.name) > NAME_MAX_LENGTH:
                raise LetterImportError(
                    f"A signatory name is longer than {NAME_MAX_LENGTH} characters: "
                    f"“{signatory.name[:60]}…”. Is the list really a list of organisations?"
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
    pairs = propose_pairs(names.get("en", ()), names.get("ar", ()), directory_pairs) if len(parsed) == 2 else []

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
    warnings = [f"[{language}] {warning}" for language, text in parsed.items() for warning in text.warnings]
    if len(parsed) == 1:
        (only,) = parsed
        warnings.append(
            f"Only the {_language_name(only)} text was imported; the letter renders in that language only."
        )
    audit.record(
        "letter.imported", letter=letter, user=author, revision=revision.number, sha256=revision.content_sha256,
        report=report, pairs=[[p.name_en, p.name_ar, p.reason] for p in pairs], warnings=warnings,
    )
    return ImportResult(letter.id, signatory_ids, report, pairs, warnings)


def known_directory_pairs() -> list[tuple[str, str]]:
    """(English, Arabic) names of every directory entry that has both: pairs already confirmed."""
    rows = db.session.execute(
        select(Organization.name_en, Organization.name_ar).where(Organization.name_en != "", Organization.name_ar != "")
    ).all()
    return [(name_en, name_ar) for name_en, name_ar in rows]


def _add_imported_revision(letter: Letter, parsed: dict[str, ParsedLetter], author: User) -> LetterRevision:
    fields = {f"{name}_{language}": "" for name in ("title", "addressees", "date_place", "body", "heading")
              for language in LANGUAGES}
    for language, text in parsed.items():
        fields[f"title_{language}"] = text.title
        fields[f"addressees_{language}"] = text.addressees
        fields[f"body_{language}"] = text.body
        fields[f"heading_{language}"] = text.signatories_heading or drafting.DEFAULT_HEADINGS[language]
    fields = drafting.normalise_fields(fields)
    revision = LetterRevision(
        letter_id=letter.id, number=1, content_sha256=drafting.content_sha256(fields), created_by=author, **fields
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def _directory_entries(names: dict[str, list[str]], pairs: list[ProposedPair]) -> dict[str, dict[str, Organization]]:
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
    present = set(db.session.scalars(
        select(ImportedSignatory.language).where(ImportedSignatory.letter_id == letter.id).distinct()
    ))
    order = (letter.first_language, *(language for language in LANGUAGES if language != letter.first_language))
    return tuple(language for language in order if language in present)


def import_details(letter: Letter) -> dict:
    """The report, proposed pairs and warnings recorded when the letter was imported."""
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.letter_id == letter.id, AuditEvent.action == "letter.imported")
        .order_by(AuditEvent.id)
        .limit(1)
    ).first()
    details = dict(event.details) if event is not None else {}
    return {
        "report": details.get("report", {}),
        "pairs": details.get("pairs", []),
        "warnings": details.get("warnings", []),
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
    for row, language in ((en_row, "en"), (ar_row, "ar")):
        if row is None or row.letter_id != letter.id or row.language != language:
            raise PairingError(f"no {language} entry {row.id if row else '?'} on this letter")
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
        if row.organization_id == target.id or (row.organization in previous and row.organization.name_en
                                                 and row.organization.name_ar):
            row.organization = _single_name_entry_for(row, avoid={target.id})
    en_row.organization = target
    ar_row.organization = target
    db.session.flush()
    _drop_unused(previous - {target})
    audit.record("import.paired", letter=letter, user=by, en_row=en_row.id, ar_row=ar_row.id,
                 organization=target.id)
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
    if shared.name_ar == ar_row.name:
        shared.name_ar = ""
        db.session.flush()
    ar_row.organization = _single_name_entry_for(ar_row, avoid={shared.id})
    db.session.flush()
    audit.record("import.unpaired", letter=letter, user=by, en_row=en_row.id, ar_row=ar_row.id)


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
        in_use = any(
            db.session.scalar(select(model.id).where(model.organization_id == organization.id).limit(1)) is not None
            for model in (ImportedSignatory, Invitation, Signature)
        )
        if not in_use:
            db.session.delete(organization)
    db.session.flush()


def _language_name(language: str) -> str:
    return {"en": "English", "ar": "Arabic"}.get(language, language)
