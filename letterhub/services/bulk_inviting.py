"""Inviting many organisations at once: from a CSV file, or picked from the directory.

One service for the web preview, its confirmation and ``flask letters invite --csv``:

1. :func:`read_csv` turns the file's bytes into :class:`CsvLine` objects. Accepted: UTF-8 with
   or without a BOM and UTF-16 with a BOM (what Excel's "Unicode text" writes), through the
   importer's :func:`~.imports.decoding.decode_letter_file`; bytes that are not UTF-8 are then
   read as Windows Arabic (cp1256), the code page Excel uses for "CSV" on an Arabic Windows.
   The separator (comma, semicolon or tab) is the one the header line uses most. Every cell
   goes through :func:`.spreadsheet.read_csv_rows`, so a formula typed into a name is stored
   as text. The header names the columns; the titles people type ("English name",
   «الاسم بالعربية», "E-mail"…) are recognised once folded (:data:`COLUMN_TITLES`).
2. :func:`classify` compares the lines with one snapshot of the directory and of the letter's
   invitations (:func:`load_directory`: four queries, whatever the number of lines), using
   the one folding of :mod:`.imports.folding`, and gives each line a status: ``new``,
   ``existing`` (matched in the directory by its folded name or an alias), ``duplicate`` (looks
   like another line or a directory entry: the coordinator decides) or ``error`` (with codes).
   Every step is a dictionary lookup: no line is compared with every other.
3. :func:`commit` creates the directory entries and invitations of the lines chosen, in the
   caller's transaction, and can queue the invitation emails.

:func:`invite_organizations` puts directory entries picked on the directory page (a selection,
everything a search or tag matches, or everyone who confirmed another letter) on a letter.

Line numbers are the spreadsheet's row numbers: the header is line 1. Services never commit.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import email_validator
from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Invitation,
    InvitationState,
    Letter,
    LetterStatus,
    Organization,
    OrganizationAlias,
    OrganizationEmail,
    OrganizationTag,
    User,
)
from ..models.types import utcnow
from . import audit, directory, finalizing, inviting, spreadsheet, tokens
from .imports import folding
from .imports.decoding import decode_letter_file
from .imports.notes import UnreadableLetterFile
from .names import clean_email, clean_name

if TYPE_CHECKING:
    import psycopg

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_LINES = 5_000
NAME_MAX_LENGTH = 300
EMAIL_MAX_LENGTH = 254
_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


# --------------------------------------------------------------------------- wording


MESSAGES = {
    # Errors of one line
    "bad_email": _l("“%(email)s” is not a valid email address."),
    "missing_email": _l("The email address is missing."),
    "no_name": _l("The organisation has no name in either language."),
    "name_too_long": _l("A name is too long (at most %(max)d characters)."),
    "duplicate_organization": _l("The same organisation is already on line %(line)d of the file."),
    "duplicate_email": _l("The same email address is already on line %(line)d of the file."),
    "already_invited": _l("This organisation is already invited to this letter."),
    "bad_language": _l("“%(value)s” is not a language: write ar or en."),
    # Errors of the whole file
    "empty_file": _l("The file is empty."),
    "not_text": _l("This is not a CSV file: save the spreadsheet as CSV (UTF-8) and upload it again."),
    "workbook": _l("This is an Excel workbook, not a CSV file: save it as CSV (UTF-8) and upload it again."),
    "damaged_utf16": _l("The file starts like UTF-16 text but is damaged: save it again as CSV (UTF-8)."),
    "too_large": _l("This file is too large (at most %(max)d KB)."),
    "too_many_lines": _l("This file has too many lines (at most %(max)d organisations)."),
    "no_header": _l(
        "The first line must name the columns: name_en, name_ar, email, language (ar or en) and, "
        "if you like, tags."
    ),
    "no_email_column": _l("No column of email addresses was found in the first line (email)."),
    "no_name_column": _l("No column of names was found in the first line (name_en or name_ar)."),
    "no_lines": _l("The file has a header line but no organisation under it."),
}


def message(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The wording of ``code`` in the current locale (the reader's language on the web)."""
    text = str(MESSAGES[code])
    return text % dict(params) if params else text


