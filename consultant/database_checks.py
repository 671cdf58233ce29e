"""Is the configured database usable? Each process asks at start; the CLI when a command fails.

Every answer is one line naming ``CONSULTANT_DATABASE_URL`` and what is wrong
(unreachable, refused, no such database, no tables yet), never the password
nor anything of a statement's values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from consultant.db import create_engine

#: The setting every message about the database names.
DATABASE_SETTING = "CONSULTANT_DATABASE_URL"
#: Seconds a start-up check waits for a server that does not answer.
CHECK_TIMEOUT_SECONDS = 10
#: SQLSTATE classes and codes whose server text names only hosts, roles, databases, tables or
#: columns, never a statement's values: connection exceptions, operator intervention, resources,
#: authorisation, unknown database, unknown table or column.
_SAFE_SQLSTATES = ("08", "53", "57", "28", "3D", "42P01", "42703")
_SERVER_PREFIXES = re.compile(
    r"^(connection failed:\s*)?"
    r'(connection to server at "[^"]*"(?: \([^)]*\))?, port \d+ failed:\s*)?'
    r"(FATAL:\s*|ERROR:\s*)?"
)
_CONNECTION_SQLSTATES = ("08", "53", "57")
_SQLITE_CONNECTION_ERRORS = ("database is locked", "unable to open database file", "disk I/O error")
_NO_DATABASE = re.compile(r'database "[^"]*" does not exist')
_UPGRADE = "run 'consultant db upgrade'"


class DatabaseUnavailable(Exception):
    """The configured database cannot be used; the message is one line naming the setting.

    It never holds the password, nor anything of a statement's values.
    """


def check_database(
    url: str,
    *,
    require_schema: bool = True,
    revisions_problem: Callable[[Collection[str]], str | None] | None = None,
    timeout: int = CHECK_TIMEOUT_SECONDS,
) -> None:
    """Connect to ``url``, run ``SELECT 1`` and, with ``require_schema``, see that the schema is
    there (``alembic_version`` holds a revision); raise :class:`DatabaseUnavailable` saying what is
    wrong. ``revisions_problem`` judges the revisions found (a message, or None when they do).

    A SQLite file that does not exist is never created here when the schema is required.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseUnavailable(f"{DATABASE_SETTING}: not a database URL") from None
    where = database_location(parsed)
    sqlite = parsed.get_backend_name() == "sqlite"
    file = parsed.database if sqlite and parsed.database != ":memory:" else None
    if file and require_schema and not Path(file).is_file():
        raise DatabaseUnavailable(
            f"{DATABASE_SETTING}: the database {where} does not exist yet: {_UPGRADE}"
        )
    try:
        engine = _check_engine(parsed, timeout)
    except OSError as exc:  # the SQLite file's folder cannot be made
        raise DatabaseUnavailable(
            f"{DATABASE_SETTING}: cannot create the folder of {where} ({exc.strerror or exc})"
        ) from None
    except SQLAlchemyError as exc:  # an unknown driver, a malformed option
        raise DatabaseUnavailable(f"{DATABASE_SETTING}: {type(exc).__name__}: {exc}") from None
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            if not require_schema:
                return
            problem = _schema_problem(connection, where, revisions_problem)
    except DBAPIError as exc:
        raise DatabaseUnavailable(_unusable(exc, parsed)) from None
    finally:
        engine.dispose()
    if problem:
        raise DatabaseUnavailable(f"{DATABASE_SETTING}: {problem}")


def database_location(url: URL) -> str:
    """``database "name" on host:port``, or the SQLite file's path: never the password."""
    if url.get_backend_name() == "sqlite":
        name = url.database or ":memory:"
        return name if name == ":memory:" else str(Path(name).resolve())
    return f'"{url.database}" on {server_address(url)}'


def server_address(url: URL) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def describe_database_error(exc: BaseException) -> str:
    """One line on a database error, fit for a log: the driver's class and, for errors about the
    connection, the server's reason. Any other error gives its class and SQLSTATE only: its text
    can quote a statement's values (mail, addresses: PHI).
    """
    orig = getattr(exc, "orig", None) or exc
    name = type(orig).__name__
    reason = connection_failure_reason(exc)
    if reason:
        return f"{name}: {reason}"
    sqlstate = getattr(orig, "sqlstate", None)
    return f"{name} (SQLSTATE {sqlstate})" if sqlstate else name


def connection_failure_reason(exc: BaseException) -> str | None:
    """The server's one-line reason when ``exc`` is about reaching or keeping the database
    (refused, unknown database, terminated, locked...), else None."""
    orig = getattr(exc, "orig", None) or exc
    module = type(orig).__module__
    if module.startswith("psycopg"):
        sqlstate = getattr(orig, "sqlstate", None)
        # No SQLSTATE: the connection itself failed (refused, unknown host or database).
        if sqlstate is not None and not sqlstate.startswith(_SAFE_SQLSTATES):
            return None
    elif not (module == "sqlite3" and type(orig).__name__ == "OperationalError"):
        return None
    lines = str(orig).strip().splitlines()
    reason = _SERVER_PREFIXES.sub("", lines[0].strip()) if lines else ""
    reason = " ".join(reason.split())
    if not reason:
        return None
    return reason[:1].lower() + reason[1:] if reason[1:2].islower() else reason


def is_connection_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is about reaching or keeping the database, not about a statement."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None) or exc
    module = type(orig).__module__
    if module.startswith("psycopg"):
        sqlstate = getattr(orig, "sqlstate", None)
        return sqlstate is None or sqlstate.startswith(_CONNECTION_SQLSTATES)
    if module == "sqlite3":
        return str(orig).startswith(_SQLITE_CONNECTION_ERRORS)
    return False


def _check_engine(url: URL, timeout: int) -> Engine:
    if url.get_backend_name() == "sqlite":
        return create_engine(url.render_as_string(hide_password=False))
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = timeout
    return sa_create_engine(
        url, poolclass=NullPool, hide_parameters=True, connect_args=connect_args
    )


def _schema_problem(
    connection: Any,
    where: str,
    revisions_problem: Callable[[Collection[str]], str | None] | None,
) -> str | None:
    inspector = inspect(connection)
    if not inspector.has_table("alembic_version"):
        if inspector.get_table_names():
            return (
                f"the database {where} has tables but no alembic_version: "
                f"it was not made by 'consultant db upgrade'"
            )
        return f"the database {where} has no tables yet: {_UPGRADE}"
    revisions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    found = frozenset(str(revision) for revision in revisions)
    if not found:
        return f"the database {where} has no tables yet: {_UPGRADE}"
    if revisions_problem is not None:
        problem = revisions_problem(found)
        if problem:
            return f"the database {where} {problem}"
    return None


def _unusable(exc: DBAPIError, url: URL) -> str:
    reason = connection_failure_reason(exc)
    if url.get_backend_name() == "sqlite":
        shown = reason or describe_database_error(exc)
        return f"{DATABASE_SETTING}: cannot use {database_location(url)} ({shown})"
    if reason is None:
        return f"{DATABASE_SETTING}: {database_location(url)}: {describe_database_error(exc)}"
    if _NO_DATABASE.search(reason):
        return (
            f'{DATABASE_SETTING}: database "{url.database}" does not exist on {server_address(url)}'
        )
    return f"{DATABASE_SETTING}: cannot connect to {server_address(url)} ({reason})"
