"""Bulk writing of facts inside the import's transaction.

SQLite gets chunked ``executemany`` on the driver's cursor (SQLAlchemy's
per-row bookkeeping would cost more than the insert); PostgreSQL gets COPY
through psycopg 3's ``cursor.copy``. Both run on the session's connection, so
the facts commit or roll back with their release row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from consultant.codes.importers.records import FactTable

CHUNK_ROWS = 20_000


class FactWriter:
    """Buffers facts per table and writes each buffer when it fills, and at the end."""

    def __init__(self, connection: Connection, release_id: int) -> None:
        self.release_id = release_id
        self.is_postgresql = connection.dialect.name == "postgresql"
        self._driver: Any = connection.connection.driver_connection
        self._buffers: dict[FactTable, list[tuple[object, ...]]] = {}
        self.written: dict[FactTable, int] = {}

    def add(self, table: FactTable, values: tuple[object, ...]) -> None:
        buffer = self._buffers.get(table)
        if buffer is None:
            buffer = self._buffers[table] = []
        buffer.append(values)
        if len(buffer) >= CHUNK_ROWS:
            self._write(table, buffer)
            buffer.clear()

    def flush(self) -> None:
        for table, buffer in self._buffers.items():
            if buffer:
                self._write(table, buffer)
                buffer.clear()

    def _write(self, table: FactTable, rows: list[tuple[object, ...]]) -> None:
        columns = ", ".join(("release_id", *table.columns))
        if self.is_postgresql:
            release_id = self.release_id
            statement = f"COPY {table.name} ({columns}) FROM STDIN"
            with self._driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row((release_id, *row))
        else:
            # The release id is an int we made: safe to write into the statement,
            # and it spares building a new tuple per row.
            marks = ", ".join("?" for _ in table.columns)
            sql = f"INSERT INTO {table.name} ({columns}) VALUES ({int(self.release_id)}, {marks})"
            cursor = self._driver.cursor()
            try:
                cursor.executemany(sql, rows)
            finally:
                cursor.close()
        self.written[table] = self.written.get(table, 0) + len(rows)
