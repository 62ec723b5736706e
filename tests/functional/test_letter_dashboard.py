"""The letter page as a campaign dashboard: counts, a filtered, searched, paged invitation list,
and a cost that does not grow with the list (2,000 invitations cost the queries of 50)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from letterhub.extensions import db
from letterhub.models import (
    Decision,
    Invitation,
    InvitationState,
    Organization,
    OutboxMessage,
    OutboxStatus,
    Signature,
)
from letterhub.models.types import utcnow
from letterhub.services import directory, drafting, inviting

from ..conftest import LETTER_TEXT, counted_queries, csrf_token, make_app


def fetch(client, path: str) -> tuple[str, int, float]:
    db.session.expire_all()
    with counted_queries() as statements:
        started = time.perf_counter()
        response = client.get(path)
        seconds = time.perf_counter() - started
    assert response.status_code == 200
    return response.get_data(as_text=True), len(statements), seconds


def fill_list(letter, count: int, *, start: int = 0) -> list[Invitation]:
    """``count`` invitations, in every state the page shows, with their emails."""
    revision = letter.current_revision
    organizations = [
        Organization(name_en=f"Organisation {n:04d}", name_ar=f"منظمة {n:04d}", email=f"focal{n}@example.org")
        for n in range(start, start + count)
    ]
    db.session.add_all(organizations)
    db.session.flush()
    invitations = [
        Invitation(letter=letter, organization=o, email=o.email, language="ar", token_hash=f"{o.id:064d}")
        for o in organizations
    ]
    db.session.add_all(invitations)
    db.session.flush()
    for n, invitation in enumerate(invitations):
        kind = n % 5
        failed = kind == 4
        db.session.add(
            OutboxMessage(
                recipient=invitation.email,
                subject="Invitation",
                body_text="sent",
                invitation=invitation,
                status=OutboxStatus.FAILED if failed else OutboxStatus.SENT,
                last_error="550 5.1.1 No such user" if failed else "",
                attempts=1,
            )
        )
        if kind in (1, 2):
            invitation.state = InvitationState.CONFIRMED if kind == 1 else InvitationState.DECLINED
            invitation.opened_at = utcnow()
            db.session.add(
                Signature(
                    letter_id=letter.id,
                    organization_id=invitation.organization_id,
                    invitation=invitation,
                    revision_id=revision.id,
                    revision_sha256=revision.content_sha256,
                    decision=Decision.CONFIRMED if kind == 1 else Decision.DECLINED,
                    name_en=invitation.organization.name_en,
                    name_ar=invitation.organization.name_ar,
                )
            )
        elif kind == 3:
            invitation.state = InvitationState.OPENED
            invitation.opened_at = utcnow()
    db.session.commit()
    return invitations


def shown_rows(page: str) -> list[str]:
    return re.findall(r'<tr data-invitation="(\d+)"', page)


def count_on(page: str, name: str) -> int:
    match = re.search(rf'<dd data-count="{name}">(\d+)</dd>', page)
    assert match, name
    return int(match.group(1))


def test_letter_page_runs_the_same_few_queries_with_2000_invitations_as_with_50(signed_in, letter):
    """Queries and size, which do not depend on the machine; the time is benchmarks/letter_page.py's."""
    show = f"/letters/{letter.id}"
    fill_list(letter, 50)
    fetch(signed_in, show)  # warm up templates and caches
    page_50, queries_50, _seconds = fetch(signed_in, show)
    fill_list(letter, 1950, start=50)
    page_2000, queries_2000, _seconds = fetch(signed_in, show)

    assert queries_2000 == queries_50 <= 20
    assert len(page_2000.encode()) <= 300_000
    assert len(shown_rows(page_2000)) == 100
    assert count_on(page_2000, "invited") == 2000
    assert len(shown_rows(page_50)) == 50


def test_counts_at_the_top_come_from_every_invitation_not_just_the_page(signed_in, letter):
    invitations = fill_list(letter, 230)
    inviting.revoke_invitation(invitations[0])  # kind 0: pending, sent
    db.session.commit()
    page, _queries, _seconds = fetch(signed_in, f"/letters/{letter.id}")
    # of 230: 46 per kind; the revoked one counts only as revoked
    assert count_on(page, "invited") == 229
    assert count_on(page, "sent") == 46 * 4 - 1
    assert count_on(page, "failed") == 46
    assert count_on(page, "confirmed") == 46
    assert count_on(page, "declined") == 46
    assert count_on(page, "opened") == 46 * 3
    assert count_on(page, "not-answered") == 46 * 3 - 1
    assert count_on(page, "revoked") == 1


