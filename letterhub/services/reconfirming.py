"""Asking organisations to confirm again after a substantive change of the text.

A substantive revision starts a new agreement (services.changes): confirmations of the
earlier text no longer count for the final list. Each organisation whose confirmation is of an
earlier agreement, with its invitation still live (confirmed, not revoked, sent), gets an email
in its invitation's language saying the letter changed, with the difference word by word since
the revision it confirmed (its language first, then the other) and a fresh link, which
replaces the older one as a reminder's does. Its signing page shows the same difference; a new
confirmation there counts again.

Two steps, so that saving stays fast however long the list (rendering an email takes about
25 ms: 50 s for 2,000 organisations, near a web worker's timeout):

- the save (:func:`ask_to_reconfirm`, in the save's transaction) records one
  :class:`ReconfirmationRequest` per organisation and stops every older link of theirs, in
  two statements whatever the number: the older link's page says at once that a newer email
  is on its way;
- the mail worker (:func:`send_requested`, each round before it drains the outbox) claims a
  batch of requests with a conditional UPDATE, as ``mailing.drain_outbox`` claims messages,
  and for each issues the fresh link and queues the email, marking the request done in the
  same transaction as the email. Several workers never write the same email twice; a worker
  that dies leaves its batch to be taken over once the claim expires, with nothing written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import CursorResult, Select, func, insert, literal, not_, or_, select, update
from sqlalchemy.orm import joinedload

from .. import database
from ..extensions import db
from ..models import (
    Invitation,
    InvitationState,
    Letter,
    LetterRevision,
    LetterStatus,
    ReconfirmationRequest,
    Signature,
)
from ..models.types import UTCDateTime, utcnow
from . import audit, changes, inviting

# What an invitation's ``token_hash`` holds between the save that asked it to confirm again and
# the worker's email: no link's nonce hashes to it, so every older link is superseded at once
# (and the invitation still counts as sent).
LINK_BEING_SENT = "reconfirmation-email-being-written"

# Requests rendered and committed together by the worker: small enough that a transaction
# never holds SQLite's write lock for long.
COMMIT_EVERY = 25


def outdated(letter: Letter, revision: LetterRevision) -> Select:
    """SELECT of the confirmations of an earlier agreement than ``revision``'s whose invitation
    is still live (confirmed, sent): the organisations that must confirm again to be listed.
    The final list's query with the opposite revision condition (changes.confirmations)."""
    return changes.confirmations(letter).where(
        Invitation.token_hash.is_not(None), not_(changes.answer_counts_for(revision))
    )


def languages_first(language: str) -> tuple[str, str]:
    """Both languages, ``language`` first: the order a reader's email and page show them in."""
    return ("ar", "en") if language == "ar" else ("en", "ar")


def ask_to_reconfirm(letter: Letter, revision: LetterRevision, *, now: datetime | None = None) -> int:
    """Record a request to confirm again for every organisation of :func:`outdated` and stop
    their older links; the mail worker writes the emails (:func:`send_requested`). Returns how
    many. Two statements; does not commit."""
    now = now or utcnow()
    rows = outdated(letter, revision).with_only_columns(
        Invitation.id,
        literal(revision.id),
        Signature.revision_id,
        literal(now, UTCDateTime()),
        literal(""),
    )
    db.session.execute(
        insert(ReconfirmationRequest).from_select(
            ["invitation_id", "revision_id", "confirmed_revision_id", "created_at", "outcome"], rows
        )
    )
    asked = select(ReconfirmationRequest.invitation_id).where(
        ReconfirmationRequest.revision_id == revision.id
    )
    result: CursorResult = db.session.execute(  # type: ignore[assignment]  # an UPDATE gives a CursorResult
        update(Invitation)
        .where(Invitation.id.in_(asked))
        .values(token_hash=LINK_BEING_SENT, token_issued_at=now),
        execution_options={"synchronize_session": "fetch"},
    )
    return result.rowcount


def requests_of(revision: LetterRevision) -> int:
    """How many organisations ``revision`` asked to confirm again."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(ReconfirmationRequest)
            .where(ReconfirmationRequest.revision_id == revision.id)
        )
        or 0
    )


def email_on_its_way(invitation: Invitation) -> bool:
    """Whether the invitation's email asking to confirm again is recorded but not written yet."""
    return invitation.token_hash == LINK_BEING_SENT


def _due(now: datetime):
    return ReconfirmationRequest.done_at.is_(None) & or_(
        ReconfirmationRequest.claimed_until.is_(None), ReconfirmationRequest.claimed_until < now
    )


