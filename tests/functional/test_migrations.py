"""Migrations keep the data they do not change, both ways, on a database that holds a campaign."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from letterhub.extensions import db
from letterhub.services import accounts, drafting, inviting

from ..conftest import LETTER_TEXT, PASSWORD, make_app

TABLES_KEPT = ("users", "letters", "letter_revisions", "organizations", "invitations", "outbox_messages")


def row_counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table: connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # noqa: S608
            for table in TABLES_KEPT
        }


def test_downgrading_and_upgrading_again_loses_no_letter_organisation_or_invitation(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        upgrade()
        user = accounts.create_user("coordinator@example.org", "Coordinator", PASSWORD)
        letter = drafting.create_letter(user, dict(LETTER_TEXT), coalition="Coalition")
        for number in range(3):
            invitation = inviting.add_organization(
                letter,
                name_en=f"Organisation {number}",
                name_ar=f"منظمة {number}",
                email=f"focal{number}@example.org",
                language="en",
                by=user,
            )
            inviting.send_invitation(invitation, by=user)
        db.session.commit()
        before = row_counts()
        assert before["invitations"] == 3
        db.session.remove()

        # Back past every migration that rebuilds the organisations table on SQLite, and forward again.
        downgrade(revision="0005_deadline_moment")
        assert row_counts() == before
        upgrade()
        assert row_counts() == before
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
