from __future__ import annotations

import sqlalchemy as sa

from consultant.db import engine_for
from consultant.migrations import upgrade_database


def test_upgrade_creates_every_table_and_is_repeatable(database_url: str) -> None:
    upgrade_database(database_url)  # a second upgrade is a no-op
    tables = set(sa.inspect(engine_for(database_url)).get_table_names())
    assert {"data_release", "code", "descriptor", "addon_edit", "ptp_edit", "mue"} <= tables
    assert "fee_schedule_indicator" in tables
