"""The database connection a batch of ingests shares, one transaction per row.

Checking a connection out of the pool for each row costs a round trip (the
pool's liveness ping) and, on SQLite, a new connection with its PRAGMAs; a
batch keeps one instead. On PostgreSQL its commits do not wait for the disk
(``synchronous_commit`` off), which is safe only because everything ingest
writes can be made again from the ledger row (see
:mod:`consultant.consultations.ingest`); the setting is reset before the
connection goes back to the pool, so no other work inherits it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from consultant.db import engine_for


@contextmanager
def transaction(connection: Connection) -> Iterator[Session]:
    """One transaction on ``connection``, with a session for the steps that use the ORM."""
    session = Session(bind=connection, expire_on_commit=False)
    try:
        with session.begin():
            yield session
    finally:
        session.close()


class BatchConnection:
    """One database connection for a batch, opened on first use, replaced after a failure."""

    def __init__(self, database_url: str) -> None:
        self._engine = engine_for(database_url)
        self._connection: Connection | None = None

    def __enter__(self) -> BatchConnection:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            with contextlib.suppress(Exception):  # the error on its way out matters more
                self.discard()

    def connection(self) -> Connection:
        """The batch's connection, outside any transaction between rows."""
        if self._connection is None:
            self._connection = self._engine.connect()
            if self._engine.dialect.name == "postgresql":
                # See the module note: a batch's commits need not wait for the disk.
                self._connection.exec_driver_sql("SET synchronous_commit TO off")
                self._connection.commit()
        return self._connection

    def discard(self) -> None:
        """Drop the connection; the next use opens a fresh one."""
        if self._connection is not None:
            self._connection.invalidate()
            self._connection.close()
            self._connection = None

    def close(self) -> None:
        """Give the connection back to the pool with the server's default durability."""
        if self._connection is None:
            return
        try:
            if self._engine.dialect.name == "postgresql":
                self._connection.exec_driver_sql("RESET synchronous_commit")
                self._connection.commit()
            self._connection.close()
        except Exception:
            self.discard()
            raise
        self._connection = None
