"""The organisation directory: search across spellings, the look-alike warning, merging, the CLI."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, insert, select

from letterhub.extensions import db
from letterhub.models import (
    AliasSource,
    AuditEvent,
    Invitation,
    Organization,
    OrganizationAlias,
    OrganizationEmail,
    OrganizationTag,
)
from letterhub.services import directory, inviting
from letterhub.services.imports import folding, storage

from ..conftest import csrf_token, make_app, statements_of_get


def found_ids(search: str = "", tag: str = "") -> set[int]:
    return {o.id for o in directory.directory_page(search=search, tag=tag, per_page=500).organizations}


def add(name_en="", name_ar="", **extra) -> Organization:
    organization = directory.add_organization(name_en=name_en, name_ar=name_ar, by=None, **extra)
    db.session.commit()
    return organization


# --------------------------------------------------------------------------- search


def test_search_matches_arabic_spelling_variants_and_english_case_punctuation_and_the(app):
    archive = add("The Syrian Archive", "الأرشيف السوري")
    women = add("Women Now for Development", "النساء الآن من أجل التنمية")
    add("Other", "منظمة أخرى")

    assert found_ids("syrian archive") == {archive.id}
    assert found_ids("SYRIAN-ARCHIVE.") == {archive.id}
    assert found_ids("الارشيف السوري") == {archive.id}  # no hamza
    assert found_ids("الأرشـيـف السّوري") == {archive.id}  # tatweel, shadda
    assert found_ids("التنميه") == {women.id}  # taa marbuta written haa, partial
    assert found_ids("archive") == {archive.id}  # partial


def test_seed_imports_feed_the_directory_and_a_variant_spelling_finds_the_entry(app, coordinator, seed_text):
    storage.import_letter([seed_text(0), seed_text(1)], author=coordinator)
    storage.import_letter([seed_text(4)], author=coordinator)
    db.session.commit()

    # Seed 001 writes "Syrian Network for Human Rights (SNHR)", seed 004 writes it without the
    # acronym: the import made two entries, and a search under either spelling finds both.
    snhr = set(
        db.session.scalars(
            select(Organization.id).where(Organization.name_en.like("Syrian Network for Human%"))
        )
    )
    assert len(snhr) == 2
    assert found_ids("the syrian network for human rights") == snhr
    assert found_ids("Syrian Network for Human Rights (SNHR)") == snhr

    # A paired entry's Arabic name, spelled without hamzas and with haa for taa marbuta.
    paired = db.session.scalars(
        select(Organization).where(
            Organization.name_en == "Alkawakibi Center For Transitional Justice and Human Rights"
        )
    ).one()
    assert paired.name_ar == "مركز الكواكبي للعدالة الانتقالية وحقوق الإنسان"
    assert found_ids("مركز الكواكبى للعداله الانتقاليه وحقوق الانسان") == {paired.id}

    # An import keeps each published spelling that differs from the entry's names as an alias.
    assert all(alias.source == AliasSource.IMPORT for alias in db.session.scalars(select(OrganizationAlias)))


def test_import_keeps_a_published_spelling_as_an_alias_of_the_entry_it_matched(app, coordinator, seed_text):
    storage.import_letter([seed_text(0), seed_text(1)], author=coordinator)
    db.session.commit()
    entry = db.session.scalars(
        select(Organization).where(
            Organization.name_en == "Alkawakibi Center For Transitional Justice and Human Rights"
        )
    ).one()
    arabic = entry.name_ar
    entry.name_ar = "اسم آخر للشبكة"  # the directory's Arabic name differs from the published one
    db.session.commit()

    storage.import_letter([seed_text(0), seed_text(1)], author=coordinator)
    db.session.commit()

    aliases = db.session.scalars(
        select(OrganizationAlias).where(OrganizationAlias.organization_id == entry.id)
    ).all()
    assert [(a.language, a.spelling, a.source) for a in aliases] == [("ar", arabic, AliasSource.IMPORT)]
    assert found_ids(arabic.replace("إ", "ا")) == {entry.id}


def test_search_finds_an_entry_under_an_alias_and_filters_by_tag(app):
    kept = add("Violations Documentation Center", "مركز توثيق الانتهاكات", tags=["Media", "Idlib partners"])
    other = add("Violation Documentation Centre", "مركز توثيق الإنتهاكات في سوريا")
    add("Someone else", "جهة أخرى", tags=["media"])
    directory.merge_organizations(kept, other, by=None)
    db.session.commit()

    assert found_ids("Violation Documentation Centre") == {kept.id}
    assert found_ids("مركز توثيق الانتهاكات فى سوريا") == {kept.id}  # ى for ي
    assert found_ids(tag="idlib partners") == {kept.id}
    assert len(found_ids(tag="MEDIA")) == 2
    assert found_ids("documentation", tag="media") == {kept.id}


# --------------------------------------------------------------------------- the page


def test_directory_page_is_for_signed_in_coordinators(client, coordinator):
    response = client.get("/organizations/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_directory_page_lists_names_aliases_tags_and_history(signed_in, letter, coordinator):
    invitation = inviting.add_organization(
        letter,
        name_en="Syrian Archive",
        name_ar="الأرشيف السوري",
        email="focal@archive.example",
        language="ar",
        by=coordinator,
    )
    db.session.flush()
    directory.set_tags(invitation.organization, ["media"])
    directory.remember_spellings([(invitation.organization, "en", "Syrian Archives")], AliasSource.MANUAL)
    db.session.commit()

    page = signed_in.get("/organizations/?q=الارشيف").get_data(as_text=True)
    assert "Syrian Archive" in page and "الأرشيف السوري" in page
    assert "Syrian Archives" in page
    assert "focal@archive.example" in page
    assert "media" in page
    assert "Joint letter on detainees" in page and "Pending" in page
    letters_page = signed_in.get("/letters/").get_data(as_text=True)
    assert 'href="/organizations/"' in letters_page


def test_directory_page_in_arabic_names_the_directory_and_history(signed_in, letter, coordinator):
    coordinator.locale = "ar"
    inviting.add_organization(
        letter,
        name_en="Syrian Archive",
        name_ar="الأرشيف السوري",
        email="a@example.org",
        language="ar",
        by=coordinator,
    )
    db.session.commit()
    page = signed_in.get("/organizations/").get_data(as_text=True)
    assert "المنظمات" in page
    assert "رسالة مشتركة بشأن المعتقلين" in page


def test_directory_page_runs_the_same_queries_at_2000_organisations_as_at_50(signed_in, letter, coordinator):
    def fill(start: int, count: int) -> None:
        rows = [
            {
                "name_en": f"Organisation {n:04d}",
                "name_ar": f"منظمة {n:04d}",
                "name_en_key": f"organisation {n:04d}",
                "name_ar_key": f"منظمه {n:04d}",
                "name_en_folded": folding.name_key(f"Organisation {n:04d}"),
                "name_ar_folded": folding.name_key(f"منظمة {n:04d}"),
                "country": "Syria",
            }
            for n in range(start, start + count)
        ]
        db.session.execute(insert(Organization), rows)
        ids = db.session.scalars(
            select(Organization.id).where(Organization.name_en.in_([r["name_en"] for r in rows]))
        )
        ids = list(ids)
        db.session.execute(
            insert(OrganizationAlias),
            [
                {
                    "organization_id": i,
                    "language": "en",
                    "spelling": f"Org {i}",
                    "key": f"org {i}",
                    "source": AliasSource.IMPORT,
                }
                for i in ids
            ],
        )
        db.session.execute(
            insert(OrganizationTag), [{"organization_id": i, "name": "media", "key": "media"} for i in ids]
        )
        db.session.execute(
            insert(OrganizationEmail),
            [
                {
                    "organization_id": i,
                    "email": f"{kind}{i}@example.org",
                    "key": f"{kind}{i}@example.org",
                    "is_primary": kind == "o",
                }
                for i in ids
                for kind in ("o", "p")
            ],
        )
        db.session.execute(
            insert(Invitation),
            [
                {"letter_id": letter.id, "organization_id": i, "email": "x@example.org", "language": "ar"}
                for i in ids
            ],
        )
        db.session.commit()

    fill(0, 50)
    at_50 = (
        statements_of_get(signed_in, "/organizations/"),
        statements_of_get(signed_in, "/organizations/?q=organisation&tag=media"),
    )
    fill(50, 1950)
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 2000
    at_2000 = (
        statements_of_get(signed_in, "/organizations/"),
        statements_of_get(signed_in, "/organizations/?q=organisation&tag=media"),
    )
    assert at_2000 == at_50
    assert max(at_2000) <= 20


# --------------------------------------------------------------------------- adding


def test_adding_a_look_alike_warns_offers_the_existing_entry_and_adds_on_add_anyway(signed_in):
    existing = add("Syrian Archive", "الأرشيف السوري")
    form = {
        "name_en": "",
        "name_ar": "الارشيف السوري",  # no hamza: the same name once folded
        "email": "new@example.org",
        "country": "Syria",
        "tags": "media, Idlib partners",
        "csrf_token": csrf_token(signed_in, "/organizations/new"),
    }
    warned = signed_in.post("/organizations/new", data=form)
    assert warned.status_code == 200
    page = warned.get_data(as_text=True)
    assert f"#organization-{existing.id}" in page
    assert 'value="new@example.org"' in page and 'name="add_anyway" value="1"' in page
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 1

    added = signed_in.post("/organizations/new", data={**form, "add_anyway": "1"})
    assert added.status_code == 302
    new = db.session.scalars(select(Organization).where(Organization.id != existing.id)).one()
    assert (new.name_ar, new.email, new.country) == ("الارشيف السوري", "new@example.org", "Syria")
    assert sorted(tag.name for tag in new.tags) == ["Idlib partners", "media"]


def test_adding_an_entry_unlike_any_other_adds_it_at_once(signed_in):
    add("Syrian Archive", "الأرشيف السوري")
    response = signed_in.post(
        "/organizations/new",
        data={"name_en": "The Day After", "csrf_token": csrf_token(signed_in, "/organizations/new")},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 2


def test_adding_without_a_name_is_refused_in_the_readers_language_with_the_form_kept(signed_in, coordinator):
    coordinator.locale = "ar"
    db.session.commit()
    response = signed_in.post(
        "/organizations/new",
        data={
            "email": "not-an-email",
            "country": "سوريا",
            "csrf_token": csrf_token(signed_in, "/organizations/new"),
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="سوريا"' in page and 'value="not-an-email"' in page
    assert "أعط اسم المنظمة بلغة واحدة على الأقل" in page or re.search("اسم المنظمة", page)
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 0


# --------------------------------------------------------------------------- merging


def test_merge_moves_invitations_aliases_and_tags_deletes_the_other_and_is_audited(
    signed_in, letter, coordinator
):
    kept = add("Syrian Archive", "الأرشيف السوري", tags=["media"])
    other = add("Syrian Archives", "أرشيف سوريا", email="other@example.org", tags=["Idlib partners"])
    directory.remember_spellings([(other, "en", "Archive of Syria")], AliasSource.MANUAL)
    invitation = inviting.add_organization(
        letter,
        name_en="Syrian Archives",
        name_ar="",
        email="other@example.org",
        language="en",
        by=coordinator,
    )
    db.session.commit()
    assert invitation.organization_id == other.id
    kept_id, other_id = kept.id, other.id

    confirmation = signed_in.get(f"/organizations/merge?keep={kept_id}&other={other_id}")
    assert confirmation.status_code == 200
    token = csrf_token(signed_in, f"/organizations/merge?keep={kept_id}&other={other_id}")
    unconfirmed = signed_in.post(
        "/organizations/merge", data={"keep": kept_id, "other": other_id, "csrf_token": token}
    )
    assert unconfirmed.status_code == 422
    assert db.session.get(Organization, other_id) is not None

    merged = signed_in.post(
        "/organizations/merge", data={"keep": kept_id, "other": other_id, "confirm": "y", "csrf_token": token}
    )
    assert merged.status_code == 302
    assert db.session.get(Organization, other_id) is None
    kept = db.session.get(Organization, kept_id)
    assert db.session.get(Invitation, invitation.id).organization_id == kept_id
    assert {a.spelling for a in kept.aliases} == {"Syrian Archives", "أرشيف سوريا", "Archive of Syria"}
    assert {a.source for a in kept.aliases if a.spelling != "Archive of Syria"} == {AliasSource.MERGE}
    assert sorted(t.name for t in kept.tags) == ["Idlib partners", "media"]
    assert kept.email == "other@example.org"  # kept had none
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organization.merged")).one()
    assert event.details["kept"] == kept_id and event.details["merged"] == other_id
    assert event.user_id == coordinator.id


def test_merge_is_refused_when_both_entries_are_on_one_letters_list(signed_in, letter, coordinator):
    first = inviting.add_organization(
        letter, name_en="Syrian Archive", name_ar="", email="a@example.org", language="en", by=coordinator
    )
    second = inviting.add_organization(
        letter, name_en="Syrian Archives", name_ar="", email="b@example.org", language="en", by=coordinator
    )
    db.session.commit()
    keep_id, other_id = first.organization_id, second.organization_id
    page = signed_in.get(f"/organizations/merge?keep={keep_id}&other={other_id}").get_data(as_text=True)
    assert 'id="merge-conflict"' in page
    token = csrf_token(signed_in, f"/organizations/merge?keep={keep_id}&other={other_id}")
    response = signed_in.post(
        "/organizations/merge", data={"keep": keep_id, "other": other_id, "confirm": "y", "csrf_token": token}
    )
    assert response.status_code == 409
    assert db.session.get(Organization, other_id) is not None
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "organization.merged")
        )
        == 0
    )


# --------------------------------------------------------------------------- CLI


def test_cli_lists_json_lines_by_search_and_tag_and_merges(runner):
    kept = add("Syrian Archive", "الأرشيف السوري", tags=["media"])
    other = add("The Syrian Archive", "", tags=["Idlib partners"])
    add("Someone else", "")
    kept_id, other_id = kept.id, other.id

    listed = runner.invoke(args=["organizations", "list", "--search", "الارشيف"])
    assert listed.exit_code == 0, listed.output
    lines = [json.loads(line) for line in listed.output.splitlines()]
    assert [line["id"] for line in lines] == [kept_id]
    assert lines[0]["name_ar"] == "الأرشيف السوري" and lines[0]["tags"] == ["media"]

    tagged = runner.invoke(args=["organizations", "list", "--tag", "idlib partners"])
    assert [json.loads(line)["id"] for line in tagged.output.splitlines()] == [other_id]
    everyone = runner.invoke(args=["organizations", "list"])
    assert len(everyone.output.splitlines()) == 3

    merged = runner.invoke(args=["organizations", "merge", str(kept_id), str(other_id)])
    assert merged.exit_code == 0, merged.output
    db.session.expire_all()
    assert db.session.get(Organization, other_id) is None
    assert sorted(t.name for t in db.session.get(Organization, kept_id).tags) == ["Idlib partners", "media"]
    again = runner.invoke(args=["organizations", "merge", str(kept_id), str(other_id)])
    assert again.exit_code != 0


# --------------------------------------------------------------------------- migration


def test_migration_fills_folded_keys_and_import_aliases_and_reverts(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        upgrade(revision="0006_organization_name_keys")
        now = datetime.now(UTC)
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO organizations (id, name_en, name_ar, email, created_at, name_en_key, name_ar_key) "
                    "VALUES (1, 'The Syrian Archive', 'الأرشيف السوري', '', :now, 'the syrian archive', 'الأرشيف السوري')"
                ),
                {"now": now},
            )
        upgrade(revision="0007_organization_directory")
        organization = db.session.get(Organization, 1)
        assert organization.name_en_folded == "syrian archive"
        assert organization.name_ar_folded == "الارشيف السوري"
        assert organization.country == ""
        db.session.remove()
        downgrade(revision="0006_organization_name_keys")
        inspector = sa.inspect(db.engine)
        assert "organization_aliases" not in inspector.get_table_names()
        assert "name_en_folded" not in {c["name"] for c in inspector.get_columns("organizations")}
        downgrade(revision="base")
        db.session.remove()
        db.engine.dispose()


def test_directory_page_title_is_plain_and_an_arabic_only_entry_has_a_row_header(signed_in, letter):
    """The page's <title> holds its name only (the "invite everyone who confirmed" form once sat
    inside it as well), and an organisation known only in Arabic still heads its row for screen
    readers (axe: empty-table-header)."""
    arabic_only = add(name_ar="شبكة حراس")
    page = signed_in.get("/organizations/").get_data(as_text=True)
    assert re.search(r"<title>\s*Organisations · letterhub\s*</title>", page)
    assert page.count('class="invite-confirmed"') == 1
    row = re.search(rf'<tr id="organization-{arabic_only.id}">(.*?)</tr>', page, re.S).group(1)
    header = re.search(r'<th scope="row"[^>]*>(.*?)</th>', row, re.S).group(1)
    assert 'lang="ar"' in header and "شبكة حراس" in header
