"""Import one file as one data release, in one transaction.

The release row and all its facts commit together: a malformed line raises
:class:`ImportFileError` and the database is left exactly as it was. The same
release name with the same file bytes is a no-op; the same name with other
bytes is refused, so nothing is silently overwritten. Other releases are never
touched. A release with under half the rows of the previous release of its kind
(a truncated download, the wrong file) is refused unless ``allow_fewer_rows``:
being the newest, it would answer every lookup.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultant.codes.importers.detection import FORMATS, Format, detect_kind, release_identity
from consultant.codes.importers.progress import ProgressBar
from consultant.codes.importers.records import (
    BadLine,
    DedupeInDatabase,
    Duplicate,
    Fact,
    ImportFileError,
    ImportResult,
    ReleaseConflictError,
    UnreadableFileError,
)
from consultant.codes.importers.sources import Source, file_sha256, os_reason
from consultant.codes.importers.sqlite_bulk import sqlite_bulk_load
from consultant.codes.importers.writers import FactWriter
from consultant.codes.models import DataRelease
from consultant.db import Base, unit_of_work

#: How many bad lines an import with ``skip_bad`` keeps to report.
REPORTED_BAD_LINES = 20
_PROGRESS_EVERY = 10_000


class FewerRowsError(Exception):
    """The new release has under half the rows of the previous one of its kind; nothing written."""

    def __init__(self, name: str, kind: str, rows: int, previous: DataRelease) -> None:
        super().__init__(
            f"release {name!r} has {rows:,} {kind} rows, under half the {previous.row_count:,} "
            f"rows of the previous {kind} release {previous.name!r}; nothing was imported "
            "(check the file; --yes imports it anyway)"
        )
        self.rows = rows
        self.previous_name = previous.name
        self.previous_rows = previous.row_count


@dataclass
class _Tally:
    rows: int = 0
    duplicates: int = 0
    skipped_bad: int = 0
    bad_lines: list[str] = field(default_factory=list)


def import_file(
    database_url: str,
    path: Path,
    *,
    kind: str | None = None,
    release: str | None = None,
    skip_bad: bool = False,
    progress: bool = False,
    allow_fewer_rows: bool = False,
) -> ImportResult:
    """Import ``path`` as a release; see the module's note for what is guaranteed.

    Raises FewerRowsError, having written nothing, when the release has under half
    the rows of the previous release of its kind, unless ``allow_fewer_rows``.
    """
    started = time.perf_counter()
    path = Path(path)
    try:
        source = Source(path)
        if path.is_dir():
            raise IsADirectoryError(path)
        sha256 = file_sha256(path)
    except OSError as exc:
        raise UnreadableFileError(path, os_reason(exc)) from None
    release_kind = detect_kind(source, kind)
    name, effective_on = release_identity(path, release, release_kind, sha256)
    data_format = FORMATS[release_kind]
    with unit_of_work(database_url) as session:
        existing = session.scalar(select(DataRelease).where(DataRelease.name == name))
        if existing is not None:
            if existing.source_sha256 != sha256 or existing.kind != release_kind.value:
                raise ReleaseConflictError(
                    f"release {name!r} was imported from different content "
                    f"({existing.source_name}, {existing.kind}); "
                    "give this file another name with --release"
                )
            return ImportResult(
                release_name=name,
                kind=release_kind.value,
                rows=existing.row_count,
                skipped_bad=0,
                already_imported=True,
                seconds=time.perf_counter() - started,
                effective_on=existing.effective_on,
            )
        previous = previous_release(session, release_kind.value)
        data_release = DataRelease(
            kind=release_kind.value,
            name=name,
            effective_on=effective_on,
            source_name=path.name[:255],
            source_sha256=sha256,
            row_count=0,
        )
        session.add(data_release)
        try:
            session.flush()
        except IntegrityError:
            # Another import of the same name committed between our check and this insert.
            raise ReleaseConflictError(
                f"release {name!r} was imported by another process meanwhile; "
                "run this import again to compare it with that one"
            ) from None
        connection = session.connection()
        bar = ProgressBar(f"{release_kind.value} {name}", source.total_bytes) if progress else None
        with sqlite_bulk_load(connection, data_format.counted):
            tally = _load(connection, data_release.id, data_format, source, skip_bad, bar)
        data_release.row_count = tally.rows
        if previous is not None and tally.rows * 2 < previous.row_count and not allow_fewer_rows:
            raise FewerRowsError(name, release_kind.value, tally.rows, previous)
    return ImportResult(
        release_name=name,
        kind=release_kind.value,
        rows=tally.rows,
        skipped_bad=tally.skipped_bad,
        already_imported=False,
        seconds=time.perf_counter() - started,
        effective_on=effective_on,
        duplicates=tally.duplicates,
        bad_lines=tuple(tally.bad_lines),
    )


def _load(
    connection: Connection,
    release_id: int,
    data_format: Format,
    source: Source,
    skip_bad: bool,
    bar: ProgressBar | None,
) -> _Tally:
    tally = _Tally()
    writer = FactWriter(connection, release_id)
    dedupe: DedupeInDatabase | None = None
    for count, item in enumerate(data_format.read(source), start=1):
        if isinstance(item, Fact):
            writer.add(item.table, item.values)
        elif isinstance(item, BadLine):
            message = str(ImportFileError(item.where, item.line_number, item.reason))
            if not skip_bad or item.line_number == 0 or item.fatal:
                # Line 0 is about the whole file (no data), a fatal line about its form (a wrong
                # header): nothing to skip.
                raise ImportFileError(item.where, item.line_number, item.reason)
            tally.skipped_bad += 1
            if len(tally.bad_lines) < REPORTED_BAD_LINES:
                tally.bad_lines.append(message)
        elif isinstance(item, Duplicate):
            tally.duplicates += 1
        else:
            dedupe = item
        if bar is not None and count % _PROGRESS_EVERY == 0:
            bar.update(source.position(), writer.written.get(data_format.counted, 0))
    writer.flush()
    removed = 0
    if dedupe is not None:
        removed = _remove_duplicates(connection, release_id, dedupe)
        tally.duplicates += removed
    tally.rows = writer.written.get(data_format.counted, 0)
    if dedupe is not None and dedupe.table == data_format.counted:
        tally.rows -= removed
    if bar is not None:
        bar.finish(tally.rows)
    return tally


def _remove_duplicates(connection: Connection, release_id: int, dedupe: DedupeInDatabase) -> int:
    """Keep the first row (lowest id) of each key; return how many went."""
    key = ", ".join(dedupe.key_columns)
    table = dedupe.table.name
    result = connection.execute(
        text(
            f"DELETE FROM {table} WHERE release_id = :release AND id NOT IN "
            f"(SELECT min(id) FROM {table} WHERE release_id = :release GROUP BY {key})"
        ),
        {"release": release_id},
    )
    return int(result.rowcount)


def previous_release(
    session: Session, kind: str, *, excluding: str | None = None
) -> DataRelease | None:
    """The release of ``kind`` that answers lookups now (newest effective date, then import)."""
    query = select(DataRelease).where(DataRelease.kind == kind)
    if excluding is not None:
        query = query.where(DataRelease.name != excluding)
    releases = session.scalars(query).all()
    return max(releases, key=lambda r: (r.effective_on or dt.date.min, r.id), default=None)


def remove_release(database_url: str, name: str) -> int:
    """Delete release ``name`` and its rows from every fact table, in one transaction.

    Returns how many fact rows went. Other releases are never touched.
    """
    with unit_of_work(database_url) as session:
        release = session.scalar(select(DataRelease).where(DataRelease.name == name))
        if release is None:
            raise LookupError(f"no data release named {name!r}")
        removed = 0
        # Explicit deletes rather than ON DELETE CASCADE, which SQLite applies only
        # with its foreign_keys pragma on.
        for table in Base.metadata.sorted_tables:
            column = table.columns.get("release_id")
            if column is None or not any(
                fk.column.table.name == DataRelease.__tablename__ for fk in column.foreign_keys
            ):
                continue
            result = session.connection().execute(delete(table).where(column == release.id))
            removed += int(result.rowcount or 0)
        session.delete(release)
    return removed
