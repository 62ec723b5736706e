"""Importing existing letters: the pure layer (letterhub.services.imports: parsing, duplicates, pairing)."""

from __future__ import annotations

import ast
import copy
import dataclasses
import inspect
import json
from pathlib import Path

import pytest

from letterhub.services.imports import decoding, duplicates, folding, notes, pairing, parsing, transliteration
from letterhub.services.imports.decoding import decode_letter_file
from letterhub.services.imports.duplicates import find_possible_duplicates
from letterhub.services.imports.messages import IMPORT_MESSAGES, english, word
from letterhub.services.imports.notes import (
    ImportNote,
    LetterImportError,
    NoSignatoryList,
    UnreadableLetterFile,
)
from letterhub.services.imports.pairing import ProposedPair, propose_pairs
from letterhub.services.imports.parsing import (
    ImportedSignatory,
    detect_language,
    numbering_gaps,
    parse_letter_text,
)
from letterhub.services.imports.storage import import_report, parse_texts


@pytest.fixture(scope="module")
def parsed_seed(seed_text):
    cache = {}

    def parse(number: int):
        if number not in cache:
            cache[number] = parse_letter_text(seed_text(number))
        return cache[number]

    return parse


def names(letter):
    return [s.name for s in letter.signatories]


# --------------------------------------------------------------------------- the seeds


def test_arabic_letter_keeps_its_54_signatories_as_published(parsed_seed, seed_text):
    letter = parsed_seed(0)
    assert letter.language == "ar"
    assert [s.published_number for s in letter.signatories] == list(range(1, 55))
    assert letter.signatories[0] == ImportedSignatory(1, "الأرشيف السوري")
    assert letter.signatories[50] == ImportedSignatory(51, "جمعية المرأة السورية , سلام")
    assert letter.signatories[-1] == ImportedSignatory(54, "هيئة العمري للعدالة الانتقالي")
    # every name is a line of the file, unchanged
    for signatory in letter.signatories:
        assert f"{signatory.published_number}. {signatory.name}" in seed_text(0)
    assert letter.numbering_gaps == ()
    assert letter.possible_duplicates == ()
    assert letter.signatories_heading == "الموقعون:"


def test_arabic_letter_addressees_are_one_per_line_and_demands_stay_in_the_body(parsed_seed):
    letter = parsed_seed(0)
    assert letter.title == ""
    addressees = letter.addressees.split("\n")
    assert len(addressees) == 3
    assert addressees[0].startswith("السيد الأمين العام")
    assert "الضغط الجدي" in letter.body  # the numbered demands are body, not signatories
    assert "الموقعون" not in letter.body
    assert not any("الضغط" in name for name in names(letter))


def test_english_letter_keeps_numbers_and_exact_names_despite_irregular_spacing(parsed_seed, seed_text):
    letter = parsed_seed(1)
    assert letter.language == "en"
    assert letter.signatories_heading == "Signatories:"
    assert [s.published_number for s in letter.signatories] == list(range(1, 55))
    assert letter.signatories[34] == ImportedSignatory(35, "Syria Justice and Accountability Center (SJAC)")
    assert letter.signatories[18] == ImportedSignatory(19, "Jasmine Dream Organization")  # "- 19-Jasmine…"
    assert letter.signatories[22] == ImportedSignatory(23, "Life is Peace")  # after a blank line
    assert "Basmeh &Zeitooneh" in names(letter)
    for name in names(letter):
        assert name in seed_text(1)
    assert letter.numbering_gaps == ()
    assert letter.possible_duplicates == ()


def test_run_on_english_addressee_line_is_split_one_per_line(parsed_seed):
    letter = parsed_seed(1)
    assert letter.addressees.split("\n") == [
        "Mr Antonio Guterres, Secretary-General of the United Nations",
        "Representatives of the Members of the Security Council",
        "Mr Staffan de Mistura, Special Envoy for Syria",
    ]
    assert letter.body.startswith("Over the last few days")
    assert letter.body.rstrip().endswith("over the areas in need.")


