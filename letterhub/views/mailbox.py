"""The development mailbox: every message the app sent, readable in the browser.

Registered only when MAIL_TRANSPORT is "mailbox" and the app runs in debug or test mode, so
in production this route does not exist.
"""

from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template

bp = Blueprint("mailbox", __name__, url_prefix="/dev/mailbox")


def _messages_dir() -> Path:
    return Path(current_app.config["MAILBOX_DIR"])


def _read(path: Path) -> dict:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    text = message.get_body(preferencelist=("plain",))
    return {
        "id": path.stem,
        "to": message["To"],
        "from": message["From"],
        "subject": message["Subject"],
        "date": path.stem,
        "text": text.get_content() if text is not None else "",
        "language": message["Content-Language"] or "en",
    }


@bp.get("/")
def index():
    directory = _messages_dir()
    paths = sorted(directory.glob("*.eml"), reverse=True) if directory.is_dir() else []
    return render_template("mailbox/index.html", messages=[_read(path) for path in paths[:200]])


@bp.get("/<message_id>")
def show(message_id: str):
    path = _messages_dir() / f"{message_id}.eml"
    if not message_id.replace("-", "").isdigit() or not path.is_file():
        abort(404)
    return render_template("mailbox/message.html", message=_read(path))
