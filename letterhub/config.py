"""Configuration: defaults here, then ``instance/config.py``, then ``LETTERHUB_*`` variables.

Every setting can be given as an environment variable with the ``LETTERHUB_`` prefix
(``LETTERHUB_DATABASE_URL``, ``LETTERHUB_SECRET_KEY``, ``LETTERHUB_SMTP_HOST`` ...). Each
value is read as the type of its default below (:func:`from_environment`). See the README for
the full list.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The key every fresh checkout shares. Outside debug and tests the app refuses to start with it.
DEFAULT_SECRET_KEY = "dev-only-change-me"  # noqa: S105 (refused outside debug and tests)


class Defaults:
    SECRET_KEY = DEFAULT_SECRET_KEY
    # Previous keys, oldest first, still accepted (never used to sign) for sessions, CSRF
    # tokens and invitation links while a key is being rotated. From the environment:
    # comma-separated or a JSON list.
    SECRET_KEY_FALLBACKS: list[str] = []
    # Empty: SQLite under instance/ (set in create_app, because it needs the instance path).
    DATABASE_URL = ""
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # SQLite only: how long a writer waits for another's write lock before the request gets a
    # 503 with Retry-After (see letterhub.database).
    SQLITE_BUSY_TIMEOUT_MS = 5000

    # Absolute address used in emails (links must work outside a request). It also decides the
    # production settings derive_from_base_url() fills in: the trusted host and, when it is
    # https, HSTS, the redirect to https and Secure, __Host- cookies.
    BASE_URL = "http://127.0.0.1:5000"
    # Host names the app answers to (Flask's TRUSTED_HOSTS); any other Host header gets 400.
    # None: BASE_URL's host only. A list, or comma-separated in LETTERHUB_TRUSTED_HOSTS.
    TRUSTED_HOSTS: list[str] | None = None
    # How many reverse proxies in front of the app set each X-Forwarded-* header (Werkzeug's
    # ProxyFix). 0 trusts none: the client could forge them. Behind one nginx/Caddy: 1 each.
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0
    PROXY_FIX_X_HOST = 0

    # Outgoing mail. MAIL_TRANSPORT is "smtp" in production; "mailbox" writes each message
    # into MAILBOX_DIR (instance/mailbox by default), readable at /dev/mailbox only in debug
    # mode (scripts/dev's worker runs without debug and still writes there).
    MAIL_TRANSPORT = "smtp"
    MAIL_FROM = "letterhub <letters@localhost>"
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 25
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    SMTP_STARTTLS = False
    SMTP_TIMEOUT = 10
    MAIL_MAX_ATTEMPTS = 8
    # A worker holds the batch it is sending this long, and renews the claim on what is left
    # when half of it has passed; a worker that died while sending leaves the rest to another
    # after this. Keep it above twice the longest send (several SMTP_TIMEOUTs).
    MAIL_CLAIM_SECONDS = 60
    MAILBOX_DIR = ""
    # Replies to a drafting comment are emailed to the thread's other participants as a digest:
    # the worker waits until the oldest unsent reply is this old, then sends one email per
    # person with every reply since (services.commenting).
    COMMENT_DIGEST_MINUTES = 10

    # Invitation links expire after this many days, or DEADLINE_LINK_GRACE_DAYS after the
    # letter's deadline if that is later (moving the deadline moves it: see services.deadlines).
    INVITATION_MAX_AGE_DAYS = 30
    DEADLINE_LINK_GRACE_DAYS = 30
    # A link to set a password (a new team member's, an account an administrator created or
    # reset) works this many hours, and once: setting the password makes it stale.
    ACCOUNT_LINK_MAX_AGE_HOURS = 72
    # The coalition's time zone (IANA name): a new letter's deadline is entered and shown in it.
    DEFAULT_TIMEZONE = "Asia/Damascus"

    # Rate limits (Flask-Limiter). memory:// is per process; use redis:// with several workers.
    RATELIMIT_STORAGE_URI = "memory://"
    # While that storage cannot be reached, count in this process's memory (logged once, and
    # Redis is tried again with growing pauses) instead of answering 500 on every limited page.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_DEFAULT = "600 per minute"
    RATELIMIT_SIGNING = "30 per minute"
    RATELIMIT_LOGIN = "10 per minute"
    # Submissions of a letter's public sign-on page, per client address (its GETs count as signing pages).
    RATELIMIT_OPEN_SIGNON = "5 per hour"
    # How long the link that confirms an open sign-on request's email works.
    SIGNON_CONFIRM_HOURS = 48
    RATELIMIT_HEADERS_ENABLED = True

    # Babel: the interface exists in these locales.
    LANGUAGES = ("en", "ar")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # Argon2id parameters for coordinator passwords: a profile name from argon2.profiles.
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"  # noqa: S105 (a profile name, not a password)

    # Forms and sessions.
    # CSRF tokens are checked by every form (FlaskForm), not before the view: a failed check
    # then comes back as a form error with everything the user typed still in the form.
    # The token lives as long as the session.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Unset: Secure exactly when BASE_URL is https (see derive_from_base_url).
    SESSION_COOKIE_SECURE: bool | None = None
    # A coordinator's sign-in is a server-side login session (letterhub.services.login_sessions).
    # Without "keep me signed in" it lasts SIGN_IN_HOURS and its cookie ends with the browser;
    # with it, REMEMBER_ME_DAYS, and the session cookie is kept that long.
    SIGN_IN_HOURS = 12
    REMEMBER_ME_DAYS = 30
    # A login session's row is deleted this many days after it ended or expired (by the
    # worker's mail loop, hourly, or `users prune-sessions`); sign-ins stay in the audit trail.
    SESSION_HISTORY_DAYS = 30
    # Flask-Login's own remember cookie is never set (login_sessions.sign_in); should one be
    # set anyway, it is not sent to other sites and not readable by scripts.
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024

    # Logs go to stderr, one line per event. "json" (one object per line) or "text"; empty:
    # json, except in debug mode and tests, which write text. Signing tokens are always masked.
    LOG_FORMAT = ""
    LOG_LEVEL = "INFO"
    # Take the request id from the X-Request-ID header when it is well-formed (the proxy in
    # front sets it); otherwise every request gets a new one. Returned in the response.
    REQUEST_ID_FROM_HEADER = True

    # Stored final PDFs are archival PDF/A-2b ("pdf/a-3b" also allowed); empty: plain PDF.
    # See letterhub.services.rendering.DEFAULT_PDF_VARIANT for what was checked.
    PDF_VARIANT = "pdf/a-2b"
    # Ceilings for one PDF render (worker and `letters pdf`); 0 lifts a ceiling. Memory is
    # address space (RLIMIT_AS): a 2,000-name bilingual letter needs about 350 MB of it.
    PDF_RENDER_SECONDS = 300
    PDF_RENDER_MEMORY_MB = 2048

    # Field limits, enforced in forms and services alike.
    MAX_TITLE_LENGTH = 500
    MAX_BODY_LENGTH = 200_000


def serves_https(config: MutableMapping[str, Any]) -> bool:
    return urlsplit(config["BASE_URL"]).scheme == "https"


def derive_from_base_url(config: MutableMapping[str, Any]) -> None:
    """Fill in the settings that follow from ``BASE_URL``, unless they were set explicitly.

    Over https the session cookie is ``__Host-session`` (Secure, path /, no domain: the
    browser then refuses it from plain http or from a sibling host) and the remember-me
    cookie is Secure. ``SERVER_NAME`` stays unset: since Flask 3.1 it no longer restricts
    hosts (``TRUSTED_HOSTS`` does), and emails and PDFs build their links from ``BASE_URL``.
    """
    base = urlsplit(config["BASE_URL"])
    if base.scheme not in ("http", "https") or not base.hostname:
        raise RuntimeError(
            f"BASE_URL must be an http(s) address with a host name, not {config['BASE_URL']!r}"
        )
    hosts = config.get("TRUSTED_HOSTS")
    if hosts is None:
        hosts = [base.hostname]
    elif isinstance(hosts, str):
        hosts = [host.strip() for host in hosts.split(",") if host.strip()]
    config["TRUSTED_HOSTS"] = list(hosts)
    https = serves_https(config)
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = https
    config.setdefault("REMEMBER_COOKIE_SECURE", config["SESSION_COOKIE_SECURE"])
    if https:
        config["PREFERRED_URL_SCHEME"] = "https"
    if config["SESSION_COOKIE_SECURE"] and not config.get("SESSION_COOKIE_DOMAIN"):
        config["SESSION_COOKIE_PATH"] = "/"
        if config.get("SESSION_COOKIE_NAME", "session") == "session":
            config["SESSION_COOKIE_NAME"] = "__Host-session"


class ConfigError(ValueError):
    """A ``LETTERHUB_*`` variable whose value does not fit its setting's type."""


