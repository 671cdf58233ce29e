"""Test fixtures: real databases, on SQLite and on PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (``CONSULTANT_TEST_POSTGRES_URL``
overrides it); each test gets a throwaway database there (tests/databases.py)
and drops it after. SQLite databases are temporary files.

The migrations run once per test session and backend, on a template; each test's
``database_url`` is a copy of it (``CREATE DATABASE ... TEMPLATE``, or a file copy).
A test that must run the migrations itself calls ``make_database``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# make_database, drop_database and POSTGRES_ADMIN_URL are imported from here by other tests.
from consultant.codes.shared_data import cms_data_dir
from tests.databases import POSTGRES_ADMIN_URL, MigratedTemplate, drop_database, make_database

__all__ = ["POSTGRES_ADMIN_URL", "TEST_DATA_DIR", "drop_database", "make_database"]

CMS_DIR = cms_data_dir()
TEST_DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that asks for a database runs once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture(scope="session")
def migrated_templates() -> Iterator[dict[str, MigratedTemplate]]:
    """Per backend, a database migrated once for the session, dropped at its end."""
    templates = {name: MigratedTemplate(name) for name in ("sqlite", "postgresql")}
    yield templates
    for template in templates.values():
        template.drop()


@pytest.fixture
def database_url(
    backend: str, tmp_path: Path, migrated_templates: dict[str, MigratedTemplate]
) -> Iterator[str]:
    """A fresh migrated database for one test: a copy of the session's migrated template."""
    url = migrated_templates[backend].copy(tmp_path)
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
