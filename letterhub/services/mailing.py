"""Outgoing mail: an outbox table and the worker that drains it.

Messages are written to the outbox in the same transaction as the change that caused them
(an invitation, a reminder), so an email is never sent for something that was rolled back and
never lost for something that was committed. ``drain_outbox`` is run by the mail worker
(``flask --app letterhub worker``); it is a transaction boundary of its own and commits.

Several workers may run at once: each claims a message with a conditional UPDATE on
``claimed_until`` before sending it, and only the worker whose UPDATE changed the row sends.
A claim expires after ``MAIL_CLAIM_SECONDS``, so the message of a worker that died while
sending it is taken over then. Failures are told apart in :func:`delivery_failure`.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from sqlalchemy import CursorResult, or_, select, update

from .. import database
from ..extensions import db
from ..models import OutboxMessage, OutboxStatus
from ..models.types import utcnow

log = logging.getLogger(__name__)

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
    email["Message-ID"] = message_id(message, sender)
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    email["Content-Language"] = message.language  # after set_content, which drops Content-* headers
    return email


def message_id(message: OutboxMessage, sender: str) -> str:
    """The same at every attempt to send one message, so that a copy delivered twice (its reply
    lost in a dropped connection) is recognisable as the same email by the recipient's software."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "letterhub"
    return f"<outbox-{message.id}.{message.created_at:%Y%m%d%H%M%S%f}@{domain}>"


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
        """Deliver ``email`` or raise what went wrong (see :func:`delivery_failure`).

        After a failure the connection is simply closed: saying QUIT to a server that has just
        timed out or hung up could only replace the real error with a misleading one.
        """
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()  # delivered; the server's goodbye changes nothing
        finally:
            smtp.close()


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


@dataclass(frozen=True)
class DeliveryFailure:
    """What a failed send means: try again later, or never (``permanent``), and why."""

    permanent: bool
    reason: str


def delivery_failure(error: OSError | smtplib.SMTPException, *, timeout: float) -> DeliveryFailure:
    """Tell a temporary failure from a permanent one.

    Permanent (the message is marked failed at once, the reason shown to the coordinator): a
    5xx reply to the recipient (RCPT TO: that address will never work; every message has one
    recipient, so a partial refusal cannot happen) or to the message itself (after DATA: it is
    refused for what it is). Everything else is retried with back-off up to
    ``MAIL_MAX_ATTEMPTS``: any 4xx; a 5xx at connect, HELO, STARTTLS, AUTH or MAIL FROM, which
    is the server's or our configuration's problem, not the recipient's; a refused, dropped or
    silent connection.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = error.recipients
        permanent = bool(replies) and all(_is_permanent(code) for code, _text in replies.values())
        reason = "; ".join(
            f"recipient <{address}> refused: {_reply(code, text)}"
            for address, (code, text) in replies.items()
        )
        return DeliveryFailure(permanent, reason)
    if isinstance(error, smtplib.SMTPDataError):
        return DeliveryFailure(
            _is_permanent(error.smtp_code), f"message refused: {_reply(error.smtp_code, error.smtp_error)}"
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return DeliveryFailure(
            False, f"sender <{error.sender}> refused: {_reply(error.smtp_code, error.smtp_error)}"
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return DeliveryFailure(False, f"server refused: {_reply(error.smtp_code, error.smtp_error)}")
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        # smtplib reports a reply that timed out as a disconnection caused by the timeout
        return DeliveryFailure(False, f"no reply within SMTP_TIMEOUT ({timeout:g} s)")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return DeliveryFailure(False, f"connection dropped: {error}")
    return DeliveryFailure(False, f"{type(error).__name__}: {error}")


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


def drain_outbox(config, *, transport=None, limit: int = 100, now: datetime | None = None) -> dict[str, int]:
    """Send the messages that are due. Returns counts: {"sent": n, "retry": n, "failed": n}.

    ``now`` moves the clock (tests); it keeps running while messages are sent. Each message is
    claimed just before it is sent, for ``MAIL_CLAIM_SECONDS``, so a worker that dies holds only
    the message in flight, and only until then. No transaction stays open while the SMTP server
    is talking: on SQLite that would keep every writer waiting.

    A message whose server's reply was lost (a dropped connection, a timeout after DATA, a
    worker killed after sending) is sent again: SMTP cannot say whether it arrived, so it may
    arrive twice, never more than once per such fault.
    """
    with database.writing():
        return _drain_outbox(config, transport or transport_from_config(config), limit, now)


def _drain_outbox(config, transport, limit: int, now: datetime | None) -> dict[str, int]:
    offset = (now - utcnow()) if now else timedelta(0)
    now = utcnow() + offset
    claim = timedelta(seconds=int(config["MAIL_CLAIM_SECONDS"]))
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
        now = utcnow() + offset
        if not _claim(message_id, now, claim):
            continue
        message = db.session.get_one(OutboxMessage, message_id)
        email = build_email(message, config["MAIL_FROM"])
        db.session.commit()
        try:
            transport.send(email)
        except (OSError, smtplib.SMTPException) as error:
            failure = delivery_failure(error, timeout=float(config["SMTP_TIMEOUT"]))
            message.attempts += 1
            message.last_error = failure.reason[:2000]
            message.claimed_until = None
            if failure.permanent or message.attempts >= int(config["MAIL_MAX_ATTEMPTS"]):
                message.status = OutboxStatus.FAILED
                _forget_body(message)
                counts["failed"] += 1
            else:
                message.next_attempt_at = utcnow() + offset + retry_delay(message.attempts)
                counts["retry"] += 1
            log.warning(
                "mail %s to %s not sent (attempt %s, %s): %s",
                message.id,
                message.recipient,
                message.attempts,
                message.status.value,
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


def _claim(message_id: int, now: datetime, claim: timedelta) -> bool:
    result: CursorResult = db.session.execute(  # type: ignore[assignment]  # an UPDATE gives a CursorResult
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.QUEUED)
        .where(or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .values(claimed_until=now + claim)
    )
    db.session.commit()
    return result.rowcount == 1
