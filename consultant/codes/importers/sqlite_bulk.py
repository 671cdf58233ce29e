"""SQLite settings for a bulk load, put back when it ends.

A larger page cache keeps the pair index's pages in memory while millions of
rows go in. (``synchronous`` cannot change inside the import's transaction,
and WAL with ``synchronous=NORMAL``, set in db.py, already syncs only at
checkpoints.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from consultant.codes.importers.records import FactTable

_CACHE_KIB = 64 * 1024


@contextmanager
def sqlite_bulk_load(connection: Connection, table: FactTable) -> Iterator[None]:
    """Faster settings for the load on SQLite; nothing on PostgreSQL."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    cache_size = driver.execute("PRAGMA cache_size").fetchone()[0]
    driver.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size={int(cache_size)}")
