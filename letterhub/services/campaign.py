"""A letter's campaign at a glance: counts, and the invitation list filtered, searched, paged.

Built to cost the same few queries whatever the length of the list: the counts are aggregate
queries, and a page of the list is one joined query (organisation, answer and latest email
of each row) plus one count. With 2,000 invitations the letter page runs as many queries as
with 50 and shows one page of them.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from sqlalchemy import Select, case, func, not_, or_, select
from sqlalchemy.orm import aliased, contains_eager, load_only

from ..extensions import db
from ..models import (
    Invitation,
    InvitationState,
    Letter,
    LetterRevision,
    Organization,
    OutboxMessage,
    OutboxStatus,
    Signature,
)
from . import changes, directory

PER_PAGE = 100


class InvitationFilter(enum.Enum):
    """Which invitations the list shows (the ``state`` GET parameter)."""

    ALL = "all"
    NOT_ANSWERED = "not-answered"  # pending or opened, not revoked
    OPENED = "opened"  # opened and not answered yet
    CONFIRMED = "confirmed"
    MUST_RECONFIRM = "must-reconfirm"  # confirmed before a substantive change, not since
    DECLINED = "declined"
    FAILED = "failed"  # the latest email could not be delivered
    NOT_SENT = "not-sent"  # never sent
    REVOKED = "revoked"

    @classmethod
    def parse(cls, value: str | None) -> InvitationFilter:
        try:
            return cls(value or "all")
        except ValueError:
            return cls.ALL


class InvitationSort(enum.Enum):
    """How the list is ordered (the ``sort`` GET parameter)."""

    ADDED = "added"  # as added to the list
    NAME = "name"  # by the organisation's name in the reader's language
    STATE = "state"  # answered and opened ones first
    ANSWERED = "answered"  # latest answer first
    OPENED = "opened"  # latest opened first

    @classmethod
    def parse(cls, value: str | None) -> InvitationSort:
        try:
            return cls(value or "added")
        except ValueError:
            return cls.ADDED


@dataclass(frozen=True)
class CampaignCounts:
    """How far a letter's campaign has got. Revoked invitations count only as revoked."""

    invited: int = 0
    sent: int = 0
    failed: int = 0
    opened: int = 0  # links opened at least once (answered or not)
    confirmed: int = 0
    must_reconfirm: int = 0  # confirmed an earlier agreement (before a substantive change)
    declined: int = 0
    not_answered: int = 0
    revoked: int = 0


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    message: OutboxMessage | None  # the latest email of the invitation, if any
    # its answer counts for the current text (answered it, or a revision it only corrects)
    answer_is_current: bool = False

    @property
    def must_reconfirm(self) -> bool:
        """Confirmed an earlier agreement: not listed unless the organisation confirms again."""
        return self.invitation.state == InvitationState.CONFIRMED and not self.answer_is_current


