"""A directory entry's focal-point emails: several, one primary, and every use of them (inviting,
CSV matching, forwarding's domain check, merging) and the migration that brought them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from letterhub.extensions import db
from letterhub.models import (
    Invitation,
    InvitationForward,
    Organization,
    OrganizationEmail,
)
from letterhub.services import bulk_inviting, directory, forwarding, inviting
from letterhub.services.bulk_inviting import LineStatus

from ..conftest import csrf_token, make_app

WHEN = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def add(name_en="", name_ar="", **extra) -> Organization:
    organization = directory.add_organization(name_en=name_en, name_ar=name_ar, by=None, **extra)
    db.session.commit()
    return organization


def addresses(organization_id: int) -> list[tuple[str, bool]]:
    """The entry's addresses as stored, primary first."""
    db.session.expire_all()
    return [
        (entry.email, entry.is_primary)
        for entry in db.session.get(Organization, organization_id).emails_primary_first()
    ]


# --------------------------------------------------------------------------- the emails


def test_an_entry_has_several_addresses_one_primary_compared_without_case(app):
    entry = add("Syrian Archive", email="Focal@Archive.example")
    entry.add_email("lina@archive.example")
    entry.add_email("FOCAL@archive.EXAMPLE")  # the same address: not a second row
    db.session.commit()
    assert addresses(entry.id) == [("Focal@Archive.example", True), ("lina@archive.example", False)]
    assert entry.email == "Focal@Archive.example"

    entry = db.session.get(Organization, entry.id)
    entry.make_primary(entry.email_entry("LINA@archive.example"))
    db.session.commit()
    assert addresses(entry.id) == [("lina@archive.example", True), ("Focal@Archive.example", False)]

    entry = db.session.get(Organization, entry.id)
    entry.remove_email(entry.primary_email)  # the other becomes the primary
    db.session.commit()
    assert addresses(entry.id) == [("Focal@Archive.example", True)]