def english(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The wording of ``code`` in English (the CLI's report)."""
    with force_locale("en"):
        return message(code, params)


class CsvFileError(ValueError):
    """The file as a whole cannot be read as a list of organisations; ``code`` says why."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self) -> str:
        return message(self.code, self.params)


# --------------------------------------------------------------------------- reading the file


def _title_key(text: str) -> str:
    return folding.fold(text.replace("_", " "))


# The titles a person types for each column, compared folded (case, punctuation, hamza forms).
COLUMN_TITLES: dict[str, list[str]] = {
    "name_en": [
        "name_en",
        "name en",
        "en name",
        "english name",
        "name in english",
        "name (english)",
        "english",
        "organisation name in english",
        "organization name in english",
        "organisation (english)",
        "organization (english)",
        "name of the organisation in english",
        "الاسم بالإنجليزية",
        "الاسم بالانكليزية",
        "الاسم الإنجليزي",
        "الاسم الانكليزي",
        "الاسم باللغة الإنجليزية",
        "اسم المنظمة بالإنجليزية",
        "اسم المنظمة بالانكليزية",
    ],
    "name_ar": [
        "name_ar",
        "name ar",
        "ar name",
        "arabic name",
        "name in arabic",
        "name (arabic)",
        "arabic",
        "organisation name in arabic",
        "organization name in arabic",
        "organisation (arabic)",
        "organization (arabic)",
        "name of the organisation in arabic",
        "الاسم بالعربية",
        "الاسم بالعربي",
        "الاسم العربي",
        "الاسم باللغة العربية",
        "اسم المنظمة بالعربية",
        "اسم المنظمة",
    ],
    "email": [
        "email",
        "e-mail",
        "e mail",
        "mail",
        "email address",
        "e-mail address",
        "focal point email",
        "focal point's email",
        "focal point e-mail",
        "contact email",
        "البريد الإلكتروني",
        "البريد الالكتروني",
        "بريد إلكتروني",
        "البريد",
        "الإيميل",
        "ايميل",
        "بريد نقطة الاتصال",
    ],
    "language": [
        "language",
        "lang",
        "invitation language",
        "language of the invitation",
        "اللغة",
        "لغة",
        "لغة الدعوة",
    ],
    "tags": ["tags", "tag", "labels", "label", "الوسوم", "وسوم", "الوسم", "التصنيفات", "تصنيف"],
}
_TITLE_TO_COLUMN = {_title_key(title): column for column, titles in COLUMN_TITLES.items() for title in titles}

_LANGUAGE_VALUES = {
    **{folding.fold(v): "ar" for v in ["ar", "arabic", "عربي", "عربية", "العربية", "ع", "arabe"]},
    **{
        folding.fold(v): "en"
        for v in ["en", "english", "eng", "إنجليزي", "إنجليزية", "الإنجليزية", "انكليزي", "الانكليزية"]
    },
}


def column_of(title: str) -> str | None:
    """The column a header cell names, or None."""
    return _TITLE_TO_COLUMN.get(_title_key(title))


def decode_csv(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in (``utf-8``, ``utf-16`` or ``cp1256``)."""
    if not data:
        raise CsvFileError("empty_file")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise CsvFileError("workbook")
    try:
        text = decode_letter_file(data)
        encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    except UnreadableLetterFile as error:
        if error.code == "damaged_utf16":
            raise CsvFileError("damaged_utf16") from None
        if error.code != "not_utf8":
            raise CsvFileError("not_text") from None
        # Not UTF-8 and no NULs: Excel's "CSV" on an Arabic Windows is the Windows Arabic code page.
        try:
            text = data.decode("cp1256")
        except UnicodeDecodeError:
            raise CsvFileError("not_text") from None
        encoding = "cp1256"
    if "\x00" in text:
        raise CsvFileError("not_text")
    return text, encoding


def detect_delimiter(text: str) -> str:
    """The separator the header line uses most: comma, semicolon or tab (comma when none)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass(frozen=True)
class LineError:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        return message(self.code, self.params)


class LineStatus(enum.Enum):
    NEW = "new"  # not in the directory: an entry is created
    EXISTING = "existing"  # matched in the directory by its folded names
    DUPLICATE = "duplicate"  # looks like another line or a directory entry: the coordinator decides
    ERROR = "error"  # not invited


@dataclass
class CsvLine:
    number: int  # as a spreadsheet shows it: the header is line 1
    name_en: str = ""
    name_ar: str = ""
    email: str = ""
    language: str = ""
    tags: list[str] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    status: LineStatus = LineStatus.NEW
    organization_id: int | None = None  # the directory entry it matches exactly
    similar_organizations: list[int] = field(default_factory=list)
    similar_lines: list[int] = field(default_factory=list)

    def display_name(self, language: str = "en") -> str:
        first, second = (self.name_ar, self.name_en) if language == "ar" else (self.name_en, self.name_ar)
        return first or second


@dataclass
class ParsedCsv:
    lines: list[CsvLine]
    columns: list[str]
    delimiter: str
    encoding: str
    text: str = ""


def read_csv(data: bytes) -> ParsedCsv:
    """The organisations of an uploaded CSV file, each line checked on its own (no database)."""
    if len(data) > MAX_FILE_BYTES:
        raise CsvFileError("too_large", max=MAX_FILE_BYTES // 1024)
    text, encoding = decode_csv(data)
    delimiter = detect_delimiter(text)
    rows = spreadsheet.read_csv_rows(text, delimiter=delimiter)
    header: list[str] | None = None
    positions: dict[str, int] = {}
    lines: list[CsvLine] = []
    for number, row in enumerate(rows, start=1):
        if header is None:
            if not any(cell.strip() for cell in row):
                raise CsvFileError("no_header")
            header = row
            for index, title in enumerate(row):
                column = column_of(title)
                if column is not None and column not in positions:
                    positions[column] = index
            if not positions:
                raise CsvFileError("no_header")
            if "email" not in positions:
                raise CsvFileError("no_email_column")
            if "name_en" not in positions and "name_ar" not in positions:
                raise CsvFileError("no_name_column")
            continue
        if not any(cell.strip() for cell in row):
            continue  # an empty row keeps its number but is not an organisation
        if len(lines) >= MAX_LINES:
            raise CsvFileError("too_many_lines", max=MAX_LINES)

        def cell(column: str, row: list[str] = row) -> str:
            index = positions.get(column)
            return row[index] if index is not None and index < len(row) else ""

        lines.append(_checked_line(number, cell))
    if header is None:
        raise CsvFileError("empty_file")
    if not lines:
        raise CsvFileError("no_lines")
    return ParsedCsv(lines, [c for c in COLUMN_TITLES if c in positions], delimiter, encoding, text)


# The plain ASCII address most lines hold, checked without email_validator's full (and, at a
# millisecond an address, slow) parse; anything else, or a special-use domain, goes through it.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_SPECIAL_DOMAINS = tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)


def checked_email(text: str) -> str | None:
    """The address lower-cased, or None when email_validator (as the forms use it) refuses it."""
    if _PLAIN_EMAIL.fullmatch(text) and len(text) <= EMAIL_MAX_LENGTH and len(text.partition("@")[0]) <= 64:
        domain = text.rpartition("@")[2].lower()
        if not any(domain == d or domain.endswith("." + d) for d in _SPECIAL_DOMAINS):
            return text.lower()
    try:
        email = validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None
    return email if len(email) <= EMAIL_MAX_LENGTH else None


# Characters clean_name removes or turns into spaces; a name without any (and in NFC) only
# needs its spaces collapsed, which is most names of a file.
_NEEDS_CLEANING = re.compile("[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\ufeff\u202a-\u202e\u2066-\u2069]")


def _clean(text: str) -> str:
    if _NEEDS_CLEANING.search(text) or not unicodedata.is_normalized("NFC", text):
        return clean_name(text)
    return " ".join(text.split())


def _checked_line(number: int, cell) -> CsvLine:
    line = CsvLine(number=number, name_en=_clean(cell("name_en")), name_ar=_clean(cell("name_ar")))
    if not (line.name_en or line.name_ar):
        line.errors.append(LineError("no_name"))
    elif max(len(line.name_en), len(line.name_ar)) > NAME_MAX_LENGTH:
        line.errors.append(LineError("name_too_long", {"max": NAME_MAX_LENGTH}))
    raw_email = cell("email").strip()
    if not raw_email:
        line.errors.append(LineError("missing_email"))
    else:
        email = checked_email(raw_email)
        if email is None:
            line.email = raw_email
            line.errors.append(LineError("bad_email", {"email": raw_email[:100]}))
        else:
            line.email = email
    raw_language = cell("language").strip()
    if raw_language:
        language = _LANGUAGE_VALUES.get(folding.fold(raw_language))
        if language is None:
            line.errors.append(LineError("bad_language", {"value": raw_language[:40]}))
        line.language = language or ""
    if not line.language:
        # No language given: the invitation goes in Arabic to an organisation with an Arabic name.
        line.language = "ar" if line.name_ar else "en"
    line.tags = directory.parse_tags(cell("tags"))
    if line.errors:
        line.status = LineStatus.ERROR
    return line


# --------------------------------------------------------------------------- comparing


def _looks_like_keys(name: str, key: str) -> set[str]:
    """Weaker keys than the folded name ``key`` (:func:`folding.name_key` of ``name``): its words
    in any order, and the name's Latin acronyms."""
    keys = set()
    if key:
        keys.add("words:" + " ".join(sorted(set(key.split()))))
    if name and any("A" <= ch <= "Z" for ch in name):
        keys.update("acronym:" + a for a in folding.acronyms(name))
    return keys


@dataclass
class DirectorySnapshot:
    """What the classification needs of the directory and of one letter's list, loaded once."""

    by_key: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    keys_of: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    names_of: dict[int, tuple[str, str]] = field(default_factory=dict)  # folded (en, ar)
    by_looks: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_email: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    invited: set[int] = field(default_factory=set)
    invited_emails: set[str] = field(default_factory=set)


def load_directory(letter: Letter | None) -> DirectorySnapshot:
    """Every directory entry's folded names, aliases and emails, and the letter's invitations: four queries."""
    snapshot = DirectorySnapshot()
    rows = db.session.execute(
        select(
            Organization.id,
            Organization.name_en,
            Organization.name_ar,
            Organization.name_en_folded,
            Organization.name_ar_folded,
        )
    )
    for organization_id, name_en, name_ar, en_key, ar_key in rows:
        snapshot.names_of[organization_id] = (en_key, ar_key)
        for key in (en_key, ar_key):
            if key:
                snapshot.by_key[key].add(organization_id)
                snapshot.keys_of[organization_id].add(key)
        for name, folded in ((name_en, en_key), (name_ar, ar_key)):
            for key in _looks_like_keys(name or "", folded or ""):
                snapshot.by_looks[key].add(organization_id)
    # Every address of every entry, the primary and the others alike.
    for organization_id, email in db.session.execute(
        select(OrganizationEmail.organization_id, OrganizationEmail.key)
    ):
        snapshot.by_email[email].add(organization_id)
    for organization_id, key in db.session.execute(
        select(OrganizationAlias.organization_id, OrganizationAlias.key)
    ):
        snapshot.by_key[key].add(organization_id)
        snapshot.keys_of[organization_id].add(key)
    if letter is not None:
        for organization_id, email in db.session.execute(
            select(Invitation.organization_id, Invitation.email).where(Invitation.letter_id == letter.id)
        ):
            snapshot.invited.add(organization_id)
            snapshot.invited_emails.add((email or "").lower())
    return snapshot


def classify(lines: list[CsvLine], snapshot: DirectorySnapshot) -> list[CsvLine]:
    """Give each line its status against the other lines and the directory (dictionary lookups only).

    * The same folded name (either language) or email as an earlier good line: an error.
    * Both names match one directory entry (by name or alias), or one does and the other is
      empty: ``existing``; already on the letter's list: the error ``already_invited``.
    * Names matching two entries, or one name matching an entry whose other name differs, or
      only the words in another order, a shared acronym or the email of an entry or of an
      earlier line: ``duplicate``, listing what it looks like. A line whose names match no
      entry but whose email is an address (any, not only the primary) of exactly one entry
      not yet invited is that entry's by default (a ``duplicate`` with ``organization_id``),
      as is a line with one name of an entry and another second name.
    """
    seen_keys: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    seen_organizations: dict[int, int] = {}
    seen_looks: dict[str, set[int]] = defaultdict(set)
    for line in lines:
        en_key, ar_key = folding.name_key(line.name_en), folding.name_key(line.name_ar)
        keys = [k for k in (en_key, ar_key) if k]
        if line.status != LineStatus.ERROR:
            earlier = next((seen_keys[k] for k in keys if k in seen_keys), None)
            if earlier is not None:
                line.errors.append(LineError("duplicate_organization", {"line": earlier}))
            if line.email in seen_emails:
                line.errors.append(LineError("duplicate_email", {"line": seen_emails[line.email]}))
        if line.errors:
            line.status = LineStatus.ERROR
            continue

        matched = set(snapshot.by_key.get(en_key, ())) | set(snapshot.by_key.get(ar_key, ()))
        looks = _looks_like_keys(line.name_en, en_key) | _looks_like_keys(line.name_ar, ar_key)
        if len(matched) == 1:
            (organization_id,) = matched
            line.organization_id = organization_id
            known = snapshot.keys_of.get(organization_id, set())
            entry_en, entry_ar = snapshot.names_of.get(organization_id, ("", ""))
            contradiction = (en_key and entry_en and en_key not in known) or (
                ar_key and entry_ar and ar_key not in known
            )
            if organization_id in snapshot.invited:
                line.errors.append(LineError("already_invited"))
                line.status = LineStatus.ERROR
            elif contradiction:
                line.status = LineStatus.DUPLICATE
                line.similar_organizations = [organization_id]
            else:
                line.status = LineStatus.EXISTING
        elif matched:
            line.similar_organizations = sorted(matched)
            if matched <= snapshot.invited:
                line.errors.append(LineError("already_invited"))
                line.status = LineStatus.ERROR
            else:
                line.status = LineStatus.DUPLICATE
        else:
            by_email = set(snapshot.by_email.get(line.email, ()))
            similar = set(by_email)
            for key in looks:
                similar |= snapshot.by_looks.get(key, set())
            if similar:
                line.status = LineStatus.DUPLICATE
                line.similar_organizations = sorted(similar)
            candidate = next(iter(by_email)) if len(by_email) == 1 else None
            if (
                candidate is not None
                and candidate not in snapshot.invited
                and candidate not in seen_organizations
            ):
                # Any address of one entry (primary or not): that entry, under other names. It
                # is invited by default, counted as existing and still listed for review, since
                # one person may answer for two organisations. (Not if already on the list or
                # claimed by an earlier line: then it is a look-alike only.)
                line.organization_id = candidate
        if line.organization_id is not None and line.status != LineStatus.ERROR:
            # Two spellings of one directory entry on two lines: the same organisation twice.
            if line.organization_id in seen_organizations:
                line.errors.append(
                    LineError("duplicate_organization", {"line": seen_organizations[line.organization_id]})
                )
                line.status = LineStatus.ERROR
            else:
                seen_organizations[line.organization_id] = line.number
        if line.status == LineStatus.ERROR:
            continue
        similar_lines: set[int] = set()
        for key in looks:
            similar_lines |= seen_looks.get(key, set())
        if similar_lines:
            line.similar_lines = sorted(similar_lines)
            line.status = LineStatus.DUPLICATE
        if line.status == LineStatus.NEW and line.email in snapshot.invited_emails:
            line.status = LineStatus.DUPLICATE  # the focal point already holds an invitation here
        for key in keys:
            seen_keys.setdefault(key, line.number)
        seen_emails.setdefault(line.email, line.number)
        for key in looks:
            seen_looks[key].add(line.number)
    return lines


@dataclass
class Preview:
    lines: list[CsvLine]
    delimiter: str
    encoding: str
    text: str = ""  # the file's text, as decoded: what the confirmation reads again

    def count(self, status: LineStatus) -> int:
        return sum(1 for line in self.lines if line.status == status)

    @property
    def errors(self) -> list[CsvLine]:
        return [line for line in self.lines if line.status == LineStatus.ERROR]

    @property
    def duplicates(self) -> list[CsvLine]:
        return [line for line in self.lines if line.status == LineStatus.DUPLICATE]


def preview(letter: Letter, data: bytes) -> Preview:
    """Read and classify an uploaded file against the directory; nothing is written."""
    parsed = read_csv(data)
    classify(parsed.lines, load_directory(letter))
    return Preview(parsed.lines, parsed.delimiter, parsed.encoding, parsed.text)


# --------------------------------------------------------------------------- confirming

NEW, EXISTING, SKIP = "new", "existing", "skip"


def default_choice(line: CsvLine) -> str:
    """What happens to a line the coordinator made no choice for (and what the CLI does)."""
    if line.status == LineStatus.ERROR:
        return SKIP
    return EXISTING if line.organization_id is not None else NEW


@dataclass
class Outcome:
    """What :func:`commit` did (or would do, for a dry run)."""

    added: int = 0  # invitations of organisations new to the directory
    existing: int = 0  # invitations of organisations matched in the directory
    skipped: int = 0  # lines the coordinator chose to skip
    sent: int = 0
    errors: list[tuple[int, LineError]] = field(default_factory=list)
    possible_duplicates: list[CsvLine] = field(default_factory=list)
    invitation_ids: list[int] = field(default_factory=list)
    created_organization_ids: list[int] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        """The CLI's JSON report; messages in English."""
        return {
            "added": self.added,
            "existing": self.existing,
            "errors": [
                {"line": number, "code": error.code, "message": english(error.code, error.params)}
                for number, error in sorted(self.errors, key=lambda item: item[0])
            ],
            "possible_duplicates": [
                {
                    "line": line.number,
                    "name_en": line.name_en,
                    "name_ar": line.name_ar,
                    "email": line.email,
                    "similar_lines": line.similar_lines,
                    "similar_organizations": line.similar_organizations,
                }
                for line in self.possible_duplicates
            ],
        }


def parse_choice(value: str | None, line: CsvLine) -> tuple[str, int | None]:
    """A submitted choice for a line: ``new``, ``skip``, ``existing`` or ``existing:<id>`` (one it looks like)."""
    value = (value or "").strip()
    if not value:
        value = default_choice(line)
    if value == NEW:
        return NEW, None
    if value.startswith(EXISTING):
        _, _, number = value.partition(":")
        candidates = set(line.similar_organizations)
        if line.organization_id is not None:
            candidates.add(line.organization_id)
        if number.isdigit() and int(number) in candidates:
            return EXISTING, int(number)
        if not number and line.organization_id is not None:
            return EXISTING, line.organization_id
    return SKIP, None


def commit(
    letter: Letter,
    lines: list[CsvLine],
    *,
    choices: Mapping[int, str] | None = None,
    send: bool = False,
    dry_run: bool = False,
    by: User | None = None,
) -> Outcome:
    """Put the chosen lines on the letter's list: new directory entries and invitations, one flush.

    ``lines`` come from :func:`classify` against the directory as it is now (the confirmation
    classifies again, so what changed since the preview counts). ``choices`` maps a line number
    to ``new``, ``existing[:<id>]`` or ``skip``; a line without one gets :func:`default_choice`.
    Lines with errors are reported, never invited. With ``dry_run`` nothing is added to the
    session. With ``send`` each new invitation's email is queued.
    """
    if letter.status == LetterStatus.CLOSED:
        raise inviting.InvitationNotSendable("the letter is closed")
    choices = choices or {}
    outcome = Outcome()
    wanted: list[tuple[CsvLine, int | None]] = []
    for line in lines:
        for error in line.errors:
            outcome.errors.append((line.number, error))
        if line.status == LineStatus.ERROR:
            continue
        if line.status == LineStatus.DUPLICATE:
            outcome.possible_duplicates.append(line)
        kind, organization_id = parse_choice(choices.get(line.number), line)
        if kind == SKIP:
            outcome.skipped += 1
        else:
            wanted.append((line, organization_id))
    # An entry chosen for a look-alike may be on the list already, or chosen by an earlier line.
    taken = _invited_among(letter, {oid for _line, oid in wanted if oid is not None})
    planned: list[tuple[CsvLine, int | None]] = []
    for line, organization_id in wanted:
        if organization_id is not None:
            if organization_id in taken:
                outcome.errors.append((line.number, LineError("already_invited")))
                continue
            taken.add(organization_id)
            outcome.existing += 1
        else:
            outcome.added += 1
        planned.append((line, organization_id))
    if dry_run or not planned:
        return outcome

    existing_ids = sorted({organization_id for _line, organization_id in planned if organization_id})
    organizations: dict[int, Organization] = {}
    for start in range(0, len(existing_ids), _CHUNK):
        chunk = existing_ids[start : start + _CHUNK]
        organizations.update(
            (o.id, o) for o in db.session.scalars(select(Organization).where(Organization.id.in_(chunk)))
        )
    # Rows inserted in bulk, per table (:func:`_insert_rows`): building 2,000 ORM objects
    # and flushing them costs seconds, and on SQLite the ORM inserts them one by one to read
    # each new id back. The ids are drawn beforehand instead.
    new_lines = [line for line, organization_id in planned if organization_id is None]
    organization_ids = allocate_ids(Organization, len(new_lines))
    tag_ids = iter(allocate_ids(OrganizationTag, sum(len(line.tags) for line in new_lines)))
    email_ids = iter(allocate_ids(OrganizationEmail, len(new_lines)))
    invitation_ids = allocate_ids(Invitation, len(planned))
    now = utcnow()
    organization_rows, tag_rows, email_rows = [], [], []
    known_addresses: list[tuple[int, str]] = []  # of existing entries
    new_ids = iter(organization_ids)
    invitation_rows = []
    for (line, organization_id), invitation_id in zip(planned, invitation_ids, strict=True):
        if organization_id is None:
            organization_id = next(new_ids)
            organization_rows.append(
                {
                    "id": organization_id,
                    "name_en": line.name_en,
                    "name_ar": line.name_ar,
                    "country": "",
                    "created_at": now,
                    # What Organization's validator keeps in step with the names.
                    "name_en_key": line.name_en.casefold(),  # name_key() of a name cleaned already
                    "name_ar_key": line.name_ar.casefold(),
                    "name_en_folded": folding.name_key(line.name_en),
                    "name_ar_folded": folding.name_key(line.name_ar),
                }
            )
            tag_rows += [
                {
                    "id": next(tag_ids),
                    "organization_id": organization_id,
                    "name": tag[: directory.TAG_MAX_LENGTH],
                    "key": folding.fold(tag),
                }
                for tag in line.tags
            ]
            email_rows.append(
                {
                    "id": next(email_ids),
                    "organization_id": organization_id,
                    "email": line.email,
                    "key": clean_email(line.email),
                    "is_primary": True,
                    "created_at": now,
                }
            )
        else:
            organization = organizations[organization_id]
            # What the one-at-a-time form does too: a missing name is filled in, the address
            # becomes one of the entry's (its primary if it had none).
            organization.name_en = organization.name_en or line.name_en
            organization.name_ar = organization.name_ar or line.name_ar
            known_addresses.append((organization_id, line.email))
        invitation_rows.append(
            {
                "id": invitation_id,
                "letter_id": letter.id,
                "organization_id": organization_id,
                "email": line.email,
                "language": line.language,
                "state": InvitationState.PENDING,
                "created_at": now,
                "do_not_remind": False,
            }
        )
    db.session.flush()
    _insert_rows(Organization, organization_rows)
    _insert_rows(OrganizationTag, tag_rows)
    _insert_rows(OrganizationEmail, email_rows)
    _insert_rows(Invitation, invitation_rows)
    db.session.expire(letter, ["invitations"])
    directory.remember_emails(known_addresses)
    if existing_ids and any(line.tags for line, organization_id in planned if organization_id):
        _add_tags({oid: line.tags for line, oid in planned if oid and line.tags}, organizations)
    audit.record(
        "invitations.imported",
        letter=letter,
        user=by,
        added=outcome.added,
        existing=outcome.existing,
        errors=len(outcome.errors),
        invitations=invitation_ids,
        organizations_created=organization_ids,
    )
    outcome.invitation_ids = invitation_ids
    outcome.created_organization_ids = organization_ids
    if send:
        outcome.sent = _send(_load_invitations(invitation_ids), by)
    return outcome


def _insert_rows(model, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, ids included) into ``model``'s table, in bulk.

    PostgreSQL: ``COPY … FROM STDIN`` on the session's connection (its transaction), each value
    passed through its column type's bind processing first, as an INSERT would. A multi-row
    ``VALUES`` list (SQLAlchemy's "insertmanyvalues": 1,000 rows and ten thousand parameters a
    statement) cost most of the commit; inserting 1,600 directory entries took 0.5-3 s that
    way, 0.16-0.27 s as ``unnest`` arrays and 0.05-0.08 s by COPY on the shared machine.
    SQLite: sqlite3's executemany, one prepared statement run per row inside the library.
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        db.session.execute(insert(model), rows)
        return
    table = model.__table__
    columns = list(rows[0])
    processors = [table.c[column].type.bind_processor(dialect) for column in columns]
    quote = dialect.identifier_preparer
    statement = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)}) FROM STDIN"
    psycopg_connection = cast("psycopg.Connection", connection.connection.driver_connection)
    with psycopg_connection.cursor() as cursor, cursor.copy(statement) as copy:  # the session's transaction
        for row in rows:
            copy.write_row(
                [
                    process(row[column]) if process else row[column]
                    for column, process in zip(columns, processors, strict=True)
                ]
            )


