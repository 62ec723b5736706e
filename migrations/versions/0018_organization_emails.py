"""An organisation's focal-point emails: one or more, one of them primary.

``organizations.email`` becomes the first row of ``organization_emails``, marked primary (an
empty one none); the column is dropped. ``key`` is the address trimmed and lower-cased, as
invitations store addresses: one row per organisation and key. A partial unique index holds
each organisation to one primary. The downgrade puts each primary back in
``organizations.email``; the other addresses are lost.

Revision ID: 0018_organization_emails
Revises: 0017_revision_kinds
Create Date: 2026-12-01 02:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_organization_emails"
down_revision = "0017_revision_kinds"
branch_labels = None
depends_on = None


def upgrade():
    emails = op.create_table(
        "organization_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("key", sa.String(length=254), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_emails_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_emails")),
        sa.UniqueConstraint(
            "organization_id", "key", name=op.f("uq_organization_emails_organization_id_key")
        ),
    )
    op.create_index(op.f("ix_organization_emails_key"), "organization_emails", ["key"])
    op.create_index(
        "uq_organization_emails_primary",
        "organization_emails",
        ["organization_id"],
        unique=True,
        sqlite_where=sa.text("is_primary"),
        postgresql_where=sa.text("is_primary"),
    )

    # Keys in Python, as the application computes them (SQL's lower() is ASCII-only on SQLite).
    organizations = sa.table(
        "organizations",
        sa.column("id", sa.Integer),
        sa.column("email", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    now = datetime.now(UTC)
    rows = [
        {
            "organization_id": organization_id,
            "email": email.strip(),
            "key": email.strip().lower(),
            "is_primary": True,
            "created_at": created_at or now,
        }
        for organization_id, email, created_at in connection.execute(
            sa.select(organizations.c.id, organizations.c.email, organizations.c.created_at)
        )
        if email and email.strip()
    ]
    if rows:
        connection.execute(emails.insert(), rows)

    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("email")


def downgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=False, server_default=""))
    op.execute(
        """
        UPDATE organizations SET email = COALESCE((
            SELECT e.email FROM organization_emails e
            WHERE e.organization_id = organizations.id AND e.is_primary
        ), '')
        """
    )
    op.drop_index("uq_organization_emails_primary", table_name="organization_emails")
    op.drop_index(op.f("ix_organization_emails_key"), table_name="organization_emails")
    op.drop_table("organization_emails")
