"""Comments of the drafting group on a letter's paragraphs: threads, replies, resolve and reopen.

A thread is anchored to one paragraph of one language of one field (title, body...): to the
hash of that paragraph's text, whitespace aside. A later revision that still holds the same
paragraph, wherever it moved, shows the thread beside it; once the paragraph is gone or
reworded, the thread is *outdated* and shown with the paragraph as it read. An exact match is
the rule on purpose: a reworded paragraph may no longer say what the comment was about.

Replies are emailed to the thread's other participants through the outbox as a digest: the
mail worker (``send_comment_digests``) waits until the oldest reply not yet sent is
``COMMENT_DIGEST_MINUTES`` old, then sends each person one email, in their language, with every
reply since. Comments never reach anything a signatory or the public sees.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import CursorResult, func, or_, select, update

from .. import database
from ..extensions import db
from ..models import LANGUAGES, REVISION_FIELDS, Comment, Letter, LetterRevision, User
from ..models.types import utcnow
from . import mailing, permissions

MAX_COMMENT_LENGTH = 4000

# A block whose every line starts like a list item ("1.", "2-", "(3)", "- ", "* ") is a list:
# each item takes comments of its own.
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]\s|\(?[0-9٠-٩۰-۹]+[.)\-]\s?)")


@dataclass(frozen=True)
class Paragraph:
    language: str
    field: str
    text: str

    @property
    def anchor_hash(self) -> str:
        return anchor_hash(self.text)

    @property
    def key(self) -> str:
        """What a form posts to say which paragraph it comments on."""
        return f"{self.language}:{self.field}:{self.anchor_hash}"


@dataclass
class Thread:
    first: Comment
    replies: list[Comment] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        return self.first.resolved_at is not None

    @property
    def comments(self) -> list[Comment]:
        return [self.first, *self.replies]


@dataclass
class Discussion:
    """A letter's threads laid out over its current revision."""

    paragraphs: dict[str, list[tuple[Paragraph, list[Thread]]]]  # by language
    outdated: list[Thread]

    @property
    def open_count(self) -> int:
        threads = [thread for items in self.paragraphs.values() for _, ts in items for thread in ts]
        return sum(1 for thread in threads if not thread.resolved)


class CommentError(ValueError):
    """A comment that cannot be written; ``code`` says why (the view words it)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def anchor_hash(text: str) -> str:
    normalized = " ".join(text.split())
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def paragraphs(revision: LetterRevision, language: str) -> list[Paragraph]:
    """The paragraphs of one language of a revision, field by field in the editor's order."""
    found: list[Paragraph] = []
    for name in REVISION_FIELDS:
        text = revision.text(language)[name].replace("\r\n", "\n")
        for block in re.split(r"\n\s*\n", text):
            lines = [line for line in block.split("\n") if line.strip()]
            if not lines:
                continue
            if len(lines) > 1 and all(_LIST_ITEM.match(line) for line in lines):
                found.extend(Paragraph(language, name, line.strip()) for line in lines)
            else:
                found.append(Paragraph(language, name, "\n".join(line.strip() for line in lines)))
    return found


def find_paragraph(revision: LetterRevision, key: str) -> Paragraph | None:
    language, _, rest = key.partition(":")
    if language not in LANGUAGES:
        return None
    return next((p for p in paragraphs(revision, language) if p.key == key), None)