def allocate_ids(model, count: int) -> list[int]:
    """``count`` unused primary keys of ``model``'s table, for rows this transaction inserts.

    PostgreSQL: drawn from the table's sequence (one query). SQLite: the ones after the
    largest in use; its single writer makes them ours (a writing transaction holds the lock,
    and a transaction that read first then finds another writer's rows fails, never collides).
    """
    if count <= 0:
        return []
    table = model.__table__.name
    if db.session.get_bind().dialect.name == "postgresql":
        return list(
            db.session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
                {"table": table, "count": count},
            )
        )
    largest = db.session.scalar(select(func.max(model.id))) or 0
    return list(range(largest + 1, largest + 1 + count))


def _load_invitations(ids: list[int]) -> list[Invitation]:
    invitations: list[Invitation] = []
    for start in range(0, len(ids), _CHUNK):
        invitations += db.session.scalars(
            select(Invitation).where(Invitation.id.in_(ids[start : start + _CHUNK])).order_by(Invitation.id)
        )
    return invitations


def _invited_among(letter: Letter, organization_ids: set[int]) -> set[int]:
    """Which of these organisations are on the letter's list already (one query per 500)."""
    ids = sorted(organization_ids)
    invited: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        invited.update(
            db.session.scalars(
                select(Invitation.organization_id).where(
                    Invitation.letter_id == letter.id,
                    Invitation.organization_id.in_(ids[start : start + _CHUNK]),
                )
            )
        )
    return invited


