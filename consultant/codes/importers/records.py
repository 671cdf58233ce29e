"""What a format reader yields, what an import returns, and how it fails.

A reader turns a file into a stream of :class:`Fact` rows for the tables of
``codes/models.py``, with :class:`BadLine` items where a line cannot be read
(the loader stops on the first one, or counts them with ``skip_bad``), and
:class:`Duplicate` items for rows it dropped on purpose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from consultant.codes.models import (
    AddOnEdit,
    Code,
    CodingNote,
    Descriptor,
    FeeScheduleIndicator,
    MedicallyUnlikelyEdit,
    PtpEdit,
)


@dataclass(frozen=True)
class FactTable:
    """A target table and the columns a reader fills, in order; the loader adds ``release_id``."""

    name: str
    columns: tuple[str, ...]


PTP_EDITS = FactTable(
    PtpEdit.__tablename__,
    ("column_1", "column_2", "effective_on", "deleted_on", "modifier_indicator", "rationale"),
)
ADDON_EDITS = FactTable(
    AddOnEdit.__tablename__,
    (
        "add_on_code",
        "primary_code",
        "edit_type",
        "add_on_deleted_on",
        "primary_deleted_on",
        "effective_on",
        "deleted_on",
        "notes",
    ),
)
MUES = FactTable(
    MedicallyUnlikelyEdit.__tablename__,
    ("code", "value", "adjudication_indicator", "rationale"),
)
FEE_SCHEDULE_INDICATORS = FactTable(
    FeeScheduleIndicator.__tablename__,
    (
        "code",
        "modifier",
        "status",
        "pctc",
        "global_days",
        "mult_proc",
        "bilat_surg",
        "asst_surg",
        "co_surg",
        "team_surg",
        "endo_base",
    ),
)
CODES = FactTable(
    Code.__tablename__, ("code", "system", "status", "added_on", "deleted_on", "replaced_by")
)
DESCRIPTORS = FactTable(Descriptor.__tablename__, ("code", "source", "text"))
CODING_NOTES = FactTable(
    CodingNote.__tablename__,
    (
        "note_id",
        "kind",
        "codes",
        "effective_from",
        "effective_to",
        "text",
        "citation",
        "citation_url",
    ),
)


class Fact(NamedTuple):
    """One row for ``table``, values in ``table.columns`` order."""

    table: FactTable
    values: tuple[object, ...]


class BadLine(NamedTuple):
    """A line the reader could not read; ``where`` names the file (or zip member).

    ``fatal``: the line says the file is not of the form expected (a wrong header row), so
    the import stops even with ``skip_bad``.
    """

    where: str
    line_number: int
    reason: str
    fatal: bool = False


class Duplicate(NamedTuple):
    """A row dropped because the same key was already read (kept: the first)."""

    where: str
    line_number: int


class DedupeInDatabase(NamedTuple):
    """Sent last when the reader could not drop duplicates in the stream (file not grouped)."""

    table: FactTable
    key_columns: tuple[str, ...]


ReadItem = Fact | BadLine | Duplicate | DedupeInDatabase


class ImportFileError(Exception):
    """A malformed line stopped the import; nothing was written."""

    def __init__(self, path: str | Path, line_number: int, reason: str) -> None:
        super().__init__(f"{path}:{line_number}: {reason}")
        self.path = str(path)
        self.line_number = line_number
        self.reason = reason


class UnreadableFileError(Exception):
    """The file cannot be read at all (missing, truncated, not the container its name says)."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class ReleaseConflictError(Exception):
    """The release name is taken by different content, or kind and release cannot be told."""


@dataclass(frozen=True)
class ImportResult:
    """What one import did. ``rows`` counts the facts of the release's main table."""

    release_name: str
    kind: str
    rows: int
    skipped_bad: int
    already_imported: bool
    seconds: float
    effective_on: dt.date | None = None
    duplicates: int = 0
    bad_lines: tuple[str, ...] = field(default=())
