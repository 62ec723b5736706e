"""Logs: one line per event on stderr, JSON in production, never a working signing link.

A signing link is a key: whoever reads it can sign for an organisation. It appears in request
paths (``/sign/<token>``), so in the error line of a failed request, in the access log of
werkzeug and gunicorn, and possibly inside an exception's text. Both formatters here mask
every token in the *finished* line (:func:`mask_tokens`), whatever part of the record it came
from: message, arguments, exception, stack. The app factory puts one of them on the root
logger (:func:`init_app`); ``gunicorn_config`` puts the JSON one on gunicorn's loggers
(:func:`gunicorn_logconfig`). That is the one mechanism.

Each request has an id: the ``X-Request-ID`` header when the proxy in front sets a
well-formed one (``REQUEST_ID_FROM_HEADER``), else a new one. It is returned in the response's
``X-Request-ID`` header and written in every line logged during the request, and gunicorn's
access line reads it from the response.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask.logging import default_handler

REQUEST_ID_HEADER = "X-Request-ID"
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\Z")

# A signing link's or an account link's (services.account_links) path segment, and an itsdangerous token wherever else it may be quoted
# (payload.timestamp.signature, URL-safe base64; the payload holds a random nonce, so it is
# never compressed, and the HMAC-SHA-256 signature is 43 characters).
_TOKEN_IN_PATH = re.compile(r"(/sign/|/join/confirm/|/account/link/\w+/)[^/\s?#\"'<>\\]+")
_BARE_TOKEN = re.compile(r"\.?[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,12}\.[A-Za-z0-9_-]{40,}")
MASK = "[token]"

FORMATS = ("json", "text")


def mask_tokens(text: str) -> str:
    """``text`` with every signing token replaced by ``[token]``."""
    return _BARE_TOKEN.sub(MASK, _TOKEN_IN_PATH.sub(r"\1" + MASK, text))


def current_request_id() -> str | None:
    """This request's id (taken from the trusted header or generated once), or None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        trusted = current_app.config.get("REQUEST_ID_FROM_HEADER", True)
        g.request_id = offered if trusted and WELL_FORMED_REQUEST_ID.match(offered) else uuid.uuid4().hex
    return g.request_id


def request_fields() -> dict[str, Any]:
    """The request a record was logged in: id, method and path (tokens masked later, with the line)."""
    if not has_request_context():
        return {}
    return {"request_id": current_request_id(), "method": request.method, "path": request.path}


def gunicorn_access_fields(record: logging.LogRecord) -> dict[str, Any]:
    """Fields of a gunicorn access line, read from its atoms (the record's mapping argument)."""
    atoms = record.args
    if record.name != "gunicorn.access" or not isinstance(atoms, dict):
        return {}

    def atom(key: str) -> str | None:
        value = atoms.get(key)
        return None if value in (None, "-") else str(value)

    status = atom("s")
    duration = atom("D")
    return {
        "request_id": atom("{x-request-id}o"),
        "method": atom("m"),
        "path": atom("U"),
        "status": int(status) if status and status.isdigit() else status,
        "duration_ms": round(int(duration) / 1000, 1) if duration and duration.isdigit() else None,
        "remote_addr": atom("h"),
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, method, path, status."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(request_fields())
        entry.update(
            {key: value for key, value in gunicorn_access_fields(record).items() if value is not None}
        )
        status = getattr(record, "status", None)
        if status is not None:
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return mask_tokens(json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """Readable lines for development, with the request id; tokens masked all the same."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        fields = request_fields()
        record.request = f" [{fields['request_id']} {fields['method']} {fields['path']}]" if fields else ""
        return mask_tokens(super().format(record))


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (a test's capture, a redirected stream)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def formatter_for(format_name: str) -> logging.Formatter:
    if format_name not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {format_name!r}")
    return JsonFormatter() if format_name == "json" else TextFormatter()


def init_app(app: Flask) -> None:
    """Log to stderr through a masking formatter; give every request an id, returned in its response."""
    format_name = app.config.get("LOG_FORMAT") or ("text" if app.debug or app.testing else "json")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, StderrHandler):  # an app made earlier in this process (tests)
            root.removeHandler(handler)
    if not any(isinstance(handler.formatter, JsonFormatter | TextFormatter) for handler in root.handlers):
        # Under gunicorn, gunicorn_config has already put the JSON formatter on the root logger.
        handler = StderrHandler()
        handler.setFormatter(formatter_for(format_name))
        root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL") or "INFO")
    # WeasyPrint logs an INFO line for every page it lays out ("Step 5 - Creating layout - Page
    # 52"): hundreds of lines for a big letter in the worker's and `letters pdf`'s logs. Its
    # warnings (a refused URL, a bad style) still show; the steps only when debugging.
    logging.getLogger("weasyprint.progress").setLevel(
        logging.NOTSET if root.getEffectiveLevel() <= logging.DEBUG else logging.WARNING
    )
    app.logger.removeHandler(default_handler)  # Flask's own handler would write a second, unmasked line

    @app.after_request
    def return_request_id(response):
        request_id = current_request_id()
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response


def gunicorn_logconfig(level: str = "INFO") -> dict:
    """gunicorn's ``logconfig_dict``: its error and access logs and the app's, as JSON on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": handler},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        },
    }
