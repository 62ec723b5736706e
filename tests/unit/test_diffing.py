"""Word-by-word differences (services/diffing.py): pure, tested on seed-like Arabic and English."""

from __future__ import annotations

from letterhub.services.diffing import (
    Segment,
    changed_paragraphs,
    diff_text,
    direction_runs,
    marked_plain,
    three_way,
    tokenize,
)

ARABIC_OLD = (
    "لقد دخلت مختلف المناطق في سوريا مرحلة جديدة من التصعيد العسكري.\n\n"
    "- 1- **أنّ** الأولوية المطلقة الآن هي لوقف العمليات العسكرية فوراً.\n"
    "- 2- **أنّ** البحث في التسوية السياسية دون ضغط دولي هو قفز في الفراغ."
)
ENGLISH_OLD = (
    "Several areas in Syria entered a new phase of military escalation.\n\n"
    "- 1- The utmost priority now is an immediate end to military escalation.\n"
    "- 2- It would be futile to consider a political settlement."
)


def words(diff, op):
    return [s.text.strip() for paragraph in diff.paragraphs for s in paragraph if s.op == op]


def side(diff, skip):
    return "\n\n".join("".join(s.text for s in p if s.op != skip) for p in diff.paragraphs)


def test_tokens_keep_arabic_words_with_their_marks_numbers_and_hyphenated_names_whole():
    tokens = [t.text for t in tokenize("أنّ فوراً ١٣٫٥ 1,000,000 de-escalation Nation's (SNHR)، و13 مليون")]
    assert tokens == [
        "أنّ", "فوراً", "١٣٫٥", "1,000,000", "de-escalation", "Nation's",
        "(", "SNHR", ")", "،", "و", "13", "مليون",
    ]  # fmt: skip


def test_tokens_give_the_text_back_exactly():
    text = "Mr Antonio Guterres,  Secretary-General\nThe Council\n\n1. Release them."
    assert "".join(t.space + t.text for t in tokenize(text)) == text


def test_unchanged_text_has_no_change_and_keeps_its_paragraphs():
    diff = diff_text(ARABIC_OLD, ARABIC_OLD)
    assert not diff.changed and len(diff.paragraphs) == 2
    assert diff.inserted_words == diff.deleted_words == 0


def test_an_arabic_word_replaced_is_one_deletion_and_one_insertion_and_the_rest_is_equal():
    new = ARABIC_OLD.replace("فوراً", "دون إبطاء")
    diff = diff_text(ARABIC_OLD, new)
    assert words(diff, "delete") == ["فوراً"]
    assert words(diff, "insert") == ["دون إبطاء"]
    assert (diff.deleted_words, diff.inserted_words) == (1, 2)
    assert side(diff, "insert") == ARABIC_OLD and side(diff, "delete") == new
    assert not any(s.op != "equal" for s in diff.paragraphs[0])  # the first paragraph did not change


def test_english_insertion_keeps_list_lines_and_punctuation():
    new = ENGLISH_OLD.replace("a political settlement.", "a political settlement without a ceasefire.")
    diff = diff_text(ENGLISH_OLD, new)
    assert words(diff, "insert") == ["without a ceasefire"]
    assert words(diff, "delete") == []
    assert "\n- 2- It would be futile" in "".join(s.text for s in diff.paragraphs[1])


def test_added_and_removed_paragraphs_are_whole_paragraphs():
    new = ENGLISH_OLD + "\n\nWe call on the Council to act."
    diff = diff_text(ENGLISH_OLD, new)
    assert diff.paragraphs[-1] == (Segment("insert", "We call on the Council to act."),)
    removed = diff_text(new, ENGLISH_OLD)
    assert removed.paragraphs[-1] == (Segment("delete", "We call on the Council to act."),)


def test_a_paragraph_split_in_two_is_a_change_shown_as_its_break():
    diff = diff_text("One sentence. Two sentences.", "One sentence.\n\nTwo sentences.")
    assert diff.changed
    assert Segment("insert", "\n\n") in diff.paragraphs[0]


def test_a_number_changed_in_arabic_indic_digits_is_marked_whole():
    diff = diff_text("أكثر من ١٣ مليون مدني", "أكثر من ١٤ مليون مدني")
    assert words(diff, "delete") == ["١٣"] and words(diff, "insert") == ["١٤"]


def test_plain_marks_keep_spaces_outside_and_only_changed_paragraphs_are_kept():
    old = "نكتب إليكم.\n\nالكشف عن مصيرهم.\n\nشكرًا."
    new = "نكتب إليكم.\n\nالكشف الفوري عن مصير المعتقلين.\n\nشكرًا."
    diff = diff_text(old, new)
    (paragraph,) = changed_paragraphs(diff)
    assert marked_plain(paragraph) == "الكشف {+الفوري+} عن [-مصيرهم-] {+مصير المعتقلين+}."
    joined = changed_paragraphs(diff_text("One.\n\nTwo.", "One. Two."))
    assert [marked_plain(p) for p in joined] == ["One. [-¶-]"]  # the paragraphs joined


def test_three_way_shows_what_each_side_changed_from_the_common_text():
    theirs = ARABIC_OLD.replace("مرحلة جديدة", "مرحلة خطيرة")
    yours = ARABIC_OLD.replace("قفز في الفراغ", "هروب إلى الأمام")
    view = three_way(ARABIC_OLD, theirs, yours)
    assert view.base == ARABIC_OLD and view.both_changed
    assert words(view.theirs, "insert") == ["خطيرة"] and words(view.theirs, "delete") == ["جديدة"]
    assert words(view.yours, "insert") == ["هروب إلى الأمام"]
    assert side(view.yours, "delete") == yours


def test_latin_names_in_arabic_text_are_isolated_with_their_brackets():
    runs = direction_runs("وثّقت الشبكة السورية لحقوق الإنسان (SNHR) و Human Rights Watch ذلك", "rtl")
    assert [r.text for r in runs if r.isolate] == ["(SNHR)", "Human Rights Watch"]
    assert "".join(r.text for r in runs).startswith("وثّقت")


def test_arabic_names_in_english_text_are_isolated():
    runs = direction_runs("The Syrian Archive (الأرشيف السوري) confirmed.", "ltr")
    assert [r.text for r in runs if r.isolate] == ["الأرشيف السوري"]


def test_a_long_letter_with_one_change_is_compared_quickly():
    import time

    paragraphs = [f"Paragraph {n}: " + "the Council must act now " * 40 for n in range(300)]
    old = "\n\n".join(paragraphs)
    new = old.replace("Paragraph 150: the", "Paragraph 150: a")
    started = time.perf_counter()
    diff = diff_text(old, new)
    assert time.perf_counter() - started < 2
    assert (diff.inserted_words, diff.deleted_words) == (1, 1)
