"""Outgoing mail: an outbox table and the worker that drains it.

Messages are written to the outbox in the same transaction as the change that caused them
(an invitation, a reminder), so an email is never sent for something that was rolled back and
never lost for something that was committed. ``drain_outbox`` is run by the mail worker
(``flask --app letterhub worker``); it is a transaction boundary of its own and commits.

Several workers may run at once: each claims a batch of messages with one conditional UPDATE
on ``claimed_until`` before sending them, and sends only the rows its UPDATE changed. A claim
expires after ``MAIL_CLAIM_SECONDS``, so the messages of a worker that died while sending
them are taken over then; a worker renews its claim on the rest of its batch before that.
A batch goes over one SMTP connection. Failures are told apart in :func:`delivery_failure`.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

from flask import current_app, render_template
from sqlalchemy import CursorResult, or_, select, update

from .. import database
from ..extensions import db
from ..models import OutboxMessage, OutboxStatus
from ..models.types import utcnow

log = logging.getLogger(__name__)

BODY_FORGOTTEN = "(body not kept after sending: it held a signing link)"


def render_email_parts(name: str, **context) -> tuple[str, str, str]:
    """The subject (one line), plain text and HTML of ``templates/emails/<name>/``.

    Rendered in the current locale: callers wrap this, and whatever in ``context`` depends on
    the recipient's language, in ``force_locale``.
    """
    subject = render_template(f"emails/{name}/subject.txt", **context).strip()
    body_text = render_template(f"emails/{name}/body.txt", **context)
    body_html = render_template(f"emails/{name}/body.html", **context)
    return subject, body_text, body_html


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


class MessageFields(Protocol):
    """What an email is built from: an OutboxMessage, or a row of these columns."""

    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str
    language: str
    created_at: datetime


class _RememberingPolicy(EmailPolicy):
    """``email.policy.default`` that remembers the headers it has parsed and folded.

    Building and writing an email is mostly parsing and folding its headers, and most of them
    are the same in every message of a batch: From, Subject, MIME-Version, the parts'
    Content-Type and Content-Transfer-Encoding, Content-Language. Their parsed form and folded
    bytes depend only on the text and the policy's settings, so they are kept (a bounded
    memo, emptied when full) and the message comes out byte for byte as the default policy
    writes it. Header objects are immutable strings, safe to share between messages.
    """

    def header_store_parse(self, name, value):
        if type(value) is not str:  # already a header object (a copy, a remembered one)
            return super().header_store_parse(name, value)
        key = ("parse", name.lower(), value, self.header_factory)
        parsed = _remembered.get(key)
        if parsed is None:
            parsed = _remember(key, super().header_store_parse(name, value))
        return parsed

    def fold_binary(self, name, value):
        key = ("fold", name, str(value), self.linesep, self.max_line_length, self.utf8, self.cte_type)
        folded = _remembered.get(key)
        if folded is None:
            folded = _remember(key, super().fold_binary(name, value))
        return folded


_remembered: dict[tuple, object] = {}
_REMEMBER_AT_MOST = 2000
EMAIL_POLICY = _RememberingPolicy()


def _remember(key: tuple, value):
    if len(_remembered) >= _REMEMBER_AT_MOST:
        _remembered.clear()
    _remembered[key] = value
    return value


def build_email(message: MessageFields, sender: str) -> EmailMessage:
    email = EmailMessage(policy=EMAIL_POLICY)
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message_id(message, sender)
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    email["Content-Language"] = message.language  # after set_content, which drops Content-* headers
    return email


def message_id(message: MessageFields, sender: str) -> str:
    """The same at every attempt to send one message, so that a copy delivered twice (its reply
    lost in a dropped connection) is recognisable as the same email by the recipient's software."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "letterhub"
    return f"<outbox-{message.id}.{message.created_at:%Y%m%d%H%M%S%f}@{domain}>"


class SMTPTransport:
    """Delivers over SMTP, with STARTTLS and login when configured, one connection for many messages.

    The connection is opened at the first message and kept for the next ones until
    :meth:`close`; a failure closes it and the next message opens a new one. Use it for one
    batch (``with transport: ...``), not across idle minutes: servers hang up on idle clients.
    """

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
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SMTPTransport:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, email: EmailMessage) -> None:
        """Deliver ``email`` or raise what went wrong (see :func:`delivery_failure`).

        A kept connection that the server has closed meanwhile (a dropped connection before
        any reply) is replaced by a new one and the message sent once more; a connection
        opened for this message is not retried here. After a failure the connection is simply
        closed: saying QUIT to a server that has just timed out or hung up could only replace
        the real error with a misleading one.
        """
        reused = self._smtp is not None
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                self._smtp.send_message(email)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                if not reused:
                    raise
                self._drop()
                self._smtp = self._connect()
                self._smtp.send_message(email)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        """Say goodbye and close the connection, if one is open."""
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()  # the messages are delivered; the server's goodbye changes nothing
            self._drop()


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

    def __enter__(self) -> MailboxTransport:
        return self

    def __exit__(self, *exc_info) -> None:
        """Nothing to close."""


def configured_transport() -> SMTPTransport | MailboxTransport:
    """The transport ``MAIL_TRANSPORT`` names, set up from the app's settings."""
    config = current_app.config
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


