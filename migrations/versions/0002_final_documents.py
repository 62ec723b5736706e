"""Final documents stored with their hash, imported signatory lists, per-letter list options.

Existing letters get the defaults through server defaults.

Revision ID: 0002_final_documents
Revises: 0001_initial
Create Date: 2026-11-22 18:22:48.520514

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002_final_documents"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "imported_signatories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("published_number", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name=op.f("fk_imported_signatories_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_imported_signatories_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_signatories")),
        sa.UniqueConstraint(
            "letter_id",
            "language",
            "position",
            name=op.f("uq_imported_signatories_letter_id_language_position"),
        ),
    )
    with op.batch_alter_table("imported_signatories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_signatories_letter_id"), ["letter_id"], unique=False)

    op.create_table(
        "final_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("languages", sa.String(length=10), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued", "rendering", "ready", "failed", name="renderstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name=op.f("fk_final_documents_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["letter_revisions.id"],
            name=op.f("fk_final_documents_revision_id_letter_revisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_final_documents")),
        sa.UniqueConstraint(
            "letter_id",
            "revision_id",
            "languages",
            name=op.f("uq_final_documents_letter_id_revision_id_languages"),
        ),
    )
    with op.batch_alter_table("final_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_final_documents_letter_id"), ["letter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_final_documents_status"), ["status"], unique=False)

    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verification_code", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("source", sa.String(length=10), nullable=False, server_default=sa.text("'drafted'"))
        )
        batch_op.add_column(
            sa.Column(
                "numbering_style", sa.String(length=10), nullable=False, server_default=sa.text("'dot'")
            )
        )
        batch_op.add_column(
            sa.Column("arabic_indic_digits", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "list_order", sa.String(length=15), nullable=False, server_default=sa.text("'alphabetical'")
            )
        )
        batch_op.add_column(
            sa.Column(
                "late_signatories", sa.String(length=10), nullable=False, server_default=sa.text("'merge'")
            )
        )
        batch_op.add_column(sa.Column("late_after", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("two_columns", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("first_language", sa.String(length=5), nullable=False, server_default=sa.text("'en'"))
        )
        batch_op.create_unique_constraint(batch_op.f("uq_letters_verification_code"), ["verification_code"])


def downgrade():
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_letters_verification_code"), type_="unique")
        batch_op.drop_column("first_language")
        batch_op.drop_column("two_columns")
        batch_op.drop_column("late_after")
        batch_op.drop_column("late_signatories")
        batch_op.drop_column("list_order")
        batch_op.drop_column("arabic_indic_digits")
        batch_op.drop_column("numbering_style")
        batch_op.drop_column("source")
        batch_op.drop_column("verification_code")

    with op.batch_alter_table("final_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_final_documents_status"))
        batch_op.drop_index(batch_op.f("ix_final_documents_letter_id"))

    op.drop_table("final_documents")
    with op.batch_alter_table("imported_signatories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_signatories_letter_id"))

    op.drop_table("imported_signatories")
