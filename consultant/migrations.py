"""Bring a database to the newest schema revision (``consultant db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCHEMA_DIR))
    # ConfigParser interpolation would read a '%' in a password as a template.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "heads") -> None:
    """Apply every revision up to ``revision``; a no-op on an up-to-date database."""
    command.upgrade(alembic_config(database_url), revision)
