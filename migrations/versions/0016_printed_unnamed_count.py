"""Final documents store how many unnamed organisations their lists end with.

``final_documents.printed_unnamed`` is the count behind the line "and N organisations that
prefer not to be named" that the file prints, frozen when the document was issued, as
``printed_lists`` is. Existing documents keep it empty: while they are current the letter is
closed and its frozen state is what they print (the verification page reads that); a
reopening stores it before the list can change.

Revision ID: 0016_printed_unnamed_count
Revises: 0015_answer_history
Create Date: 2026-12-01 04:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_printed_unnamed_count"
down_revision = "0015_answer_history"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("final_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("printed_unnamed", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("final_documents", schema=None) as batch_op:
        batch_op.drop_column("printed_unnamed")