def test_statement_without_heading_takes_final_numbered_list_and_drops_trailing_full_stops(parsed_seed):
    letter = parsed_seed(2)
    assert letter.language == "ar"
    assert len(letter.signatories) == 65
    assert [s.published_number for s in letter.signatories] == list(range(1, 66))
    assert not any(name.endswith(".") for name in names(letter))
    assert letter.signatories[0].name == "اتحاد إعلاميي حلب وريفها"
    assert letter.signatories[-1].name == "وحدة المجالس المحلية (لاكو)"
    assert letter.title.startswith("بيان الروابط الثورية")
    assert letter.addressees == ""
    assert letter.signatories_heading == ""
    assert any("heading" in english(warning) for warning in letter.warnings)


def test_news_article_is_refused_as_having_no_signatory_list(seed_text):
    with pytest.raises(NoSignatoryList) as excinfo:
        parse_letter_text(seed_text(3))
    assert isinstance(excinfo.value, LetterImportError)
    assert "signatory list" in english(excinfo.value)


def test_scraped_web_page_keeps_published_numbers_and_reports_gaps(parsed_seed):
    letter = parsed_seed(4)
    assert letter.language == "en"
    assert len(letter.signatories) == 44
    assert letter.numbering_gaps == (14, 27, 36)
    assert letter.signatories_heading == "The undersigned organizations:"
    assert letter.signatories[0] == ImportedSignatory(1, "SANSD for people with special needs")
    assert letter.signatories[-1] == ImportedSignatory(47, "Syrian Civil Defense (White Helmets)")
    assert ImportedSignatory(40, "Syrian Network for Human Rights") in letter.signatories
    assert ImportedSignatory(4, "Adel . Ehsan org") in letter.signatories  # inner dot kept


def test_scraped_web_page_finds_the_jasmin_duplicate(parsed_seed):
    assert ("jasmin", "Jasmine Dream Organization") in parsed_seed(4).possible_duplicates


def test_web_page_navigation_and_comment_form_stay_out_of_title_and_list(parsed_seed):
    letter = parsed_seed(4)
    assert letter.title == (
        "Statement by Syrian CSOs in response to the Syrian regime attack against civilians in SouthernSyria"
    )
    noise = ("Leave a Reply", "Show all", "June 26, 2018", "August 2, 2018", "Your email address")
    for fragment in noise:
        assert fragment not in letter.title
        assert fragment not in letter.body
        assert not any(fragment in name for name in names(letter))
    assert letter.body.startswith("In clear violation")
    assert any("after the signatory list" in english(warning) for warning in letter.warnings)
    assert any("navigation" in english(warning) for warning in letter.warnings)


def test_paragraphs_of_a_scraped_page_become_markdown_paragraphs(parsed_seed):
    body = parsed_seed(4).body
    assert "international criminal law.\n\nWe, as Syrian civil society" in body
    assert "\n1. We call the UN Security Council" in body
    assert "particular the 2254 resolution.\n2. The UN Special Envoy" in body  # list kept together


# --------------------------------------------------------------------------- list formats and headings


