"""How SQLite transactions begin, and what a database that stays locked looks like.

SQLite allows one writer at a time. A transaction that reads and then writes must take the
write lock *before* it reads (``BEGIN IMMEDIATE``): one that starts as a reader (``BEGIN``,
deferred) and later tries to write, after another writer committed in between, cannot wait its
turn (SQLite answers ``SQLITE_BUSY_SNAPSHOT`` at once, whatever the busy timeout), and one that
waits while holding a read snapshot can deadlock with another such transaction.

Python 3.11's ``sqlite3`` cannot be told to begin immediately, and by default it begins a
transaction only at the first INSERT/UPDATE/DELETE, so the reads before it run outside any
transaction. Following SQLAlchemy's recipe for pysqlite ("Serializable isolation /
Savepoints / Transactional DDL"), the driver's own BEGIN is switched off
(``isolation_level = None``) and every transaction emits its own BEGIN from a ``begin``
listener. Which BEGIN:

- a web request with a method that may write (anything but GET, HEAD and OPTIONS): IMMEDIATE.
  The whole request is one transaction that holds the write lock from its first query, so it
  either waits its turn (``SQLITE_BUSY_TIMEOUT_MS``) or writes nothing at all;
- a GET, HEAD or OPTIONS request: deferred. It reads a consistent snapshot and never waits for
  a writer (WAL). Such requests do not write;
- anything outside a request (the worker, CLI commands, a shell): IMMEDIATE, unless wrapped in
  :func:`reading` (the test suite's own code is, so that it never holds the write lock while
  the request under test runs).

Where a request's database stays locked past the busy timeout, ``create_app`` answers 503 with
``Retry-After`` (see :func:`is_locked`); the request's transaction has written nothing.
PostgreSQL is not touched by any of this.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextvars import ContextVar

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

IMMEDIATE = "BEGIN IMMEDIATE"
DEFERRED = "BEGIN"
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Seconds a client is asked to wait (``Retry-After``) when the database stayed locked.
LOCKED_RETRY_AFTER_SECONDS = 5

_begin_outside_requests: ContextVar[str] = ContextVar("sqlite_begin_outside_requests", default=IMMEDIATE)


def begin_statement() -> str:
    """The BEGIN for a transaction starting now, in this request or context (see the module)."""
    if has_request_context():
        if g.get("database_read_only") or request.method in READ_ONLY_METHODS:
            return DEFERRED
        return IMMEDIATE
    return _begin_outside_requests.get()


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """Transactions begun in this context outside a request are deferred (for code that only reads)."""
    token = _begin_outside_requests.set(DEFERRED)
    try:
        yield
    finally:
        _begin_outside_requests.reset(token)


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Transactions begun in this context outside a request take the write lock at once (the default)."""
    token = _begin_outside_requests.set(IMMEDIATE)
    try:
        yield
    finally:
        _begin_outside_requests.reset(token)


def stop_writing_in_this_request() -> None:
    """Begin the rest of this request's transactions deferred (an error page that only reads)."""
    g.database_read_only = True


def is_locked(error: BaseException) -> bool:
    """Whether ``error`` (as SQLAlchemy raised it) is SQLite's "database is locked/busy"."""
    original = getattr(error, "orig", error)
    if not isinstance(original, sqlite3.OperationalError):
        return False
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(original) or "busy" in str(original)


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """WAL lets readers work while a writer writes; foreign keys are off in SQLite by default.

    The busy timeout is the driver's ``timeout`` (``SQLITE_BUSY_TIMEOUT_MS``, set in create_app).
    """
    if _is_sqlite(dbapi_connection):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _begin)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


@event.listens_for(Engine, "begin")
def _begin(connection: Connection) -> None:
    if connection.dialect.name == "sqlite" and connection.dialect.driver == "pysqlite":
        connection.exec_driver_sql(begin_statement())