def start_thread(letter: Letter, paragraph_key: str, body: str, author: User) -> Comment:
    """A new thread on a paragraph of the current revision. Does not commit."""
    revision = letter.current_revision
    paragraph = find_paragraph(revision, paragraph_key)
    if paragraph is None:
        raise CommentError("paragraph_changed")
    now = utcnow()
    comment = Comment(
        letter_id=letter.id,
        author_id=author.id,
        body=_clean(body),
        created_at=now,
        language=paragraph.language,
        field=paragraph.field,
        anchor_hash=paragraph.anchor_hash,
        anchor_text=paragraph.text,
        revision_number=revision.number,
        digested_at=now,  # a new thread notifies nobody; replies do
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def reply(thread: Comment, body: str, author: User) -> Comment:
    """A reply to a thread (reopening it if it was resolved). Does not commit."""
    if not thread.is_thread:
        raise CommentError("not_a_thread")
    revision = db.session.get_one(Letter, thread.letter_id).current_revision
    comment = Comment(
        letter_id=thread.letter_id,
        thread_id=thread.id,
        author_id=author.id,
        body=_clean(body),
        created_at=utcnow(),
        language=thread.language,
        field=thread.field,
        anchor_hash=thread.anchor_hash,
        anchor_text=thread.anchor_text,
        revision_number=revision.number,
    )
    db.session.add(comment)
    thread.resolved_at = None
    thread.resolved_by_id = None
    db.session.flush()
    return comment


def resolve(thread: Comment, by: User) -> None:
    if thread.resolved_at is None:
        thread.resolved_at = utcnow()
        thread.resolved_by_id = by.id


def reopen(thread: Comment) -> None:
    thread.resolved_at = None
    thread.resolved_by_id = None


def _clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise CommentError("empty")
    if len(body) > MAX_COMMENT_LENGTH:
        raise CommentError("too_long")
    return body


def threads_of(letter: Letter) -> list[Thread]:
    """Every thread of the letter with its replies, oldest first: two queries."""
    comments = db.session.scalars(
        select(Comment).where(Comment.letter_id == letter.id).order_by(Comment.created_at, Comment.id)
    ).all()
    db.session.scalars(  # the authors, in one query, into the identity map
        select(User).where(User.id.in_({c.author_id for c in comments} | {0}))
    ).all()
    threads = {c.id: Thread(c) for c in comments if c.thread_id is None}
    for comment in comments:
        if comment.thread_id is not None and comment.thread_id in threads:
            threads[comment.thread_id].replies.append(comment)
    return list(threads.values())


def discussion(letter: Letter) -> Discussion:
    """The threads beside the paragraphs of the current revision they still belong to."""
    revision = letter.current_revision
    by_anchor: dict[tuple[str, str, str], list[Thread]] = defaultdict(list)
    for thread in threads_of(letter):
        by_anchor[(thread.first.language, thread.first.field, thread.first.anchor_hash)].append(thread)
    placed: set[int] = set()
    laid_out: dict[str, list[tuple[Paragraph, list[Thread]]]] = {}
    for language in LANGUAGES:
        items = []
        for paragraph in paragraphs(revision, language):
            anchor = (language, paragraph.field, paragraph.anchor_hash)
            # a paragraph repeated word for word takes its threads once, at its first place
            threads = [t for t in by_anchor.get(anchor, []) if t.first.id not in placed]
            placed.update(t.first.id for t in threads)
            items.append((paragraph, threads))
        laid_out[language] = items
    outdated = [t for ts in by_anchor.values() for t in ts if t.first.id not in placed]
    outdated.sort(key=lambda t: t.first.created_at)
    return Discussion(paragraphs=laid_out, outdated=outdated)


def open_thread_count(letter: Letter) -> int:
    """Threads not resolved, outdated ones included: one query, for the letter page's link."""
    return (
        db.session.scalar(
            select(func.count(Comment.id)).where(
                Comment.letter_id == letter.id, Comment.thread_id.is_(None), Comment.resolved_at.is_(None)
            )
        )
        or 0
    )


# -- the digest of replies -----------------------------------------------------------------------


def send_comment_digests(now: datetime | None = None) -> dict[str, int]:
    """Queue the replies' digest emails when the oldest unsent reply is old enough (worker step).

    All unsent replies are claimed with one conditional UPDATE, so of several workers exactly
    one sends them; the emails are queued in the same transaction. Commits.
    """
    now = now or utcnow()
    wait = timedelta(minutes=float(current_app.config["COMMENT_DIGEST_MINUTES"]))
    with database.writing():
        pending = db.session.scalars(
            select(Comment).where(Comment.digested_at.is_(None)).order_by(Comment.id)
        ).all()
        if not pending or min(c.created_at for c in pending) > now - wait:
            db.session.commit()
            return {"comment_digests": 0}
        ids = [c.id for c in pending]
        claimed: CursorResult = db.session.execute(  # type: ignore[assignment]
            update(Comment)
            .where(Comment.id.in_(ids), Comment.digested_at.is_(None))
            .values(digested_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != len(ids):  # another worker is sending them
            db.session.rollback()
            return {"comment_digests": 0}
        sent = _queue_digests(pending)
        db.session.commit()
    return {"comment_digests": sent}


def _queue_digests(replies: Iterable[Comment]) -> int:
    """One email per person with the replies, by others, in threads they had taken part in by then."""
    replies = list(replies)
    thread_ids = {r.thread_id for r in replies if r.thread_id is not None}
    if not thread_ids:
        return 0
    # who took part in each thread, and the first comment they wrote in it
    joined: dict[int, dict[int, int]] = defaultdict(dict)
    members = (
        select(func.coalesce(Comment.thread_id, Comment.id), Comment.author_id, func.min(Comment.id))
        .where(or_(Comment.id.in_(thread_ids), Comment.thread_id.in_(thread_ids)))
        .group_by(func.coalesce(Comment.thread_id, Comment.id), Comment.author_id)
    )
    for thread_id, author_id, first_id in db.session.execute(members):
        joined[thread_id][author_id] = first_id
    per_recipient: dict[int, list[Comment]] = defaultdict(list)
    for comment in replies:
        if comment.thread_id is None:
            continue
        for user_id, first_id in joined[comment.thread_id].items():
            if user_id != comment.author_id and first_id < comment.id:  # not what came before they joined
                per_recipient[user_id].append(comment)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(per_recipient)))}
    letters = {
        letter.id: letter
        for letter in db.session.scalars(select(Letter).where(Letter.id.in_({c.letter_id for c in replies})))
    }
    sent = 0
    for user_id, comments in per_recipient.items():
        user = users.get(user_id)
        if user is None or not user.active:
            continue
        # Only the letters the person is still on the team of (a removed member hears no more).
        readable = permissions.visible_letter_ids(user, {c.letter_id for c in comments})
        comments = [c for c in comments if c.letter_id in readable]
        if not comments:
            continue
        subject, body_text, body_html = _render_digest(user, comments, letters)
        mailing.enqueue(user.email, subject, body_text, body_html, language=user.locale)
        sent += 1
    return sent


def _render_digest(user: User, comments: list[Comment], letters: dict[int, Letter]) -> tuple[str, str, str]:
    base = current_app.config["BASE_URL"].rstrip("/")
    by_letter: dict[int, list[Comment]] = defaultdict(list)
    for comment in comments:
        by_letter[comment.letter_id].append(comment)
    groups = [
        {
            "title": letters[letter_id].display_title(user.locale),
            "link": f"{base}/letters/{letter_id}/comments",
            "comments": [
                {
                    "author": comment.author.name,
                    "body": comment.body,
                    "paragraph": comment.anchor_text,
                    "link": f"{base}/letters/{letter_id}/comments#thread-{comment.thread_id}",
                }
                for comment in items
            ],
        }
        for letter_id, items in by_letter.items()
    ]
    with force_locale(user.locale):
        context = {"user": user, "groups": groups, "count": len(comments)}
        return mailing.render_email_parts("comment_digest", **context)
