"""The worker's emails are built faster (remembered headers) and come out exactly as before."""

from __future__ import annotations

import io
import smtplib
from datetime import datetime
from email import message_from_bytes
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import default
from types import SimpleNamespace

import pytest

from letterhub.services import mailing

SENDER = "Letterhub الائتلاف <noreply@letters.example.org>"


def outbox_row(number: int, *, language: str, html: bool, subject: str) -> SimpleNamespace:
    link = f"https://letters.example.org/sign/{number}.{'x' * 60}"
    text = (
        (
            "نطالب بوقف القصف على المدنيين في إدلب وريف حلب وحماية المنشآت الطبية.\n" * 3
            if language == "ar"
            else "We ask the Security Council to act on the attacks on medical facilities in Idlib.\n" * 3
        )
        + f"\n{link}\n"
        + "a" * 120
        + "\n"
    )
    return SimpleNamespace(
        id=number,
        recipient=f"focal{number}@example.org",
        subject=subject,
        body_text=text,
        body_html=f"<p>{text}</p><p><a href='{link}'>{link}</a></p>" if html else "",
        language=language,
        created_at=datetime(2026, 12, 1, 0, 42, 7, 123456),
    )


def built_as_before(message, sender: str) -> EmailMessage:
    """build_email as it was, with the standard library's default policy."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = mailing.message_id(message, sender)
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    email["Content-Language"] = message.language
    return email


def wire_bytes(email: EmailMessage) -> bytes:
    """What smtplib.send_message writes to the server."""
    if email.is_multipart():
        email.set_boundary("===============0000000000000000000==")
    with io.BytesIO() as out:
        BytesGenerator(out).flatten(email, linesep="\r\n")
        return out.getvalue()


MESSAGES = [
    {
        "language": "ar",
        "html": True,
        "subject": "دعوة للتوقيع: رسالة مشتركة إلى مجلس الأمن بشأن الهجمات على المنشآت الطبية",
    },
    {"language": "en", "html": True, "subject": "Invitation to sign: joint letter to the Security Council"},
    {
        "language": "en",
        "html": False,
        "subject": "Reminder: the deadline is Tuesday, December 15, 2026, 23:59",
    },
]


@pytest.mark.parametrize("fields", MESSAGES)
def test_an_email_has_the_headers_parts_and_text_it_had_before(fields):
    for number in (1, 2, 3):  # the second and third are built from remembered headers
        row = outbox_row(number, **fields)
        before, now = built_as_before(row, SENDER), mailing.build_email(row, SENDER)
        assert wire_bytes(now) == wire_bytes(before)
        parsed_before, parsed_now = (message_from_bytes(wire_bytes(e), policy=default) for e in (before, now))
        assert list(parsed_now.items()) == list(parsed_before.items())
        parts_before, parts_now = list(parsed_before.walk()), list(parsed_now.walk())
        assert [p.get_content_type() for p in parts_now] == [p.get_content_type() for p in parts_before]
        assert [p.get_content() for p in parts_now if not p.is_multipart()] == [
            p.get_content() for p in parts_before if not p.is_multipart()
        ]
        assert row.body_text in parsed_now.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_remembered_headers_still_refuse_a_line_break_in_a_header():
    row = outbox_row(1, language="en", html=False, subject="Fine")
    mailing.build_email(row, SENDER)
    with pytest.raises(ValueError, match="linefeed"):
        mailing.build_email(
            outbox_row(2, language="en", html=False, subject="Bad\nBcc: x@example.org"), SENDER
        )


def test_smtplib_sends_an_international_address_with_the_remembering_policy():
    row = outbox_row(1, language="ar", html=True, subject="دعوة")
    row.recipient = "فريق@example.org"
    email = mailing.build_email(row, SENDER)
    sent: list[bytes] = []

    class Recorder(smtplib.SMTP):
        def __init__(self):
            super().__init__()
            self.does_esmtp, self.esmtp_features = True, {"smtputf8": ""}

        def ehlo_or_helo_if_needed(self):
            pass

        def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
            sent.append(msg)
            return {}

    Recorder().send_message(email)
    assert "فريق@example.org".encode() in sent[0]
