"""Audit events in hash chains, append-only, never deleted with their letter.

Adds each event's chain (its letter, or 0 for events without one), sequence number, previous
hash and own hash, plus the organisation it concerns, and computes the chains of the existing
events in id order. The letter's foreign key now restricts instead of cascading. On PostgreSQL
a trigger refuses UPDATE and DELETE on audit events.

Revision ID: 0009_audit_chain
Revises: 0008_render_outcome
Create Date: 2026-11-30 22:40:00

"""

import sqlalchemy as sa
from alembic import op

from letterhub.models.audit import (
    APPEND_ONLY_FUNCTION,
    APPEND_ONLY_TRIGGER,
    DROP_APPEND_ONLY,
    GENESIS_HASH,
    NO_LETTER_CHAIN,
)
from letterhub.models.types import UTCDateTime
from letterhub.services.audit import event_hash, organization_of

# revision identifiers, used by Alembic.
revision = "0009_audit_chain"
down_revision = "0008_render_outcome"
branch_labels = None
depends_on = None

FK_LETTER = "fk_audit_events_letter_id_letters"

# The rows as the application reads them (timestamps in UTC, details parsed), so the hashes
# computed here are the ones `audit verify` recomputes.
audit_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("letter_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("organization_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("details", sa.JSON),
    sa.column("ip_address", sa.String),
    sa.column("created_at", UTCDateTime),
    sa.column("chain", sa.Integer),
    sa.column("sequence", sa.Integer),
    sa.column("previous_hash", sa.String),
    sa.column("hash", sa.String),
)
invitations = sa.table("invitations", sa.column("id", sa.Integer), sa.column("organization_id", sa.Integer))


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("chain", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("previous_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    chain_existing_events(op.get_bind())

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        for column in ("chain", "sequence"):
            batch_op.alter_column(column, existing_type=sa.Integer(), nullable=False)
        for column in ("previous_hash", "hash"):
            batch_op.alter_column(column, existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_chain_sequence"), ["chain", "sequence"])
        batch_op.create_index(
            batch_op.f("ix_audit_events_organization_id"), ["organization_id"], unique=False
        )
        batch_op.drop_constraint(FK_LETTER, type_="foreignkey")
        batch_op.create_foreign_key(FK_LETTER, "letters", ["letter_id"], ["id"], ondelete="RESTRICT")

    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)


def chain_existing_events(connection) -> None:
    """Number and hash the events already stored, per chain in id order."""
    organization_of_invitation = dict(
        connection.execute(sa.select(invitations.c.id, invitations.c.organization_id)).all()
    )
    heads: dict[int, tuple[int, str]] = {}
    updates = []
    for row in connection.execute(sa.select(audit_events).order_by(audit_events.c.id)).mappings():
        details = row["details"] or {}
        chain = row["letter_id"] if row["letter_id"] is not None else NO_LETTER_CHAIN
        sequence, previous_hash = heads.get(chain, (0, GENESIS_HASH))
        fields = {
            "chain": chain,
            "sequence": sequence + 1,
            "previous_hash": previous_hash,
            "letter_id": row["letter_id"],
            "user_id": row["user_id"],
            "organization_id": organization_of(details, organization_of_invitation.get),
            "action": row["action"],
            "details": details,
            "ip_address": row["ip_address"],
            "created_at": row["created_at"],
        }
        fields["hash"] = event_hash(fields)
        heads[chain] = (fields["sequence"], fields["hash"])
        updates.append(
            {
                "event_id": row["id"],
                **{k: fields[k] for k in ("chain", "sequence", "previous_hash", "hash", "organization_id")},
            }
        )
    if updates:
        connection.execute(
            audit_events.update()
            .where(audit_events.c.id == sa.bindparam("event_id"))
            .values(
                chain=sa.bindparam("chain"),
                sequence=sa.bindparam("sequence"),
                previous_hash=sa.bindparam("previous_hash"),
                hash=sa.bindparam("hash"),
                organization_id=sa.bindparam("organization_id"),
            ),
            updates,
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROP_APPEND_ONLY:
            op.execute(statement)

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(FK_LETTER, type_="foreignkey")
        batch_op.create_foreign_key(FK_LETTER, "letters", ["letter_id"], ["id"], ondelete="CASCADE")
        batch_op.drop_index(batch_op.f("ix_audit_events_organization_id"))
        batch_op.drop_constraint(batch_op.f("uq_audit_events_chain_sequence"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("previous_hash")
        batch_op.drop_column("sequence")
        batch_op.drop_column("chain")
        batch_op.drop_column("organization_id")
