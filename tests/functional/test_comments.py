"""The drafting group's comments: threads on paragraphs, across revisions, with digests by email."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import Comment, LetterRole, OutboxMessage
from letterhub.models.types import utcnow
from letterhub.services import accounts, commenting, drafting, mailing, teams

from ..conftest import LETTER_TEXT, PASSWORD, AuthActions, csrf_token
from .test_signing import path_of


def paragraph_key(letter, language: str, text: str) -> str:
    return next(p.key for p in commenting.paragraphs(letter.current_revision, language) if p.text == text)


def post_comment(client, letter, key: str, body: str):
    path = f"/letters/{letter.id}/comments"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "paragraph": key, "body": body})


def post_reply(client, letter, thread_id: int, body: str):
    path = f"/letters/{letter.id}/comments"
    return client.post(
        f"{path}/{thread_id}/replies", data={"csrf_token": csrf_token(client, path), "body": body}
    )


def thread_html(page: str, thread_id: int) -> str:
    match = re.search(rf'<article class="thread[^"]*" id="thread-{thread_id}".*?</article>', page, re.S)
    assert match, f"thread {thread_id} not on the page"
    return match.group(0)


def paragraph_block(page: str, text: str) -> str:
    """The paragraph's block on the discussion page: its text and the threads shown beside it."""
    blocks = page.split('<div class="commented-paragraph">')
    return next(block for block in blocks if f">{text}</p>" in block)


def save(letter, author, **changes):
    fields = {**letter.current_revision.content(), **changes}
    revision = drafting.save_revision(letter, letter.current_revision.number, fields, author)
    db.session.commit()
    return revision


def count_comments() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment))


def test_paragraphs_split_blocks_and_each_numbered_demand(letter):
    texts = [(p.field, p.text) for p in commenting.paragraphs(letter.current_revision, "ar")]
    assert ("body", "نكتب إليكم.") in texts
    assert ("body", "1. الإفراج عن المعتقلين.") in texts
    assert ("body", "2. الكشف عن مصيرهم.") in texts
    assert ("title", LETTER_TEXT["title_ar"]) in texts
    assert ("addressees", "الأمين العام\nمجلس الأمن") in texts  # lines of one block stay one paragraph


def test_a_thread_stays_beside_its_paragraph_across_a_revision_that_keeps_it(signed_in, letter, coordinator):
    key = paragraph_key(letter, "en", "2. Reveal their fate.")
    response = post_comment(signed_in, letter, key, "Say 'whereabouts' too?")
    assert response.status_code == 302
    thread = db.session.scalars(select(Comment)).one()

    # Another paragraph changes, and this one moves down: the thread follows it.
    save(
        letter,
        coordinator,
        body_en="We write to you today.\n\n1. Release all detainees.\n2. Reveal their fate.",
    )
    page = signed_in.get(f"/letters/{letter.id}/comments").get_data(as_text=True)
    assert f'id="thread-{thread.id}"' in paragraph_block(page, "2. Reveal their fate.")
    assert "Say &#39;whereabouts&#39; too?" in thread_html(page, thread.id)
    assert "Outdated" not in thread_html(page, thread.id)

    # The paragraph itself is reworded: the thread is outdated, with the paragraph as it read.
    save(
        letter,
        coordinator,
        body_en="We write to you today.\n\n1. Release all detainees.\n2. Reveal their fate and whereabouts.",
    )
    page = signed_in.get(f"/letters/{letter.id}/comments").get_data(as_text=True)
    block = thread_html(page, thread.id)
    assert "Outdated" in block and "2. Reveal their fate." in block
    assert f'id="thread-{thread.id}"' not in paragraph_block(page, "2. Reveal their fate and whereabouts.")


def test_arabic_paragraph_threads_are_laid_out_right_to_left(signed_in, letter):
    key = paragraph_key(letter, "ar", "نكتب إليكم.")
    assert post_comment(signed_in, letter, key, "ملاحظة على الفقرة").status_code == 302
    page = signed_in.get(f"/letters/{letter.id}/comments").get_data(as_text=True)
    assert '<p class="paragraph-text field-body" lang="ar" dir="rtl">نكتب إليكم.</p>' in page
    assert '<p class="comment-body" dir="auto">ملاحظة على الفقرة</p>' in page


def test_reply_resolve_and_reopen(signed_in, letter, coordinator):
    key = paragraph_key(letter, "en", "We write to you.")
    post_comment(signed_in, letter, key, "Too short?")
    thread = db.session.scalars(select(Comment)).one()
    path = f"/letters/{letter.id}/comments"

    assert post_reply(signed_in, letter, thread.id, "It is fine.").status_code == 302
    resolve = signed_in.post(f"{path}/{thread.id}/resolve", data={"csrf_token": csrf_token(signed_in, path)})
    assert resolve.status_code == 302
    db.session.refresh(thread)
    assert thread.resolved_at is not None and thread.resolved_by_id == coordinator.id
    page = signed_in.get(path).get_data(as_text=True)
    assert "Resolved" in thread_html(page, thread.id) and "0 open threads" in page

    # A reply to a resolved thread reopens it
    post_reply(signed_in, letter, thread.id, "On second thought, no.")
    db.session.refresh(thread)
    assert thread.resolved_at is None
    replies = db.session.scalars(select(Comment.body).where(Comment.thread_id == thread.id)).all()
    assert replies == ["It is fine.", "On second thought, no."]

    signed_in.post(f"{path}/{thread.id}/resolve", data={"csrf_token": csrf_token(signed_in, path)})
    signed_in.post(f"{path}/{thread.id}/reopen", data={"csrf_token": csrf_token(signed_in, path)})
    db.session.refresh(thread)
    assert thread.resolved_at is None


