"""Medically unlikely edits: the shared CSV and CMS's ``MCR_MUE_PractitionerServices_Eff_*.csv``.

The CMS CSV opens with notice lines and gives the adjudication indicator as
text ("2 Date of Service Edit: Policy"); its number is what is stored. Either
form's header row must name the columns in this order: code, MUE value,
adjudication indicator, rationale (``hcpcs_code,mue_value,mai,mue_rationale``
or ``HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication
Indicator,MUE Rationale``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from consultant.codes.importers.records import MUES, ReadItem
from consultant.codes.importers.sources import Source
from consultant.codes.importers.tabular import (
    Column,
    Header,
    KeySet,
    after_preamble,
    delimited_rows,
    field_count,
    parsed_facts,
)
from consultant.codes.importers.values import (
    BadValue,
    looks_like_code,
    optional_text,
    procedure_code,
    whole_number,
)

ZIP_MEMBERS = re.compile(r"\.csv$")
_MAI = re.compile(r"([123])(?:\s.*)?")
HEADER = Header(
    (
        Column("HCPCS/CPT code", r"\b(hcpcs|cpt)\b"),
        Column("MUE value", r"\bvalues?\b"),
        Column("MUE adjudication indicator", r"\b(mai|adjudication)\b"),
        Column("MUE rationale", r"\brationale\b"),
    ),
    required=3,
)


def read_mue(source: Source) -> Iterator[ReadItem]:
    """MUE facts, one per code; a code given twice is a bad line."""
    codes = KeySet("code")

    def parse(fields: list[str]) -> tuple[object, ...]:
        field_count(fields, 3)
        code = procedure_code(fields[0], "code")
        codes.claim(code)
        mai = _MAI.fullmatch(fields[2].strip())
        if mai is None:
            raise BadValue(f"adjudication indicator {fields[2]!r} does not start with 1, 2 or 3")
        rationale = optional_text(fields[3]) if len(fields) > 3 else None
        return code, whole_number(fields[1], "MUE value"), int(mai.group(1)), rationale

    for part in source.text_parts(ZIP_MEMBERS):
        rows = after_preamble(delimited_rows(part, ","), part.where, _looks_like_mue, HEADER)
        yield from parsed_facts(rows, part.where, MUES, parse)


def _looks_like_mue(fields: list[str]) -> bool:
    return len(fields) >= 3 and looks_like_code(fields[0].strip())
