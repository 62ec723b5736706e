"""The two languages kept in step (services/parity.py): pure checks, each case and the seeds."""

from __future__ import annotations

import pytest

from letterhub.services import parity
from letterhub.services.imports.parsing import parse_letter_text

ENGLISH = (
    "We write to you about the detainees held since 2011.\n\n"
    "More than 13 million Syrians have been displaced, according to the Syrian Network for "
    "Human Rights (SNHR) report of 5 March 2024.\n\n"
    "1. Release the detainees.\n"
    "2. Reveal their fate."
)
ARABIC = (
    "نكتب إليكم بشأن المعتقلين المحتجزين منذ ٢٠١١.\n\n"
    "نزح أكثر من ١٣ مليون سوري، بحسب تقرير الشبكة السورية لحقوق الإنسان (SNHR) الصادر في "
    "٥ آذار ٢٠٢٤.\n\n"
    "1. الإفراج عن المعتقلين.\n"
    "2. الكشف عن مصيرهم."
)


def check(english=ENGLISH, arabic=ARABIC, **fields):
    return parity.check_texts({"body_en": english, "body_ar": arabic, **fields})


def codes(warnings):
    return [w.code for w in warnings]


@pytest.fixture(scope="module")
def seed_bodies(seed_text):
    return parse_letter_text(seed_text(1)).body, parse_letter_text(seed_text(0)).body


def test_seed_letters_000_and_001_bodies_raise_no_warning(seed_bodies):
    english, arabic = seed_bodies
    assert check(english, arabic) == []


def test_seed_paragraph_the_english_split_in_two_is_aligned_with_the_one_arabic_paragraph(seed_bodies):
    english, arabic = seed_bodies
    pairs = parity.align(parity.blocks(english), parity.blocks(arabic))
    assert [(len(e), len(a)) for e, a in pairs].count((2, 1)) == 1
    assert all(e and a for e, a in pairs)


def test_agreeing_languages_with_digits_in_either_script_raise_no_warning():
    assert check() == []


def test_a_paragraph_only_in_english_is_named():
    english = ENGLISH.replace("\n\n1.", "\n\nWe also ask that the ICRC may visit every prison.\n\n1.")
    (warning,) = check(english)
    assert warning.code == "missing_paragraph"
    assert warning.params["language"] == "en" and warning.params["position"] == 3
    assert warning.params["excerpt"].startswith("We also ask")


def test_a_paragraph_only_in_arabic_in_a_seed_letter_is_named(seed_bodies):
    english, arabic = seed_bodies
    paragraphs = arabic.split("\n\n")
    extra = "نطالب كذلك بالسماح للجنة الدولية للصليب الأحمر بزيارة جميع السجون ومراكز الاحتجاز دون قيود."
    (warning,) = check(english, "\n\n".join([paragraphs[0], extra, *paragraphs[1:]]))
    assert (warning.code, warning.params["language"], warning.params["position"]) == (
        "missing_paragraph",
        "ar",
        2,
    )


def test_a_numbered_demand_only_in_english_is_named_by_its_number():
    (warning,) = check(ENGLISH + "\n3. Open the prisons to inspection.")
    assert warning.code == "missing_item"
    assert (warning.params["language"], warning.params["number"]) == ("en", 3)


def test_a_demand_dropped_from_the_arabic_seed_is_found(seed_bodies):
    english, arabic = seed_bodies
    second_demand = next(line for line in arabic.split("\n") if line.startswith("- 2-"))
    (warning,) = check(english, arabic.replace(second_demand + "\n", ""))
    assert (warning.code, warning.params["language"], warning.params["number"]) == ("missing_item", "en", 2)


def test_numbers_are_compared_as_numbers_whatever_their_digits():
    assert parity.numbers_in("١٣ مليون و ١٬٢٠٠ و ۴۵ و ١٣٫٥") == ["13", "1200", "45", "13.5"]
    assert parity.numbers_in("13 million, 1,200, 45 and 13.5") == ["13", "1200", "45", "13.5"]
    assert parity.numbers_in("- 1- the first demand") == []  # list numbering is not a number


def test_a_number_that_differs_is_a_warning_with_both_sides():
    (warning,) = check(ENGLISH.replace("13 million", "12 million"))
    assert warning.code == "numbers"
    assert (warning.params["en"], warning.params["ar"]) == ("12", "13")


def test_a_date_that_differs_is_one_warning_about_the_date():
    (warning,) = check(arabic=ARABIC.replace("آذار", "نيسان"))
    assert warning.code == "dates"
    assert (warning.params["en"], warning.params["ar"]) == ("2024-03-05", "2024-04-05")


def test_dates_in_both_calendars_names_and_orders_are_the_same_date():
    assert parity.dates_in("5 March 2024, March 5, 2024 and 05/03/2024") == ["2024-03-05"] * 3
    assert parity.dates_in("٥ آذار ٢٠٢٤ أو ٥ مارس ٢٠٢٤") == ["2024-03-05"] * 2


def test_an_acronym_missing_in_one_language_is_a_warning():
    (warning,) = check(arabic=ARABIC.replace(" (SNHR)", ""))
    assert warning.code == "acronyms" and warning.params["en"] == "SNHR"


def test_the_date_and_place_fields_are_compared_too():
    warnings = check(date_place_en="Geneva, 1 December 2026", date_place_ar="جنيف، ٢ كانون الأول ٢٠٢٦")
    assert codes(warnings) == ["dates"] and warnings[0].params["field"] == "date_place"


def revision(body_en, body_ar, title_en="Letter", title_ar="رسالة"):
    return {"body_en": body_en, "body_ar": body_ar, "title_en": title_en, "title_ar": title_ar}


def test_arabic_changed_since_revision_3_and_english_did_not():
    history = [
        (1, revision("a", "ا")),
        (2, revision("a", "ب")),
        (3, revision("b", "ب")),
        (4, revision("b", "ج")),
        (5, revision("b", "د")),
    ]
    (warning,) = parity.check_history(history)
    assert warning.code == "one_language_changed"
    assert warning.params == {"language": "ar", "other": "en", "since": 3, "revision": 5}


def test_both_languages_changed_together_raise_nothing():
    assert parity.check_history([(1, revision("a", "ا")), (2, revision("b", "ب"))]) == []
    assert parity.check_history([(1, revision("a", "ا"))]) == []


def test_a_warning_keeps_its_key_while_what_it_is_about_does_not_change():
    english = ENGLISH + "\n3. Open the prisons."
    first = check(english)[0].key
    assert check(english.replace("detainees held", "people held")) and check(english)[0].key == first
    assert check(english.replace("Open the prisons.", "Open every prison."))[0].key != first
