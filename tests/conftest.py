"""Test fixtures: real databases, on SQLite and on PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (``CONSULTANT_TEST_POSTGRES_URL``
overrides it); each test makes a throwaway database there (tests/databases.py)
and drops it after. SQLite databases are temporary files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# make_database, drop_database and POSTGRES_ADMIN_URL are imported from here by other tests.
from consultant.codes.shared_data import cms_data_dir
from tests.databases import POSTGRES_ADMIN_URL, drop_database, make_database

__all__ = ["POSTGRES_ADMIN_URL", "TEST_DATA_DIR", "drop_database", "make_database"]

CMS_DIR = cms_data_dir()
TEST_DATA_DIR = Path(__file__).resolve().parent / "data"


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
        raise RuntimeError(
            f"the shared CMS data folder is missing: {CMS_DIR} (set CONSULTANT_CMS_DATA_DIR)"
        )
    return CMS_DIR
