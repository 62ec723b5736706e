"""``flask --app letterhub letters …``: importing published letters and rendering any letter."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from . import database
from .extensions import db
from .models import Letter, User
from .services import bulk_inviting, evidence, finalizing, inviting, publishing
from .services.imports import storage
from .services.imports.decoding import decode_letter_file
from .services.imports.messages import english
from .services.imports.notes import LetterImportError
from .services.render_limits import RenderFailed, RenderLimitExceeded, render_within_limits

log = logging.getLogger(__name__)

letters_cli = AppGroup("letters", help="Import published letters; render any letter to PDF.")

LANGUAGE_CHOICES = {"both": ("en", "ar"), "en": ("en",), "ar": ("ar",)}


@letters_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--author",
    "author_email",
    default=None,
    help="Email of the coordinator recorded as the importer (default: the first coordinator).",
)
def import_command(files: tuple[Path, ...], author_email: str | None) -> None:
    """Import a published letter: one text file per language (UTF-8), e.g. the Arabic and English texts.

    Prints one JSON object: the letter's id, per language the number of signatories, the
    numbering gaps and possible duplicates of the published list, and warnings. Nothing is
    saved when a file cannot be read or has no signatory list.
    """
    author = _author(author_email)
    texts = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise click.ClickException(f"{path}: cannot read the file ({error.strerror or error}).") from None
        try:
            texts.append(decode_letter_file(data))
        except LetterImportError as error:
            raise click.ClickException(f"{path}: {english(error)}") from None
    try:
        result = storage.import_letter(texts, author=author)
    except LetterImportError as error:
        db.session.rollback()
        names = ", ".join(str(path) for path in files)
        raise click.ClickException(f"{names}: {english(error)} Nothing was imported.") from None
    db.session.commit()
    log.info("imported letter %s from %d file(s)", result.letter_id, len(files))
    click.echo(json.dumps(result.as_json(), ensure_ascii=False))  # stdout holds the report only


@letters_cli.command("pdf")
@click.argument("letter_id", type=int)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the PDF (written whole or not at all).",
)
@click.option("--language", type=click.Choice(tuple(LANGUAGE_CHOICES)), default="both", show_default=True)
def pdf_command(letter_id: int, output: Path, language: str) -> None:
    """Render a letter (drafted or imported) to a PDF file."""
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        raise click.ClickException(f"There is no letter {letter_id}.")
    languages = LANGUAGE_CHOICES[language]
    if language == "both" and letter.first_language in languages:
        languages = (letter.first_language, *(x for x in languages if x != letter.first_language))
    present = publishing.available_languages(letter)
    languages = tuple(code for code in languages if code in present)
    if not languages:
        raise click.ClickException("This letter has no text in the language asked for.")
    document = finalizing.letter_document(
        letter, languages=languages, verification_code=letter.verification_code
    )
    try:
        pdf = render_within_limits(document, one_shot=True)
    except (RenderLimitExceeded, RenderFailed) as error:
        raise click.ClickException(f"No PDF written: {error}") from None
    write_atomically(output, pdf)
    click.echo(f"wrote {output} ({len(pdf)} bytes)")


@letters_cli.command("invite")
@click.argument("letter_id", type=int)
@click.option(
    "--csv",
    "csv_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV with a header line: name_en, name_ar, email, language (ar or en), optional tags.",
)
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--send", is_flag=True, help="Queue the invitation emails at once.")
@click.option("--author", "author_email", default=None, help="Email of the coordinator recorded as inviting.")
def invite_command(
    letter_id: int, csv_file: Path, dry_run: bool, send: bool, author_email: str | None
) -> None:
    """Invite the organisations of a CSV file to a letter.

    Prints only the JSON report on stdout: {"added", "existing", "errors", "possible_duplicates"}.
    Lines that look like another line or a directory entry are invited and listed for review.
    Exits with 1 only when no organisation could be added.
    """
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        raise click.ClickException(f"There is no letter {letter_id}.")
    try:
        data = csv_file.read_bytes()
    except OSError as error:
        raise click.ClickException(f"{csv_file}: cannot read the file ({error.strerror or error}).") from None
    author = None if dry_run else _author(author_email)
    db.session.commit()  # the next transaction takes the write lock before it reads (SQLite)
    try:
        with database.writing():
            outcome = bulk_inviting.invite_csv(letter, data, send=send, dry_run=dry_run, by=author)
    except bulk_inviting.CsvFileError as error:
        db.session.rollback()
        raise click.ClickException(f"{csv_file}: {bulk_inviting.english(error.code, error.params)}") from None
    except inviting.InvitationNotSendable:
        db.session.rollback()
        raise click.ClickException(
            f"Signing is closed for letter {letter_id}: nothing was invited."
        ) from None
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
        log.info(
            "invited %d organisation(s) to letter %s from %s",
            len(outcome.invitation_ids),
            letter_id,
            csv_file,
        )
    click.echo(json.dumps(outcome.report(), ensure_ascii=False))  # stdout holds the report only
    if outcome.added + outcome.existing == 0:
        raise SystemExit(1)


@letters_cli.command("evidence")
@click.argument("letter_id", type=int)
@click.option(
    "--format", "output_format", type=click.Choice(("json", "pdf")), default="json", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the report (written whole or not at all); default: standard output (JSON only).",
)
@click.option(
    "--language", type=click.Choice(("en", "ar")), default="en", show_default=True, help="The PDF's wording."
)
def evidence_command(letter_id: int, output_format: str, output: Path | None, language: str) -> None:
    """The evidence report of a closed letter: invitations, every decision, files' hashes, audit trail."""
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        raise click.ClickException(f"There is no letter {letter_id}.")
    try:
        report = evidence.build(letter)
    except evidence.NotClosed:
        raise click.ClickException("Signing is not closed for this letter: close it first.") from None
    if output_format == "json":
        data = evidence.as_json(report).encode("utf-8")
    else:
        if output is None:
            raise click.ClickException("A PDF needs --output FILE.")
        data = evidence.as_pdf(report, language)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_atomically(output, data)
    click.echo(f"wrote {output} ({len(data)} bytes)", err=True)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    A reader never sees a half-written file, and on any error no file is left behind.
    """
    directory = path.resolve().parent
    if not directory.is_dir():
        raise click.ClickException(f"{path}: the folder {directory} does not exist.")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _author(email: str | None) -> User:
    if email:
        user = db.session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).first()
        if user is None:
            raise click.ClickException(f"There is no coordinator with the email {email}.")
        return user
    user = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).first()
    if user is None:
        raise click.ClickException(
            "There is no coordinator account to record as the importer: create one first "
            "(flask --app letterhub users create)."
        )
    return user
