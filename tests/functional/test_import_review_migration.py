"""Migration 0004: import review state moves from audit events' JSON into tables, and back out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from letterhub.extensions import db
from letterhub.models import Letter
from letterhub.services.imports import review

from ..conftest import make_app

BEFORE = "0002_final_documents"
WHEN = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)

# The tables as revision 0002 has them, only the columns written here.
users = sa.table(
    "users",
    *(sa.column(name) for name in ("id", "email", "name", "password_hash", "locale", "active")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
letters = sa.table(
    "letters",
    *(sa.column(name) for name in ("id", "status", "coalition", "created_by_id", "source")),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("closed_at", sa.DateTime(timezone=True)),
)
organizations = sa.table(
    "organizations",
    *(sa.column(name) for name in ("id", "name_en", "name_ar", "email")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
rows = sa.table(
    "imported_signatories",
    *(sa.column(name) for name in ("id", "letter_id", "language", "position", "published_number", "name")),
    sa.column("organization_id"),
)
events = sa.table(
    "audit_events",
    *(sa.column(name) for name in ("letter_id", "user_id", "action", "ip_address")),
    sa.column("details", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
)

# An English list of 6 as published, "Gamma Aid Org" since merged into "Gamma Aid".
PUBLISHED = ["Alpha Relief", "Alpha Relief Organisation", "Beta Watch", "Beta Watch Syria", "Gamma Aid"]
REPORTED = [[PUBLISHED[0], PUBLISHED[1]], [PUBLISHED[2], PUBLISHED[3]], ["Gamma Aid", "Gamma Aid Org"]]


def write_old_import(connection) -> None:
    """What the old code left behind: an imported letter whose review state is only in its audit events."""
    connection.execute(
        users.insert().values(
            id=1,
            email="c@example.org",
            name="C",
            password_hash="x",
            locale="en",
            active=True,
            created_at=WHEN,
        )
    )
    connection.execute(
        letters.insert().values(
            id=1,
            status="closed",
            coalition="",
            created_by_id=1,
            source="imported",
            created_at=WHEN,
            closed_at=WHEN,
        )
    )
    for number, name in enumerate(PUBLISHED, start=1):
        connection.execute(
            organizations.insert().values(id=number, name_en=name, name_ar="", email="", created_at=WHEN)
        )
        connection.execute(
            rows.insert().values(
                id=number,
                letter_id=1,
                language="en",
                position=number,
                published_number=number,
                name=name,
                organization_id=number,
            )
        )
    report = {"en": {"signatories": 6, "numbering_gaps": [], "possible_duplicates": REPORTED, "warnings": []}}
    for action, details in [
        (
            "letter.imported",
            {"report": report, "pairs": [], "warnings": [], "created_organizations": [1, 2, 3, 4, 5, 6]},
        ),
        ("import.duplicate_dismissed", {"language": "en", "rows": [3, 4], "names": PUBLISHED[2:4]}),
        (
            "import.duplicate_merged",
            {
                "language": "en",
                "kept_row": 5,
                "kept": "Gamma Aid",
                "removed_row": 6,
                "removed": "Gamma Aid Org",
                "removed_position": 6,
                "removed_published_number": 6,
                "organization_deleted": 6,
            },
        ),
    ]:
        connection.execute(
            events.insert().values(
                letter_id=1, user_id=1, action=action, ip_address="", details=details, created_at=WHEN
            )
        )


def review_state(connection) -> tuple:
    duplicates = connection.execute(
        sa.text(
            "SELECT first_row_id, second_row_id, first_name, second_name, status, removed_row_id, resolved_by_id"
            " FROM import_possible_duplicates ORDER BY id"
        )
    ).all()
    created = connection.scalars(
        sa.text("SELECT organization_id FROM import_created_organizations ORDER BY organization_id")
    ).all()
    return [tuple(row) for row in duplicates], list(created)


def test_upgrade_carries_open_dismissed_and_merged_duplicates_over_from_audit_events_and_downgrade_keeps_them(
    empty_database, tmp_path
):
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            write_old_import(connection)

        upgrade()

        with db.engine.connect() as connection:
            state = review_state(connection)
        assert state == (
            [
                (1, 2, "Alpha Relief", "Alpha Relief Organisation", "open", None, None),
                (3, 4, "Beta Watch", "Beta Watch Syria", "dismissed", None, 1),
                (5, None, "Gamma Aid", "Gamma Aid Org", "merged", 6, 1),
            ],
            [1, 2, 3, 4, 5],  # entry 6 was deleted by the merge
        )
        letter = db.session.get(Letter, 1)
        (open_pair,) = review.open_duplicates(letter)
        assert (open_pair.first.name, open_pair.second.name) == tuple(PUBLISHED[:2])
        with pytest.raises(review.DuplicateError) as refused:
            review.dismiss_duplicate(letter, 3, 4)
        assert refused.value.reason == "not_open"
        with pytest.raises(review.DuplicateError) as refused:
            review.merge_duplicate(letter, 5, 6)
        assert refused.value.reason == "removed"
        assert review.organizations_created_by_import(letter) == {1, 2, 3, 4, 5}
        db.session.rollback()
        db.session.remove()

        downgrade(revision="0003_login_sessions")  # back to before this migration (and any later one)
        inspector = sa.inspect(db.engine)
        assert {"import_possible_duplicates", "import_created_organizations"}.isdisjoint(
            inspector.get_table_names()
        )
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM audit_events")) == 3

        upgrade()  # and back: the events still hold everything
        with db.engine.connect() as connection:
            assert review_state(connection) == state
        db.session.remove()
        db.engine.dispose()
