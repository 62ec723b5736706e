"""The demo data that the Quick start creates: one coordinator, one short bilingual letter.

The sample text is written for the demo (it is not taken from any real letter). Running it
again finds what exists and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Letter
from . import accounts, drafting, inviting

DEMO_EMAIL = "coordinator@example.org"
DEMO_PASSWORD = "letterhub-demo"  # noqa: S105 (the demo account the README prints)
DEMO_COALITION = "Demo coalition"

DEMO_TEXT = {
    "title_en": "Joint letter on the protection of civilians",
    "title_ar": "رسالة مشتركة بشأن حماية المدنيين",
    "addressees_en": "The Secretary-General of the United Nations\nThe members of the Security Council",
    "addressees_ar": "الأمين العام للأمم المتحدة\nالسادة أعضاء مجلس الأمن",
    "date_place_en": "Gaziantep, 1 December 2026",
    "date_place_ar": "غازي عنتاب، ١ كانون الأول ٢٠٢٦",
    "body_en": (
        "We, the undersigned organisations, write to you about the safety of civilians.\n\n"
        "We ask the members of the Council to:\n\n"
        "1. **protect** hospitals and schools;\n"
        "2. guarantee safe access for humanitarian aid;\n"
        "3. support independent documentation of violations.\n\n"
        "This is a demonstration letter; edit it freely."
    ),
    "body_ar": (
        "نحن المنظمات الموقعة أدناه، نكتب إليكم بشأن سلامة المدنيين.\n\n"
        "نطالب أعضاء المجلس بما يلي:\n\n"
        "1. **حماية** المستشفيات والمدارس؛\n"
        "2. ضمان وصول آمن للمساعدات الإنسانية؛\n"
        "3. دعم التوثيق المستقل للانتهاكات.\n\n"
        "هذه رسالة تجريبية، يمكنكم تعديلها بحرية."
    ),
    "heading_en": drafting.DEFAULT_HEADINGS["en"],
    "heading_ar": drafting.DEFAULT_HEADINGS["ar"],
}

DEMO_ORGANIZATIONS = (
    ("Olive Branch Relief", "غصن الزيتون للإغاثة", "focal@olive-branch.example", "ar"),
    ("Media Freedom Centre (MFC)", "مركز حرية الإعلام (MFC)", "desk@mfc.example", "en"),
    ("Bridges for Education", "جسور للتعليم", "contact@bridges.example", "ar"),
)


@dataclass
class DemoResult:
    email: str
    letter_id: int
    created_user: bool
    created_letter: bool


def ensure_demo(password: str = DEMO_PASSWORD) -> DemoResult:
    found_user = accounts.find_user_by_email(DEMO_EMAIL)
    created_user = found_user is None
    user = found_user or accounts.create_user(DEMO_EMAIL, "Demo coordinator", password)
    found_letter = db.session.scalars(
        select(Letter).where(Letter.coalition == DEMO_COALITION).order_by(Letter.id)
    ).first()
    created_letter = found_letter is None
    letter = found_letter
    if letter is None:
        letter = drafting.create_letter(user, DEMO_TEXT, coalition=DEMO_COALITION)
        for name_en, name_ar, email, language in DEMO_ORGANIZATIONS:
            inviting.add_organization(
                letter, name_en=name_en, name_ar=name_ar, email=email, language=language, by=user
            )
    return DemoResult(
        email=user.email, letter_id=letter.id, created_user=created_user, created_letter=created_letter
    )
