"""The audit trail: every change of state of a letter, invitation or signature leaves an event.

Events form hash chains, one per letter and one for events without a letter. An event's hash
covers a canonical serialisation of everything stored in its row except its id: JSON with
sorted keys, no whitespace, UTF-8, the time as UTC ISO-8601 with microseconds, ids as ints, and
the details as the JSON column gives them back. It is the same bytes on SQLite and PostgreSQL,
so `flask --app letterhub audit verify` can recompute every hash from what it reads.

Appending takes the chain's lock first: on PostgreSQL a transaction-scoped advisory lock on the
chain, on SQLite the database's single writer. The unique (chain, sequence) refuses a fork even
from a writer that did not lock.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

from ..extensions import db
from ..models import AuditEvent, Invitation, Organization, User
from ..models.audit import GENESIS_HASH, NO_LETTER_CHAIN
from ..models.types import utcnow

# Bumped if the canonical form ever changes; it is part of what is hashed.
CANONICAL_VERSION = 1
# First key of PostgreSQL's two-key advisory locks taken for audit chains ("au").
ADVISORY_LOCK_CLASS = 0x6175


def record(action: str, *, letter=None, user=None, ip_address: str = "", **details) -> AuditEvent:
    """Append an event to its chain (the letter's, or the one of events without a letter).

    ``details`` must be JSON: it is stored as the JSON column hands it back. The event is
    flushed; the chain stays locked on PostgreSQL until the transaction ends.
    """
    letter_id = letter.id if letter is not None else None
    chain = letter_id if letter_id is not None else NO_LETTER_CHAIN
    db.session.flush()  # earlier events of this transaction count, even under no_autoflush
    _lock_chain(chain)
    last = db.session.execute(
        select(AuditEvent.sequence, AuditEvent.hash)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.sequence.desc())
        .limit(1)
    ).first()
    stored_details = canonical_details(details)
    event = AuditEvent(
        action=action,
        letter_id=letter_id,
        user_id=user.id if user is not None and getattr(user, "is_authenticated", True) else None,
        organization_id=organization_of(stored_details, _organization_of_invitation),
        ip_address=ip_address or "",
        details=stored_details,
        created_at=utcnow(),
        chain=chain,
        sequence=last.sequence + 1 if last else 1,
        previous_hash=last.hash if last else GENESIS_HASH,
    )
    event.hash = event_hash(hashed_fields(event))
    db.session.add(event)
    db.session.flush()
    return event


def _lock_chain(chain: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:lock_class, :chain)"),
            {"lock_class": ADVISORY_LOCK_CLASS, "chain": chain},
        )


def _organization_of_invitation(invitation_id: int) -> int | None:
    invitation = db.session.get(Invitation, invitation_id)
    return invitation.organization_id if invitation is not None else None


def organization_of(details: dict, organization_of_invitation: Callable[[int], int | None]) -> int | None:
    """The organisation an event concerns: named in its details, or through its invitation."""
    for key, lookup in (("organization", None), ("invitation", organization_of_invitation)):
        value = details.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value if lookup is None else lookup(value)
    return None


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrailEntry:
    event: AuditEvent
    user: User | None
    organization: Organization | None


@dataclass(frozen=True)
class TrailPage:
    entries: list[TrailEntry]
    page: int
    has_next: bool


def letter_trail(
    letter_id: int, *, organization_id: int | None = None, page: int = 1, per_page: int = 100
) -> TrailPage:
    """One page of a letter's events, newest first, with who and which organisation: one query."""
    page = max(page, 1)
    query = (
        select(AuditEvent, User, Organization)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Organization, Organization.id == AuditEvent.organization_id)
        .where(AuditEvent.chain == letter_id)
        .order_by(AuditEvent.sequence.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    if organization_id is not None:
        query = query.where(AuditEvent.organization_id == organization_id)
    rows = db.session.execute(query).all()
    entries = [TrailEntry(event, user, organization) for event, user, organization in rows[:per_page]]
    return TrailPage(entries, page, len(rows) > per_page)


def organizations_in_trail(letter_id: int) -> list[Organization]:
    """The organisations the letter's events concern, for filtering its trail."""
    concerned = select(AuditEvent.organization_id).where(AuditEvent.chain == letter_id)
    return list(
        db.session.scalars(
            select(Organization).where(Organization.id.in_(concerned)).order_by(Organization.id)
        )
    )


# --- the canonical form ------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_details(details: dict) -> dict:
    """``details`` as a JSON column gives them back (tuples become lists, keys strings)."""
    return json.loads(json.dumps(details, allow_nan=False))


def canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    """What an event's hash covers: every column but the id, as stored."""
    return {
        "chain": event.chain,
        "sequence": event.sequence,
        "previous_hash": event.previous_hash,
        "letter_id": event.letter_id,
        "user_id": event.user_id,
        "organization_id": event.organization_id,
        "action": event.action,
        "details": event.details,
        "ip_address": event.ip_address,
        "created_at": event.created_at,
    }


def event_hash(fields: dict[str, Any]) -> str:
    """SHA-256 of the canonical serialisation of :func:`hashed_fields` (also used by migration 0006)."""
    payload = {
        **fields,
        "created_at": canonical_time(fields["created_at"]),
        "details": canonical_details(fields["details"] or {}),
        "v": CANONICAL_VERSION,
    }
    for key in ("chain", "sequence", "letter_id", "user_id", "organization_id"):
        if payload[key] is not None:
            payload[key] = int(payload[key])
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


# --- verification ------------------------------------------------------------------------


class ChainProblem(enum.Enum):
    GAP = "gap"  # a sequence number is missing (an event deleted) or repeated
    BROKEN_LINK = "broken link"  # previous_hash is not the hash of the event before
    HASH_MISMATCH = "hash mismatch"  # the row no longer hashes to its stored hash (edited)


@dataclass(frozen=True)
class ChainBreak:
    chain: int
    event_id: int
    sequence: int
    problem: ChainProblem
    expected: str
    found: str

    def describe(self) -> str:
        what = {
            ChainProblem.GAP: "sequence number",
            ChainProblem.BROKEN_LINK: "previous hash",
            ChainProblem.HASH_MISMATCH: "hash",
        }[self.problem]
        return (
            f"{chain_name(self.chain)}, event {self.event_id} (sequence {self.sequence}): "
            f"{self.problem.value}: {what} expected {self.expected}, found {self.found}"
        )


@dataclass(frozen=True)
class Verification:
    events: int
    chains: int
    heads_sha256: str  # over every chain's last hash: note it down to notice a chain cut short
    first_break: ChainBreak | None


def chain_name(chain: int) -> str:
    return "chain without letter" if chain == NO_LETTER_CHAIN else f"chain of letter {chain}"


def verify(chain: int | None = None) -> Verification:
    """Walk every chain (or only ``chain``) in order and stop at the first event that does not fit."""
    events = 0
    heads: dict[int, str] = {}
    last_sequence = 0
    query = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.sequence)
    if chain is not None:
        query = query.where(AuditEvent.chain == chain)
    in_chain_order = db.session.scalars(query.execution_options(yield_per=1000))
    with in_chain_order:  # a server-side cursor on PostgreSQL: closed even when we stop early
        for event in in_chain_order:
            events += 1
            if event.chain not in heads:
                heads[event.chain], last_sequence = GENESIS_HASH, 0
            problem = _check(event, last_sequence + 1, heads[event.chain])
            if problem is not None:
                return Verification(events, len(heads), "", problem)
            heads[event.chain], last_sequence = event.hash, event.sequence
    digest = hashlib.sha256(
        canonical_json({str(chain): head for chain, head in heads.items()}).encode()
    ).hexdigest()
    return Verification(events, len(heads), digest, None)


def _check(event: AuditEvent, expected_sequence: int, expected_previous: str) -> ChainBreak | None:
    def broken(problem: ChainProblem, expected, found) -> ChainBreak:
        return ChainBreak(event.chain, event.id, event.sequence, problem, str(expected), str(found))

    if event.sequence != expected_sequence:
        return broken(ChainProblem.GAP, expected_sequence, event.sequence)
    if event.previous_hash != expected_previous:
        return broken(ChainProblem.BROKEN_LINK, expected_previous, event.previous_hash)
    computed = event_hash(hashed_fields(event))
    if event.hash != computed:
        return broken(ChainProblem.HASH_MISMATCH, computed, event.hash)
    return None
