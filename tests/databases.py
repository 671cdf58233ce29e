"""Throwaway migrated databases on SQLite and PostgreSQL, for the tests and the benches.

PostgreSQL databases are made on a server through its admin URL (by default
``CONSULTANT_TEST_POSTGRES_URL``, else the local server at 127.0.0.1:5432) and
dropped after; SQLite databases are files in a folder the caller owns.

``make_database`` runs the Alembic migrations on each new database. The tests'
``database_url`` fixture instead copies a :class:`MigratedTemplate`, migrated
once per test session: ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, a file
copy on SQLite.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from consultant.db import engine_for
from consultant.migrations import upgrade_database

LOCAL_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_ADMIN_URL = os.environ.get("CONSULTANT_TEST_POSTGRES_URL", LOCAL_POSTGRES_ADMIN_URL)


def create_postgres_database(
    admin_url: str = POSTGRES_ADMIN_URL,
    prefix: str = "consultant_test",
    template: str | None = None,
) -> str:
    """A new PostgreSQL database on the server ``admin_url`` names; returns its URL.

    Empty, or a copy of the database ``template`` (whose URL is given) when there is one.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{make_url(template).database}"' if template else ""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"{copy_of}'))
    finally:
        admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    """Drop the database ``url`` names, closing its pooled connections first."""
    engine_for(url).dispose()
    name = make_url(url).database
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_database(
    backend: str,
    folder: Path,
    admin_url: str = POSTGRES_ADMIN_URL,
    prefix: str = "consultant_test",
) -> str:
    """A new, migrated, empty database on ``backend``; returns its URL.

    A SQLite file goes in ``folder``; a PostgreSQL database on ``admin_url``'s
    server, named ``prefix`` plus a random part.
    """
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'{prefix}-{uuid.uuid4().hex[:8]}.sqlite3'}"
    else:
        url = create_postgres_database(admin_url, prefix)
    try:
        upgrade_database(url)
    except BaseException:
        # A database the migration failed on is of no use: do not leave it on the server.
        drop_database(url, admin_url)
        raise
    return url


def drop_database(url: str, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    """Drop a database ``make_database`` made (a SQLite file goes with its folder)."""
    if url.startswith("postgresql"):
        drop_postgres_database(url, admin_url)
    else:
        engine_for(url).dispose()


@contextmanager
def throwaway_database(
    backend: str, admin_url: str = POSTGRES_ADMIN_URL, prefix: str = "consultant_test"
) -> Iterator[str]:
    """A new migrated database on ``backend``, dropped afterwards; yields its URL."""
    with tempfile.TemporaryDirectory() as folder:
        url = make_database(backend, Path(folder), admin_url, prefix)
        try:
            yield url
        finally:
            drop_database(url, admin_url)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    assert database and database != ":memory:", url
    return Path(database)


class MigratedTemplate:
    """A database on ``backend`` migrated once; :meth:`copy` makes a fresh migrated database.

    The template is made on the first copy (a session that never asks for one makes nothing)
    and is never written to after its migration: on PostgreSQL it refuses connections
    (``ALLOW_CONNECTIONS false``; ``CREATE DATABASE ... TEMPLATE`` needs none open to it), on
    SQLite it is a checkpointed file with no ``-wal`` beside it, in a folder of its own.
    :meth:`drop` removes it.
    """

    def __init__(
        self, backend: str, admin_url: str = POSTGRES_ADMIN_URL, prefix: str = "consultant_test"
    ) -> None:
        self.backend = backend
        self.admin_url = admin_url
        self.prefix = prefix
        self.url: str | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def copy(self, folder: Path) -> str:
        """A new database with the template's schema and rows; returns its URL.

        A SQLite file goes in ``folder``; a PostgreSQL database on ``admin_url``'s server.
        Drop it with :func:`drop_database`.
        """
        template = self.url or self._make()
        if self.backend == "sqlite":
            path = folder / f"{self.prefix}-{uuid.uuid4().hex[:8]}.sqlite3"
            shutil.copyfile(_sqlite_path(template), path)
            return f"sqlite:///{path}"
        return create_postgres_database(self.admin_url, self.prefix, template=template)

    def drop(self) -> None:
        """Drop the template (a no-op when none was made)."""
        url, self.url = self.url, None
        if url is not None and self.backend != "sqlite":
            drop_postgres_database(url, self.admin_url)
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def _make(self) -> str:
        settle: Callable[[str, str], None]
        if self.backend == "sqlite":
            self._folder = tempfile.TemporaryDirectory(prefix=f"{self.prefix}-template-")
            url = make_database("sqlite", Path(self._folder.name), self.admin_url, self.prefix)
            settle = _settle_sqlite
        else:
            url = make_database("postgresql", Path(), self.admin_url, f"{self.prefix}_template")
            settle = _close_postgres_template
        self.url = url  # drop() removes it, even when settling it fails
        try:
            settle(url, self.admin_url)
        except BaseException:
            self.drop()
            raise
        return url


def _settle_sqlite(url: str, _admin_url: str) -> None:
    """Fold the write-ahead log into the file, so a copy of the file alone is the whole database."""
    path = _sqlite_path(url)
    connection = sqlite3.connect(path)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0, f"{path}: the write-ahead log could not be checkpointed"
    finally:
        connection.close()  # the last connection of a WAL database deletes the -wal and -shm files
    leftovers = [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
    assert not leftovers, f"{path}: still beside it after the checkpoint: {leftovers}"


def set_postgres_connections(url: str, allowed: bool, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    """Let the database of ``url`` take connections again, or refuse them and end the open
    ones (a restart or a failover, as a client sees it)."""
    name = make_url(url).database
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            allow = "true" if allowed else "false"
            connection.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {allow}'))
            if not allowed:
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
    finally:
        admin.dispose()


def _close_postgres_template(url: str, admin_url: str) -> None:
    """No connection to the template, now or later: a copy needs none open, and none may write."""
    set_postgres_connections(url, allowed=False, admin_url=admin_url)
