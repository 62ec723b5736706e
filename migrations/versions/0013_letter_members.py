"""A team per letter: ``letter_members`` (owner, editor, reviewer) and ``users.is_admin``.

Upgrading keeps everyone's access: each existing letter's creator becomes its owner and every
other existing account (deactivated ones too, should they come back) an editor of it. Nobody
becomes an administrator; ``flask --app letterhub users admin --email ...`` makes one. The
downgrade drops the teams: every account then sees every letter again, as before.

Revision ID: 0013_letter_members
Revises: 0012_parity_acknowledgements
Create Date: 2026-12-01 01:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_letter_members"
down_revision = "0012_parity_acknowledgements"
branch_labels = None
depends_on = None

users = sa.table("users", sa.column("id", sa.Integer))
letters = sa.table("letters", sa.column("id", sa.Integer), sa.column("created_by_id", sa.Integer))


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False))

    members = op.create_table(
        "letter_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'editor', 'reviewer')", name=op.f("ck_letter_members_role")),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["users.id"],
            name=op.f("fk_letter_members_added_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name=op.f("fk_letter_members_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_letter_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_members")),
        sa.UniqueConstraint("letter_id", "user_id", name=op.f("uq_letter_members_letter_id_user_id")),
    )
    with op.batch_alter_table("letter_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_members_letter_id"), ["letter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_members_user_id"), ["user_id"], unique=False)

    connection = op.get_bind()
    user_ids = connection.execute(sa.select(users.c.id).order_by(users.c.id)).scalars().all()
    now = datetime.now(UTC)
    rows = []
    for letter_id, creator_id in connection.execute(
        sa.select(letters.c.id, letters.c.created_by_id).order_by(letters.c.id)
    ):
        for user_id in user_ids:
            role = "owner" if user_id == creator_id else "editor"
            rows.append(
                {
                    "letter_id": letter_id,
                    "user_id": user_id,
                    "role": role,
                    "added_by_id": None,
                    "added_at": now,
                }
            )
    if rows:
        op.bulk_insert(members, rows)


def downgrade():
    with op.batch_alter_table("letter_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_letter_members_letter_id"))
    op.drop_table("letter_members")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_admin")
