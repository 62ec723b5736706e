"""``flask --app letterhub organizations …``: the directory from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from .extensions import db
from .services import directory

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
