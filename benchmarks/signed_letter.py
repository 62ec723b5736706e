"""A drafted letter with N organisations that confirmed, for the document benchmarks.

The text is the bilingual seed letter of ``render_pdf.py`` (seed 001 in English, seed 000 in
Arabic); organisation N has the N-th English and Arabic names of ``render_pdf.names_for``, and
has confirmed the current text. The letter stays open: closing it is up to the benchmark.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from render_pdf import build_document  # noqa: E402

PASSWORD = "benchmark-password"  # the letter's owner's, to sign in as them


def create_signed_letter(n: int):
    """Create (and commit) the letter in the app's database; return it. Needs an app context."""
    from letterhub.extensions import db
    from letterhub.models import Decision, Invitation, InvitationState, Organization, Signature
    from letterhub.services import accounts, drafting

    document = build_document(n)
    en, ar = document.texts
    db.create_all()
    user = accounts.create_user(f"bench{id(document)}@example.org", "Bench", PASSWORD)
    fields = drafting.empty_fields()
    for text in (en, ar):
        language = text.language
        fields.update(
            {
                f"title_{language}": text.title,
                f"addressees_{language}": text.addressees,
                f"date_place_{language}": text.date_place,
                f"body_{language}": text.body_markdown,
                f"heading_{language}": text.signatories_heading,
            }
        )
    letter = drafting.create_letter(user, fields)
    db.session.flush()
    revision = letter.current_revision
    organizations = [
        Organization(name_en=name_en.name, name_ar=name_ar.name, email=f"focal{i}@example.org")
        for i, (name_en, name_ar) in enumerate(zip(en.signatories, ar.signatories, strict=True))
    ]
    db.session.add_all(organizations)
    db.session.flush()
    invitations = [
        Invitation(
            letter=letter,
            organization=organization,
            email=organization.email,
            language="ar",
            state=InvitationState.CONFIRMED,
        )
        for organization in organizations
    ]
    db.session.add_all(invitations)
    db.session.flush()
    db.session.add_all(
        Signature(
            letter_id=letter.id,
            organization_id=invitation.organization_id,
            invitation_id=invitation.id,
            revision_id=revision.id,
            revision_sha256=revision.content_sha256,
            decision=Decision.CONFIRMED,
            name_en=invitation.organization.name_en,
            name_ar=invitation.organization.name_ar,
            consent=True,
        )
        for invitation in invitations
    )
    db.session.commit()
    return letter
