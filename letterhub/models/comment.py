from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow


class Comment(Model):
    """A drafting group's remark on one paragraph of one language of a letter, or a reply to one.

    A thread is its first comment (``thread_id`` is None) and the replies pointing at it. The
    first comment holds where the thread is anchored: the language, the field (title, body...)
    and the hash of the paragraph's text, which is how the thread finds its paragraph again in
    later revisions (see services.commenting). Comments are for the drafting group only: no
    signatory and no public page ever shows them.
    """

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_letter_thread", "letter_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The anchor (a thread's first comment; replies copy it)
    language: Mapped[str] = mapped_column(String(5))
    field: Mapped[str] = mapped_column(String(20))
    anchor_hash: Mapped[str] = mapped_column(String(64))
    anchor_text: Mapped[str] = mapped_column(Text)  # the paragraph as it read when the thread began
    revision_number: Mapped[int]  # the revision the comment was written on

    # A thread's state (first comment only)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # When the replies' email digest took this comment (set at once for a thread's first comment,
    # which notifies nobody). A conditional UPDATE on it is how one worker, not two, sends it.
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    author = relationship("User", foreign_keys=[author_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])

    @property
    def is_thread(self) -> bool:
        return self.thread_id is None