def send_requested(*, limit: int = 100, now: datetime | None = None) -> dict[str, int]:
    """Write the emails of up to ``limit`` requests to confirm again (the mail worker's step; a
    transaction boundary: it commits). Returns {"reconfirmations": requests done}.

    The batch is claimed for ``MAIL_CLAIM_SECONDS`` with one conditional UPDATE; each request
    is then taken for good by a second one (not done, still claimed by this batch) in the
    transaction that queues its email, so a request another worker took over meanwhile is
    left to it. ``now`` moves the clock (tests).
    """
    with database.writing():
        return _send_requested(limit, now or utcnow())


def _send_requested(limit: int, now: datetime) -> dict[str, int]:
    claim = timedelta(seconds=int(current_app.config["MAIL_CLAIM_SECONDS"]))
    due_ids = db.session.scalars(
        select(ReconfirmationRequest.id).where(_due(now)).order_by(ReconfirmationRequest.id).limit(limit)
    ).all()
    db.session.commit()
    if not due_ids:
        return {"reconfirmations": 0}
    claimed_until = now + claim
    claimed = sorted(
        db.session.scalars(
            update(ReconfirmationRequest)
            .where(ReconfirmationRequest.id.in_(due_ids), _due(now))
            .values(claimed_until=claimed_until)
            .returning(ReconfirmationRequest.id),
            execution_options={"synchronize_session": False},
        ).all()
    )
    db.session.commit()
    done = 0
    writer = _Writer(now)
    for start in range(0, len(claimed), COMMIT_EVERY):
        requests = db.session.scalars(
            select(ReconfirmationRequest)
            .where(ReconfirmationRequest.id.in_(claimed[start : start + COMMIT_EVERY]))
            .options(
                joinedload(ReconfirmationRequest.invitation).joinedload(Invitation.organization),
                joinedload(ReconfirmationRequest.invitation).joinedload(Invitation.signature),
            )
            .order_by(ReconfirmationRequest.id)
        ).all()
        for request in requests:
            taken: CursorResult = db.session.execute(  # type: ignore[assignment]
                update(ReconfirmationRequest)
                .where(
                    ReconfirmationRequest.id == request.id,
                    ReconfirmationRequest.done_at.is_(None),
                    ReconfirmationRequest.claimed_until == claimed_until,
                )
                .values(done_at=now),
                execution_options={"synchronize_session": False},
            )
            if taken.rowcount != 1:
                continue  # another worker took it over after this claim lapsed
            request.outcome, request.outbox_message_id = writer.write(request)
            done += 1
        db.session.commit()
    db.session.expire_all()
    return {"reconfirmations": done}


class _Writer:
    """Writes the emails of one batch, reading each letter's current text and each
    comparison of two revisions once."""

    def __init__(self, now: datetime):
        self.now = now
        self.current: dict[int, LetterRevision] = {}
        self.comparisons: dict[tuple[int, int], changes.Comparison] = {}

    def write(self, request: ReconfirmationRequest) -> tuple[str, int | None]:
        """Queue the request's email unless it is no longer needed; (outcome, message id)."""
        invitation = request.invitation
        letter = invitation.letter
        if letter.status != LetterStatus.OPEN:
            return "closed", None
        if letter.id not in self.current:
            self.current[letter.id] = letter.current_revision
        current = self.current[letter.id]
        if request.revision.agreement_number != current.agreement_number:
            return "superseded", None  # a later substantive change asked again: its request writes
        if invitation.state == InvitationState.REVOKED:
            return "revoked", None
        signature = invitation.signature
        if (
            invitation.state != InvitationState.CONFIRMED
            or signature is None
            or changes.answers_count_for(signature.revision, current)
        ):
            return "answered", None  # confirmed again (a reminder's link), declined meanwhile
        confirmed = signature.revision
        key = (confirmed.id, current.id)
        if key not in self.comparisons:
            self.comparisons[key] = changes.compare(confirmed, current)
        link = inviting.issue_link(invitation, now=self.now)
        message = inviting.queue_email(
            "reconfirm",
            invitation,
            link=link,
            revision=current,
            confirmed=confirmed,
            comparison=self.comparisons[key],
            languages=languages_first(invitation.language),
        )
        db.session.flush()
        audit.record(
            "invitation.reconfirmation_asked",
            letter=letter,
            invitation=invitation.id,
            revision=current.number,
            confirmed_revision=confirmed.number,
        )
        return "sent", message.id