@dataclass(frozen=True)
class InvitationPage:
    rows: list[InvitationRow]
    total: int  # invitations matching the filter and the search
    number: int  # 1-based
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_position(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_position(self) -> int:
        return min(self.total, self.number * self.per_page)


def _latest_message_ids():
    """Each invitation's latest email: (invitation_id, id), as a subquery."""
    return (
        select(OutboxMessage.invitation_id, func.max(OutboxMessage.id).label("id"))
        .where(OutboxMessage.invitation_id.is_not(None))
        .group_by(OutboxMessage.invitation_id)
        .subquery("latest_message_ids")
    )


def campaign_counts(letter: Letter, current: LetterRevision | None = None) -> CampaignCounts:
    """The counts at the top of the letter page, in two aggregate queries (the caller may know
    the current revision already)."""
    if current is None:
        current = letter.current_revision
    by_state = db.session.execute(
        select(
            Invitation.state,
            func.count(Invitation.id),
            func.count(Invitation.opened_at),
            func.count(case((not_(changes.answer_counts_for(current)), Signature.id))),
        )
        .outerjoin(Signature, Signature.invitation_id == Invitation.id)
        .where(Invitation.letter_id == letter.id)
        .group_by(Invitation.state)
    ).all()
    states = {state: (count, opened, earlier) for state, count, opened, earlier in by_state}

    def number(*wanted: InvitationState) -> int:
        return sum(states.get(state, (0, 0, 0))[0] for state in wanted)

    latest = _latest_message_ids()
    by_mail = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .join(latest, OutboxMessage.id == latest.c.id)
            .join(Invitation, Invitation.id == latest.c.invitation_id)
            .where(Invitation.letter_id == letter.id, Invitation.state != InvitationState.REVOKED)
            .group_by(OutboxMessage.status)
        ).all()
    )
    answering = [s for s in InvitationState if s != InvitationState.REVOKED]
    return CampaignCounts(
        invited=number(*answering),
        sent=by_mail.get(OutboxStatus.SENT, 0),
        failed=by_mail.get(OutboxStatus.FAILED, 0),
        opened=sum(states.get(state, (0, 0, 0))[1] for state in answering),
        confirmed=number(InvitationState.CONFIRMED),
        must_reconfirm=states.get(InvitationState.CONFIRMED, (0, 0, 0))[2],
        declined=number(InvitationState.DECLINED),
        not_answered=number(InvitationState.PENDING, InvitationState.OPENED),
        revoked=number(InvitationState.REVOKED),
    )


def invitation_page(
    letter: Letter,
    *,
    shown: InvitationFilter = InvitationFilter.ALL,
    search: str = "",
    language: str = "",
    tag: str = "",
    sort: InvitationSort = InvitationSort.ADDED,
    reader_language: str = "en",
    page: int = 1,
    per_page: int = PER_PAGE,
    current: LetterRevision | None = None,
) -> InvitationPage:
    """One page of the letter's invitations, with what each row shows loaded, in two queries.

    ``search`` matches part of the focal point's email, or either name of the organisation or
    one of its other spellings across spelling variants (the directory's folding: hamza forms,
    taa marbuta, case, "the"...). ``language`` keeps the invitations in that language, ``tag``
    the organisations carrying that tag. A page past the end shows the last one.
    """
    if current is None:
        current = letter.current_revision
    message = aliased(OutboxMessage)
    latest = _latest_message_ids()
    query: Select = (
        select(Invitation, message)
        .join(Invitation.organization)
        .outerjoin(Invitation.signature)
        .outerjoin(latest, latest.c.invitation_id == Invitation.id)
        .outerjoin(message, message.id == latest.c.id)
        .where(Invitation.letter_id == letter.id)
    )
    if shown == InvitationFilter.NOT_ANSWERED:
        query = query.where(Invitation.state.in_([InvitationState.PENDING, InvitationState.OPENED]))
    elif shown == InvitationFilter.OPENED:
        query = query.where(Invitation.state == InvitationState.OPENED)
    elif shown == InvitationFilter.CONFIRMED:
        query = query.where(Invitation.state == InvitationState.CONFIRMED)
    elif shown == InvitationFilter.MUST_RECONFIRM:
        query = query.where(
            Invitation.state == InvitationState.CONFIRMED, not_(changes.answer_counts_for(current))
        )
    elif shown == InvitationFilter.DECLINED:
        query = query.where(Invitation.state == InvitationState.DECLINED)
    elif shown == InvitationFilter.REVOKED:
        query = query.where(Invitation.state == InvitationState.REVOKED)
    elif shown == InvitationFilter.FAILED:
        query = query.where(
            message.status == OutboxStatus.FAILED, Invitation.state != InvitationState.REVOKED
        )
    elif shown == InvitationFilter.NOT_SENT:
        query = query.where(message.id.is_(None), Invitation.state != InvitationState.REVOKED)
    search = " ".join(search.split())
    if search:
        query = query.where(
            or_(
                Organization.name_en.icontains(search, autoescape=True),
                Organization.name_ar.icontains(search, autoescape=True),
                Invitation.email.icontains(search, autoescape=True),
                *directory.organization_conditions(search=search),
            )
        )
    if language in ("ar", "en"):
        query = query.where(Invitation.language == language)
    query = query.where(*directory.organization_conditions(tag=tag))
    total = db.session.scalar(
        select(func.count()).select_from(query.with_only_columns(Invitation.id).subquery())
    )
    total = int(total or 0)
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, page), pages)
    answer_is_current = case((changes.answer_counts_for(current), True), else_=False)
    rows = db.session.execute(
        query.add_columns(answer_is_current)
        .options(
            contains_eager(Invitation.organization),
            contains_eager(Invitation.signature),
            # the body (which holds the signing link) is never shown: leave it in the database
            load_only(
                message.id,
                message.status,
                message.last_error,
                message.attempts,
                message.sent_at,
                message.created_at,
                raiseload=True,
            ),
        )
        .order_by(*_order(sort, reader_language, message))
        .limit(per_page)
        .offset((number - 1) * per_page)
    ).all()
    return InvitationPage(
        rows=[
            InvitationRow(invitation, latest_message, bool(is_current))
            for invitation, latest_message, is_current in rows
        ],
        total=total,
        number=number,
        per_page=per_page,
    )