def _add_tags(wanted: dict[int, list[str]], organizations: dict[int, Organization]) -> None:
    """Tags of the file added to existing entries (never removed): one query for the tags they have."""
    have: set[tuple[int, str]] = set()
    ids = sorted(wanted)
    for start in range(0, len(ids), _CHUNK):
        have.update(
            (row[0], row[1])
            for row in db.session.execute(
                select(OrganizationTag.organization_id, OrganizationTag.key).where(
                    OrganizationTag.organization_id.in_(ids[start : start + _CHUNK])
                )
            )
        )
    for organization_id, tags in wanted.items():
        for tag in tags:
            key = folding.fold(tag)
            if key and (organization_id, key) not in have:
                have.add((organization_id, key))
                db.session.add(
                    OrganizationTag(
                        organization_id=organization_id, name=tag[: directory.TAG_MAX_LENGTH], key=key
                    )
                )
    db.session.flush()


def _send(invitations: Iterable[Invitation], by: User | None) -> int:
    sent = 0
    for invitation in invitations:
        try:
            inviting.send_invitation(invitation, by=by)
        except inviting.InvitationNotSendable:
            continue
        sent += 1
    return sent


def invite_csv(
    letter: Letter,
    data: bytes,
    *,
    choices: Mapping[int, str] | None = None,
    send: bool = False,
    dry_run: bool = False,
    by: User | None = None,
) -> Outcome:
    """Read, classify against the directory as it is now, and invite: the whole CSV path in one call."""
    parsed = read_csv(data)
    classify(parsed.lines, load_directory(letter))
    return commit(letter, parsed.lines, choices=choices, send=send, dry_run=dry_run, by=by)


