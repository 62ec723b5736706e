"""Answers the focal point controls: the history of each answer, and unnamed signatories.

``signatures`` keeps each organisation's current answer; ``signature_decisions`` gets a row for
every confirmation, decline and withdrawal, so a changed answer keeps the earlier one. Each
existing signature becomes the first row of its history (its recorded answer, as it stands).
``signatures.unnamed``: the organisation confirmed but asked not to be named publicly.
The downgrade drops both; the current answers stay in ``signatures``.

Revision ID: 0015_answer_history
Revises: 0014_proposals
Create Date: 2026-12-01 00:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_answer_history"
down_revision = "0014_proposals"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unnamed", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "signature_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "confirmed",
                "declined",
                "withdrawn",
                name="decisionkind",
                native_enum=False,
                create_constraint=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("revision_sha256", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("name_ar", sa.String(length=300), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signer_role", sa.String(length=200), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("unnamed", sa.Boolean(), nullable=False),
        sa.Column("decline_reason", sa.Text(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=400), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_signature_decisions_signature_id_signatures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name=op.f("fk_signature_decisions_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_signature_decisions_invitation_id_invitations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["letter_revisions.id"],
            name=op.f("fk_signature_decisions_revision_id_letter_revisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_decisions")),
    )
    with op.batch_alter_table("signature_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signature_decisions_signature_id"), ["signature_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signature_decisions_letter_id"), ["letter_id"], unique=False)

    # Each existing answer is the first entry of its history. "late" as the application
    # defines it: after the letter's late_after, else after its deadline.
    op.execute(
        """
        INSERT INTO signature_decisions (
            signature_id, letter_id, invitation_id, kind, revision_id, revision_number,
            revision_sha256, name_en, name_ar, signer_name, signer_role, consent, unnamed,
            decline_reason, late, ip_address, user_agent, decided_at
        )
        SELECT s.id, s.letter_id, s.invitation_id, s.decision, s.revision_id, r.number,
               s.revision_sha256, s.name_en, s.name_ar, s.signer_name, s.signer_role, s.consent,
               s.unnamed, s.decline_reason,
               CASE WHEN s.decision = 'confirmed'
                     AND COALESCE(l.late_after, l.deadline) IS NOT NULL
                     AND s.decided_at > COALESCE(l.late_after, l.deadline)
                    THEN 1 = 1 ELSE 1 = 0 END,
               s.ip_address, s.user_agent, s.decided_at
        FROM signatures s
        JOIN letter_revisions r ON r.id = s.revision_id
        JOIN letters l ON l.id = s.letter_id
        ORDER BY s.id
        """
    )


def downgrade():
    with op.batch_alter_table("signature_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signature_decisions_letter_id"))
        batch_op.drop_index(batch_op.f("ix_signature_decisions_signature_id"))
    op.drop_table("signature_decisions")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_column("unnamed")
