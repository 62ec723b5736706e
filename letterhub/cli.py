"""Command-line interface: ``flask --app letterhub <group> <command>``.

Each command is a transaction boundary: it calls services and commits once.
"""

from __future__ import annotations

import getpass
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from . import worker
from .cli_letters import letters_cli
from .cli_organizations import organizations_cli
from .database import reading
from .extensions import db
from .models import OutboxMessage, SessionEnd
from .services import accounts, audit, demo, login_sessions

users_cli = AppGroup("users", help="Coordinator accounts.")
mail_cli = AppGroup("mail", help="The outbox and the mail worker.")
audit_cli = AppGroup("audit", help="The audit trail.")


@users_cli.command("create")
@click.option("--email", prompt=True)
@click.option("--name", default="", help="Display name (defaults to the email).")
@click.option("--locale", type=click.Choice(["en", "ar"]), default="en")
@click.option(
    "--password",
    envvar="LETTERHUB_NEW_PASSWORD",
    default=None,
    help="Read from LETTERHUB_NEW_PASSWORD or asked for when omitted.",
)
@click.option(
    "--admin", "is_admin", is_flag=True, help="An administrator: sees every letter, manages accounts."
)
def create_user(email: str, name: str, locale: str, password: str | None, is_admin: bool) -> None:
    """Add a coordinator account (an administrator's with --admin)."""
    try:
        user = accounts.create_user(email, name, _new_password(password), locale, is_admin=is_admin)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"created {'administrator' if is_admin else 'coordinator'} {user.email}")


@users_cli.command("admin")
@click.option("--email", prompt=True)
@click.option("--revoke", is_flag=True, help="Take the administrator's rights away instead.")
def make_admin(email: str, revoke: bool) -> None:
    """Make an existing account an administrator (or, with --revoke, a coordinator again)."""
    user = _user_or_fail(email)
    accounts.set_admin(user, not revoke)
    db.session.commit()
    click.echo(f"{user.email} is {'a coordinator' if revoke else 'an administrator'} now")


def _user_or_fail(email: str):
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    return user


def _new_password(password: str | None) -> str:
    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("give --password or LETTERHUB_NEW_PASSWORD when not on a terminal")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            raise click.ClickException("the passwords differ")
    return password


@users_cli.command("password")
@click.option("--email", prompt=True)
@click.option(
    "--password",
    envvar="LETTERHUB_NEW_PASSWORD",
    default=None,
    help="Read from LETTERHUB_NEW_PASSWORD or asked for when omitted.",
)
def set_password(email: str, password: str | None) -> None:
    """Set a coordinator's password; every session of the account ends."""
    user = _user_or_fail(email)
    try:
        ended = accounts.change_password(user, _new_password(password))
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"password changed for {user.email}; {ended} session(s) ended")


@users_cli.command("deactivate")
@click.option("--email", prompt=True)
def deactivate_user(email: str) -> None:
    """Refuse the account's sign-ins from now on; every session of the account ends."""
    user = _user_or_fail(email)
    ended = accounts.deactivate(user)
    db.session.commit()
    click.echo(f"deactivated {user.email}; {ended} session(s) ended")


@users_cli.command("activate")
@click.option("--email", prompt=True)
def activate_user(email: str) -> None:
    """Allow a deactivated account to sign in again."""
    user = _user_or_fail(email)
    accounts.reactivate(user)
    db.session.commit()
    click.echo(f"activated {user.email}")


@users_cli.command("sign-out")
@click.option("--email", prompt=True)
def sign_out_everywhere(email: str) -> None:
    """End every session of an account (a lost laptop, a shared computer)."""
    user = _user_or_fail(email)
    ended = login_sessions.end_all(user, SessionEnd.ALL_DEVICES)
    db.session.commit()
    click.echo(f"{ended} session(s) of {user.email} ended")


@users_cli.command("prune-sessions")
def prune_sessions() -> None:
    """Delete login sessions that ended or expired over SESSION_HISTORY_DAYS ago (the worker does it hourly)."""
    pruned = login_sessions.prune()
    db.session.commit()
    days = current_app.config["SESSION_HISTORY_DAYS"]
    click.echo(f"{pruned} login session(s) that ended or expired over {days} day(s) ago deleted")


@click.command("worker")
@click.option("--once", is_flag=True, help="Do what is due, then stop.")
@click.option(
    "--interval", default=2.0, show_default=True, help="Seconds to wait once there is nothing to do."
)
@click.option(
    "--only",
    type=click.Choice([job.value for job in worker.Job]),
    default=None,
    help="Only send mail or only render final documents (default: both, in two threads).",
)
def worker_command(once: bool, interval: float, only: str | None) -> None:
    """Deliver queued email and render final documents (run beside the web processes)."""
    jobs = (worker.Job(only),) if only else tuple(worker.Job)
    worker.run(current_app._get_current_object(), jobs=jobs, interval=interval, once=once)  # type: ignore[attr-defined]


@mail_cli.command("status")
def mail_status() -> None:
    """How many messages are queued, sent and failed."""
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    for status, count in rows:
        click.echo(f"{status.value}: {count}")


@click.command("demo")
@click.option("--password", default=demo.DEMO_PASSWORD, show_default=True)
def demo_command(password: str) -> None:
    """Create the demo coordinator and the demo letter, unless they exist already."""
    result = demo.ensure_demo(password=password)
    db.session.commit()
    click.echo(
        f"demo sign-in: {result.email} / {password}" + ("" if result.created_user else " (existing account)")
    )
    click.echo(
        f"demo letter: /letters/{result.letter_id}" + (" (new)" if result.created_letter else " (existing)")
    )


@audit_cli.command("verify")
def verify_audit() -> None:
    """Check every chain of the audit trail; exit 1 naming the first event that does not fit."""
    with reading():  # on SQLite, writers are not kept waiting while it reads
        result = audit.verify()
        db.session.rollback()
    if result.first_break is not None:
        click.echo(f"audit trail broken: {result.first_break.describe()}", err=True)
        sys.exit(1)
    click.echo(
        f"audit trail intact: {result.events} event(s) in {result.chains} chain(s); "
        f"SHA-256 of the chains' heads {result.heads_sha256}"
    )


def init_app(app) -> None:
    app.cli.add_command(letters_cli)
    app.cli.add_command(organizations_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