# --------------------------------------------------------------------------- picking from the directory


@dataclass
class PickOutcome:
    invited: int = 0
    already_invited: int = 0
    without_email: int = 0
    sent: int = 0
    invitations: list[Invitation] = field(default_factory=list)


def matching_organization_ids(search: str = "", tag: str = "") -> list[int]:
    """Every directory entry a search and tag filter match (what "select all matching" picks)."""
    query = (
        directory.directory_query(search, tag).with_only_columns(Organization.id).order_by(Organization.id)
    )
    return list(db.session.scalars(query))


def confirmed_organization_ids(letter_id: int) -> list[int]:
    """Everyone who confirmed a letter: its final list once closed, else those whose
    confirmation counts for its current text (see finalizing.listed_organization_ids)."""
    letter = db.session.get(Letter, letter_id)
    return finalizing.listed_organization_ids(letter) if letter is not None else []


def preferred_languages(organization_ids: list[int]) -> dict[int, str]:
    """Each organisation's language: that of its most recent invitation (one query per 500 ids)."""
    languages: dict[int, str] = {}
    for start in range(0, len(organization_ids), _CHUNK):
        chunk = organization_ids[start : start + _CHUNK]
        newest = (
            select(func.max(Invitation.id))
            .where(Invitation.organization_id.in_(chunk))
            .group_by(Invitation.organization_id)
        )
        languages.update(
            (row[0], row[1])
            for row in db.session.execute(
                select(Invitation.organization_id, Invitation.language).where(Invitation.id.in_(newest))
            )
        )
    return languages


