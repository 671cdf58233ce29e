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
from collections.abc import Callable, Iterator

from consultant.codes.importers.records import (
    PTP_EDITS,
    BadLine,
    DedupeInDatabase,
    Duplicate,
    Fact,
    ReadItem,
)
from consultant.codes.importers.sources import Source, TextPart
from consultant.codes.importers.tabular import (
    Column,
    Header,
    after_preamble,
    header_mismatch,
    parsed_rows,
)
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
#: The CMS text's titles: Column 1, Column 2, *=in existence prior to 1996, Effective Date,
#: Deletion Date *=no data, Modifier 0=not allowed 1=allowed 9=not applicable, PTP Edit Rationale.
CMS_TEXT_HEADER = Header(
    (
        Column("Column 1", r"\bcolumn ?(1|one)\b"),
        Column("Column 2", r"\bcolumn ?(2|two)\b"),
        Column("*=in existence prior to 1996", r"\b(1996|prior|existence)\b"),
        Column("Effective Date", r"\beffective\b"),
        Column("Deletion Date", r"\bdeletion\b"),
        Column("Modifier", r"\bmodifier\b"),
        Column("PTP Edit Rationale", r"\brationale\b"),
    ),
    required=6,
)


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

_CODE = r"([0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})"
# The fast path: a well-formed line in one match. Anything else goes through the
# field-by-field parse, which names what is wrong (or accepts a quoted rationale).
_CSV_LINE = re.compile(_CODE + "," + _CODE + r",(\d{4}-\d{2}-\d{2}|),([019]),([^\",]*)")
_TEXT_LINE = re.compile(_CODE + "\t" + _CODE + r"\t\*?\t(\d{8})\t(\d{8}|\*)\t([019])\t([^\t]*)")


class _Dates:
    """Each distinct date string checked once: a PTP file has a few hundred, on 2.5M rows."""

    def __init__(self, parse: Callable[[str, str], str | None]) -> None:
        self._parse = parse
        self._iso: dict[str, str | None] = {"": None}

    def iso(self, text: str, column: str) -> str | None:
        if text in self._iso:
            return self._iso[text]
        value = self._parse(text, column)
        self._iso[text] = value
        return value


def _shared_csv_rows(lines: Iterator[str], where: str) -> Iterator[_ParsedRow | BadLine]:
    header = next(lines, "")
    if header.split(",") != SHARED_CSV_HEADER:
        found = next(csv.reader([header]), [])
        yield BadLine(where, 1, header_mismatch(SHARED_CSV_HEADER, found), fatal=True)
        return
    dates = _Dates(iso_date)
    for number, line in enumerate(lines, start=2):
        match = _CSV_LINE.fullmatch(line)
        if match:
            column_1, column_2, deletion, modifier, rationale = match.groups()
            deleted = dates.iso(deletion, "deletion_date")
            mi = _MODIFIER_INDICATORS[modifier]
            yield number, (column_1, column_2, None, deleted, mi, rationale or None)
            continue
        try:
            fields = next(csv.reader([line]), [])
            if len(fields) != 5:
                raise BadValue(f"{len(fields)} fields where 5 are expected")
            column_1, column_2, deletion, modifier, rationale = fields
            yield (
                number,
                (
                    _code(column_1, "column_1"),
                    _code(column_2, "column_2"),
                    None,
                    dates.iso(deletion, "deletion_date"),
                    _modifier_indicator(modifier),
                    rationale or None,
                ),
            )
        except BadValue as exc:
            yield BadLine(where, number, str(exc))


def _cms_text_rows(part: TextPart) -> Iterator[_ParsedRow | BadLine]:
    dates = _Dates(compact_date)

    def parse(number: int, fields: list[str]) -> Iterator[_ParsedRow]:
        if len(fields) < 6:
            raise BadValue(f"{len(fields)} tab-separated fields where 7 are expected")
        if fields[2].strip() not in ("", "*"):
            raise BadValue(f"pre-1996 flag {fields[2]!r} is neither '*' nor empty")
        yield (
            number,
            (
                _code(fields[0].strip(), "Column 1"),
                _code(fields[1].strip(), "Column 2"),
                dates.iso(fields[3].strip(), "effective date"),
                None if fields[4].strip() == "*" else dates.iso(fields[4].strip(), "deletion date"),
                _modifier_indicator(fields[5]),
                optional_text(fields[6]) if len(fields) > 6 else None,
            ),
        )

    rows = after_preamble(_text_rows(part), part.where, _looks_like_edit, CMS_TEXT_HEADER)
    return parsed_rows(rows, part.where, parse)


def _text_rows(part: TextPart) -> Iterator[tuple[int, list[str]]]:
    """Tab-separated fields; a well-formed line is cut by one regular expression."""
    for number, line in enumerate(part.lines, start=1):
        match = _TEXT_LINE.fullmatch(line)
        if match:
            column_1, column_2, effective, deletion, modifier, rationale = match.groups()
            yield number, [column_1, column_2, "", effective, deletion, modifier, rationale]
        else:
            yield number, line.split("\t")


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
