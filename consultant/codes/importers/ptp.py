"""NCCI procedure-to-procedure edits: the shared CSV and CMS's tab-delimited text (also zipped).

The CMS text (``ccipra-vNNNr0-fN.txt``, one to four parts per zip) has a few
notice lines, then: Column 1, Column 2, "*" when the edit existed before 1996,
effective date YYYYMMDD, deletion date YYYYMMDD or "*", modifier indicator,
rationale. The shared CSV has no effective date (its source dropped it).

A pair can appear several times with different deletion dates: that is its
history, and each row is kept. One key repeats exactly in the 2024-07-01 file
(88108/88162 deleted 1996-01-01, two rationales): the first row read is kept
and later ones are counted as duplicates. CMS sorts the file by column 1, so
duplicates are found with the keys of the current column 1 only, not all 2.5
million; if a column 1 comes back later (a file not sorted that way), the
loader removes duplicates in the database after the load instead.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from consultant.codes.importers.records import (
    PTP_EDITS,
    BadLine,
    DedupeInDatabase,
    Duplicate,
    Fact,
    ReadItem,
)
from consultant.codes.importers.sources import Source, TextPart
from consultant.codes.importers.tabular import after_preamble, delimited_rows
from consultant.codes.importers.values import (
    BadValue,
    choice,
    compact_date,
    iso_date,
    looks_like_code,
    optional_text,
    procedure_code,
)

ZIP_MEMBERS = re.compile(r"\.txt$")
SHARED_CSV_HEADER = ["column_1", "column_2", "deletion_date", "modifier_indicator", "rationale"]
_MODIFIER_INDICATORS = {"0": 0, "1": 1, "9": 9}


def read_ptp(source: Source) -> Iterator[ReadItem]:
    """PTP edit facts from either form, duplicates dropped (see the module's note)."""
    seen_column_1: set[str] = set()
    current_column_1 = ""
    current_keys: set[tuple[str, str | None, str | None]] = set()
    regrouped = False
    for part in source.text_parts(ZIP_MEMBERS):
        shared_csv = not source.is_zip and ".csv" in source.path.name.lower()
        rows = _shared_csv_rows(part.lines, part.where) if shared_csv else _cms_text_rows(part)
        for item in rows:
            if isinstance(item, BadLine):
                yield item
                continue
            number, values = item
            column_1 = values[0]
            if column_1 != current_column_1:
                if column_1 in seen_column_1:
                    regrouped = True
                seen_column_1.add(column_1)
                current_column_1 = column_1
                current_keys = set()
            key = (values[1], values[2], values[3])
            if key in current_keys:
                yield Duplicate(part.where, number)
                continue
            current_keys.add(key)
            yield Fact(PTP_EDITS, values)
    if regrouped:
        yield DedupeInDatabase(PTP_EDITS, ("column_1", "column_2", "effective_on", "deleted_on"))


_ParsedRow = tuple[int, tuple[str, str, str | None, str | None, int, str | None]]


def _shared_csv_rows(lines: Iterator[str], where: str) -> Iterator[_ParsedRow | BadLine]:
    reader = csv.reader(lines)
    header = next(reader, None)
    if header != SHARED_CSV_HEADER:
        yield BadLine(where, 1, f"expected the header {','.join(SHARED_CSV_HEADER)}")
        return
    for fields in reader:
        try:
            column_1, column_2, deletion, modifier, rationale = fields
            deleted = iso_date(deletion, "deletion_date") if deletion else None
            yield (
                reader.line_num,
                (
                    _code(column_1, "column_1"),
                    _code(column_2, "column_2"),
                    None,
                    deleted,
                    _modifier_indicator(modifier),
                    rationale or None,
                ),
            )
        except BadValue as exc:
            yield BadLine(where, reader.line_num, str(exc))
        except ValueError:
            yield BadLine(where, reader.line_num, f"{len(fields)} fields where 5 are expected")


def _cms_text_rows(part: TextPart) -> Iterator[_ParsedRow | BadLine]:
    rows = after_preamble(delimited_rows(part, "\t"), part.where, _looks_like_edit)
    for item in rows:
        if isinstance(item, BadLine):
            yield item
            continue
        number, fields = item
        try:
            if len(fields) < 6:
                raise BadValue(f"{len(fields)} tab-separated fields where 7 are expected")
            if fields[2].strip() not in ("", "*"):
                raise BadValue(f"pre-1996 flag {fields[2]!r} is neither '*' nor empty")
            deletion = fields[4].strip()
            yield (
                number,
                (
                    _code(fields[0], "Column 1"),
                    _code(fields[1], "Column 2"),
                    compact_date(fields[3], "effective date"),
                    None if deletion == "*" else compact_date(deletion, "deletion date"),
                    _modifier_indicator(fields[5]),
                    optional_text(fields[6]) if len(fields) > 6 else None,
                ),
            )
        except BadValue as exc:
            yield BadLine(part.where, number, str(exc))


def _looks_like_edit(fields: list[str]) -> bool:
    return len(fields) >= 2 and looks_like_code(fields[0].strip())


def _code(text: str, column: str) -> str:
    # The fast path first: nearly every value is already a clean code.
    if len(text) == 5 and looks_like_code(text):
        return text
    return procedure_code(text, column)


def _modifier_indicator(text: str) -> int:
    value = _MODIFIER_INDICATORS.get(text.strip())
    if value is None:
        return choice(text, "modifier indicator", (0, 1, 9))
    return value