def invite_organizations(
    letter: Letter, organization_ids: Iterable[int], *, send: bool = False, by: User | None = None
) -> PickOutcome:
    """Put directory entries on the letter's list: their primary email, their preferred language.

    Entries already on the list are counted and skipped, as are entries without an email. The
    preferred language is that of the entry's most recent invitation, or Arabic when it has an
    Arabic name and English otherwise. A constant number of queries per 500 entries.
    """
    if letter.status == LetterStatus.CLOSED:
        raise inviting.InvitationNotSendable("the letter is closed")
    ids = sorted(set(organization_ids))
    outcome = PickOutcome()
    invited = set(
        db.session.scalars(select(Invitation.organization_id).where(Invitation.letter_id == letter.id))
    )
    wanted = [i for i in ids if i not in invited]
    outcome.already_invited = len(ids) - len(wanted)
    languages = preferred_languages(wanted)
    invitations = []
    for start in range(0, len(wanted), _CHUNK):
        for organization in db.session.scalars(
            select(Organization)
            .where(Organization.id.in_(wanted[start : start + _CHUNK]))
            .options(selectinload(Organization.emails))
            .order_by(Organization.id)
        ):
            email = (organization.email or "").strip().lower()
            if not email:
                outcome.without_email += 1
                continue
            language = languages.get(organization.id) or ("ar" if organization.name_ar else "en")
            invitations.append(
                Invitation(letter=letter, organization=organization, email=email, language=language)
            )
    if invitations:
        db.session.add_all(invitations)
        db.session.flush()
        audit.record(
            "invitations.picked",
            letter=letter,
            user=by,
            invitations=[i.id for i in invitations],
            already_invited=outcome.already_invited,
            without_email=outcome.without_email,
        )
    outcome.invited = len(invitations)
    outcome.invitations = invitations
    if send and invitations:
        outcome.sent = _send(invitations, by)
    return outcome


