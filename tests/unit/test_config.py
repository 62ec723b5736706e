"""Settings from ``LETTERHUB_*`` variables are typed by their defaults, never by their look."""

from __future__ import annotations

from datetime import timedelta

import pytest

from letterhub import create_app
from letterhub.config import ConfigError, convert, from_environment


def test_a_password_of_digits_stays_text():
    settings = from_environment({"LETTERHUB_SMTP_PASSWORD": "123456", "LETTERHUB_SMTP_USERNAME": "007"})
    assert settings == {"SMTP_PASSWORD": "123456", "SMTP_USERNAME": "007"}


def test_text_that_looks_like_a_yes_stays_text():
    assert from_environment({"LETTERHUB_MAIL_FROM": "yes"}) == {"MAIL_FROM": "yes"}


def test_a_port_is_an_int():
    assert from_environment({"LETTERHUB_SMTP_PORT": "587"}) == {"SMTP_PORT": 587}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("1", True),
        ("Yes", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("OFF", False),
    ],
)
def test_booleans_accept_the_usual_words(raw, expected):
    assert from_environment({"LETTERHUB_SMTP_STARTTLS": raw})["SMTP_STARTTLS"] is expected


def test_lists_from_json_or_commas_and_durations_from_seconds():
    assert from_environment({"LETTERHUB_LANGUAGES": "en, ar"})["LANGUAGES"] == ("en", "ar")
    assert from_environment({"LETTERHUB_LANGUAGES": '["ar", "en"]'})["LANGUAGES"] == ("ar", "en")
    assert convert("LETTERHUB_SOME_DURATION", "3600", timedelta(minutes=5)) == timedelta(hours=1)
    assert from_environment({"LETTERHUB_SECRET_KEY_FALLBACKS": "old1, old2"})["SECRET_KEY_FALLBACKS"] == [
        "old1",
        "old2",
    ]


def test_an_optional_boolean_is_unset_when_empty_and_a_bool_otherwise():
    assert from_environment({"LETTERHUB_SESSION_COOKIE_SECURE": ""}) == {"SESSION_COOKIE_SECURE": None}
    assert from_environment({"LETTERHUB_SESSION_COOKIE_SECURE": "yes"}) == {"SESSION_COOKIE_SECURE": True}


def test_a_variable_naming_no_setting_is_kept_as_text():
    assert from_environment({"LETTERHUB_SOMETHING_ELSE": "42"}) == {"SOMETHING_ELSE": "42"}


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("LETTERHUB_SMTP_PORT", "five-eight-seven"),
        ("LETTERHUB_SMTP_STARTTLS", "maybe"),
        ("LETTERHUB_SMTP_TIMEOUT", ""),
    ],
)
def test_a_bad_value_names_its_variable(variable, raw):
    with pytest.raises(ConfigError, match=variable):
        from_environment({variable: raw})


def test_the_app_refuses_to_start_with_a_bad_number(tmp_path, monkeypatch):
    monkeypatch.setenv("LETTERHUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LETTERHUB_SECRET_KEY", "a" * 64)
    monkeypatch.setenv("LETTERHUB_PDF_RENDER_SECONDS", "5 minutes")
    with pytest.raises(ConfigError, match="LETTERHUB_PDF_RENDER_SECONDS='5 minutes' is not a whole number"):
        create_app()


def test_a_digit_password_reaches_the_app_as_text(tmp_path, monkeypatch):
    monkeypatch.setenv("LETTERHUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LETTERHUB_SECRET_KEY", "a" * 64)
    monkeypatch.setenv("LETTERHUB_SMTP_PASSWORD", "0042")
    monkeypatch.setenv("LETTERHUB_SMTP_PORT", "587")
    app = create_app()
    assert app.config["SMTP_PASSWORD"] == "0042"
    assert app.config["SMTP_PORT"] == 587


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("LETTERHUB_MAIL_TRANSPORT", "smpt", "MAIL_TRANSPORT='smpt' is not one of smtp, mailbox"),
        ("LETTERHUB_DEFAULT_TIMEZONE", "Damascus", "DEFAULT_TIMEZONE='Damascus' is not a time zone"),
        (
            "LETTERHUB_DEFAULT_TIMEZONE",
            "../etc/passwd",
            "DEFAULT_TIMEZONE='../etc/passwd' is not a time zone",
        ),
    ],
)
def test_the_app_refuses_to_start_with_a_name_that_does_not_exist(
    tmp_path, monkeypatch, variable, raw, message
):
    monkeypatch.setenv("LETTERHUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LETTERHUB_SECRET_KEY", "a" * 64)
    monkeypatch.setenv(variable, raw)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_a_known_zone_and_the_mailbox_transport_start(tmp_path, monkeypatch):
    monkeypatch.setenv("LETTERHUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LETTERHUB_SECRET_KEY", "a" * 64)
    monkeypatch.setenv("LETTERHUB_MAIL_TRANSPORT", "mailbox")
    monkeypatch.setenv("LETTERHUB_DEFAULT_TIMEZONE", "Europe/Zurich")
    app = create_app()
    assert (app.config["MAIL_TRANSPORT"], app.config["DEFAULT_TIMEZONE"]) == ("mailbox", "Europe/Zurich")
