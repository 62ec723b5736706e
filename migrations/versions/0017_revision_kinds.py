"""Corrections and substantive changes: what each revision did to the text agreed to.

``letter_revisions`` gets ``change_kind`` ("substantive" or "correction"), ``judged_by_id``
(who declared a correction) and ``agreement_number``: the number of the substantive revision a
revision belongs to (its own for a substantive one, its predecessor's for a correction), with a
foreign key to (letter, number). Every existing revision was saved under the old rule, where any
save voided the confirmations: each becomes substantive, its own agreement. The downgrade drops
the three columns (corrections then count as substantive again, as before).

Revision ID: 0017_revision_kinds
Revises: 0016_printed_unnamed_count
Create Date: 2026-12-01 05:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_revision_kinds"
down_revision = "0016_printed_unnamed_count"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("letter_revisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "change_kind",
                sa.Enum(
                    "substantive",
                    "correction",
                    name="changekind",
                    native_enum=False,
                    create_constraint=False,
                    length=20,
                ),
                nullable=False,
                server_default="substantive",
            )
        )
        batch_op.add_column(sa.Column("agreement_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("judged_by_id", sa.Integer(), nullable=True))

    op.execute("UPDATE letter_revisions SET agreement_number = number")

    with op.batch_alter_table("letter_revisions", schema=None) as batch_op:
        batch_op.alter_column("change_kind", server_default=None)
        batch_op.alter_column("agreement_number", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_letter_revisions_judged_by_id_users"), "users", ["judged_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_letter_revisions_letter_id_letter_revisions"),
            "letter_revisions",
            ["letter_id", "agreement_number"],
            ["letter_id", "number"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("letter_revisions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_letter_revisions_letter_id_letter_revisions"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_letter_revisions_judged_by_id_users"), type_="foreignkey")
        batch_op.drop_column("judged_by_id")
        batch_op.drop_column("agreement_number")
        batch_op.drop_column("change_kind")
