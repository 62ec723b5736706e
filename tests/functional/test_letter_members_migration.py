"""Migration 0012: upgrading gives existing letters a team that keeps everyone's access; downgrading drops it."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from letterhub.extensions import db
from letterhub.services import accounts, drafting

from ..conftest import LETTER_TEXT, PASSWORD, make_app

BEFORE = "0012_parity_acknowledgements"
REVISION = "0013_letter_members"


def memberships() -> set[tuple[int, int, str]]:
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT letter_id, user_id, role FROM letter_members")).all()
    return {tuple(row) for row in rows}


def columns(table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(db.engine).get_columns(table)}


def test_each_creator_owns_their_letters_and_every_other_account_edits_them(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        upgrade()
        alice = accounts.create_user("alice@example.org", "Alice", PASSWORD)
        bilal = accounts.create_user("bilal@example.org", "Bilal", PASSWORD)
        carol = accounts.create_user("carol@example.org", "Carol", PASSWORD)
        accounts.deactivate(carol)
        first = drafting.create_letter(alice, dict(LETTER_TEXT))
        second = drafting.create_letter(bilal, dict(LETTER_TEXT))
        db.session.commit()
        ids = (alice.id, bilal.id, carol.id, first.id, second.id)
        db.session.remove()

        # The data as it stood before teams existed.
        downgrade(revision=BEFORE)
        assert "letter_members" not in sa.inspect(db.engine).get_table_names()
        assert "is_admin" not in columns("users")
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM letters")).scalar_one() == 2

        upgrade(revision=REVISION)
        alice_id, bilal_id, carol_id, first_id, second_id = ids
        assert memberships() == {
            (first_id, alice_id, "owner"),
            (first_id, bilal_id, "editor"),
            (first_id, carol_id, "editor"),
            (second_id, bilal_id, "owner"),
            (second_id, alice_id, "editor"),
            (second_id, carol_id, "editor"),
        }
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM users WHERE is_admin")).scalar_one() == 0

        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 3
        downgrade(revision="base")
        db.engine.dispose()