MAIL_TRANSPORTS = ("smtp", "mailbox")


def check_choices(config: Mapping[str, Any]) -> None:
    """Stop the start on a setting that names something that does not exist.

    Otherwise an unknown MAIL_TRANSPORT fails every round of the worker, and an unknown
    DEFAULT_TIMEZONE every new letter's page, long after the deployment looked fine.
    """
    if config["MAIL_TRANSPORT"] not in MAIL_TRANSPORTS:
        raise ConfigError(
            f"MAIL_TRANSPORT={config['MAIL_TRANSPORT']!r} is not one of {', '.join(MAIL_TRANSPORTS)}"
        )
    try:
        ZoneInfo(str(config["DEFAULT_TIMEZONE"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"DEFAULT_TIMEZONE={config['DEFAULT_TIMEZONE']!r} is not a time zone known here "
            "(an IANA name such as Asia/Damascus; Debian's tzdata package provides them)"
        ) from None


ENVIRONMENT_PREFIX = "LETTERHUB_"
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings found in ``LETTERHUB_*`` environment variables, each of its default's type.

    A value is converted to the type of the setting's default in :class:`Defaults`, never
    guessed from its look: a password of digits stays text, ``SMTP_PORT=587`` is an int.
    Variables that name no setting (``LETTERHUB_INSTANCE_PATH``, a test's own) are kept as
    text. A value that cannot be read as its type raises :class:`ConfigError` naming the
    variable, so a typo stops the start rather than a request later.
    """
    environ = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENVIRONMENT_PREFIX):
            continue
        name = key.removeprefix(ENVIRONMENT_PREFIX)
        default = getattr(Defaults, name, "")
        if default is None and "bool" in str(Defaults.__annotations__.get(name, "")):
            default = None if not raw.strip() else False  # ``bool | None``: unset, or true/false
        settings[name] = convert(key, raw, default)
    return settings


def convert(variable: str, raw: str, default: Any) -> Any:
    """``raw`` read as the type of ``default``; :class:`ConfigError` names ``variable`` if it cannot be."""
    value = raw.strip()
    try:
        if isinstance(default, bool):  # before int: bool is an int
            return _boolean(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, timedelta):
            return timedelta(seconds=float(value))
        if isinstance(default, list | tuple):
            return type(default)(_sequence(value))
        if isinstance(default, dict):
            decoded = json.loads(value)
            if not isinstance(decoded, dict):
                raise ValueError("not a JSON object")
            return decoded
        if default is None:  # e.g. WTF_CSRF_TIME_LIMIT: empty for None, else a JSON value or text
            return _json_or_text(value) if value else None
    except ValueError as error:
        kind = _TYPE_NAMES.get(type(default), type(default).__name__)
        raise ConfigError(f"{variable}={raw!r} is not {kind} ({error})") from None
    return raw


def key_list(value) -> list[str]:
    """SECRET_KEY_FALLBACKS as a list: given as a list, a JSON list or comma-separated text."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = json.loads(text)
        else:
            value = text.split(",")
    if not isinstance(value, list | tuple):
        raise ValueError("SECRET_KEY_FALLBACKS must be a list of keys")
    return [str(key).strip() for key in value if str(key).strip()]


_TYPE_NAMES = {
    bool: "true or false (also 1/0, yes/no, on/off)",
    int: "a whole number",
    float: "a number",
    timedelta: "a number of seconds",
    list: "a list (JSON, or values separated by commas)",
    tuple: "a list (JSON, or values separated by commas)",
    dict: "a JSON object",
}


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError("not a yes/no word")


def _sequence(value: str) -> list:
    if value.startswith("["):
        decoded = json.loads(value)
        if not isinstance(decoded, list):
            raise ValueError("not a JSON list")
        return decoded
    return [item.strip() for item in value.split(",") if item.strip()]


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
