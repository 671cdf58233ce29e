"""Rows of delimited text after the header lines CMS puts before the data.

CMS files open with a few lines of notices and column titles whose wording
changes between releases, so the data is found by its shape instead: the first
row that looks like data ends the preamble. From there on every non-blank row
must parse, so a malformed line is reported, never skipped as a title.

The row just before the data must still be the header the reader expects
(:class:`Header`): each column title is matched by the words that have named
that column in every release, so new wording still reads, but a file whose
columns are others, or in another order, stops at its header with the
columns expected and found, even if its values would pass.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

from consultant.codes.importers.records import BadLine, Fact, FactTable, ReadItem
from consultant.codes.importers.sources import TextPart
from consultant.codes.importers.values import BadValue

#: More lines than this before the first data row means the file is not in the form expected.
MAX_PREAMBLE_LINES = 60

Row: TypeAlias = tuple[int, list[str]]
RowOrBad: TypeAlias = Row | BadLine
Parsed = TypeVar("Parsed")


@dataclass(frozen=True)
class Column:
    """One expected column: its name in messages and what its title must contain."""

    label: str
    #: Searched in the title lower-cased with every run of other characters made one space.
    pattern: str

    def matches(self, title: str) -> bool:
        return re.search(self.pattern, normalised_title(title)) is not None


@dataclass(frozen=True)
class Header:
    """The header row a reader expects: ``columns`` at their ``positions`` (0, 1, 2... unless
    given), ``required`` of them at least; the others are checked when the row has them."""

    columns: tuple[Column, ...]
    required: int
    positions: tuple[int, ...] = ()

    def _positions(self) -> tuple[int, ...]:
        return self.positions or tuple(range(len(self.columns)))

    def matches(self, titles: Sequence[str]) -> bool:
        for index, (position, column) in enumerate(
            zip(self._positions(), self.columns, strict=True)
        ):
            present = position < len(titles) and titles[position].strip() != ""
            if not present and index >= self.required:
                continue
            if not present or not column.matches(titles[position]):
                return False
        return True

    def mismatch(self, titles: Sequence[str] | None) -> str:
        """``expected columns [...], found [...]``; with ``positions``, each title numbered."""
        expected = [column.label for column in self.columns]
        if titles is None:
            return f"expected columns {_listed(expected)} before the first data row, found none"
        found = list(titles)
        while found and not found[-1].strip():
            found.pop()
        if self.positions:
            # Only the columns read: another column of the row may hold licensed text.
            expected = [
                f"{p + 1}:{label}" for p, label in zip(self.positions, expected, strict=True)
            ]
            found = [
                f"{p + 1}:{found[p].strip() if p < len(found) else ''}" for p in self.positions
            ]
        return header_mismatch(expected, found)


def normalised_title(title: str) -> str:
    """A column title lower-cased, every run of characters not letters or digits one space."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", title.lower()).split())


def header_mismatch(expected: Sequence[str], found: Sequence[str]) -> str:
    """``expected columns [...], found [...]`` for a header that must be exactly ``expected``."""
    return f"expected columns {_listed(expected)}, found {_listed(found)}"


def _listed(names: Sequence[str]) -> str:
    return "[" + ", ".join(name.strip() for name in names) + "]"


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
    rows: Iterator[Row],
    where: str,
    looks_like_data: Callable[[list[str]], bool],
    header: Header | None = None,
) -> Iterator[RowOrBad]:
    """The rows from the first data row on, blank rows left out.

    With ``header``, the non-blank row just before the first data row must match it (or the
    two rows before, read as one, for a header whose titles run over two lines); otherwise a
    fatal bad line names the columns expected and found.
    """
    in_data = False
    preamble: list[Row] = []  # the last two non-blank rows before the data
    for number, fields in rows:
        if not any(field.strip() for field in fields):
            continue
        if not in_data:
            if looks_like_data(fields):
                in_data = True
                if header is not None and not _header_before(preamble, header):
                    line = preamble[-1][0] if preamble else number
                    found = preamble[-1][1] if preamble else None
                    yield BadLine(where, line, header.mismatch(found), fatal=True)
                    return
            elif number > MAX_PREAMBLE_LINES:
                yield BadLine(
                    where,
                    number,
                    f"no data row in the first {MAX_PREAMBLE_LINES} lines: "
                    "is this file of the kind given (--kind)?",
                    fatal=True,
                )
                return
            else:
                preamble = [*preamble[-1:], (number, fields)]
                continue
        yield number, fields
    if not in_data:
        yield BadLine(where, 0, "the file holds no data rows")


def _header_before(preamble: list[Row], header: Header) -> bool:
    if not preamble:
        return False
    if header.matches(preamble[-1][1]):
        return True
    if len(preamble) < 2:
        return False
    # Titles over two lines ("STATUS" above "CODE"): each column's two cells read as one title.
    upper, lower = preamble[0][1], preamble[1][1]
    width = max(len(upper), len(lower))
    joined = [
        " ".join(part for part in (_cell(upper, i), _cell(lower, i)) if part) for i in range(width)
    ]
    return header.matches(joined)


def _cell(fields: list[str], index: int) -> str:
    return fields[index].strip() if index < len(fields) else ""


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
