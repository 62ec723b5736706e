"""The deadline becomes a moment with a time zone; late signatures, reminders and "do not remind".

``letters.deadline`` was a date that nothing enforced. It becomes a UTC timestamp with the
zone it was entered in (``deadline_timezone``): an existing date becomes the end of that day
(23:59:59) in DEFAULT_TIMEZONE. The downgrade gives back the date of that moment in the
letter's zone. New: ``allow_late_signatures``, ``reminder_days`` and ``contact_email`` on
letters, ``do_not_remind`` on invitations, and the ``reminders`` table whose unique
(invitation, scheduled_for) sends each scheduled reminder once.

Revision ID: 0005_deadline_moment
Revises: 0004_import_review_state
Create Date: 2026-11-30 23:00:00

"""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

# revision identifiers, used by Alembic.
revision = "0005_deadline_moment"
down_revision = "0004_import_review_state"
branch_labels = None
depends_on = None

END_OF_DAY = time(23, 59, 59)


def default_timezone() -> str:
    return current_app.config.get("DEFAULT_TIMEZONE", "UTC") if has_app_context() else "UTC"


def drop_columns(table: str, *columns: str) -> None:
    """Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL), never a batch copy.

    On SQLite a batch operation copies the table and drops the old one; with foreign keys on,
    dropping ``letters`` would delete every row that cascades from it (revisions,
    invitations, signatures, imported lists).
    """
    for column in columns:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def upgrade():
    zone_name = default_timezone()
    zone = ZoneInfo(zone_name)
    op.add_column("letters", sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "letters",
        sa.Column("deadline_timezone", sa.String(length=64), nullable=False, server_default=zone_name),
    )
    op.add_column(
        "letters", sa.Column("allow_late_signatures", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column(
        "letters", sa.Column("reminder_days", sa.String(length=100), nullable=False, server_default="7,3,1")
    )
    op.add_column(
        "letters", sa.Column("contact_email", sa.String(length=254), nullable=False, server_default="")
    )

    letters = sa.table(
        "letters",
        sa.column("id", sa.Integer),
        sa.column("deadline", sa.Date),
        sa.column("deadline_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(letters.c.id, letters.c.deadline).where(letters.c.deadline.isnot(None))
    )
    for letter_id, day in rows.all():
        if isinstance(day, str):  # SQLite hands back the text it stored
            day = datetime.strptime(day, "%Y-%m-%d").date()
        moment = datetime.combine(day, END_OF_DAY, tzinfo=zone).astimezone(UTC)
        connection.execute(sa.update(letters).where(letters.c.id == letter_id).values(deadline_at=moment))

    drop_columns("letters", "deadline")
    op.execute("ALTER TABLE letters RENAME COLUMN deadline_at TO deadline")

    op.add_column(
        "invitations", sa.Column("do_not_remind", sa.Boolean(), nullable=False, server_default=sa.false())
    )

    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "scheduled",
                "manual",
                name="reminderkind",
                native_enum=False,
                create_constraint=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_reminders_invitation_id_invitations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_reminders_outbox_message_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "invitation_id", "scheduled_for", name=op.f("uq_reminders_invitation_id_scheduled_for")
        ),
    )
    op.create_index(op.f("ix_reminders_invitation_id"), "reminders", ["invitation_id"])


def downgrade():
    op.drop_index(op.f("ix_reminders_invitation_id"), table_name="reminders")
    op.drop_table("reminders")
    drop_columns("invitations", "do_not_remind")

    op.add_column("letters", sa.Column("deadline_date", sa.Date(), nullable=True))
    letters = sa.table(
        "letters",
        sa.column("id", sa.Integer),
        sa.column("deadline", sa.DateTime(timezone=True)),
        sa.column("deadline_timezone", sa.String),
        sa.column("deadline_date", sa.Date),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(letters.c.id, letters.c.deadline, letters.c.deadline_timezone).where(
            letters.c.deadline.isnot(None)
        )
    )
    for letter_id, moment, zone_name in rows.all():
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        if moment.tzinfo is None:  # SQLite keeps no zone; the column holds UTC
            moment = moment.replace(tzinfo=UTC)
        day = moment.astimezone(ZoneInfo(zone_name or "UTC")).date()
        connection.execute(sa.update(letters).where(letters.c.id == letter_id).values(deadline_date=day))
    drop_columns(
        "letters", "contact_email", "reminder_days", "allow_late_signatures", "deadline_timezone", "deadline"
    )
    op.execute("ALTER TABLE letters RENAME COLUMN deadline_date TO deadline")