@pytest.mark.parametrize(
    "heading",
    [
        "Signatories:",
        "Signatories",
        "### الموقعون:",
        "الموقعون",
        "المنظمات الموقعة:",
        "The undersigned organizations:",
        "The undersigned organisations:",
        "The undersigned:",
        "Signed by",
        "Signed by:",
        "**Signatories:**",
        "## List of signatories",
    ],
)
def test_signatory_heading_is_recognised_in_its_many_spellings(heading):
    text = f"Dear Secretary-General,\n\nWe write to you.\n\n{heading}\n\n1. Alpha Group\n2. Beta Network\n"
    letter = parse_letter_text(text)
    assert names(letter) == ["Alpha Group", "Beta Network"]
    assert letter.signatories_heading
    assert "#" not in letter.signatories_heading and "*" not in letter.signatories_heading
    assert letter.signatories_heading.endswith(":") == heading.rstrip("*").endswith(":")
    assert letter.warnings == ()


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["1. Alpha", "2. Beta"], [(1, "Alpha"), (2, "Beta")]),
        (["1- Alpha", "2-Beta"], [(1, "Alpha"), (2, "Beta")]),
        (["- 1- Alpha", "- 2-Beta"], [(1, "Alpha"), (2, "Beta")]),
        (["- 1 - Alpha.", "- 2 - Beta."], [(1, "Alpha"), (2, "Beta")]),
        (["1) Alpha", "2) Beta"], [(1, "Alpha"), (2, "Beta")]),
        (["1\\. Alpha", "2\\. Beta"], [(1, "Alpha"), (2, "Beta")]),
        (["1.   Alpha  ", "", "", "2.Beta"], [(1, "Alpha"), (2, "Beta")]),
        (["- Alpha", "* Beta", "• Gamma"], [(None, "Alpha"), (None, "Beta"), (None, "Gamma")]),
        (["١. ألف", "٢. باء"], [(1, "ألف"), (2, "باء")]),
        (["1. **Alpha**", "2. Beta\u202e"], [(1, "Alpha"), (2, "Beta")]),
    ],
)
def test_every_list_format_of_the_seeds_is_read(lines, expected):
    text = "Statement\n\nBody text.\n\nSignatories:\n" + "\n".join(lines) + "\n"
    letter = parse_letter_text(text)
    assert [(s.published_number, s.name) for s in letter.signatories] == expected


@pytest.mark.parametrize(
    ("published", "kept"),
    [
        ("Syrian Network for Human Rights.", "Syrian Network for Human Rights"),
        ("Acme Inc.", "Acme Inc."),
        ("Freunde Syriens e.V.", "Freunde Syriens e.V."),
        ("Relief Co.", "Relief Co."),
        ("Alpha Group;", "Alpha Group"),
        ("وحدة المجالس المحلية (لاكو).", "وحدة المجالس المحلية (لاكو)"),
        ("Adel . Ehsan org", "Adel . Ehsan org"),
    ],
)
def test_trailing_full_stop_is_list_punctuation_unless_an_abbreviation_owns_it(published, kept):
    letter = parse_letter_text(f"Signatories:\n1. {published}\n2. Other Group\n")
    assert letter.signatories[0].name == kept


def test_without_heading_the_final_numbered_run_is_the_list_and_trailing_noise_is_ignored():
    text = (
        "Statement on Aleppo\n\nWe demand:\n1. A ceasefire now, everywhere in the country.\n"
        "2. Aid.\n\nSigned in Gaziantep.\n\n1. Alpha\n2. Beta\n\n3. Gamma\n\nLeave a Reply\n"
    )
    letter = parse_letter_text(text)
    assert names(letter) == ["Alpha", "Beta", "Gamma"]
    assert "A ceasefire now" in letter.body
    assert any("after the signatory list" in english(w) for w in letter.warnings)


def test_a_short_numbered_list_without_heading_is_not_taken_for_signatories():
    with pytest.raises(NoSignatoryList):
        parse_letter_text("News of the day.\n\n1. First point.\n2. Second point.\n")


def test_empty_text_is_refused():
    with pytest.raises(LetterImportError):
        parse_letter_text("  \n\n")


def test_repeated_and_unordered_numbers_are_warned_about():
    letter = parse_letter_text("Signatories:\n1. Alpha\n3. Beta\n2. Gamma\n3. Delta\n")
    assert letter.numbering_gaps == ()
    assert any("more than once: 3" in english(w) for w in letter.warnings)
    assert any("ascending" in english(w) for w in letter.warnings)


def test_numbering_gaps_ignore_bullets():
    assert numbering_gaps([1, 2, 5, None]) == (3, 4)
    assert numbering_gaps([None, None]) == ()


def test_language_is_the_majority_script():
    assert detect_language("الموقعون: Syrian Network for Human Rights الشبكة السورية لحقوق الإنسان") == "ar"
    assert detect_language("Signatories: 1. الشبكة 2. Syrian Network for Human Rights") == "en"
    with pytest.raises(LetterImportError):
        detect_language("1. 2. 3.")


