"""Reconfirmation emails leave the request: a substantive save records one row per
organisation to ask again, and the mail worker renders and queues the emails.

New table ``reconfirmation_requests`` (invitation, the revision that asked, the revision
confirmed, claim, done time, outcome, the outbox message written). Earlier saves queued their
emails themselves, so there is nothing to carry over; the downgrade drops the table (requests
not yet done then send nothing).

Revision ID: 0019_reconfirmation_requests
Revises: 0018_organization_emails
Create Date: 2026-12-01 09:00:00

"""

import sqlalchemy as sa
from alembic import op

from letterhub.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0019_reconfirmation_requests"
down_revision = "0018_organization_emails"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reconfirmation_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_revision_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_reconfirmation_requests_invitation_id_invitations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["letter_revisions.id"],
            name=op.f("fk_reconfirmation_requests_revision_id_letter_revisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_revision_id"],
            ["letter_revisions.id"],
            name=op.f("fk_reconfirmation_requests_confirmed_revision_id_letter_revisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_reconfirmation_requests_outbox_message_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconfirmation_requests")),
    )
    with op.batch_alter_table("reconfirmation_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reconfirmation_requests_invitation_id"), ["invitation_id"])
        batch_op.create_index(batch_op.f("ix_reconfirmation_requests_done_at"), ["done_at"])


def downgrade():
    with op.batch_alter_table("reconfirmation_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconfirmation_requests_done_at"))
        batch_op.drop_index(batch_op.f("ix_reconfirmation_requests_invitation_id"))
    op.drop_table("reconfirmation_requests")