@pytest.mark.parametrize(
    ("state", "kinds"),
    [
        ("confirmed", {1}),
        ("declined", {2}),
        ("opened", {3}),
        ("not-answered", {0, 3, 4}),
        ("failed", {4}),
        ("all", {0, 1, 2, 3, 4}),
    ],
)
def test_filter_by_state_shows_exactly_the_invitations_in_that_state(signed_in, letter, state, kinds):
    invitations = fill_list(letter, 40)
    expected = [str(i.id) for n, i in enumerate(invitations) if n % 5 in kinds]
    page, _queries, _seconds = fetch(signed_in, f"/letters/{letter.id}?state={state}")
    assert shown_rows(page) == expected


def test_search_finds_organisations_by_part_of_either_name_or_the_email(signed_in, letter):
    invitations = fill_list(letter, 30)
    show = f"/letters/{letter.id}"
    page, _q, _s = fetch(signed_in, f"{show}?q=organisation+0017")
    assert shown_rows(page) == [str(invitations[17].id)]
    page, _q, _s = fetch(signed_in, f"{show}?q=ORGANISATION+001")  # any case, part of the name
    assert shown_rows(page) == [str(i.id) for i in invitations[10:20]]
    page, _q, _s = fetch(signed_in, f"{show}?q=منظمة 0021")
    assert shown_rows(page) == [str(invitations[21].id)]
    page, _q, _s = fetch(signed_in, f"{show}?q=focal3@")
    assert shown_rows(page) == [str(invitations[3].id)]
    page, _q, _s = fetch(signed_in, f"{show}?q=100%25")  # a LIKE wildcard is a plain character
    assert shown_rows(page) == []
    assert "No invitation matches." in page


def test_search_and_filter_combine_and_pages_keep_them(signed_in, letter):
    invitations = fill_list(letter, 300)
    show = f"/letters/{letter.id}"
    page, _q, _s = fetch(signed_in, f"{show}?state=confirmed&q=organisation+00")
    # organisations 0000..0099 of kind 1: 20 of them
    assert shown_rows(page) == [str(i.id) for n, i in enumerate(invitations[:100]) if n % 5 == 1]
    first, _q, _s = fetch(signed_in, show)
    second, _q, _s = fetch(signed_in, f"{show}?page=2")
    last, _q, _s = fetch(signed_in, f"{show}?page=99")  # past the end: the last page
    assert shown_rows(first) == [str(i.id) for i in invitations[:100]]
    assert shown_rows(second) == [str(i.id) for i in invitations[100:200]]
    assert shown_rows(last) == [str(i.id) for i in invitations[200:]]
    assert f'href="/letters/{letter.id}?page=2#invitations"' in first
    filtered, _q, _s = fetch(signed_in, f"{show}?state=not-answered&q=organisation")
    assert f"/letters/{letter.id}?state=not-answered&amp;q=organisation&amp;page=2#invitations" in filtered


def test_the_dashboard_is_in_the_readers_language_with_a_labelled_filter_and_a_real_table(signed_in, letter):
    fill_list(letter, 5)
    page, _q, _s = fetch(signed_in, f"/letters/{letter.id}?lang=ar")
    assert 'dir="rtl"' in page and "Search by name or email" not in page and "Not answered" not in page
    assert re.search(r'<label for="invitation-state">', page) and 'id="invitation-state"' in page
    assert re.search(r'<label for="invitation-search">', page) and 'id="invitation-search"' in page
    assert '<th scope="col"' in page
    first = shown_rows(page)[0]
    assert f'<th scope="row" id="organization-{first}"' in page
    assert f'aria-describedby="organization-{first}"' in page  # the row's buttons name their organisation


def test_adding_an_organisation_runs_the_same_queries_with_2000_on_the_list_as_with_50(
    app, letter, coordinator
):
    def add(name: str) -> int:
        db.session.commit()
        db.session.expire_all()
        with counted_queries() as statements:
            inviting.add_organization(
                letter, name_en=name, name_ar="", email="new@example.org", language="en", by=coordinator
            )
        db.session.commit()
        return len(statements)

    fill_list(letter, 50)
    at_50 = add("Newcomer one")
    fill_list(letter, 1950, start=50)
    at_2000 = add("Newcomer two")
    assert at_2000 == at_50


def test_a_name_already_on_the_list_is_refused_in_any_case_spacing_or_language(app, letter, coordinator):
    fill_list(letter, 20)
    for name_en, name_ar in [("  organisation   0007 ", ""), ("", "منظمة 0008"), ("ORGANISATION 0009", "x")]:
        with pytest.raises(inviting.DuplicateOrganization):
            inviting.add_organization(
                letter, name_en=name_en, name_ar=name_ar, email="a@example.org", language="en", by=coordinator
            )
    added = inviting.add_organization(
        letter, name_en="Organisation 0020", name_ar="", email="a@example.org", language="en", by=coordinator
    )
    assert added.organization.name_en_key == "organisation 0020"


