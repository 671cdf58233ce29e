"""Throwaway migrated databases on SQLite and PostgreSQL, for the tests and the benches.

PostgreSQL databases are made on a server through its admin URL (by default
``CONSULTANT_TEST_POSTGRES_URL``, else the local server at 127.0.0.1:5432) and
dropped after; SQLite databases are files in a folder the caller owns.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from consultant.db import engine_for
from consultant.migrations import upgrade_database

LOCAL_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_ADMIN_URL = os.environ.get("CONSULTANT_TEST_POSTGRES_URL", LOCAL_POSTGRES_ADMIN_URL)


def create_postgres_database(
    admin_url: str = POSTGRES_ADMIN_URL, prefix: str = "consultant_test"
) -> str:
    """A new empty PostgreSQL database on the server ``admin_url`` names; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
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
