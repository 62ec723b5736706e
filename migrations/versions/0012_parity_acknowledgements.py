"""Acknowledged warnings that the English and Arabic texts differ (one row per letter, revision, warning).

Revision ID: 0012_parity_acknowledgements
Revises: 0011_superseded_documents
Create Date: 2026-12-01 01:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_parity_acknowledgements"
down_revision = "0011_superseded_documents"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "parity_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("warning_key", sa.String(length=200), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["letter_id"], ["letters.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("letter_id", "revision_number", "warning_key"),
    )
    with op.batch_alter_table("parity_acknowledgements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parity_acknowledgements_letter_id"), ["letter_id"], unique=False)


def downgrade():
    with op.batch_alter_table("parity_acknowledgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parity_acknowledgements_letter_id"))
    op.drop_table("parity_acknowledgements")