# --------------------------------------------------------------------------- duplicates


def test_name_with_and_without_its_acronym_is_a_duplicate():
    pair = ("Syrian Network for Human Rights", "Syrian Network for Human Rights (SNHR)")
    assert find_possible_duplicates(pair) == (pair,)


def test_names_sharing_only_generic_words_are_not_duplicates():
    assert (
        find_possible_duplicates(["Syrian Women Organisation", "Syrian Women association for development"])
        == ()
    )
    assert (
        find_possible_duplicates(
            ["Syrian Women association for development", "Syrian Women Association(Salam)"]
        )
        == ()
    )
    assert find_possible_duplicates(["مجلس محافظة درعا", "مجلس محافظة القنيطرة"]) == ()


def test_exact_duplicates_after_case_space_and_letter_folding_are_found():
    assert find_possible_duplicates(["Baytna Syria", "baytna   SYRIA"]) == (
        ("Baytna Syria", "baytna   SYRIA"),
    )
    assert find_possible_duplicates(["منظمة المرأة السورية", "منظمه المرأه السوريّة"]) != ()


def test_misspelt_names_and_bare_acronyms_are_duplicates():
    assert find_possible_duplicates(["The Day After (TDA)", "The Day Aftee"]) != ()
    assert find_possible_duplicates(["Syrian Institute for Justice", "Syrian Institute for Juctice"]) != ()
    assert find_possible_duplicates(["SNHR", "Syrian Network for Human Rights (SNHR)"]) != ()


def test_a_town_shared_by_several_names_does_not_make_duplicates():
    names_ = [
        "Daraa Free Doctors Association",
        "Daraa Free Governorate Council",
        "Daraa Lawyers Bar Association",
        "Daraia",
    ]
    assert find_possible_duplicates(names_) == ()


def test_seed_lists_raise_no_false_duplicates(parsed_seed):
    assert parsed_seed(0).possible_duplicates == ()
    assert parsed_seed(1).possible_duplicates == ()
    assert parsed_seed(4).possible_duplicates == (("jasmin", "Jasmine Dream Organization"),)


# --------------------------------------------------------------------------- decoding


def test_utf8_with_or_without_bom_and_utf16_with_bom_are_decoded():
    text = "الموقعون:\n1. Alpha\r\n"
    assert decode_letter_file(text.encode("utf-8")) == text
    assert decode_letter_file(text.encode("utf-8-sig")) == text
    assert decode_letter_file(text.encode("utf-16")) == text  # BOM + native order
    assert decode_letter_file(b"\xfe\xff" + text.encode("utf-16-be")) == text
    assert decode_letter_file(b"\xff\xfe" + text.encode("utf-16-le")) == text


def test_windows_arabic_file_is_refused_with_the_expected_encoding_named():
    data = "الموقعون:\n1. الشبكة السورية لحقوق الإنسان\n".encode("cp1256")
    with pytest.raises(UnreadableLetterFile) as excinfo:
        decode_letter_file(data)
    assert isinstance(excinfo.value, LetterImportError)
    assert "UTF-8" in english(excinfo.value)
    assert "cp1256" in english(excinfo.value)


def test_utf16_without_bom_and_empty_files_are_refused_clearly():
    with pytest.raises(UnreadableLetterFile) as excinfo:
        decode_letter_file("Signatories:\n1. Alpha\n".encode("utf-16-le"))
    assert "byte-order mark" in english(excinfo.value)
    with pytest.raises(UnreadableLetterFile) as excinfo:
        decode_letter_file(b"")
    assert "empty" in english(excinfo.value)


def test_decoded_seed_parses_like_the_text(seeds_dir, parsed_seed):
    (path,) = seeds_dir.glob("001_*.txt")
    assert parse_letter_text(decode_letter_file(path.read_bytes())) == parsed_seed(1)


# --------------------------------------------------------------------------- pairing across languages