def drain_outbox(*, transport=None, limit: int = 100, now: datetime | None = None) -> dict[str, int]:
    """Send a batch of the messages that are due. Returns counts: {"sent": n, "retry": n, "failed": n}.

    ``now`` moves the clock (tests); it keeps running while messages are sent. Up to ``limit``
    due messages are claimed with one conditional UPDATE, for ``MAIL_CLAIM_SECONDS``, and
    sent over one SMTP connection; the claim on what is left of the batch is renewed when
    half of that time has passed, so it never lapses while this worker is alive. A worker
    that dies holds its batch until the claim expires. No transaction stays open while the
    SMTP server is talking: on SQLite that would keep every writer waiting. Each message's
    outcome is committed as soon as it is known.

    A message whose server's reply was lost (a dropped connection, a timeout after DATA, a
    worker killed after sending) is sent again: SMTP cannot say whether it arrived, so it may
    arrive twice, never more than once per such fault.
    """
    with database.writing():
        if transport is not None:
            return _drain_outbox(transport, limit, now)
        with configured_transport() as own_transport:
            return _drain_outbox(own_transport, limit, now)


def _due(now: datetime):
    return (
        (OutboxMessage.status == OutboxStatus.QUEUED)
        & (OutboxMessage.next_attempt_at <= now)
        & or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
    )


def _drain_outbox(transport, limit: int, now: datetime | None) -> dict[str, int]:
    config = current_app.config
    offset = (now - utcnow()) if now else timedelta(0)
    claim = timedelta(seconds=int(config["MAIL_CLAIM_SECONDS"]))
    counts = {"sent": 0, "retry": 0, "failed": 0}
    now = utcnow() + offset
    due_ids = db.session.scalars(
        select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id).limit(limit)
    ).all()
    db.session.commit()
    if not due_ids:
        return counts
    now = utcnow() + offset
    claimed_until = now + claim
    claimed = set(
        db.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due_ids), _due(now))
            .values(claimed_until=claimed_until)
            .returning(OutboxMessage.id),
            execution_options={"synchronize_session": False},
        ).all()
    )
    db.session.commit()
    if not claimed:
        return counts
    # rows, not ORM objects: the session would expire every object of the batch at each commit
    messages = db.session.execute(
        select(
            *(getattr(OutboxMessage, field) for field in MessageFields.__annotations__),
            OutboxMessage.attempts,
        )
        .where(OutboxMessage.id.in_(claimed))
        .order_by(OutboxMessage.id)
    ).all()
    batch = [(m.id, m.recipient, m.attempts, build_email(m, config["MAIL_FROM"])) for m in messages]
    db.session.commit()
    renew_at = claimed_until - claim / 2
    max_attempts = int(config["MAIL_MAX_ATTEMPTS"])
    for position, (message_id, recipient, attempts, email) in enumerate(batch):
        if utcnow() + offset >= renew_at:
            renewed_until = utcnow() + offset + claim
            if not _renew_claim([entry[0] for entry in batch[position:]], claimed_until, renewed_until):
                break  # the claim lapsed after all (a stopped clock?): another worker has the rest
            claimed_until, renew_at = renewed_until, renewed_until - claim / 2
        try:
            transport.send(email)
        except (OSError, smtplib.SMTPException) as error:
            failure = delivery_failure(error, timeout=float(config["SMTP_TIMEOUT"]))
            attempts += 1
            values: dict = {"attempts": attempts, "last_error": failure.reason[:2000], "claimed_until": None}
            if failure.permanent or attempts >= max_attempts:
                values.update(status=OutboxStatus.FAILED, **FORGOTTEN_BODY)
                counts["failed"] += 1
            else:
                values["next_attempt_at"] = utcnow() + offset + retry_delay(attempts)
                counts["retry"] += 1
            log.warning(
                "mail %s to %s not sent (attempt %s, %s): %s",
                message_id,
                recipient,
                attempts,
                values.get("status", OutboxStatus.QUEUED).value,
                values["last_error"],
            )
        else:
            values = {
                "attempts": attempts + 1,
                "status": OutboxStatus.SENT,
                "sent_at": utcnow(),
                "last_error": "",
                "claimed_until": None,
                **FORGOTTEN_BODY,
            }
            counts["sent"] += 1
        # recorded at once: a worker killed later sends nothing of this batch twice
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
    db.session.expire_all()  # the rows changed behind the session's back
    return counts


def _renew_claim(message_ids: list[int], held_until: datetime, new_until: datetime) -> bool:
    """Extend this worker's claim on the messages it has not sent yet: those still claimed until
    ``held_until``, a time only this worker wrote. False if it no longer holds all of them."""
    result: CursorResult = db.session.execute(  # type: ignore[assignment]  # an UPDATE gives a CursorResult
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.claimed_until == held_until)
        .values(claimed_until=new_until),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount == len(message_ids)


# What is left of a message's body once it will never be sent again. An invitation's body
# holds its signing link, a credential that the rest of the database keeps only as a hash.
# Once a message is sent (or given up on: the coordinator resends, which issues a new link)
# nothing needs the body, so a database dump or backup taken later holds no working link.
# Recipient, subject and status stay for the record.
FORGOTTEN_BODY = {"body_text": BODY_FORGOTTEN, "body_html": ""}
