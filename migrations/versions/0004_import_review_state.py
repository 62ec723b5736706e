"""Import review state in tables: possible duplicates (open, merged, dismissed) and the directory
entries an import created.

Until now both were read back from audit events' JSON. The upgrade carries the existing state
over from those events, reading them the way the old code did (older shapes included); the
events themselves stay as they are. The downgrade drops the two tables and loses nothing: the
code of revision 0002 reads the same state from the events again, and the new code keeps
writing those events.

Revision ID: 0004_import_review_state
Revises: 0003_login_sessions
Create Date: 2026-11-30 22:30:00.000000

"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004_import_review_state"
down_revision = "0003_login_sessions"
branch_labels = None
depends_on = None

PAIR_EVENTS = ("letter.imported", "import.paired", "import.unpaired")


def upgrade():
    op.create_table(
        "import_possible_duplicates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("first_row_id", sa.Integer(), nullable=True),
        sa.Column("second_row_id", sa.Integer(), nullable=True),
        sa.Column("first_name", sa.String(length=300), nullable=False),
        sa.Column("second_name", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "merged", "dismissed", name="duplicatestatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("removed_row_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'merged', 'dismissed')", name=op.f("ck_import_possible_duplicates_status")
        ),
        sa.CheckConstraint(
            "first_row_id <> second_row_id", name=op.f("ck_import_possible_duplicates_two_entries")
        ),
        sa.CheckConstraint(
            "status <> 'open' OR (first_row_id IS NOT NULL AND second_row_id IS NOT NULL)",
            name=op.f("ck_import_possible_duplicates_open_has_rows"),
        ),
        sa.CheckConstraint(
            "removed_row_id IS NULL OR status = 'merged'",
            name=op.f("ck_import_possible_duplicates_removed_only_by_merge"),
        ),
        sa.CheckConstraint(
            "(status = 'open') = (resolved_at IS NULL)",
            name=op.f("ck_import_possible_duplicates_resolved_when_closed"),
        ),
        sa.ForeignKeyConstraint(
            ["first_row_id"],
            ["imported_signatories.id"],
            name=op.f("fk_import_possible_duplicates_first_row_id_imported_signatories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name=op.f("fk_import_possible_duplicates_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_import_possible_duplicates_resolved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["second_row_id"],
            ["imported_signatories.id"],
            name=op.f("fk_import_possible_duplicates_second_row_id_imported_signatories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_possible_duplicates")),
        sa.UniqueConstraint(
            "letter_id",
            "first_row_id",
            "second_row_id",
            name=op.f("uq_import_possible_duplicates_letter_id_first_row_id_second_row_id"),
        ),
    )
    with op.batch_alter_table("import_possible_duplicates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_possible_duplicates_first_row_id"), ["first_row_id"])
        batch_op.create_index(batch_op.f("ix_import_possible_duplicates_letter_id"), ["letter_id"])
        batch_op.create_index(batch_op.f("ix_import_possible_duplicates_second_row_id"), ["second_row_id"])

    op.create_table(
        "import_created_organizations",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name=op.f("fk_import_created_organizations_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_import_created_organizations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_import_created_organizations")),
    )
    with op.batch_alter_table("import_created_organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_created_organizations_letter_id"), ["letter_id"])

    carry_over_from_audit_events(op.get_bind())


def downgrade():
    with op.batch_alter_table("import_created_organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_created_organizations_letter_id"))
    op.drop_table("import_created_organizations")
    with op.batch_alter_table("import_possible_duplicates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_possible_duplicates_second_row_id"))
        batch_op.drop_index(batch_op.f("ix_import_possible_duplicates_letter_id"))
        batch_op.drop_index(batch_op.f("ix_import_possible_duplicates_first_row_id"))
    op.drop_table("import_possible_duplicates")


# --------------------------------------------------------------------------- carrying the state over

# The tables as this revision knows them (not the models: those move on).
audit_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("letter_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("details", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
imported_signatories = sa.table(
    "imported_signatories",
    sa.column("id", sa.Integer),
    sa.column("letter_id", sa.Integer),
    sa.column("language", sa.String),
    sa.column("position", sa.Integer),
    sa.column("name", sa.String),
)
organizations = sa.table("organizations", sa.column("id", sa.Integer))
users = sa.table("users", sa.column("id", sa.Integer))
duplicates_table = sa.table(
    "import_possible_duplicates",
    sa.column("letter_id", sa.Integer),
    sa.column("language", sa.String),
    sa.column("first_row_id", sa.Integer),
    sa.column("second_row_id", sa.Integer),
    sa.column("first_name", sa.String),
    sa.column("second_name", sa.String),
    sa.column("status", sa.String),
    sa.column("removed_row_id", sa.Integer),
    sa.column("resolved_at", sa.DateTime(timezone=True)),
    sa.column("resolved_by_id", sa.Integer),
)
created_table = sa.table(
    "import_created_organizations",
    sa.column("organization_id", sa.Integer),
    sa.column("letter_id", sa.Integer),
)


def carry_over_from_audit_events(connection) -> None:
    events_by_letter = defaultdict(list)
    for event in connection.execute(
        sa.select(audit_events)
        .where(audit_events.c.action.like("import.%") | (audit_events.c.action == "letter.imported"))
        .order_by(audit_events.c.id)
    ):
        if event.letter_id is not None:
            events_by_letter[event.letter_id].append(event)
    existing_organizations = set(connection.scalars(sa.select(organizations.c.id)))
    existing_users = set(connection.scalars(sa.select(users.c.id)))
    claimed: set[int] = set()
    for letter_id, events in events_by_letter.items():
        for event in events:
            if event.action in PAIR_EVENTS:
                for organization_id in (event.details or {}).get("created_organizations", []):
                    if organization_id in existing_organizations and organization_id not in claimed:
                        claimed.add(organization_id)
                        connection.execute(
                            created_table.insert().values(
                                organization_id=organization_id, letter_id=letter_id
                            )
                        )
        for record in _duplicates_of(connection, letter_id, events):
            if record["resolved_by_id"] not in existing_users:
                record["resolved_by_id"] = None
            connection.execute(duplicates_table.insert().values(**record))


def _duplicates_of(connection, letter_id: int, events) -> list[dict]:
    """One record per possible duplicate of the import report, resolved as the old code saw it.

    The old code found a reported pair's entries by name (the first entry of the first name,
    another entry of the second); a pair whose two entries are on the list was open unless an
    ``import.duplicate_dismissed`` event named both rows; a pair with an entry gone was resolved
    by a merge (``import.duplicate_merged`` names the removed row; events without it are an
    older shape and leave the removed row unknown). Merges of pairs the import did not report
    become merged records of their own.
    """
    imported = next((e for e in events if e.action == "letter.imported"), None)
    if imported is None:
        return []
    rows = list(
        connection.execute(
            sa.select(imported_signatories)
            .where(imported_signatories.c.letter_id == letter_id)
            .order_by(imported_signatories.c.position)
        )
    )
    dismissals = {
        frozenset((e.details or {}).get("rows", ())): e
        for e in events
        if e.action == "import.duplicate_dismissed"
    }
    merges = [e for e in events if e.action == "import.duplicate_merged"]
    used_merges: set[int] = set()
    records = []
    report = (imported.details or {}).get("report", {})
    for language, summary in report.items():
        by_name = defaultdict(list)
        for row in rows:
            if row.language == language:
                by_name[row.name].append(row)
        for first_name, second_name in summary.get("possible_duplicates", ()):
            first = next(iter(by_name.get(first_name, ())), None)
            second = next((row for row in by_name.get(second_name, ()) if row is not first), None)
            record = {
                "letter_id": letter_id,
                "language": language,
                "first_name": first_name,
                "second_name": second_name,
                "first_row_id": first.id if first else None,
                "second_row_id": second.id if second else None,
                "status": "open",
                "removed_row_id": None,
                "resolved_at": None,
                "resolved_by_id": None,
            }
            if first is not None and second is not None:
                if second.position < first.position:
                    record.update(
                        first_row_id=second.id,
                        second_row_id=first.id,
                        first_name=second.name,
                        second_name=first.name,
                    )
                dismissal = dismissals.get(frozenset((first.id, second.id)))
                if dismissal is not None:
                    record.update(
                        status="dismissed",
                        resolved_at=dismissal.created_at,
                        resolved_by_id=dismissal.user_id,
                    )
            else:
                gone = {first_name, second_name} - {row.name for row in (first, second) if row is not None}
                merge = next(
                    (
                        m
                        for m in merges
                        if m.details.get("language", language) == language
                        and m.details.get("removed") in gone
                    ),
                    None,
                )
                record["status"] = "merged"
                if merge is not None:
                    used_merges.add(merge.id)
                    record.update(
                        removed_row_id=merge.details.get("removed_row"),
                        resolved_at=merge.created_at,
                        resolved_by_id=merge.user_id,
                    )
                else:
                    record["resolved_at"] = imported.created_at
            records.append(record)
    present = {row.id for row in rows}
    for merge in merges:
        if merge.id in used_merges:
            continue
        kept_row = merge.details.get("kept_row")
        records.append(
            {
                "letter_id": letter_id,
                "language": merge.details.get("language", ""),
                "first_name": merge.details.get("kept", ""),
                "second_name": merge.details.get("removed", ""),
                "first_row_id": kept_row if kept_row in present else None,
                "second_row_id": None,
                "status": "merged",
                "removed_row_id": merge.details.get("removed_row"),
                "resolved_at": merge.created_at,
                "resolved_by_id": merge.user_id,
            }
        )
    return records
