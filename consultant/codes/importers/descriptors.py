"""Descriptor files that are not CMS's: a licensed CPT file and our own plain summaries.

A practice that holds an AMA licence loads its CPT data file: one code, a tab,
the descriptor, a line each (as the AMA's data files are). The project never
ships that text. Our summaries are a CSV ``code,summary`` in our own words.
Both add a Code fact per code, so a release says which codes it knows.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from consultant.codes.importers.records import CODES, DESCRIPTORS, BadLine, Fact, ReadItem
from consultant.codes.importers.sources import Source
from consultant.codes.importers.tabular import (
    KeySet,
    after_preamble,
    delimited_rows,
    field_count,
    header_mismatch,
    parsed_rows,
)
from consultant.codes.importers.values import BadValue, looks_like_code, procedure_code, system_of
from consultant.codes.kinds import DescriptorSource

ZIP_MEMBERS = re.compile(r"\.(txt|csv)$")
SUMMARY_HEADER = ["code", "summary"]


def read_licensed_cpt(source: Source) -> Iterator[ReadItem]:
    """Licensed CPT descriptors, ``code<TAB>descriptor``, after any title lines."""
    codes = KeySet("code")

    def parse(_number: int, fields: list[str]) -> Iterator[Fact]:
        field_count(fields, 2)
        return _descriptor_facts(
            fields[0], "\t".join(fields[1:]), DescriptorSource.LICENSED_CPT, codes
        )

    for part in source.text_parts(ZIP_MEMBERS):
        rows = after_preamble(
            delimited_rows(part, "\t"), part.where, lambda f: looks_like_code(f[0].strip())
        )
        yield from parsed_rows(rows, part.where, parse)


def read_summaries(source: Source) -> Iterator[ReadItem]:
    """Our own plain-language summaries from a ``code,summary`` CSV."""
    codes = KeySet("code")
    for part in source.text_parts(ZIP_MEMBERS):
        reader = csv.reader(part.lines)
        found = next(reader, [])
        if [name.strip().lower() for name in found[:2]] != SUMMARY_HEADER:
            yield BadLine(part.where, 1, header_mismatch(SUMMARY_HEADER, found), fatal=True)
            return
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue
            try:
                field_count(fields, 2)
                yield from _descriptor_facts(fields[0], fields[1], DescriptorSource.SUMMARY, codes)
            except BadValue as exc:
                yield BadLine(part.where, reader.line_num, str(exc))


def _descriptor_facts(
    code_text: str, text: str, source: DescriptorSource, codes: KeySet
) -> Iterator[Fact]:
    code = procedure_code(code_text, "code")
    text = text.strip()
    if not text:
        raise BadValue(f"code {code} has no text")
    codes.claim(code)
    yield Fact(CODES, (code, system_of(code).value, None, None, None, None))
    yield Fact(DESCRIPTORS, (code, source.value, text))
