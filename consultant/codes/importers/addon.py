"""NCCI add-on code edits: the shared CSV (years) and CMS's AOC text and xlsx (Julian dates).

CMS publishes ``AOC_V2024Q2-MCR`` as a spreadsheet and as fixed-width text
with the same eight columns: add-on code, primary code (CCCCC: no list, the
contractor decides), AOC edit type, add-on deletion date, primary deletion
date, edit effective date, edit deletion date (Julian YYYYDDD) and notes. The
text's column positions are taken from its title line, so a release that
widens a column still reads. Years alone (the shared CSV) become 1 January
for an effective date and 31 December for a deletion (codes/models.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from consultant.codes.importers.records import ADDON_EDITS, BadLine, ReadItem
from consultant.codes.importers.sources import Source, TextPart
from consultant.codes.importers.tabular import (
    MAX_PREAMBLE_LINES,
    Row,
    RowOrBad,
    delimited_rows,
    field_count,
    header_mismatch,
    parsed_facts,
)
from consultant.codes.importers.values import (
    choice,
    julian_date,
    optional_text,
    procedure_code,
    year_end,
    year_start,
)

ZIP_MEMBERS = re.compile(r"\.txt$")
SHARED_CSV_HEADER = [
    "add_on_code",
    "primary_code",
    "edit_type",
    "add_on_deleted_year",
    "primary_deleted_year",
    "edit_effective_year",
    "edit_deleted_year",
    "notes",
]
#: The CMS column titles, in the order the facts are built from them.
CMS_TITLES = (
    "Add-on Code",
    "Primary Code",
    "AOC Edit Type",
    "AOC Del Dt",
    "Primary Code Del Dt",
    "AOC Edit Eff Dt",
    "AOC Edit Del Dt",
    "Special Instruction Notes",
)
NO_PRIMARY_LIST = "CCCCC"

DateParser = Callable[[str, str], str | None]


def read_addon(source: Source) -> Iterator[ReadItem]:
    """Add-on edit facts from the shared CSV, the CMS xlsx or the CMS fixed-width text."""
    if source.is_spreadsheet:
        yield from parsed_facts(_sheet_rows(source), str(source.path), ADDON_EDITS, _julian_fact)
        return
    for part in source.text_parts(ZIP_MEMBERS):
        if not source.is_zip and ".csv" in source.path.name.lower():
            rows = _shared_csv_rows(part)
            yield from parsed_facts(rows, part.where, ADDON_EDITS, _year_fact)
        else:
            yield from parsed_facts(_fixed_width_rows(part), part.where, ADDON_EDITS, _julian_fact)


def _year_fact(fields: list[str]) -> tuple[object, ...]:
    return _fact(fields, start=year_start, end=year_end)


def _julian_fact(fields: list[str]) -> tuple[object, ...]:
    return _fact(fields, start=_julian, end=_julian)


def _julian(text: str, column: str) -> str | None:
    return None if text.strip() == "*" else julian_date(text, column)


def _fact(fields: list[str], *, start: DateParser, end: DateParser) -> tuple[object, ...]:
    field_count(fields, 7)
    primary = fields[1].strip().upper()
    return (
        procedure_code(fields[0], "add-on code"),
        None if primary == NO_PRIMARY_LIST else procedure_code(primary, "primary code"),
        choice(fields[2], "edit type", (1, 2, 3)),
        end(fields[3], "add-on deletion date"),
        end(fields[4], "primary deletion date"),
        start(fields[5], "edit effective date"),
        end(fields[6], "edit deletion date"),
        optional_text(fields[7]) if len(fields) > 7 else None,
    )


def _shared_csv_rows(part: TextPart) -> Iterator[RowOrBad]:
    rows = delimited_rows(part, ",")
    first = next(rows, None)
    if first is None or first[1] != SHARED_CSV_HEADER:
        found = first[1] if first is not None else []
        yield BadLine(part.where, 1, header_mismatch(SHARED_CSV_HEADER, found), fatal=True)
        return
    yield from rows


def _normalised(title: str) -> str:
    return re.sub(r"[^a-z0-9]", "", title.lower())


def _sheet_rows(source: Source) -> Iterator[RowOrBad]:
    """Spreadsheet rows reordered to the CMS title order, found by the header row."""
    wanted = [_normalised(title) for title in CMS_TITLES]
    order: list[int] | None = None
    for number, cells in source.sheet_rows():
        if order is None:
            found = {_normalised(cell): index for index, cell in enumerate(cells)}
            if all(name in found for name in wanted):
                order = [found[name] for name in wanted]
            elif number > MAX_PREAMBLE_LINES:
                yield BadLine(str(source.path), number, _missing_titles(), fatal=True)
                return
            continue
        if any(cell.strip() for cell in cells):
            yield number, [cells[i] if i < len(cells) else "" for i in order]
    if order is None:
        yield BadLine(str(source.path), 0, _missing_titles())


def _fixed_width_rows(part: TextPart) -> Iterator[RowOrBad]:
    """Fields cut at the columns where the title line puts each title."""
    starts: list[int] | None = None
    for number, line in enumerate(part.lines, start=1):
        if starts is None:
            starts = title_starts(line)
            if starts is None and number > MAX_PREAMBLE_LINES:
                yield BadLine(part.where, number, _missing_titles(), fatal=True)
                return
            continue
        if line.strip():
            yield _cut(number, line, starts)
    if starts is None:
        yield BadLine(part.where, 0, _missing_titles())


def title_starts(line: str) -> list[int] | None:
    """Where each CMS title begins in ``line``, in CMS_TITLES order, or None if one is missing."""
    lowered = line.lower()
    claimed: list[tuple[int, int]] = []
    starts: dict[str, int] = {}
    # Longest first, so "Primary Code" is not found inside "Primary Code Del Dt".
    for title in sorted(CMS_TITLES, key=len, reverse=True):
        position = _free_occurrence(lowered, title.lower(), claimed)
        if position is None:
            return None
        claimed.append((position, position + len(title)))
        starts[title] = position
    return [starts[title] for title in CMS_TITLES]


def _free_occurrence(text: str, title: str, claimed: list[tuple[int, int]]) -> int | None:
    for match in re.finditer(re.escape(title), text):
        if all(match.end() <= a or match.start() >= b for a, b in claimed):
            return match.start()
    return None


def _cut(number: int, line: str, starts: list[int]) -> Row:
    bounds = sorted(starts)
    ends = [*bounds[1:], None]
    by_start = {start: line[start:end] for start, end in zip(bounds, ends, strict=True)}
    # The first column starts at the line's start even if its title is indented.
    by_start[bounds[0]] = line[: bounds[1]]
    return number, [by_start[start] for start in starts]


def _missing_titles() -> str:
    return f"expected columns [{', '.join(CMS_TITLES)}], found no row with them"
