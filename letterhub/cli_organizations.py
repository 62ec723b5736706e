"""``flask --app letterhub organizations …``: the directory from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from .extensions import db
from .forms.directory import ANOTHER_SPELLING, EditOrganizationForm
from .services import directory
from .services.imports import folding
from .services.names import clean_email

organizations_cli = AppGroup("organizations", help="The organisation directory.")


@organizations_cli.command("list")
@click.option("--search", default="", help="Any spelling of either name (folded as the directory page does).")
@click.option("--tag", default="", help="Only entries with this tag.")
def list_command(search: str, tag: str) -> None:
    """Print every matching directory entry as one JSON object per line."""
    page = 1
    while True:
        listing = directory.directory_page(search=search, tag=tag, page=page, per_page=500)
        for organization in listing.organizations:
            line = directory.as_json(organization, listing.history.get(organization.id, []))
            click.echo(json.dumps(line, ensure_ascii=False))
        if listing.number >= listing.pages:
            break
        page += 1
        db.session.expunge_all()


@organizations_cli.command("merge")
@click.argument("keep_id", type=int)
@click.argument("other_id", type=int)
def merge_command(keep_id: int, other_id: int) -> None:
    """Merge entry OTHER_ID into KEEP_ID (invitations, aliases and tags move; OTHER_ID is deleted)."""
    keep = directory.get_organization(keep_id)
    other = directory.get_organization(other_id)
    if keep is None or other is None:
        raise click.ClickException(f"no directory entry {keep_id if keep is None else other_id}")
    try:
        directory.merge_organizations(keep, other, by=None)
    except directory.SameOrganization:
        raise click.ClickException("an entry cannot be merged into itself") from None
    except directory.MergeOnClosedLetter as error:
        db.session.rollback()
        raise click.ClickException(
            f"an entry is on the list of closed letters {error.letter_ids}: reopen signing first"
        ) from None
    except directory.MergeConflict as error:
        db.session.rollback()
        raise click.ClickException(
            f"both entries are on the list of letters {error.letter_ids}: revoke one invitation first"
        ) from None
    db.session.commit()
    click.echo(json.dumps({"kept": keep_id, "merged": other_id}))


@organizations_cli.command("edit")
@click.argument("organization_id", type=int)
@click.option("--name-en", default=None, help="The English name (empty: none).")
@click.option("--name-ar", default=None, help="The Arabic name (empty: none).")
@click.option("--country", default=None)
@click.option("--tags", default=None, help="Every tag of the entry, separated by commas (replaces its tags).")
@click.option("--add-email", default=None, help="An address to add.")
@click.option("--remove-email", multiple=True, help="An address of the entry to remove (repeatable).")
@click.option(
    "--primary-email", default=None, help="The primary address: one of the entry's, or --add-email's."
)
@click.option("--add-alias-en", default=None, help="Another spelling of the English name.")
@click.option("--add-alias-ar", default=None, help="Another spelling of the Arabic name.")
@click.option(
    "--remove-alias", multiple=True, help="One of the entry's other spellings to remove (repeatable)."
)
def edit_command(
    organization_id: int,
    name_en: str | None,
    name_ar: str | None,
    country: str | None,
    tags: str | None,
    add_email: str | None,
    remove_email: tuple[str, ...],
    primary_email: str | None,
    add_alias_en: str | None,
    add_alias_ar: str | None,
    remove_alias: tuple[str, ...],
) -> None:
    """Edit directory entry ORGANIZATION_ID with the web form's checks; print what changed as JSON.

    Options left out keep what the entry has. A new name that looks like another entry is
    saved all the same (the web page asks first); those entries are listed in the output.
    """
    organization = directory.get_organization(organization_id)
    if organization is None:
        raise click.ClickException(f"no directory entry {organization_id}")
    primary = organization.primary_email
    formdata = MultiDict(
        {
            "name_en": organization.name_en if name_en is None else name_en,
            "name_ar": organization.name_ar if name_ar is None else name_ar,
            "country": organization.country if country is None else country,
            "tags": ", ".join(tag.name for tag in organization.tags) if tags is None else tags,
            "email": add_email or "",
            "alias_en": add_alias_en or "",
            "alias_ar": add_alias_ar or "",
        }
    )
    if primary_email is not None and add_email and clean_email(primary_email) == clean_email(add_email):
        formdata["new_email_primary"] = "y"
    elif primary_email is not None:
        formdata["primary_email"] = clean_email(primary_email)
    elif primary is not None:
        formdata["primary_email"] = primary.key
    formdata.setlist("remove_emails", [clean_email(address) for address in remove_email])
    formdata.setlist("remove_aliases", [str(_alias_id(organization, spelling)) for spelling in remove_alias])
    with force_locale("en"):
        form = EditOrganizationForm(organization, formdata=formdata, meta={"csrf": False})
        if not form.validate():
            problems = [f"{field.label.text}: {error}" for field in form for error in field.errors]
            raise click.ClickException("Nothing was saved.\n" + "\n".join(problems))
    changes = form.changes()
    similar = directory.renamed_look_alikes(organization, changes)
    changed = directory.edit_organization(organization, changes, by=None)
    db.session.commit()
    click.echo(
        json.dumps(
            {"id": organization_id, "changes": changed, "similar_organizations": [o.id for o in similar]},
            ensure_ascii=False,
        )
    )


def _alias_id(organization, spelling: str) -> int:
    """The id of the entry's alias spelled so (or folding so), as the web form's checkbox gives it."""
    key = folding.name_key(spelling)
    for alias in organization.aliases:
        if alias.spelling == spelling.strip() or (key and alias.key == key):
            return alias.id
    with force_locale("en"):
        raise click.ClickException(f"--remove-alias {spelling}: {ANOTHER_SPELLING} Nothing was saved.")
