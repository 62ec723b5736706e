"""What every way in stores for an organisation's names and an email address."""

from __future__ import annotations

import pytest

from letterhub.services.names import EMAIL_MAX, NAME_MAX, clean_email, clean_organization_names


def test_organization_names_are_cleaned_and_cut_to_what_the_table_holds():
    assert clean_organization_names("  The\u202e Women\tNow ", "") == ("The Women Now", "")
    assert clean_organization_names("", "ا" * (NAME_MAX + 5)) == ("", "ا" * NAME_MAX)


@pytest.mark.parametrize(("name_en", "name_ar"), [("", ""), ("  ", "\u200f"), ("\u202e", "\t")])
def test_an_organisation_without_a_name_left_is_refused(name_en, name_ar):
    with pytest.raises(ValueError):
        clean_organization_names(name_en, name_ar)


def test_email_addresses_compare_trimmed_and_in_lower_case():
    assert clean_email("  Lina@Archive.Example ") == "lina@archive.example"
    assert clean_email("") == ""
    assert len(clean_email("a" * 300 + "@example.org")) == EMAIL_MAX
