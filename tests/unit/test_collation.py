"""Alphabetical order of signatory names, checked against the coalitions' own hand-made lists."""

from __future__ import annotations

import random
import re

import pytest

from letterhub.services.collation import sort_key, sort_key_function, sort_names


def arabic_seed_names(text: str) -> list[str]:
    """Seed 000's list: lines ``1. name`` after the heading ``### الموقعون:``."""
    signatories = text.split("### الموقعون:", 1)[1]
    return [m.group(1).strip() for m in re.finditer(r"^\d+\.\s+(.+)$", signatories, re.M)]


def english_seed_names(text: str) -> list[str]:
    """Seed 001's list: lines ``- 1- name`` (spacing varies) after ``Signatories:``."""
    signatories = text.split("Signatories:", 1)[1]
    return [m.group(1).strip() for m in re.finditer(r"^-?\s*\d+-\s*(.+)$", signatories, re.M)]


def shuffled(names: list[str]) -> list[str]:
    copy = list(names)
    random.Random(2018).shuffle(copy)
    assert copy != names  # otherwise the sorting tests below would prove nothing
    return copy


def test_arabic_order_reproduces_the_alphabetical_part_of_seed_000(seed_text):
    names = arabic_seed_names(seed_text(0))
    assert len(names) == 54
    alphabetical_part = names[:42]  # 43–54 were appended later, out of order
    assert sort_names(shuffled(alphabetical_part), "ar") == alphabetical_part


def test_arabic_article_counts_as_part_of_the_name():
    # «الأرشيف» sorts under ا, before «بسمة»; ignoring «ال» would put «المنتدى» among the م.
    assert sort_names(["منظمة قدرة", "بسمة وزيتونة", "المنتدى السوري", "الأرشيف السوري"], "ar") == [
        "الأرشيف السوري",
        "المنتدى السوري",
        "بسمة وزيتونة",
        "منظمة قدرة",
    ]


def test_english_order_reproduces_seed_001(seed_text):
    names = english_seed_names(seed_text(1))
    assert len(names) == 54
    assert sort_names(shuffled(names), "en") == names


def test_english_order_ignores_case():
    # Code-point order would put every capital first: "Zeta" before "alpha".
    assert sort_names(["Zeta", "alpha", "Beta"], "en") == ["alpha", "Beta", "Zeta"]


def test_names_differing_only_in_case_still_get_one_reproducible_order():
    assert sort_names(["syrian forum", "Syrian Forum"], "en") == sort_names(
        ["Syrian Forum", "syrian forum"], "en"
    )


def test_sort_key_agrees_with_sort_names():
    names = ["Dawlaty", "baytna Syria", "Asharq News"]
    assert sorted(names, key=lambda n: sort_key(n, "en")) == sort_names(names, "en")
    assert sorted(names, key=sort_key_function("en")) == sort_names(names, "en")


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        sort_names(["x"], "xx")
