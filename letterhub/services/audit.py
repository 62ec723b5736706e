"""The audit trail: every change of state of a letter, invitation or signature leaves an event."""

from __future__ import annotations

from ..extensions import db
from ..models import AuditEvent


def record(action: str, *, letter=None, user=None, ip_address: str = "", **details) -> AuditEvent:
    event = AuditEvent(
        action=action,
        letter_id=letter.id if letter is not None else None,
        user_id=user.id if user is not None and getattr(user, "is_authenticated", True) else None,
        ip_address=ip_address or "",
        details=details,
    )
    db.session.add(event)
    return event
