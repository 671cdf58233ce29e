"""Engine, sessions and the unit of work.

The boundary (a CLI command, a request, a task run, a poller step) owns the
transaction through :func:`unit_of_work`; services add and flush, never
commit. Work that must only happen once the data is durable (enqueueing a
task, touching the IMAP server) is registered with :func:`after_commit`, the
one mechanism for it, so a rolled-back transaction never leaves a task behind.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import MetaData, event, inspect, text
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

_log = logging.getLogger(__name__)

# Stable constraint names, so Alembic revisions are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_AFTER_COMMIT_KEY = "consultant.after_commit"


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the poller, workers and web read while one writes; the busy
    # timeout turns a brief write lock into a wait instead of an error.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder created and WAL mode.

    ``hide_parameters``: a statement's parameters can hold raw mail, addresses
    and question text (PHI); errors and logs must show the SQL, never them.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # NullPool: SQLite connections are cheap, and a pooled connection must
        # never cross a fork (Celery prefork, the poller).
        engine = sa_create_engine(
            url,
            poolclass=NullPool,
            hide_parameters=True,
        )
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return sa_create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
    )


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL per process."""
    return create_engine(url)


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url), expire_on_commit=False)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once ``session``'s transaction has committed; never if it rolls back."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


class TaskQueue(Protocol):
    """Runs a named task for row ids, some time later (``workers.queue`` is the Celery one).

    The boundary (a CLI command, the poller, a task) hands one in; the domain
    never names the implementation. Messages carry a task name and ids only:
    the task re-loads the rows, so no PHI travels through the broker.
    """

    def enqueue(self, task_name: str, row_id: int) -> None: ...

    def enqueue_many(self, task_name: str, row_ids: Sequence[int]) -> None:
        """The task for every row; a queue may send several ids in one message."""
        ...


def enqueue_after_commit(
    session: Session, task_name: str, row_ids: Sequence[int], queue: TaskQueue
) -> None:
    """Enqueue ``task_name`` for every row once ``session`` commits; never if it rolls back.

    The one way work is queued. A broker error then is logged and dropped, here
    and nowhere else: the rows are committed in a non-final state, and the
    sweeper re-enqueues them, so raising would only fail a step whose data is safe.
    """
    chosen = list(row_ids)

    def send() -> None:
        try:
            queue.enqueue_many(task_name, chosen)
        except Exception as exc:  # any broker or connection error: the sweeper has the rows
            _log.warning(
                "enqueue of %s for %d rows failed (%s); the sweeper will re-enqueue them",
                task_name,
                len(chosen),
                type(exc).__name__,
            )

    after_commit(session, send)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)


@contextmanager
def unit_of_work(
    url: str | None = None, *, connection: Connection | None = None
) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back if it raises.

    ``connection``: run it on this open connection instead of one from the
    pool, for a loop of many short transactions (a batch of ingests) that
    would otherwise pay a checkout, or on SQLite a new connection, each time.
    """
    if connection is not None:
        session = Session(bind=connection, expire_on_commit=False)
    else:
        if url is None:
            from consultant.config import get_settings

            url = get_settings().resolved_database_url
        session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class SharedConnection:
    """One open connection for a loop of short units of work, replaced after a failure.

    Each :meth:`unit_of_work` is an ordinary :func:`unit_of_work` on it; a loop
    of many (a batch of ingests) saves a pool checkout and its ping each time,
    and on SQLite a new connection with its PRAGMAs.
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._connection: Connection | None = None

    def __enter__(self) -> SharedConnection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.discard()

    def unit_of_work(self) -> AbstractContextManager[Session]:
        """A transaction on the shared connection (opened on first use)."""
        if self._connection is None:
            self._connection = engine_for(self.database_url).connect()
        return unit_of_work(connection=self._connection)

    def discard(self) -> None:
        """Drop the connection (a failure may have broken it); the next use opens another."""
        if self._connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to do
                self._connection.close()
            self._connection = None


# --- Is the database usable? (each process asks at start; the CLI when a command fails) ---

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
