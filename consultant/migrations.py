"""Bring a database to the newest schema revision (``consultant db upgrade``), and tell whether
a database is at it (every process asks at start)."""

from __future__ import annotations

from collections.abc import Collection

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from consultant.database_checks import check_database
from consultant.shipped import shipped_folder

SCHEMA_DIR = shipped_folder("consultant_schema")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCHEMA_DIR))
    # ConfigParser interpolation would read a '%' in a password as a template.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "heads") -> None:
    """Apply every revision up to ``revision``; a no-op on an up-to-date database."""
    command.upgrade(alembic_config(database_url), revision)


def check_schema(database_url: str) -> None:
    """Unless the database answers and its schema is at this code's newest revision, raise
    :class:`consultant.database_checks.DatabaseUnavailable` (one line naming the setting).

    A revision this code does not know passes: a newer release migrated the database, and the
    code that runs alongside it during a deploy must keep working.
    """
    script = ScriptDirectory(str(SCHEMA_DIR))
    heads = frozenset(script.get_heads())
    known = frozenset(revision.revision for revision in script.walk_revisions())

    def behind(found: Collection[str]) -> str | None:
        if set(found) == heads or not set(found) <= known:
            return None
        return (
            f"is at schema revision {', '.join(sorted(found))}, older than this code's "
            f"{', '.join(sorted(heads))}: run 'consultant db upgrade'"
        )

    check_database(database_url, revisions_problem=behind)
