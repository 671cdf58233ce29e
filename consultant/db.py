"""Engine, sessions and the unit of work.

The boundary (a CLI command, a request, a task run, a poller step) owns the
transaction through :func:`unit_of_work`; services add and flush, never
commit. Work that must only happen once the data is durable (enqueueing a
task, touching the IMAP server) is registered with :func:`after_commit`, the
one mechanism for it, so a rolled-back transaction never leaves a task behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

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


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)


@contextmanager
def unit_of_work(url: str | None = None) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back if it raises."""
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