def test_seed_letters_offer_no_acronym_pairs_because_the_arabic_list_has_no_latin_acronyms(parsed_seed):
    # 001 writes "(SNHR)", "(SJAC)", "(VDC)" ...; 000 writes the same organisations in Arabic
    # only ("الشبكة السورية لحقوق الإنسان"), so no acronym justifies a pair.
    en, ar = names(parsed_seed(1)), names(parsed_seed(0))
    assert [p for p in propose_pairs(en, ar) if p.reason.startswith("acronym")] == []


def test_directory_pairs_seed_names_it_already_knows(parsed_seed):
    en, ar = names(parsed_seed(1)), names(parsed_seed(0))
    directory = [
        ("Syrian Network for Human Rights", "الشبكة السورية لحقوق الانسان"),  # folded: no acronym, ا for إ
        ("Syria Justice and Accountability Center (SJAC)", "المركز السوري للعدالة والمساءلة"),
        ("Some Other Organisation", "منظمة أخرى"),
    ]
    assert [p for p in propose_pairs(en, ar, directory) if p.reason == "directory"] == [
        ProposedPair(
            "Syria Justice and Accountability Center (SJAC)", "المركز السوري للعدالة والمساءلة", "directory"
        ),
        ProposedPair("Syrian Network for Human Rights (SNHR)", "الشبكة السورية لحقوق الإنسان", "directory"),
    ]


def test_latin_acronym_in_both_names_proposes_a_pair_with_its_reason():
    en = ["Syrian Network for Human Rights (SNHR)", "The Day After (TDA)", "Women Now for Development"]
    ar = ["النساء الآن من أجل التنمية", "الشبكة السورية لحقوق الإنسان SNHR", "اليوم التالي (TDA)"]
    assert propose_pairs(en, ar) == [
        ProposedPair(
            "Syrian Network for Human Rights (SNHR)", "الشبكة السورية لحقوق الإنسان SNHR", "acronym SNHR"
        ),
        ProposedPair("The Day After (TDA)", "اليوم التالي (TDA)", "acronym TDA"),
    ]


def test_ambiguous_acronym_proposes_nothing_and_each_name_is_paired_once():
    en = ["Alpha Center (ABC)", "Alpha Centre Branch (ABC)"]
    ar = ["مركز ألفا (ABC)"]
    assert propose_pairs(en, ar) == []
    directory = [("Alpha Center", "مركز ألفا")]
    assert propose_pairs(en, ar, directory) == [
        ProposedPair("Alpha Center (ABC)", "مركز ألفا (ABC)", "directory")
    ]


# --------------------------------------------------------------------------- report and purity


def test_import_report_summarises_each_language(parsed_seed):
    report = import_report({"en": parsed_seed(4), "ar": parsed_seed(0)})
    assert report["en"]["signatories"] == 44
    assert report["en"]["numbering_gaps"] == [14, 27, 36]
    assert report["en"]["possible_duplicates"] == [["jasmin", "Jasmine Dream Organization"]]
    assert report["ar"] == {
        "signatories": 54,
        "numbering_gaps": [],
        "possible_duplicates": [],
        "warnings": [],
    }


@pytest.mark.parametrize(
    "module",
    [decoding, duplicates, folding, notes, pairing, parsing, transliteration],
    ids=lambda module: module.__name__,
)
def test_parsing_modules_depend_on_neither_flask_nor_the_database(module):
    tree = ast.parse(inspect.getsource(module))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not imported & {"flask", "flask_babel", "flask_sqlalchemy", "sqlalchemy"}


def test_without_heading_a_restart_at_one_separates_demands_from_signatories():
    text = "Statement\n\nWe demand:\n\n1. A ceasefire.\n2. Aid convoys.\n\n1. Alpha\n2. Beta\n3. Gamma\n"
    letter = parse_letter_text(text)
    assert names(letter) == ["Alpha", "Beta", "Gamma"]
    assert "2. Aid convoys." in letter.body


# --------------------------------------------------------------------------- pairing by transliteration

