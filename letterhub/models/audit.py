from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, JSON, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow

# The chain of the events that concern no letter (sign-ins, accounts); letters' ids start at 1.
NO_LETTER_CHAIN = 0
# previous_hash of the first event of every chain.
GENESIS_HASH = "0" * 64


class AuditEvent(Model):
    """Something that changed the state of a letter, an invitation, a signature or an account.

    Append-only and chained: each event carries ``sequence`` (1, 2, 3... per chain), the hash of
    the event before it in its chain and its own hash over a canonical form of every column but
    ``id`` (see services.audit). A chain is a letter's events, or :data:`NO_LETTER_CHAIN`. The
    unique (chain, sequence) makes a fork impossible even for a writer that skipped the lock;
    on PostgreSQL a trigger refuses UPDATE and DELETE. The letter's foreign key restricts, so a
    letter with events can never be deleted (nor its events nulled out).
    """

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The organisation the event concerns, for reading the trail per organisation. No foreign
    # key: history may name a directory entry that was later removed.
    organization_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(60))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    chain: Mapped[int]
    sequence: Mapped[int]
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# PostgreSQL refuses every UPDATE and DELETE of an audit event, whoever asks. (TRUNCATE is not
# a row operation and is left to the database's privileges; `audit verify` would not see a
# whole chain gone, only its summary's digest of the chains' heads would differ.)
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit events are append-only, ' || TG_OP || ' refused',
        ERRCODE = 'integrity_constraint_violation';
END;
$$
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"""
DROP_APPEND_ONLY = (
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_append_only()",
)

# The same trigger for tables made by create_all (tests, scratch databases) as by the migration.
for statement in (APPEND_ONLY_FUNCTION, APPEND_ONLY_TRIGGER):
    event.listen(AuditEvent.__table__, "after_create", DDL(statement).execute_if(dialect="postgresql"))
