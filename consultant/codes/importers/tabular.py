"""Rows of delimited text after the header lines CMS puts before the data.

CMS files open with a few lines of notices and column titles whose wording
changes between releases, so the data is found by its shape instead: the first
row that looks like data ends the preamble. From there on every non-blank row
must parse, so a malformed line is reported, never skipped as a title.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import TypeAlias, TypeVar

from consultant.codes.importers.records import BadLine, Fact, FactTable, ReadItem
from consultant.codes.importers.sources import TextPart
from consultant.codes.importers.values import BadValue

#: More lines than this before the first data row means the file is not in the form expected.
MAX_PREAMBLE_LINES = 60

Row: TypeAlias = tuple[int, list[str]]
RowOrBad: TypeAlias = Row | BadLine
Parsed = TypeVar("Parsed")


def delimited_rows(part: TextPart, delimiter: str) -> Iterator[Row]:
    """(line number, fields) for each line; commas follow CSV quoting, tabs split plainly."""
    if delimiter == ",":
        reader = csv.reader(part.lines)
        for fields in reader:
            yield reader.line_num, fields
    else:
        for number, line in enumerate(part.lines, start=1):
            yield number, line.split(delimiter)


def after_preamble(
    rows: Iterator[Row], where: str, looks_like_data: Callable[[list[str]], bool]
) -> Iterator[RowOrBad]:
    """The rows from the first data row on, blank rows left out."""
    in_data = False
    for number, fields in rows:
        if not any(field.strip() for field in fields):
            continue
        if not in_data:
            if looks_like_data(fields):
                in_data = True
            elif number > MAX_PREAMBLE_LINES:
                yield BadLine(
                    where,
                    number,
                    f"no data row in the first {MAX_PREAMBLE_LINES} lines: "
                    "is this file of the kind given (--kind)?",
                )
                return
            else:
                continue
        yield number, fields
    if not in_data:
        yield BadLine(where, 0, "the file holds no data rows")


def parsed_rows(
    rows: Iterator[RowOrBad],
    where: str,
    parse: Callable[[int, list[str]], Iterable[Parsed]],
) -> Iterator[Parsed | BadLine]:
    """What ``parse`` makes of each (line number, fields) row; a :class:`BadValue` is a bad line.

    ``parse`` may yield several items for one row; any it yielded before the
    :class:`BadValue` stand.
    """
    for item in rows:
        if isinstance(item, BadLine):
            yield item
            continue
        number, fields = item
        try:
            yield from parse(number, fields)
        except BadValue as exc:
            yield BadLine(where, number, str(exc))


def parsed_facts(
    rows: Iterator[RowOrBad],
    where: str,
    table: FactTable,
    parse: Callable[[list[str]], tuple[object, ...]],
) -> Iterator[ReadItem]:
    """A fact per row through ``parse``; a :class:`BadValue` becomes a bad line."""
    return parsed_rows(rows, where, lambda _number, fields: (Fact(table, parse(fields)),))


def field_count(fields: list[str], at_least: int) -> None:
    """Refuse a row with fewer fields than the format needs."""
    if len(fields) < at_least:
        raise BadValue(f"{len(fields)} fields where at least {at_least} are expected")


class KeySet:
    """Keys a release holds once (an MUE code, a descriptor...): a repeat is a bad line."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._seen: set[object] = set()

    def claim(self, key: object) -> None:
        if key in self._seen:
            raise BadValue(f"{self.what} {key} appears a second time")
        self._seen.add(key)
