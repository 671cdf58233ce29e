"""HCPCS Level II: CMS's spreadsheet and its 320-byte fixed-width text with continuation records.

A code's long description can run over several records: the first (record
id 3 for a procedure, 7 for a modifier) carries the details, the next ones (4
or 8, same code, rising sequence number) only more words. Modifiers are the
rows whose code is padded with spaces ("   A1"). Each code gives a Code fact
(system, action code as status, added and termination dates, cross reference
when terminated) and its long and short descriptions, all public CMS text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from consultant.codes.importers.records import CODES, DESCRIPTORS, BadLine, Fact, ReadItem
from consultant.codes.importers.sources import Source
from consultant.codes.importers.tabular import MAX_PREAMBLE_LINES, KeySet
from consultant.codes.importers.values import BadValue, compact_date, system_of
from consultant.codes.kinds import CodeSystem, DescriptorSource

ZIP_MEMBERS = re.compile(r"\.txt$")
RECORD_LENGTH = 320
FIRST_RECORDS = {"3": False, "7": True}  # record id -> is a modifier
MORE_RECORDS = {"4": False, "8": True}
_SHEET_COLUMNS = ("HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION")
_SHEET_DETAIL_COLUMNS = ("ADD DT", "TERM DT", "ACTION CD")
_CODE_SHAPE = re.compile(r"[0-9A-Z]{5}| {3}[0-9A-Z]{2}")


class HcpcsRecord(NamedTuple):
    """One record (text line or spreadsheet row), fields as published."""

    number: int
    code: str  # as published: modifiers keep their leading spaces
    sequence: str
    record_id: str
    long_text: str
    short_text: str
    cross_references: tuple[str, ...]
    added: str
    terminated: str
    action: str


def read_hcpcs(source: Source) -> Iterator[ReadItem]:
    """Code and descriptor facts from the spreadsheet or the fixed-width text."""
    records = _sheet_records(source) if source.is_spreadsheet else fixed_width_records(source)
    yield from _facts(records, str(source.path))


def fixed_width_records(source: Source) -> Iterator[HcpcsRecord | BadLine]:
    """The text's records after its notice lines; short lines (blanks trimmed) are padded."""
    for part in source.text_parts(ZIP_MEMBERS):
        in_data = False
        for number, line in enumerate(part.lines, start=1):
            if not line.strip():
                continue
            looks_like_record = len(line) > 11 and bool(_CODE_SHAPE.fullmatch(line[:5]))
            if not in_data:
                if not looks_like_record:
                    if number > MAX_PREAMBLE_LINES:
                        yield BadLine(part.where, number, "no HCPCS record in the first lines")
                        return
                    continue
                in_data = True
            if len(line) > RECORD_LENGTH:
                yield BadLine(part.where, number, f"{len(line)} characters, longer than a record")
                continue
            line = line.ljust(RECORD_LENGTH)
            yield HcpcsRecord(
                number,
                line[0:5],
                line[5:10],
                line[10],
                line[11:91].strip(),
                line[91:119].strip(),
                tuple(x for x in (line[204:209].strip(),) if x),
                line[268:276],
                line[284:292],
                line[292].strip(),
            )


def _sheet_records(source: Source) -> Iterator[HcpcsRecord | BadLine]:
    where = str(source.path)
    columns: dict[str, int] | None = None
    for number, cells in source.sheet_rows():
        if columns is None:
            names = {cell.strip().upper(): i for i, cell in enumerate(cells)}
            if all(name in names for name in _SHEET_COLUMNS + _SHEET_DETAIL_COLUMNS):
                columns = names
            elif number > MAX_PREAMBLE_LINES:
                break
            continue
        if not any(cell.strip() for cell in cells):
            continue

        def cell(name: str, row: tuple[str, ...] = cells, at: dict[str, int] = columns) -> str:
            index = at.get(name)
            return row[index] if index is not None and index < len(row) else ""

        xrefs = tuple(x.strip() for x in (cell(f"XREF{i}") for i in range(1, 6)) if x.strip())
        yield HcpcsRecord(
            number,
            cell("HCPC"),
            cell("SEQNUM"),
            cell("RECID").strip(),
            cell("LONG DESCRIPTION").strip(),
            cell("SHORT DESCRIPTION").strip(),
            xrefs,
            cell("ADD DT"),
            cell("TERM DT"),
            cell("ACTION CD").strip(),
        )
    if columns is None:
        titles = ", ".join(_SHEET_COLUMNS + _SHEET_DETAIL_COLUMNS)
        found = f"no row with them in the first {MAX_PREAMBLE_LINES} rows"
        yield BadLine(where, 0, f"expected columns [{titles}], found {found}", fatal=True)


def _facts(records: Iterator[HcpcsRecord | BadLine], where: str) -> Iterator[ReadItem]:
    codes = KeySet("code")
    first: HcpcsRecord | None = None
    long_parts: list[str] = []
    for record in records:
        if isinstance(record, BadLine):
            yield record
            continue
        if record.record_id in MORE_RECORDS:
            if first is None or record.code != first.code:
                shown = first.code.strip() if first else "nothing"
                yield BadLine(
                    where,
                    record.number,
                    f"continuation record of {record.code.strip()!r} follows {shown}",
                )
            else:
                long_parts.append(record.long_text)
            continue
        if first is not None:
            yield from _code_facts(first, long_parts)
        first, long_parts = None, []
        try:
            _check_first(record, codes)
        except BadValue as exc:
            yield BadLine(where, record.number, str(exc))
            continue
        first, long_parts = record, [record.long_text]
    if first is not None:
        yield from _code_facts(first, long_parts)


def _check_first(record: HcpcsRecord, codes: KeySet) -> None:
    if record.record_id not in FIRST_RECORDS:
        raise BadValue(f"record id {record.record_id!r} is not 3, 4, 7 or 8")
    if not _CODE_SHAPE.fullmatch(record.code) and not _CODE_SHAPE.fullmatch(record.code.rjust(5)):
        raise BadValue(f"code {record.code!r} is neither a HCPCS code nor a padded modifier")
    compact_date(record.added, "added date")
    compact_date(record.terminated, "termination date")
    codes.claim(record.code.strip())


def _code_facts(first: HcpcsRecord, long_parts: list[str]) -> Iterator[Fact]:
    code = first.code.strip()
    is_modifier = FIRST_RECORDS[first.record_id] or len(code) == 2
    terminated = compact_date(first.terminated, "termination date")
    yield Fact(
        CODES,
        (
            code,
            (CodeSystem.MODIFIER if is_modifier else system_of(code)).value,
            first.action or None,
            compact_date(first.added, "added date"),
            terminated,
            ", ".join(first.cross_references)[:120] or None if terminated else None,
        ),
    )
    long_text = " ".join(part for part in long_parts if part)
    if long_text:
        yield Fact(DESCRIPTORS, (code, DescriptorSource.HCPCS_LONG.value, long_text))
    if first.short_text:
        yield Fact(DESCRIPTORS, (code, DescriptorSource.HCPCS_SHORT.value, first.short_text))
