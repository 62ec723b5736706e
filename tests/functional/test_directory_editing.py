"""Editing a directory entry on its page and from the command line: names, other spellings,
emails, country and tags, with the add form's checks; a closed letter's list is not rewritten."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import (
    AliasSource,
    AuditEvent,
    Invitation,
    Organization,
    OrganizationAlias,
)
from letterhub.services import bulk_inviting, directory, finalizing, publishing
from letterhub.services.bulk_inviting import LineStatus

from ..conftest import answer, csrf_token, database_fingerprint, statements_of_get
from .test_bulk_invite import upload
from .test_organization_emails import add, addresses


def edit_form(organization: Organization, **changes) -> dict:
    """What the edit page posts when the coordinator changes ``changes`` and nothing else."""
    primary = organization.primary_email
    form = {
        "name_en": organization.name_en,
        "name_ar": organization.name_ar,
        "country": organization.country,
        "tags": ", ".join(tag.name for tag in organization.tags),
        "primary_email": primary.key if primary else "",
    }
    form.update(changes)
    return form


def post_edit(client, organization: Organization, **changes):
    path = f"/organizations/{organization.id}/edit"
    data = {**edit_form(organization, **changes), "csrf_token": csrf_token(client, path)}
    return client.post(path, data=data)


def edit_events() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "organization.edited").order_by(AuditEvent.id)
        )
    )


# --------------------------------------------------------------------------- editing on the page


def test_editing_each_field_saves_it_and_audits_what_changed(signed_in, coordinator):
    entry = add(
        "Syrian Archive", "الأرشيف السوري", email="focal@archive.example", country="Syria", tags=["media"]
    )
    directory.remember_spellings([(entry, "en", "Syrian Archives")], AliasSource.IMPORT)
    db.session.commit()
    page = signed_in.get(f"/organizations/{entry.id}/edit")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="Syrian Archive"' in text and "Syrian Archives" in text and "focal@archive.example" in text
    alias = entry.aliases[0]

    response = post_edit(
        signed_in,
        entry,
        name_en="Mnemonic",
        name_ar="منيمونيك",
        country="Germany",
        tags="media, Idlib partners",
        email="Lina@Mnemonic.example",
        new_email_primary="y",
        remove_aliases=str(alias.id),
        alias_en="Syrian Archive",
        alias_ar="الأرشيف السوري",
    )
    assert response.status_code == 302
    assert f"#organization-{entry.id}" in response.headers["Location"]
    db.session.expire_all()
    entry = db.session.get(Organization, entry.id)
    assert (entry.name_en, entry.name_ar, entry.country) == ("Mnemonic", "منيمونيك", "Germany")
    assert entry.name_en_folded == "mnemonic"  # the search keys follow the name
    assert sorted(tag.name for tag in entry.tags) == ["Idlib partners", "media"]
    assert addresses(entry.id) == [("Lina@Mnemonic.example", True), ("focal@archive.example", False)]
    assert {(a.language, a.spelling, a.source) for a in entry.aliases} == {
        ("en", "Syrian Archive", AliasSource.MANUAL),
        ("ar", "الأرشيف السوري", AliasSource.MANUAL),
    }
    assert {o.id for o in directory.directory_page(search="الارشيف السوري").organizations} == {entry.id}

    (event,) = edit_events()
    assert event.user_id == coordinator.id and event.organization_id == entry.id
    assert event.details["changes"] == {
        "name_en": {"from": "Syrian Archive", "to": "Mnemonic"},
        "name_ar": {"from": "الأرشيف السوري", "to": "منيمونيك"},
        "country": {"from": "Syria", "to": "Germany"},
        "tags": {"added": ["Idlib partners"], "removed": []},
        "emails": {"added": ["Lina@Mnemonic.example"], "removed": []},
        "primary_email": {"from": "focal@archive.example", "to": "Lina@Mnemonic.example"},
        "aliases": {"added": ["Syrian Archive", "الأرشيف السوري"], "removed": ["Syrian Archives"]},
    }


def test_making_another_address_primary_and_removing_one(signed_in):
    entry = add("Syrian Archive", email="a@archive.example")
    entry.add_email("b@archive.example")
    entry.add_email("c@archive.example")
    db.session.commit()
    response = post_edit(
        signed_in, entry, primary_email="b@archive.example", remove_emails="a@archive.example"
    )
    assert response.status_code == 302
    assert addresses(entry.id) == [("b@archive.example", True), ("c@archive.example", False)]
    (event,) = edit_events()
    assert event.details["changes"] == {
        "emails": {"added": [], "removed": ["a@archive.example"]},
        "primary_email": {"from": "a@archive.example", "to": "b@archive.example"},
    }


def test_saving_without_a_change_writes_no_event(signed_in):
    entry = add("Syrian Archive", email="a@archive.example", tags=["media"])
    response = post_edit(signed_in, entry)
    assert response.status_code == 302
    assert edit_events() == []
    assert "Nothing was changed." in signed_in.get(response.headers["Location"]).get_data(as_text=True)


def test_a_bad_email_is_refused_in_the_readers_language_with_the_form_filled_and_nothing_saved(
    signed_in, coordinator
):
    coordinator.locale = "ar"
    db.session.commit()
    entry = add("Syrian Archive", "الأرشيف السوري", email="a@archive.example")
    before = database_fingerprint()
    response = post_edit(
        signed_in, entry, name_en="Renamed", country="سوريا", email="not-an-email", alias_ar="أرشيف سوريا"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Renamed"' in page and 'value="سوريا"' in page and 'value="not-an-email"' in page
    assert 'value="أرشيف سوريا"' in page
    assert "هذا ليس عنوان بريد إلكتروني صالحًا." in page
    assert 'class="error-summary"' in page
    assert database_fingerprint() == before  # no name, alias, address or event written


def test_removing_both_names_or_the_primary_among_several_is_refused(signed_in):
    entry = add("Syrian Archive", email="a@archive.example")
    entry.add_email("b@archive.example")
    entry.add_email("c@archive.example")
    db.session.commit()
    before = database_fingerprint()
    nameless = post_edit(signed_in, entry, name_en="", name_ar="")
    assert nameless.status_code == 422
    assert "name in at least one language." in nameless.get_data(as_text=True)

    # a is removed and is still the primary chosen: which of b and c is primary now?
    ambiguous = post_edit(signed_in, entry, remove_emails="a@archive.example")
    assert ambiguous.status_code == 422
    assert "Choose which of the addresses you keep is the primary one." in ambiguous.get_data(as_text=True)
    tampered = post_edit(signed_in, entry, primary_email="someone@else.example")
    assert tampered.status_code == 422
    assert database_fingerprint() == before

    # With one address left, it is the primary without asking.
    post_edit(signed_in, entry, remove_emails="b@archive.example")
    entry = db.session.get(Organization, entry.id)
    response = post_edit(signed_in, entry, remove_emails="a@archive.example")
    assert response.status_code == 302
    assert addresses(entry.id) == [("c@archive.example", True)]


def test_a_new_name_like_another_entry_warns_offers_it_and_saves_on_save_anyway(signed_in):
    other = add("Women Now for Development", "النساء الآن من أجل التنمية")
    entry = add("Women Now", "")
    before = database_fingerprint()
    warned = post_edit(signed_in, entry, name_ar="النساء الان من اجل التنميه", country="Syria")
    assert warned.status_code == 200
    page = warned.get_data(as_text=True)
    assert f"#organization-{other.id}" in page
    assert f"/organizations/merge?keep={other.id}&amp;other={entry.id}" in page
    assert 'name="add_anyway" value="1"' in page and 'value="Syria"' in page
    assert database_fingerprint() == before  # the warning saved nothing

    saved = post_edit(signed_in, entry, name_ar="النساء الان من اجل التنميه", country="Syria", add_anyway="1")
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, entry.id).name_ar == "النساء الان من اجل التنميه"
    # Editing something else of an entry whose name is unchanged warns of nothing.
    assert post_edit(signed_in, db.session.get(Organization, entry.id), country="Lebanon").status_code == 302


def test_a_replaced_name_stays_an_alias_so_search_and_csv_imports_still_find_the_entry(
    signed_in, letter, coordinator
):
    entry = add("Syrian Archive", "الأرشيف السوري", email="a@archive.example")
    entry_id = entry.id
    response = post_edit(signed_in, entry, name_en="Mnemonic", name_ar="منيمونيك")
    assert response.status_code == 302
    flashed = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert '<p class="flash flash-success" role="status">The entry is saved.</p>' in flashed
    assert (
        '<p class="flash flash-info" role="status">The name it replaced stays as another spelling' in flashed
    )
    db.session.expire_all()
    entry = db.session.get(Organization, entry_id)
    assert [(a.language, a.spelling, a.source) for a in entry.aliases] == [
        ("en", "Syrian Archive", AliasSource.RENAME),
        ("ar", "الأرشيف السوري", AliasSource.RENAME),
    ]
    (event,) = edit_events()
    assert event.details["changes"]["former_names_kept"] == ["Syrian Archive", "الأرشيف السوري"]
    assert event.details["changes"]["aliases"] == {
        "added": ["Syrian Archive", "الأرشيف السوري"],
        "removed": [],
    }

    # Search under the old names, in their folded variants too: "the", case and punctuation;
    # no hamza, alef maqsura for yaa, taa marbuta and haa, diacritics and tatweel.
    for old in ("syrian archive", "THE SYRIAN-ARCHIVE", "الارشيف السورى", "الأرشـيـف السُّوري", "أرشيف"):
        assert {o.id for o in directory.directory_page(search=old).organizations} == {entry_id}, old

    # A CSV that still writes the old name matches the entry as existing: no second entry.
    data = b"name_en,name_ar,email,language\nthe syrian archive,,new@archive.example,en\n"
    (line,) = bulk_inviting.preview(letter, data).lines
    assert (line.status, line.organization_id) == (LineStatus.EXISTING, entry_id)
    preview = upload(signed_in, letter, "name_ar,email\nالارشيف السوري,x@archive.example\n".encode())
    statuses = re.findall(r'data-line="(\d+)" data-status="(\w+)"', preview.get_data(as_text=True))
    assert statuses == [("2", "existing")]

    # The edit form lists the former names among the spellings the coordinator may remove.
    form_page = signed_in.get(f"/organizations/{entry_id}/edit").get_data(as_text=True)
    assert form_page.count("(former name)") == 2
    english = entry.aliases[0]
    assert f'name="remove_aliases" type="checkbox" value="{english.id}"' in form_page
    assert post_edit(signed_in, entry, remove_aliases=str(english.id)).status_code == 302
    db.session.expire_all()
    assert [a.spelling for a in db.session.get(Organization, entry_id).aliases] == ["الأرشيف السوري"]
    assert directory.directory_page(search="syrian archive").organizations == []


def test_a_replaced_name_is_not_kept_twice_nor_when_it_folds_like_the_new_one(signed_in):
    entry = add("Syrian Archive", "الأرشيف السوري")
    entry_id = entry.id
    # "the", case and a hamza: the same name once folded; nothing to keep.
    assert (
        post_edit(signed_in, entry, name_en="The Syrian archive", name_ar="الارشيف السوري").status_code == 302
    )
    db.session.expire_all()
    entry = db.session.get(Organization, entry_id)
    assert entry.aliases == []
    (event,) = edit_events()
    assert "former_names_kept" not in event.details["changes"] and "aliases" not in event.details["changes"]

    # A former name that is an alias already is not added again.
    directory.remember_spellings([(entry, "en", "Mnemonic")], AliasSource.MANUAL)
    db.session.commit()
    assert post_edit(signed_in, entry, name_en="Mnemonic").status_code == 302
    assert (
        post_edit(signed_in, db.session.get(Organization, entry_id), name_en="Syrian Archive").status_code
        == 302
    )
    db.session.expire_all()
    entry = db.session.get(Organization, entry_id)
    assert sorted((a.spelling, a.source) for a in entry.aliases) == [
        ("Mnemonic", AliasSource.MANUAL),
        ("The Syrian archive", AliasSource.RENAME),
    ]

    # Removing, in the same edit, the alias spelled like the name replaced keeps it out.
    like_the_name = next(a for a in entry.aliases if a.spelling == "The Syrian archive")
    assert (
        post_edit(signed_in, entry, name_en="Karama", remove_aliases=str(like_the_name.id)).status_code == 302
    )
    db.session.expire_all()
    assert [a.spelling for a in db.session.get(Organization, entry_id).aliases] == ["Mnemonic"]


def test_with_350_renamed_entries_the_pages_run_the_queries_they_run_with_50_and_old_names_find_them(
    signed_in,
):
    def fill(start: int, count: int) -> None:
        """Entries added under one name and renamed, as a coordinator would: each keeps its old names."""
        for n in range(start, start + count):
            entry = directory.add_organization(
                name_en=f"Relief Society {n:03d}", name_ar=f"جمعية الإغاثة رقم {n:03d}", by=None
            )
            directory.edit_organization(
                entry, directory.EntryChanges(name_en=f"Aid {n:03d}", name_ar=f"مؤسسة العون {n:03d}"), by=None
            )
        db.session.commit()

    def pages() -> tuple[int, ...]:
        entry_id = db.session.scalar(select(Organization.id).where(Organization.name_en == "Aid 007"))
        return (
            statements_of_get(signed_in, "/organizations/"),
            statements_of_get(signed_in, "/organizations/?page=2"),
            statements_of_get(signed_in, "/organizations/?q=" + "جمعيه الاغاثه رقم 007"),
            statements_of_get(signed_in, f"/organizations/{entry_id}/edit"),
        )

    fill(0, 50)
    at_50 = pages()
    fill(50, 300)
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 350
    assert db.session.scalar(select(func.count()).select_from(OrganizationAlias)) == 700
    assert pages() == at_50
    assert max(at_50) <= 20

    # An old Arabic name, written with haa for taa marbuta, no hamza, alef maqsura, tatweel and
    # a shadda, finds the renamed entry through its alias; the old English name does too.
    aid_7 = db.session.scalar(select(Organization.id).where(Organization.name_en == "Aid 007"))
    aid_300 = db.session.scalar(select(Organization.id).where(Organization.name_en == "Aid 300"))
    for old, entry_id in (
        ("جمعيه الاغاثه رقم 007", aid_7),
        ("جمعـيّة الإغاثة رقم 300", aid_300),
        ("relief society 300", aid_300),
    ):
        assert [o.id for o in directory.directory_page(search=old).organizations] == [entry_id], old
    page = signed_in.get("/organizations/?q=" + "جمعيه الاغاثه رقم 300").get_data(as_text=True)
    assert f'id="organization-{aid_300}"' in page and "مؤسسة العون 300" in page


def test_the_edit_page_of_an_entry_that_does_not_exist_is_404(signed_in):
    assert signed_in.get("/organizations/999/edit").status_code == 404


def test_the_directory_links_each_entry_to_its_edit_page(signed_in):
    entry = add("Syrian Archive", email="a@archive.example")
    entry.add_email("b@archive.example")
    db.session.commit()
    page = signed_in.get("/organizations/").get_data(as_text=True)
    assert f'href="/organizations/{entry.id}/edit"' in page and 'aria-label="Edit Syrian Archive"' in page
    assert "b@archive.example" in page and "(primary)" in page


def test_renaming_an_entry_leaves_a_closed_letters_list_as_printed(signed_in, letter, invite, coordinator):
    invitation, _link = invite("Syrian Archive", "الأرشيف السوري", "a@archive.example")
    answer(invitation, letter)
    publishing.close_signing(letter, by=coordinator)
    db.session.commit()
    before = {
        language: finalizing.signatories_in(letter, letter.finalized_revision, language)
        for language in ("en", "ar")
    }
    verify = f"/verify/{letter.verification_code}"
    before_page = signed_in.get(verify).get_data(as_text=True)
    assert "Syrian Archive" in before_page

    entry = invitation.organization
    response = post_edit(
        signed_in, entry, name_en="Mnemonic", name_ar="منيمونيك", email="new@mnemonic.example"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, entry.id).name_en == "Mnemonic"
    assert {
        language: finalizing.signatories_in(letter, letter.finalized_revision, language)
        for language in ("en", "ar")
    } == before
    after_page = signed_in.get(verify).get_data(as_text=True)
    assert "Syrian Archive" in after_page and "Mnemonic" not in after_page
    assert db.session.get(Invitation, invitation.id).email == "a@archive.example"


# --------------------------------------------------------------------------- the command line


def test_cli_edits_an_entry_with_the_forms_checks(runner):
    entry = add("Syrian Archive", "الأرشيف السوري", email="a@archive.example", tags=["media"])
    entry.add_email("b@archive.example")
    directory.remember_spellings([(entry, "en", "Syrian Archives")], AliasSource.IMPORT)
    other = add("Mnemonic", "")
    db.session.commit()
    entry_id, other_id = entry.id, other.id

    result = runner.invoke(
        args=[
            "organizations", "edit", str(entry_id),
            "--name-en", "The Mnemonic",
            "--country", "Germany",
            "--tags", "media, archives",
            "--add-email", "lina@mnemonic.example",
            "--primary-email", "LINA@mnemonic.example",
            "--remove-email", "b@archive.example",
            "--remove-alias", "syrian archives",
            "--add-alias-ar", "منيمونيك",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["similar_organizations"] == [other_id]  # saved all the same, listed
    assert report["changes"]["primary_email"] == {"from": "a@archive.example", "to": "lina@mnemonic.example"}
    db.session.expire_all()
    entry = db.session.get(Organization, entry_id)
    assert (entry.name_en, entry.name_ar, entry.country) == ("The Mnemonic", "الأرشيف السوري", "Germany")
    assert sorted(t.name for t in entry.tags) == ["archives", "media"]
    assert addresses(entry_id) == [("lina@mnemonic.example", True), ("a@archive.example", False)]
    # The alias asked for, and the English name replaced (its Arabic name was not).
    assert [(a.language, a.spelling) for a in entry.aliases] == [("ar", "منيمونيك"), ("en", "Syrian Archive")]
    assert report["changes"]["former_names_kept"] == ["Syrian Archive"]
    assert len(edit_events()) == 1

    listed = runner.invoke(args=["organizations", "list", "--search", "منيمونيك"])
    (line,) = [json.loads(text) for text in listed.output.splitlines()]
    assert line["email"] == "lina@mnemonic.example"
    assert line["emails"] == ["lina@mnemonic.example", "a@archive.example"]


def test_cli_rename_keeps_the_old_name_for_search_and_for_a_csv_import(runner, letter, tmp_path):
    entry = add("Women Now for Development", "النساء الآن من أجل التنمية", email="w@now.example")
    entry_id = entry.id
    result = runner.invoke(
        args=["organizations", "edit", str(entry_id), "--name-en", "Women Now", "--name-ar", "النساء الآن"]
    )
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    assert changes["former_names_kept"] == ["Women Now for Development", "النساء الآن من أجل التنمية"]

    for old in ("women now for development", "النساء الان من اجل التنميه"):  # no hamza, haa for taa marbuta
        listed = runner.invoke(args=["organizations", "list", "--search", old])
        assert [json.loads(text)["id"] for text in listed.output.splitlines()] == [entry_id], old
        (line,) = [json.loads(text) for text in listed.output.splitlines()]
        assert {"language": "en", "spelling": "Women Now for Development", "source": "rename"} in line[
            "aliases"
        ]

    path = tmp_path / "list.csv"
    path.write_text("name_en,name_ar,email,language\nWomen Now for Development,,w@now.example,ar\n")
    invited = runner.invoke(args=["letters", "invite", str(letter.id), "--csv", str(path)])
    assert invited.exit_code == 0, invited.output
    assert (json.loads(invited.stdout)["added"], json.loads(invited.stdout)["existing"]) == (0, 1)
    db.session.expire_all()
    assert db.session.scalars(select(Invitation.organization_id)).all() == [entry_id]
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 1


def test_cli_refuses_bad_input_with_the_forms_message_and_saves_nothing(runner):
    entry = add("Syrian Archive", email="a@archive.example")
    entry_id = entry.id
    before = database_fingerprint()
    bad = runner.invoke(
        args=["organizations", "edit", str(entry_id), "--add-email", "not-an-email", "--country", "X"]
    )
    assert bad.exit_code != 0
    assert "This is not a valid email address." in bad.output and "Nothing was saved" in bad.output
    unknown = runner.invoke(
        args=["organizations", "edit", str(entry_id), "--remove-email", "x@nowhere.example"]
    )
    assert unknown.exit_code != 0 and "Choose among the organisation's addresses." in unknown.output
    nameless = runner.invoke(args=["organizations", "edit", str(entry_id), "--name-en", ""])
    assert nameless.exit_code != 0 and "at least one language" in nameless.output
    missing = runner.invoke(args=["organizations", "edit", "999", "--country", "X"])
    assert missing.exit_code != 0
    assert database_fingerprint() == before