# Seeds 000 (Arabic) and 001 (English) list the same 54 organisations: Arabic list position ->
# English list position of the same organisation, read from the two seeds (both 1..54).
# Arabic 40 (a Kurdish organisation) goes with English 21 by elimination.
SEED_SAME_ORGANISATION = {
    1: 37,
    2: 46,
    3: 23,
    4: 8,
    5: 44,
    6: 5,
    7: 45,
    8: 6,
    9: 20,
    10: 40,
    11: 1,
    12: 39,
    13: 38,
    14: 35,
    15: 42,
    16: 41,
    17: 54,
    18: 9,
    19: 10,
    20: 33,
    21: 18,
    22: 16,
    23: 43,
    24: 51,
    25: 7,
    26: 31,
    27: 49,
    28: 17,
    29: 50,
    30: 32,
    31: 34,
    32: 3,
    33: 53,
    34: 26,
    35: 4,
    36: 36,
    37: 24,
    38: 19,
    39: 22,
    40: 21,
    41: 12,
    42: 11,
    43: 28,
    44: 25,
    45: 15,
    46: 14,
    47: 29,
    48: 52,
    49: 30,
    50: 47,
    51: 48,
    52: 27,
    53: 13,
    54: 2,
}
MIN_SEED_TRANSLITERATION_PAIRS = 15  # 18 are found today


def transliteration_pairs(en, ar, directory=()):
    """(Arabic position, English position), 1-based, of the pairs proposed by transliteration."""
    return {
        (ar.index(p.name_ar) + 1, en.index(p.name_en) + 1)
        for p in propose_pairs(en, ar, directory)
        if p.reason == "transliteration"
    }


def test_transliteration_pairs_of_the_seed_letters_are_all_right(parsed_seed):
    en, ar = names(parsed_seed(1)), names(parsed_seed(0))
    assert sorted(SEED_SAME_ORGANISATION.values()) == list(range(1, 55))
    pairs = transliteration_pairs(en, ar)
    assert {(a, e) for a, e in pairs if SEED_SAME_ORGANISATION[a] != e} == set()
    assert len(pairs) >= MIN_SEED_TRANSLITERATION_PAIRS


def test_transliteration_proposes_nothing_between_letters_with_different_signatories(parsed_seed):
    # 002 is another statement: its Arabic signatories are not those of 001.
    assert transliteration_pairs(names(parsed_seed(1)), names(parsed_seed(2))) == set()


def test_generic_words_alone_propose_no_transliteration_pair():
    # "Syria"/"سوريا" and "Democratic"/"الديمقراطي" are transliterations too, but say nothing
    # about which organisation is meant.
    en = ["Syria Organization for Human Rights", "Democratic Forum", "Center for Development"]
    ar = ["منظمة سوريا لحقوق الإنسان", "المنتدى الديمقراطي", "مركز التنمية"]
    assert propose_pairs(en, ar) == []


def test_ambiguous_transliteration_proposes_nothing():
    ar = ["كرمين"]
    assert propose_pairs(["Karmeen for Education", "Karameen Youth"], ar) == []
    assert propose_pairs(["Karmeen"], ["كرمين للتعليم", "شباب كرمين"]) == []
    assert propose_pairs(["Karmeen for Education"], ar) == [
        ProposedPair("Karmeen for Education", "كرمين", "transliteration")
    ]


def test_directory_and_acronym_pairs_come_before_transliteration():
    en = ["Nojoom Network (NJN)", "Tarabot Foundation", "Tarabut Relief"]
    ar = ["نجوم", "شبكة النجوم (NJN)", "مؤسسة ترابط", "ترابط للإغاثة"]
    # Alone, transliteration pairs none of these: "Nojoom" and "Tarabot"/"Tarabut" each match two names.
    assert propose_pairs(en, [name.replace(" (NJN)", "") for name in ar]) == []
    directory = [("Tarabot Foundation", "ترابط للإغاثة")]
    assert propose_pairs(en, ar, directory) == [
        ProposedPair("Nojoom Network (NJN)", "شبكة النجوم (NJN)", "acronym NJN"),
        ProposedPair("Tarabot Foundation", "ترابط للإغاثة", "directory"),
        ProposedPair("Tarabut Relief", "مؤسسة ترابط", "transliteration"),
    ]