def test_migration_fills_in_the_name_keys_of_existing_organisations(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    organizations = sa.table(
        "organizations", *(sa.column(name) for name in ("id", "name_en", "name_ar", "email", "created_at"))
    )
    with app.app_context():
        upgrade(revision="0005_deadline_moment")
        with db.engine.begin() as connection:
            connection.execute(
                organizations.insert().values(
                    id=1,
                    name_en="  Syrian\u200e  ARCHIVE ",
                    name_ar="الأرشيف  السوري",
                    email="",
                    created_at=datetime.now(UTC),
                )
            )
        upgrade(revision="0006_organization_name_keys")
        # Read as a table, not through the model: later migrations add columns to it.
        keys = sa.table("organizations", sa.column("id"), sa.column("name_en_key"), sa.column("name_ar_key"))
        stored = db.session.execute(
            sa.select(keys.c.name_en_key, keys.c.name_ar_key).where(keys.c.id == 1)
        ).one()
        assert stored.name_en_key == "syrian archive"
        assert stored.name_ar_key == "الأرشيف السوري"
        db.session.remove()
        downgrade(revision="0005_deadline_moment")
        assert "name_en_key" not in {c["name"] for c in sa.inspect(db.engine).get_columns("organizations")}
        downgrade(revision="base")
        db.session.remove()
        db.engine.dispose()


def test_language_and_tag_filters_keep_only_those_invitations(signed_in, letter):
    invitations = fill_list(letter, 20)
    for invitation in invitations[:5]:
        invitation.language = "en"
    directory.set_tags(invitations[7].organization, ["Idlib partners"])
    directory.set_tags(invitations[9].organization, ["idlib partners", "media"])
    db.session.commit()
    show = f"/letters/{letter.id}"
    page, _q, _s = fetch(signed_in, f"{show}?language=en")
    assert shown_rows(page) == [str(i.id) for i in invitations[:5]]
    page, _q, _s = fetch(signed_in, f"{show}?tag=Idlib+partners")
    assert shown_rows(page) == [str(invitations[7].id), str(invitations[9].id)]
    assert '<option value="media">media</option>' in page
    page, _q, _s = fetch(signed_in, f"{show}?tag=media&language=en")
    assert shown_rows(page) == []


def test_search_matches_arabic_spelling_variants_as_the_directory_does(signed_in, letter):
    invitations = fill_list(letter, 3)
    invitations[1].organization.name_ar = "شبكة الإغاثة"
    db.session.commit()
    page, _q, _s = fetch(signed_in, f"/letters/{letter.id}?q=شبكه الاغاثه")
    assert shown_rows(page) == [str(invitations[1].id)]


@pytest.mark.parametrize("sort", ["name", "state", "answered", "opened"])
def test_sorting_orders_the_whole_list_not_just_the_page(signed_in, letter, sort):
    invitations = fill_list(letter, 150)
    page, _q, _s = fetch(signed_in, f"/letters/{letter.id}?sort={sort}")
    rows = [int(row) for row in shown_rows(page)]
    by_id = {i.id: i for i in invitations}
    if sort == "name":
        names = [by_id[row].organization.name_en for row in rows]
        assert names == sorted(names) and len(rows) == 100
    elif sort == "state":
        # confirmed (kind 1) first, then declined (2), opened (3), then the rest
        kinds = [invitations.index(by_id[row]) % 5 for row in rows]
        assert kinds[:30] == [1] * 30 and kinds[30:60] == [2] * 30 and kinds[60:90] == [3] * 30
    else:
        # the rows that were answered (or opened) come first, the others after
        flagged = {1, 2} if sort == "answered" else {1, 2, 3}
        kinds = [invitations.index(by_id[row]) % 5 for row in rows]
        first_other = next(n for n, kind in enumerate(kinds) if kind not in flagged)
        assert all(kind not in flagged for kind in kinds[first_other:])
        assert first_other == 30 * len(flagged)


def test_each_row_shows_when_it_was_sent_opened_and_answered_and_by_whom(signed_in, letter):
    invitations = fill_list(letter, 5)
    signature = invitations[2].signature  # kind 2: declined
    signature.signer_name, signature.signer_role = "Hadi", "Director"
    signature.decline_reason = "Our board has not met."
    invitations[2].messages[-1].sent_at = utcnow()
    db.session.commit()
    page, _q, _s = fetch(signed_in, f"/letters/{letter.id}")
    row = re.search(rf'<tr data-invitation="{invitations[2].id}"[^>]*>.*?</tr>', page, re.S).group(0)
    assert "Hadi" in row and "Director" in row and "Our board has not met." in row
    assert 'class="muted answered-at"' in row and 'class="muted sent-at"' in row and "Opened" in row


def selection_post(client, letter, action: str, invitations, **extra):
    show = f"/letters/{letter.id}"
    data = {
        "csrf_token": csrf_token(client, show),
        "action": action,
        "invitation_ids": [str(i.id) for i in invitations],
        **extra,
    }
    return client.post(f"{show}/invitations/selection", data=data)


def test_bulk_send_sends_only_the_unsent_and_says_what_it_skipped(signed_in, letter, coordinator):
    unsent = [
        inviting.add_organization(
            letter,
            name_en=f"New {n}",
            name_ar=f"جديدة {n}",
            email=f"new{n}@example.org",
            language="ar",
            by=coordinator,
        )
        for n in range(3)
    ]
    sent = fill_list(letter, 2)  # already sent
    db.session.commit()
    response = selection_post(
        signed_in, letter, "send", [*unsent, *sent], back=f"/letters/{letter.id}?state=not-sent"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/letters/{letter.id}?state=not-sent"
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 invitations queued for sending." in page and "2 selected organisations were left alone" in page
    db.session.expire_all()
    assert all(i.token_hash is not None for i in unsent)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.invitation_id.in_([i.id for i in unsent]))
        )
        == 3
    )


