"""The review page's picker: what a coordinator types names one Arabic entry, or none."""

from __future__ import annotations

import pytest

from letterhub.forms.imports import UnknownChoice, chosen_arabic_row
from letterhub.models import ImportedSignatory

ROWS = [
    ImportedSignatory(id=10 + position, language="ar", position=position, name=name)
    for position, name in enumerate(["الشبكة السورية لحقوق الإنسان", "منظمة العدالة", "17 نيسان"], start=1)
]


@pytest.mark.parametrize(
    ("typed", "position"),
    [
        ("2. منظمة العدالة", 2),  # as the list offers it
        ("2", 2),  # the number in the Arabic list
        ("٢", 2),  # in Arabic-Indic digits
        ("منظمة العدالة", 2),  # the name alone
        ("منظمه العداله", 2),  # the name spelt another way (folded)
        ("17 نيسان", 3),  # a name that starts with a number
        ("", None),  # nothing: unpair
    ],
)
def test_picker_text_names_one_arabic_entry(typed, position):
    row = chosen_arabic_row(typed, ROWS)
    assert (row.position if row else None) == position


@pytest.mark.parametrize("typed", ["9", "2. الشبكة السورية لحقوق الإنسان", "منظمة أخرى"])
def test_picker_text_naming_no_entry_is_refused(typed):
    with pytest.raises(UnknownChoice):
        chosen_arabic_row(typed, ROWS)