def test_same_family_name_pairs_only_the_same_kind_of_body():
    en = ["Kawthar Center", "Kawthar Organization"]
    ar = ["منظمة الكوثر", "مركز الكوثر"]
    assert propose_pairs(en, ar) == [
        ProposedPair("Kawthar Center", "مركز الكوثر", "transliteration"),
        ProposedPair("Kawthar Organization", "منظمة الكوثر", "transliteration"),
    ]
    assert propose_pairs(["Kawthar Center"], ["منظمة الكوثر"]) == []


@pytest.mark.parametrize(
    ("spelling", "arabic"),
    [
        ("Naseem", "نسيم"),
        ("Nasim", "نسيم"),
        ("Nassim", "نسيم"),  # ee / i, doubled letter
        ("Zuhoor", "زهور"),
        ("Zouhour", "زهور"),
        ("Zuhur", "زهور"),  # oo / ou / u
        ("Rahmeh", "رحمة"),
        ("Rahma", "رحمة"),
        ("Rahmah", "رحمة"),  # tāʾ marbūṭa: eh / a / ah
        ("Bayader", "بيادر"),
        ("Beyader", "بيادر"),  # ay / ey
        ("Al-Safsaf", "الصفصاف"),
        ("El Safsaf", "الصفصاف"),
        ("Alsafsaf", "الصفصاف"),  # the article ...
        ("Assafsaf", "الصفصاف"),
        ("Safsaf", "الصفصاف"),  # ... assimilated, or dropped
        ("Qamar", "قمر"),
        ("Kamar", "قمر"),  # q / k
    ],
)
def test_vowel_spellings_of_a_transliterated_name_pair(spelling, arabic):
    en = [f"{spelling} Foundation for Development", "Syrian Network for Human Rights"]
    ar = ["الشبكة السورية لحقوق الإنسان", f"مؤسسة {arabic} للتنمية"]
    assert propose_pairs(en, ar) == [ProposedPair(en[0], ar[1], "transliteration")]


def test_short_transliterated_name_pairs_only_when_it_is_the_whole_name():
    assert propose_pairs(["Sawa Foundation"], ["مؤسسة سوا"]) == [
        ProposedPair("Sawa Foundation", "مؤسسة سوا", "transliteration")
    ]
    # Two consonants ("s-w") in a name whose other words are left unexplained are not enough.
    assert propose_pairs(["Sawa Women Now"], ["مؤسسة سوا لتمكين المرأة"]) == []


# --------------------------------------------------------------------------- codes of warnings and errors

# Texts and files that, with the seeds, make the parser give every warning and error it has.
WARNING_TEXTS = [
    "Statement\n\n1. Alpha\n2. Beta\n3. Gamma\n",  # no heading
    "Home\nMenu\n\nTitle\n\nBody text.\n\nSignatories:\n1. Alpha\n- Beta\n3. Gamma\n1. Delta\n\nLeave a reply\n",
]
BAD_FILES = [
    b"",
    b"\xff\xfe\x00\xd8",  # UTF-16 BOM, then half a character
    "الموقعون:\n1. الشبكة\n".encode("cp1256"),
    "Signatories:\n1. Café Alpha\n".encode("utf-16-le"),  # no BOM
    b"Signatories:\x00\n1. Alpha\n",
]
BAD_TEXT_SETS = [
    [],
    ["Signatories:\n1. Alpha\n"] * 3,
    ["Signatories:\n1. Alpha\n", "Signatories:\n1. Beta\n"],
    ["Signatories:\n1. " + "x" * 301 + "\n"],
    ["1. 2. 3."],
]


