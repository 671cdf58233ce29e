"""Physician fee schedule payment indicators: the shared CSV and CMS's PPRRVU CSV.

``PPRRVUyy_JAN.csv`` (inside ``RVUyyA.zip``) has 31 columns, the third of
which, DESCRIPTION, holds AMA CPT text: it is never read into a fact, stored
or shown; each row keeps only the indicator columns picked below by position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from consultant.codes.importers.records import FEE_SCHEDULE_INDICATORS, BadLine, ReadItem
from consultant.codes.importers.sources import Source, TextPart
from consultant.codes.importers.tabular import (
    Column,
    Header,
    KeySet,
    Row,
    RowOrBad,
    after_preamble,
    delimited_rows,
    field_count,
    header_mismatch,
    parsed_facts,
)
from consultant.codes.importers.values import (
    BadValue,
    indicator,
    looks_like_code,
    modifier_code,
    procedure_code,
)

ZIP_MEMBERS = re.compile(r"(^|/)pprrvu[^/]*\.csv$")

#: Shared CSV columns, in FEE_SCHEDULE_INDICATORS order after code and modifier.
SHARED_COLUMNS = (
    "hcpcs_code",
    "mod",
    "status",
    "pctc",
    "glob",
    "mult_proc",
    "bilat_surg",
    "asst_surg",
    "co_surg",
    "team_surg",
    "endo_base",
)
#: The same columns' positions in PPRRVU: HCPCS, MOD, (DESCRIPTION), STATUS CODE, ... PCTC IND,
#: GLOB DAYS, ... MULT PROC, BILAT SURG, ASST SURG, CO-SURG, TEAM SURG, ENDO BASE.
PPRRVU_POSITIONS = (0, 1, 3, 13, 14, 18, 19, 20, 21, 22, 23)
PPRRVU_COLUMNS = 31
#: The PPRRVU titles of the columns read, checked at their positions (one row or two).
PPRRVU_HEADER = Header(
    (
        Column("HCPCS", r"\bhcpcs\b"),
        Column("MOD", r"\bmod"),
        Column("STATUS CODE", r"\bstatus\b"),
        Column("PCTC IND", r"\bpctc\b"),
        Column("GLOB DAYS", r"\bglob"),
        Column("MULT PROC", r"\bmult"),
        Column("BILAT SURG", r"\bbilat"),
        Column("ASST SURG", r"\basst"),
        Column("CO-SURG", r"\bco ?surg|^co\b"),
        Column("TEAM SURG", r"\bteam\b"),
        Column("ENDO BASE", r"\bendo"),
    ),
    required=11,
    positions=PPRRVU_POSITIONS,
)
_WIDTHS = (2, 3, 2, 2, 2, 2, 2, 5)  # pctc .. endo_base, as the table's columns allow


def read_pfs(source: Source) -> Iterator[ReadItem]:
    """Indicator facts, one per code and modifier."""
    keys = KeySet("code and modifier")

    def parse(fields: list[str]) -> tuple[object, ...]:
        code = procedure_code(fields[0], "HCPCS")
        modifier = modifier_code(fields[1], "MOD")
        keys.claim(f"{code} {modifier}".strip())
        status = fields[2].strip().upper()
        if len(status) != 1 or not status.isalpha():
            raise BadValue(f"status {fields[2]!r} is not one letter")
        names = SHARED_COLUMNS[3:]
        rest = tuple(
            indicator(text, name, width)
            for text, name, width in zip(fields[3:], names, _WIDTHS, strict=True)
        )
        if rest[-1] is not None:
            procedure_code(str(rest[-1]), "endo_base")
        return (code, modifier, status, *rest)

    for part in source.text_parts(ZIP_MEMBERS):
        yield from parsed_facts(_picked_rows(part), part.where, FEE_SCHEDULE_INDICATORS, parse)


def _picked_rows(part: TextPart) -> Iterator[RowOrBad]:
    """Rows cut down to the indicator columns, whichever form the file has."""
    rows = delimited_rows(part, ",")
    first = next(rows, None)
    if first is None:
        yield BadLine(part.where, 0, "the file is empty")
        return
    header = [name.strip().lower() for name in first[1]]
    if header[:1] == ["hcpcs_code"]:
        missing = [name for name in SHARED_COLUMNS if name not in header]
        if missing:
            found = [name.strip() for name in first[1]]
            mismatch = header_mismatch(SHARED_COLUMNS, found)
            yield BadLine(part.where, first[0], f"{mismatch} (no {', '.join(missing)})", fatal=True)
            return
        positions = tuple(header.index(name) for name in SHARED_COLUMNS)
        width = len(header)
        data: Iterator[RowOrBad] = rows
    else:
        positions, width = PPRRVU_POSITIONS, PPRRVU_COLUMNS
        data = after_preamble(_chain(first, rows), part.where, _looks_like_pprrvu, PPRRVU_HEADER)
    for item in data:
        if isinstance(item, BadLine):
            yield item
            continue
        number, fields = item
        try:
            field_count(fields, width)
        except BadValue as exc:
            yield BadLine(part.where, number, str(exc))
            continue
        # Only the picked columns travel on: the row (and any description in it) is dropped here.
        yield number, [fields[p] for p in positions]


def _chain(first: Row, rest: Iterator[Row]) -> Iterator[Row]:
    yield first
    yield from rest


def _looks_like_pprrvu(fields: list[str]) -> bool:
    return len(fields) >= 4 and looks_like_code(fields[0].strip())
