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
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import MetaData, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import Connection, Engine, make_url
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


def rows_changed(result: Any) -> int:
    """How many rows an UPDATE or DELETE changed: what every status guard checks."""
    return int(result.rowcount)