def produced_notes_and_errors(seed_text) -> list[tuple[str, dict, str]]:
    found = []
    for text in [seed_text(number) for number in range(5)] + WARNING_TEXTS:
        try:
            found += [(note.code, note.params, english(note)) for note in parse_letter_text(text).warnings]
        except LetterImportError as error:
            found.append((error.code, error.params, english(error)))
    for data in BAD_FILES:
        with pytest.raises(LetterImportError) as excinfo:
            decode_letter_file(data)
        found.append((excinfo.value.code, excinfo.value.params, english(excinfo.value)))
    for texts in BAD_TEXT_SETS:
        with pytest.raises(LetterImportError) as excinfo:
            parse_texts(texts)
        found.append((excinfo.value.code, excinfo.value.params, english(excinfo.value)))
    return found


def test_every_warning_and_error_code_has_a_translatable_wording(seed_text):
    produced = produced_notes_and_errors(seed_text)
    codes = {code for code, _params, _english in produced}
    assert codes - set(IMPORT_MESSAGES) == set(), "word these codes in letterhub/services/imports/messages.py"
    # "only_language" is added by storage.import_letter (tests/functional/test_letter_import.py).
    assert set(IMPORT_MESSAGES) - codes == {"only_language"}, "give these codes a test input above"
    for code, params, english_text in produced:
        assert word(code, params) == english_text, (code, params)
        assert "%(" not in english_text and english_text != code


def test_warnings_are_codes_with_params_worded_once_by_the_catalogue():
    (note,) = parse_letter_text("Statement\n\n1. Alpha\n2. Beta\n3. Gamma\n\nLeave a reply\n").warnings[1:]
    assert note == ImportNote("trailing_lines_ignored", {"count": 1})
    assert english(note) == "1 line(s) after the signatory list were ignored."
    assert json.loads(json.dumps(dataclasses.asdict(note))) == {
        "code": "trailing_lines_ignored",
        "params": {"count": 1},
    }
    assert copy.deepcopy(note).params == {"count": 1}


def test_an_error_in_one_of_two_texts_says_which_text():
    with pytest.raises(NoSignatoryList) as excinfo:
        parse_texts(["Signatories:\n1. Alpha\n", "Nothing to see here."])
    assert english(excinfo.value).startswith("Text 2: No signatory list was found")


# --------------------------------------------------------------------------- folding


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("مؤسسة أمل", "موسسه امل"),  # hamza on waw and on alef, taa marbuta
        ("هيئة إغاثة", "هييه اغاثه"),  # hamza on yaa
        ("مستشفى الآمال", "مستشفي الامال"),  # alef maqsura, madda
        ("مُنَظَّمَة العَدالـــة", "منظمة العدالة"),  # diacritics and tatweel
        ("The Day-After", "day after"),  # case, punctuation; "the" in name_key
    ],
)
def test_one_folding_makes_spelling_variants_equal(one, other):
    assert folding.name_key(one) == folding.name_key(other)


def test_folding_keeps_different_names_apart():
    assert folding.fold("مجلس محافظة درعا") != folding.fold("مجلس محافظة القنيطرة")
    assert folding.fold("على") == folding.fold("علي")  # for comparison only; transliteration keeps them apart
    assert folding.unify_alefs("على") != folding.unify_alefs("علي")


# --------------------------------------------------------------------------- formats letters are published in

CORPUS_DIR = Path(__file__).resolve().parents[1] / "data" / "import_corpus"
CORPUS = json.loads((CORPUS_DIR / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_published_formats_are_read_or_refused_as_expected(name):
    """tests/data/import_corpus: headings, digits, bidi marks, markers, plain lines, countries, HTML."""
    expected = CORPUS[name]
    text = (CORPUS_DIR / f"{name}.txt").read_text(encoding="utf-8")
    if expected.get("refused"):
        with pytest.raises(NoSignatoryList):
            parse_letter_text(text)
        return
    letter = parse_letter_text(text)
    assert letter.language == expected["language"]
    assert len(letter.signatories) == expected["count"], names(letter)
    for index, published in expected["names"].items():
        assert letter.signatories[int(index)].name == published
    assert "no_heading" not in {note.code for note in letter.warnings}  # each text introduces its list
