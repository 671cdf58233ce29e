from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import consultant.models  # noqa: F401  (registers every table on Base.metadata)
from consultant.accounts.models import Account
from consultant.db import Base, engine_for, unit_of_work
from consultant.migrations import check_schema, upgrade_database
from tests.databases import MigratedTemplate, drop_database, make_database


def test_upgrade_creates_every_table_and_is_repeatable(database_url: str) -> None:
    upgrade_database(database_url)  # a second upgrade is a no-op
    tables = set(sa.inspect(engine_for(database_url)).get_table_names())
    assert {"data_release", "code", "descriptor", "addon_edit", "ptp_edit", "mue"} <= tables
    assert "fee_schedule_indicator" in tables


@pytest.fixture
def migrated_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database the Alembic migrations themselves just made (not a copy of the template)."""
    url = make_database(backend, tmp_path)
    yield url
    drop_database(url)


def _differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def test_the_migrations_make_exactly_the_models_schema(migrated_url: str) -> None:
    """Tables, columns and their types, nullability and server defaults, indexes, unique
    constraints and foreign keys (Alembic's comparison), then primary keys and check
    constraints (which it does not compare): the migrated database and the models agree."""
    with engine_for(migrated_url).connect() as connection:
        assert _differences(connection) == []
        inspector = sa.inspect(connection)
        for table in Base.metadata.sorted_tables:
            primary_key = inspector.get_pk_constraint(table.name)
            assert primary_key["constrained_columns"] == [c.name for c in table.primary_key], (
                table.name
            )
            if connection.dialect.name == "postgresql":  # SQLite does not keep the name
                assert primary_key["name"] == table.primary_key.name, table.name
            checks = {c["name"] for c in inspector.get_check_constraints(table.name)}
            expected = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
            assert checks == expected, table.name


def test_the_comparison_notices_a_missing_index(migrated_url: str) -> None:
    """The check above is not vacuous: take one index away and it is reported."""
    index = next(i for t in Base.metadata.sorted_tables for i in sorted(t.indexes, key=str))
    with engine_for(migrated_url).begin() as connection:
        connection.execute(sa.text(f'DROP INDEX "{index.name}"'))
    with engine_for(migrated_url).connect() as connection:
        differences = _differences(connection)
    assert [(d[0], d[1].name) for d in differences] == [("add_index", index.name)]


def test_each_database_url_is_a_fresh_copy_of_the_migrated_template(
    database_url: str, tmp_path: Path, migrated_templates: dict[str, MigratedTemplate], backend: str
) -> None:
    """Copies hold the schema at head and no rows; what one test writes, the next never sees."""
    with unit_of_work(database_url) as session:
        for table in Base.metadata.sorted_tables:
            assert session.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
        session.add(Account(email="one-test@clinic.example", name="written by one test"))
    check_schema(database_url)  # alembic_version is at this code's head
    with engine_for(database_url).connect() as connection:
        assert _differences(connection) == []
    other = migrated_templates[backend].copy(tmp_path)
    try:
        with unit_of_work(other) as session:
            assert session.execute(sa.select(sa.func.count()).select_from(Account)).scalar() == 0
    finally:
        drop_database(other)