# --------------------------------------------------------------------------- between preview and confirmation

UPLOAD_SALT = "letterhub.bulk-invite-upload"
UPLOAD_MAX_AGE = 2 * 3600  # seconds a preview can be confirmed
UPLOAD_FIELD_MAX = 400_000  # characters of the signed field: under the form-field limit (500 KB)


class UploadExpired(ValueError):
    """The signed upload is too old, for another letter or user, or was tampered with."""


def _upload_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        tokens.signing_keys(), salt=UPLOAD_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def sign_upload(text: str, *, letter_id: int, user_id: int) -> str:
    """The previewed file's text, compressed and signed for the confirmation form's hidden field.

    The preview keeps nothing on the server: the coordinator's browser carries the text back,
    bound (by the signature) to this letter and this user, for :data:`UPLOAD_MAX_AGE`.
    """
    payload = base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    signed = _upload_serializer().dumps({"letter": letter_id, "user": user_id, "text": payload})
    if len(signed) > UPLOAD_FIELD_MAX:
        raise CsvFileError("too_large", max=MAX_FILE_BYTES // 1024)
    return signed


def read_upload(signed: str, *, letter_id: int, user_id: int) -> bytes:
    """The file (as UTF-8 bytes) of a field made by :func:`sign_upload`; raises :class:`UploadExpired`."""
    try:
        payload = _upload_serializer().loads(signed, max_age=UPLOAD_MAX_AGE)
        if payload.get("letter") != letter_id or payload.get("user") != user_id:
            raise UploadExpired("another letter or user")
        return zlib.decompress(base64.urlsafe_b64decode(payload["text"].encode("ascii")))
    except (BadSignature, KeyError, TypeError, ValueError, zlib.error, AttributeError) as error:
        raise UploadExpired(str(error)) from None