_STATE_ORDER = {
    InvitationState.CONFIRMED: 0,
    InvitationState.DECLINED: 1,
    InvitationState.OPENED: 2,
    InvitationState.PENDING: 3,
    InvitationState.REVOKED: 4,
}


def _order(sort: InvitationSort, reader_language: str, message) -> list:
    """ORDER BY for ``sort``; ties (and the default) in the order the list was made. Empty
    values (never answered, never opened) go last on both databases."""
    if sort == InvitationSort.NAME:
        first, second = (
            (Organization.name_ar_key, Organization.name_en_key)
            if reader_language == "ar"
            else (Organization.name_en_key, Organization.name_ar_key)
        )
        return [func.coalesce(func.nullif(first, ""), second), Invitation.id]
    if sort == InvitationSort.STATE:
        return [
            case(*((Invitation.state == state, rank) for state, rank in _STATE_ORDER.items())),
            Invitation.id,
        ]
    if sort == InvitationSort.ANSWERED:
        return [Signature.decided_at.is_(None), Signature.decided_at.desc(), Invitation.id]
    if sort == InvitationSort.OPENED:
        return [Invitation.opened_at.is_(None), Invitation.opened_at.desc(), Invitation.id]
    return [Invitation.id]


@dataclass(frozen=True)
class LetterSummary:
    """A line of the letters list: the campaign's main counts."""

    invited: int = 0
    confirmed: int = 0
    declined: int = 0
    not_answered: int = 0


def letter_summaries(letter_ids: list[int]) -> dict[int, LetterSummary]:
    """The counts of each letter of the list, in one aggregate query."""
    if not letter_ids:
        return {}
    rows = db.session.execute(
        select(Invitation.letter_id, Invitation.state, func.count(Invitation.id))
        .where(Invitation.letter_id.in_(letter_ids))
        .group_by(Invitation.letter_id, Invitation.state)
    ).all()
    states: dict[int, dict[InvitationState, int]] = {}
    for letter_id, state, count in rows:
        states.setdefault(letter_id, {})[state] = count
    summaries = {}
    for letter_id, by_state in states.items():
        summaries[letter_id] = LetterSummary(
            invited=sum(count for state, count in by_state.items() if state != InvitationState.REVOKED),
            confirmed=by_state.get(InvitationState.CONFIRMED, 0),
            declined=by_state.get(InvitationState.DECLINED, 0),
            not_answered=by_state.get(InvitationState.PENDING, 0) + by_state.get(InvitationState.OPENED, 0),
        )
    return summaries
