"""Outgoing mail: an outbox table and the worker that drains it.

Messages are written to the outbox in the same transaction as the change that caused them
(an invitation, a reminder), so an email is never sent for something that was rolled back and
never lost for something that was committed. ``drain_outbox`` is run by the mail worker
(``flask --app letterhub worker``); it is a transaction boundary of its own and commits.

Several workers may run at once: each claims a message with a conditional UPDATE on
``claimed_until`` before sending it, and only the worker whose UPDATE changed the row sends.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from sqlalchemy import CursorResult, or_, select, update

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus
from ..models.types import utcnow

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120
BODY_FORGOTTEN = "(body not kept after sending: it held a signing link)"


def enqueue(
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    *,
    language: str = "en",
    invitation=None,
) -> OutboxMessage:
    message = OutboxMessage(
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        language=language,
        invitation=invitation,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="letterhub")
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    email["Content-Language"] = message.language  # after set_content, which drops Content-* headers
    return email


class SMTPTransport:
    """Delivers over SMTP, with STARTTLS and login when configured."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 10,
    ):
        self.host, self.port, self.username, self.password = host, port, username, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, email: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)


class MailboxTransport:
    """Development only: keeps each message as an .eml file, readable at /dev/mailbox."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def send(self, email: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = self.directory / f"{stamp}.eml"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(bytes(email))
        temporary.replace(path)


def transport_from_config(config) -> SMTPTransport | MailboxTransport:
    if config["MAIL_TRANSPORT"] == "mailbox":
        return MailboxTransport(config["MAILBOX_DIR"])
    if config["MAIL_TRANSPORT"] != "smtp":
        raise ValueError(f"unknown MAIL_TRANSPORT {config['MAIL_TRANSPORT']!r}")
    return SMTPTransport(
        config["SMTP_HOST"],
        int(config["SMTP_PORT"]),
        username=config["SMTP_USERNAME"],
        password=config["SMTP_PASSWORD"],
        starttls=bool(config["SMTP_STARTTLS"]),
        timeout=float(config["SMTP_TIMEOUT"]),
    )


def retry_delay(attempts: int) -> timedelta:
    """Back off 30 s, 1 min, 2 min ... up to an hour between attempts."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def drain_outbox(config, *, transport=None, limit: int = 100, now: datetime | None = None) -> dict[str, int]:
    """Send the messages that are due. Returns counts: {"sent": n, "retry": n, "failed": n}."""
    transport = transport or transport_from_config(config)
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    due_ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .where(or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    for message_id in due_ids:
        if not _claim(message_id, now):
            continue
        message = db.session.get_one(OutboxMessage, message_id)
        try:
            transport.send(build_email(message, config["MAIL_FROM"]))
        except (OSError, smtplib.SMTPException) as error:
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            message.claimed_until = None
            if message.attempts >= int(config["MAIL_MAX_ATTEMPTS"]):
                message.status = OutboxStatus.FAILED
                _forget_body(message)
                counts["failed"] += 1
            else:
                message.next_attempt_at = now + retry_delay(message.attempts)
                counts["retry"] += 1
            log.warning(
                "mail %s to %s not sent (attempt %s): %s",
                message.id,
                message.recipient,
                message.attempts,
                message.last_error,
            )
        else:
            message.attempts += 1
            message.status = OutboxStatus.SENT
            message.sent_at = utcnow()
            message.last_error = ""
            message.claimed_until = None
            _forget_body(message)
            counts["sent"] += 1
        db.session.commit()
    return counts


def _forget_body(message: OutboxMessage) -> None:
    """Drop the body once it will never be sent again.

    An invitation's body holds its signing link, a credential that the rest of the database
    keeps only as a hash. Once a message is sent (or given up on: the coordinator resends,
    which issues a new link) nothing needs the body, so a database dump or backup taken later
    holds no working link. Recipient, subject and status stay for the record.
    """
    message.body_text = BODY_FORGOTTEN
    message.body_html = ""


def _claim(message_id: int, now: datetime) -> bool:
    result: CursorResult = db.session.execute(  # type: ignore[assignment]  # an UPDATE gives a CursorResult
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.QUEUED)
        .where(or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )
    db.session.commit()
    return result.rowcount == 1