def test_an_empty_comment_comes_back_in_the_readers_language_and_saves_nothing(app, client, letter):
    amal = accounts.create_user("amal@example.org", "أمل", PASSWORD, locale="ar")
    teams.add_member(letter, amal, LetterRole.REVIEWER, by=None)
    db.session.commit()
    AuthActions(client).login("amal@example.org")
    key = paragraph_key(letter, "ar", "نكتب إليكم.")
    response = post_comment(client, letter, key, "   ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "اكتب تعليقك." in page
    assert 'aria-invalid="true"' in page and '<details class="comment-form" open>' in page
    assert count_comments() == 0


def test_a_comment_on_a_paragraph_that_just_changed_is_refused_and_kept(signed_in, letter, coordinator):
    key = paragraph_key(letter, "en", "We write to you.")
    save(
        letter,
        coordinator,
        body_en="We write to you again.\n\n1. Release the detainees.\n2. Reveal their fate.",
    )
    response = post_comment(signed_in, letter, key, "My careful remark")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This paragraph changed since you opened the page" in page
    assert "My careful remark" in page
    assert count_comments() == 0


def test_a_thread_of_another_letter_is_not_found(signed_in, letter, coordinator):
    other = drafting.create_letter(coordinator, dict(LETTER_TEXT))
    db.session.commit()
    key = paragraph_key(letter, "en", "We write to you.")
    post_comment(signed_in, letter, key, "Remark")
    thread = db.session.scalars(select(Comment)).one()
    assert post_reply(signed_in, other, thread.id, "Reply").status_code == 404
    assert count_comments() == 1


def start_discussion(letter, coordinator):
    """A thread by the coordinator, answered by an Arabic-speaking colleague twice and a third person once."""
    amal = accounts.create_user("amal@example.org", "أمل", PASSWORD, locale="ar")
    ben = accounts.create_user("ben@example.org", "Ben", PASSWORD)
    teams.add_member(letter, amal, LetterRole.REVIEWER, by=coordinator)
    teams.add_member(letter, ben, LetterRole.EDITOR, by=coordinator)
    db.session.commit()
    key = paragraph_key(letter, "en", "1. Release the detainees.")
    thread = commenting.start_thread(letter, key, "Name the prisons?", coordinator)
    commenting.reply(thread, "نعم، صيدنايا على الأقل.", amal)
    commenting.reply(thread, "وعدرا أيضاً.", amal)
    commenting.reply(thread, "Agreed with Amal.", ben)
    db.session.commit()
    return thread, amal, ben


def test_replies_reach_the_other_participants_as_one_digest_each_over_smtp(
    app, letter, coordinator, smtp_server
):
    thread, amal, ben = start_discussion(letter, coordinator)
    wait = timedelta(minutes=app.config["COMMENT_DIGEST_MINUTES"])

    assert commenting.send_comment_digests(now=utcnow()) == {
        "comment_digests": 0
    }  # too soon: a digest, not a flood
    later = utcnow() + wait + timedelta(seconds=1)
    assert commenting.send_comment_digests(now=later) == {"comment_digests": 2}
    assert commenting.send_comment_digests(now=later) == {"comment_digests": 0}

    port, handler = smtp_server
    app.config["SMTP_PORT"] = port
    assert mailing.drain_outbox()["sent"] == 2
    by_recipient = {message["To"]: message for message in handler.messages}
    # Ben wrote the last reply and joined after Amal's: nothing new for him
    assert set(by_recipient) == {"coordinator@example.org", "amal@example.org"}

    to_coordinator = by_recipient["coordinator@example.org"].get_body(("plain",)).get_content()
    assert "3 new replies" in by_recipient["coordinator@example.org"]["Subject"]
    assert "صيدنايا" in to_coordinator and "Agreed with Amal." in to_coordinator
    assert f"/letters/{letter.id}/comments#thread-{thread.id}" in to_coordinator

    to_amal = by_recipient["amal@example.org"]
    assert to_amal["Content-Language"] == "ar"
    amal_text = to_amal.get_body(("plain",)).get_content()
    assert "Agreed with Amal." in amal_text and "صيدنايا" not in amal_text  # not her own replies
    assert "ردّ" in to_amal["Subject"] or "رد" in to_amal["Subject"]

    # a later reply by Amal reaches Ben, who has now joined the thread
    commenting.reply(thread, "شكراً يا بن.", amal)
    db.session.commit()
    assert commenting.send_comment_digests(now=utcnow() + 2 * wait) == {"comment_digests": 2}
    assert mailing.drain_outbox()["sent"] == 2
    assert {message["To"] for message in handler.messages[2:]} == {
        "coordinator@example.org",
        "ben@example.org",
    }


def test_two_workers_racing_send_a_digest_once(app, letter, coordinator):
    start_discussion(letter, coordinator)
    db.session.remove()
    later = utcnow() + timedelta(minutes=app.config["COMMENT_DIGEST_MINUTES"] + 1)
    results = []
    barrier = threading.Barrier(2)

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                results.append(commenting.send_comment_digests(now=later)["comment_digests"])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 2]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


@pytest.mark.usefixtures("smtp_server")
def test_comments_never_reach_what_signatories_or_the_public_see(signed_in, letter, invite, coordinator):
    key = paragraph_key(letter, "en", "We write to you.")
    post_comment(signed_in, letter, key, "INTERNAL-REMARK-7731")
    invitation, link = invite()
    signing_page = signed_in.application.test_client().get(path_of(link)).get_data(as_text=True)
    assert "INTERNAL-REMARK-7731" not in signing_page
    invitation_emails = db.session.scalars(select(OutboxMessage.body_text)).all()
    assert all("INTERNAL-REMARK-7731" not in body for body in invitation_emails)
