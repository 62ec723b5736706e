"""Final documents are superseded, never deleted; decisions record the consent wording's version.

``final_documents`` gains the verification code each document was issued under, when a
reopening superseded it, and the numbered lists it prints (``printed_lists``, JSON). The unique
key moves from (letter, revision, languages) to (code, languages): closing the same revision
again issues new documents under a new code. Existing documents get their letter's current
code; their ``printed_lists`` stay empty and the verification page reads those from the letter's
frozen state, as before. Page counts recorded as 0 (the old count searched compressed bytes)
are recomputed from the stored files. ``signatures`` gains ``consent_version``.

The downgrade deletes superseded documents (the old schema cannot hold two issues of one
revision) and drops the new columns.

Revision ID: 0011_superseded_documents
Revises: 0010_comments
Create Date: 2026-12-01 01:00:00

"""

import sqlalchemy as sa
from alembic import op

from letterhub.models.types import UTCDateTime
from letterhub.services.pdf_pages import PageCountError, count_pages

# revision identifiers, used by Alembic.
revision = "0011_superseded_documents"
down_revision = "0010_comments"
branch_labels = None
depends_on = None

final_documents = sa.table(
    "final_documents",
    sa.column("id", sa.Integer),
    sa.column("letter_id", sa.Integer),
    sa.column("pdf", sa.LargeBinary),
    sa.column("pages", sa.Integer),
    sa.column("verification_code", sa.String(16)),
    sa.column("superseded_at", UTCDateTime),
)
letters = sa.table("letters", sa.column("id", sa.Integer), sa.column("verification_code", sa.String(16)))


def upgrade():
    with op.batch_alter_table("final_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verification_code", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("superseded_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("printed_lists", sa.JSON(), nullable=True))
        batch_op.drop_constraint("uq_final_documents_letter_id_revision_id_languages", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_final_documents_verification_code_languages"), ["verification_code", "languages"]
        )
        batch_op.create_index(
            batch_op.f("ix_final_documents_verification_code"), ["verification_code"], unique=False
        )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_version", sa.String(length=20), nullable=False, server_default=sa.text("''"))
        )

    connection = op.get_bind()
    connection.execute(
        sa.update(final_documents).values(
            verification_code=sa.select(letters.c.verification_code)
            .where(letters.c.id == final_documents.c.letter_id)
            .scalar_subquery()
        )
    )
    stale = connection.scalars(
        sa.select(final_documents.c.id).where(
            final_documents.c.pages == 0, final_documents.c.pdf.is_not(None)
        )
    ).all()
    for document_id in stale:
        pdf = connection.scalar(sa.select(final_documents.c.pdf).where(final_documents.c.id == document_id))
        try:
            pages = count_pages(pdf)
        except PageCountError:
            continue
        connection.execute(
            sa.update(final_documents).where(final_documents.c.id == document_id).values(pages=pages)
        )


def downgrade():
    op.get_bind().execute(sa.delete(final_documents).where(final_documents.c.superseded_at.is_not(None)))
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_column("consent_version")
    with op.batch_alter_table("final_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_final_documents_verification_code"))
        batch_op.drop_constraint(batch_op.f("uq_final_documents_verification_code_languages"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_final_documents_letter_id_revision_id_languages", ["letter_id", "revision_id", "languages"]
        )
        batch_op.drop_column("printed_lists")
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("verification_code")