def test_bulk_revoke_asks_first_then_revokes_only_the_selection(signed_in, letter):
    invitations = fill_list(letter, 6)
    chosen = invitations[:2]
    response = selection_post(signed_in, letter, "revoke", chosen)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Revoke 2 invitations" in page and chosen[0].organization.name_en in page
    db.session.expire_all()
    assert all(i.state != InvitationState.REVOKED for i in invitations)  # nothing yet

    response = selection_post(signed_in, letter, "revoke", chosen, confirmed="1")
    assert response.status_code == 302
    db.session.expire_all()
    assert [i.state == InvitationState.REVOKED for i in invitations] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_a_selection_cannot_reach_another_letters_invitations_or_leave_the_site(
    signed_in, letter, coordinator
):
    other = drafting.create_letter(coordinator, dict(LETTER_TEXT))
    db.session.commit()
    theirs = fill_list(other, 2)
    response = selection_post(
        signed_in, letter, "revoke", theirs, confirmed="1", back="https://evil.example/"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/letters/{letter.id}#invitations"
    db.session.expire_all()
    assert all(i.state != InvitationState.REVOKED for i in theirs)


def test_the_letters_list_shows_each_letters_counts_and_deadline_in_few_queries(
    signed_in, letter, coordinator
):
    fill_list(letter, 10)  # 2 of each kind
    letter.deadline = datetime(2026, 12, 15, 21, 59, tzinfo=UTC)
    letter.deadline_timezone = "Asia/Damascus"
    for _n in range(5):
        drafting.create_letter(coordinator, dict(LETTER_TEXT))
    db.session.commit()
    page, queries_6, _s = fetch(signed_in, "/letters/")
    row = re.search(rf'<tr data-letter="{letter.id}"[^>]*>.*?</tr>', page, re.S).group(0)
    assert re.search(r'data-count="invited">10<', row) and re.search(r'data-count="confirmed">2<', row)
    assert re.search(r'data-count="declined">2<', row) and re.search(r'data-count="not-answered">6<', row)
    assert "December" in row and "2026" in row
    for _n in range(20):
        drafting.create_letter(coordinator, dict(LETTER_TEXT))
    db.session.commit()
    _page, queries_26, _s = fetch(signed_in, "/letters/")
    assert queries_26 - queries_6 <= 20  # one title query per letter at most, no list per letter


def test_a_rows_times_are_in_the_letters_zone_with_the_month_in_words(signed_in, letter, coordinator):
    """12/1/26, 8:30 AM (UTC, the zone unsaid) beside a reminder at 11:30 Damascus time read as
    the 12th of January to most of a coalition: every time on the list is now in the letter's
    zone, named above the list, the month in words (in Arabic, with Arabic-Indic digits)."""
    invitations = fill_list(letter, 5)
    letter.deadline_timezone = "Asia/Damascus"
    invitations[2].messages[-1].sent_at = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    db.session.commit()
    page, _q, _s = fetch(signed_in, f"/letters/{letter.id}")
    row = re.search(rf'<tr data-invitation="{invitations[2].id}"[^>]*>.*?</tr>', page, re.S).group(0)
    assert re.search(r'class="muted sent-at">1 Dec 2026, 11:30<', row), row
    assert "Times in the Asia/Damascus time zone." in page
    coordinator.locale = "ar"
    db.session.commit()
    page, _q, _s = fetch(signed_in, f"/letters/{letter.id}")
    row = re.search(rf'<tr data-invitation="{invitations[2].id}"[^>]*>.*?</tr>', page, re.S).group(0)
    assert 'class="muted sent-at">١ ديسمبر ٢٠٢٦، ١١:٣٠<' in row, row