def test_the_database_refuses_a_second_primary_address(app):
    entry = add("Syrian Archive", email="a@archive.example")
    db.session.add(
        OrganizationEmail(organization_id=entry.id, email="b@x.example", key="b@x.example", is_primary=True)
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_inviting_with_another_address_keeps_the_primary_and_remembers_the_address(app, letter, coordinator):
    entry = add("Syrian Archive", "الأرشيف السوري", email="primary@archive.example")
    invitation = inviting.add_organization(
        letter,
        name_en="Syrian Archive",
        name_ar="",
        email="Other@Archive.example",
        language="en",
        by=coordinator,
    )
    db.session.commit()
    assert invitation.organization_id == entry.id and invitation.email == "other@archive.example"
    assert addresses(entry.id) == [("primary@archive.example", True), ("other@archive.example", False)]


def test_picking_from_the_directory_invites_the_primary_address(app, letter, coordinator):
    entry = add("Syrian Archive", email="primary@archive.example")
    entry.add_email("second@archive.example")
    db.session.commit()
    outcome = bulk_inviting.invite_organizations(letter, [entry.id], by=coordinator)
    db.session.commit()
    assert [i.email for i in outcome.invitations] == ["primary@archive.example"]


def test_a_csv_line_with_an_entrys_secondary_address_is_that_entry(app, letter, coordinator):
    entry = add("The Day After", "اليوم التالي", email="tda@example.org")
    entry.add_email("Hadi@TDA.example")
    db.session.commit()
    data = b"name_en,name_ar,email\nTDA Association,,hadi@tda.example\nSomeone New,,new@new.example\n"

    (matched, new) = bulk_inviting.preview(letter, data).lines
    assert matched.organization_id == entry.id  # invited as the entry, by default
    assert entry.id in matched.similar_organizations  # the names differ: listed for review
    assert matched.status == LineStatus.DUPLICATE and new.status == LineStatus.NEW

    outcome = bulk_inviting.invite_csv(letter, data, by=coordinator)
    db.session.commit()
    assert (outcome.added, outcome.existing) == (1, 1)
    assert [line.number for line in outcome.possible_duplicates] == [2]
    invitation = db.session.scalars(select(Invitation).where(Invitation.organization_id == entry.id)).one()
    assert invitation.email == "hadi@tda.example"
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 2
    created = db.session.scalars(select(Organization).where(Organization.name_en == "Someone New")).one()
    assert addresses(created.id) == [("new@new.example", True)]
    assert addresses(entry.id) == [("tda@example.org", True), ("Hadi@TDA.example", False)]


def test_a_csv_line_matched_by_name_adds_its_address_to_the_entry(app, letter, coordinator):
    entry = add("The Day After", "اليوم التالي", email="tda@example.org")
    nameless = add("Baytna", "بيتنا")
    data = b"name_en,email\nthe day after,lina@tda.example\nBaytna,focal@baytna.example\n"
    outcome = bulk_inviting.invite_csv(letter, data, by=coordinator)
    db.session.commit()
    assert outcome.existing == 2
    assert addresses(entry.id) == [("tda@example.org", True), ("lina@tda.example", False)]
    assert addresses(nameless.id) == [("focal@baytna.example", True)]  # it had none


def test_an_address_of_two_entries_or_of_an_invited_one_is_only_a_look_alike(app, letter, coordinator):
    first = add("First", email="shared@example.org")
    second = add("Second", email="other@example.org")
    second.add_email("shared@example.org")
    invited = add("Invited", email="invited@example.org")
    db.session.commit()
    bulk_inviting.invite_organizations(letter, [invited.id], by=coordinator)
    db.session.commit()
    data = b"name_en,email\nThird,shared@example.org\nFourth,invited@example.org\n"
    shared, already = bulk_inviting.preview(letter, data).lines
    assert (shared.organization_id, shared.similar_organizations) == (None, [first.id, second.id])
    assert (already.organization_id, already.status) == (None, LineStatus.DUPLICATE)


def test_forwarding_to_the_domain_of_a_secondary_address_is_not_flagged(client, letter, invite):
    invitation, _link = invite(email="hadi@archive.example")
    invitation.organization.add_email("lina@partner.example")
    db.session.commit()

    same_family = forwarding.forward_invitation(invitation, to_email="rami@partner.example")
    elsewhere = forwarding.forward_invitation(invitation, to_email="rami@gmail.example")
    db.session.commit()
    assert same_family.other_domain is False
    assert elsewhere.other_domain is True
    assert db.session.scalar(select(func.count()).select_from(InvitationForward)) == 2


def test_merging_keeps_both_entries_addresses_and_the_kept_entrys_primary(signed_in, letter, coordinator):
    kept = add("Syrian Archive", email="kept@archive.example")
    other = add("Syrian Archives", email="other@archive.example")
    other.add_email("KEPT@archive.example")  # on both: stays once
    other.add_email("third@archive.example")
    db.session.commit()
    kept_id, other_id = kept.id, other.id
    token = csrf_token(signed_in, f"/organizations/merge?keep={kept_id}&other={other_id}")
    merged = signed_in.post(
        "/organizations/merge", data={"keep": kept_id, "other": other_id, "confirm": "y", "csrf_token": token}
    )
    assert merged.status_code == 302
    assert addresses(kept_id) == [
        ("kept@archive.example", True),
        ("other@archive.example", False),
        ("third@archive.example", False),
    ]
    assert db.session.scalar(select(func.count()).select_from(OrganizationEmail)) == 3
    page = signed_in.get("/organizations/").get_data(as_text=True)
    assert "third@archive.example" in page


def test_merging_into_an_entry_without_address_makes_the_others_primary_its_primary(app):
    kept = add("Syrian Archive")
    other = add("Syrian Archives", email="primary@archive.example")
    other.add_email("second@archive.example")
    db.session.commit()
    directory.merge_organizations(kept, other, by=None)
    db.session.commit()
    assert addresses(kept.id) == [("primary@archive.example", True), ("second@archive.example", False)]


# --------------------------------------------------------------------------- the migration


def test_migration_carries_each_email_over_as_primary_and_back(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    with app.app_context():
        upgrade(revision="0017_revision_kinds")
        with db.engine.begin() as connection:
            for number, email in ((1, " Focal@Archive.example "), (2, "")):
                connection.execute(
                    sa.text(
                        "INSERT INTO organizations (id, name_en, name_ar, email, created_at, name_en_key, "
                        "name_ar_key, name_en_folded, name_ar_folded, country) "
                        "VALUES (:id, :name, '', :email, :when, :key, '', :key, '', '')"
                    ),
                    {
                        "id": number,
                        "name": f"Org {number}",
                        "key": f"org {number}",
                        "email": email,
                        "when": WHEN,
                    },
                )
        upgrade(revision="0018_organization_emails")
        assert "email" not in {c["name"] for c in sa.inspect(db.engine).get_columns("organizations")}
        first, second = db.session.get(Organization, 1), db.session.get(Organization, 2)
        assert [(e.email, e.key, e.is_primary) for e in first.emails] == [
            ("Focal@Archive.example", "focal@archive.example", True)
        ]
        assert first.email == "Focal@Archive.example"
        assert second.emails == [] and second.email == ""
        first.add_email("second@archive.example")
        db.session.commit()
        db.session.remove()

        downgrade(revision="0017_revision_kinds")
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, email FROM organizations ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, "Focal@Archive.example"), (2, "")]
        assert "organization_emails" not in sa.inspect(db.engine).get_table_names()
        downgrade(revision="base")
        db.engine.dispose()
