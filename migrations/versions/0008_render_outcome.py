"""A failed render's outcome as data: ``error_kind`` (time, memory, failed) and ``error_limit``.

Until now the reason was written into ``error`` as text ("limit time 300: …") and parsed back
for display. Existing rows are carried over: a "limit <reason> <number>: …" text becomes its
kind and ceiling (the message is now worded at display time, in the reader's language), any
other non-empty error becomes ``failed`` and keeps its text as the technical detail. The
downgrade writes the old text back, in the shape the old code parses.

Revision ID: 0008_render_outcome
Revises: 0007_organization_directory
Create Date: 2026-11-30 22:20:00

"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_render_outcome"
down_revision = "0007_organization_directory"
branch_labels = None
depends_on = None

LIMIT_TEXT = re.compile(r"^limit (time|memory) ([0-9.eE+-]+):")
OLD_WORDING = {
    "time": "the PDF took longer than {limit} seconds to lay out; shorten the letter or raise PDF_RENDER_SECONDS",
    "memory": "the PDF needed more than {limit} MB of memory to lay out; shorten the letter or raise PDF_RENDER_MEMORY_MB",
}

final_documents = sa.table(
    "final_documents",
    sa.column("id", sa.Integer),
    sa.column("error", sa.Text),
    sa.column("error_kind", sa.String(20)),
    sa.column("error_limit", sa.Float),
)


def upgrade():
    with op.batch_alter_table("final_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("error_limit", sa.Float(), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(final_documents.c.id, final_documents.c.error).where(final_documents.c.error != "")
    ).all()
    for row_id, error in rows:
        match = LIMIT_TEXT.match(error)
        if match:
            values = {"error_kind": match.group(1), "error_limit": float(match.group(2)), "error": ""}
        else:
            values = {"error_kind": "failed", "error_limit": None, "error": error}
        connection.execute(sa.update(final_documents).where(final_documents.c.id == row_id).values(**values))


def downgrade():
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(final_documents.c.id, final_documents.c.error_kind, final_documents.c.error_limit).where(
            final_documents.c.error_kind.in_(["time", "memory"])
        )
    ).all()
    for row_id, kind, limit in rows:
        amount = f"{limit or 0:g}"
        text = f"limit {kind} {amount}: " + OLD_WORDING[kind].format(limit=amount)
        connection.execute(
            sa.update(final_documents).where(final_documents.c.id == row_id).values(error=text)
        )

    with op.batch_alter_table("final_documents", schema=None) as batch_op:
        batch_op.drop_column("error_limit")
        batch_op.drop_column("error_kind")
