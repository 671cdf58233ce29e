"""Test fixtures: real databases, on SQLite and on PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (``CONSULTANT_TEST_POSTGRES_URL``
overrides it); each test session makes throwaway databases there and drops
them after. SQLite databases are temporary files.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from consultant.db import engine_for
from consultant.migrations import upgrade_database

POSTGRES_ADMIN_URL = os.environ.get(
    "CONSULTANT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
CMS_DIR = SHARED_DIR / "data" / "cms"
TEST_DATA_DIR = Path(__file__).resolve().parent / "data"


def _create_postgres_database() -> str:
    name = f"consultant_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    engine_for(url).dispose()
    name = make_url(url).database
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_database(backend: str, tmp_path: Path) -> str:
    """A new, migrated, empty database on ``backend``; returns its URL."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / f'consultant-{uuid.uuid4().hex[:8]}.sqlite3'}"
    else:
        url = _create_postgres_database()
    upgrade_database(url)
    return url


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        _drop_postgres_database(url)
    else:
        engine_for(url).dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that asks for a database runs once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database for one test."""
    url = make_database(backend, tmp_path)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def cms_dir() -> Path:
    """The shared real CMS data files (read-only, never copied into the project)."""
    if not CMS_DIR.is_dir():
        raise RuntimeError(f"the shared CMS data folder is missing: {CMS_DIR}")
    return CMS_DIR
