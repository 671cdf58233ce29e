"""Facts from the rows :mod:`consultant.codes.lookup_queries` fetched, one builder per table.

Values arrive as text (the branches of one UNION ALL share column types);
each builder parses its own and records, through ``answered_by``, which
release answered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from consultant.codes.facts import (
    DESCRIPTOR_PREFERENCE,
    AddOnFacts,
    AddOnPrimary,
    DescriptorFact,
    FeeScheduleFacts,
    MueFact,
    PtpEditFact,
    ReleaseRef,
)
from consultant.codes.lookup_queries import CODE_ROW_KINDS, Values, release_ids

AnsweredBy = Callable[[int], str]
_SOURCE_RANK = {source: n for n, source in enumerate(DESCRIPTOR_PREFERENCE)}


def _date(value: str | None) -> dt.date | None:
    # Both databases give a date cast to text in ISO form (PostgreSQL may add a time).
    return dt.date.fromisoformat(value[:10]) if value else None


def _int(value: str | None) -> int:
    return int(value) if value is not None else 0


class CodeRow:
    """A code's own row: HCPCS action code, termination date, replacement, release."""

    __slots__ = ("action", "deleted_on", "release", "replaced_by")

    def __init__(
        self, action: str | None, deleted_on: dt.date | None, replaced_by: str | None, release: str
    ) -> None:
        self.action = action
        self.deleted_on = deleted_on
        self.replaced_by = replaced_by
        self.release = release


def code_rows(
    rows: list[Values], releases: dict[str, ReleaseRef], answered_by: AnsweredBy
) -> dict[str, CodeRow]:
    """Each code's own row, from the most trusted release that has one."""
    rank = {rid: n for n, rid in enumerate(release_ids(releases, CODE_ROW_KINDS))}
    best: dict[str, tuple[int, Values]] = {}
    for row in rows:
        n = rank[_int(row[4])]
        if row[0] not in best or n < best[row[0]][0]:
            best[str(row[0])] = (n, row)
    return {
        code: CodeRow(row[1], _date(row[2]), row[3], answered_by(_int(row[4])))
        for code, (_n, row) in best.items()
    }


def descriptors(rows: list[Values], answered_by: AnsweredBy) -> dict[str, list[DescriptorFact]]:
    """Each code's descriptors, in the order a reply prefers them."""
    found: dict[str, dict[str, DescriptorFact]] = defaultdict(dict)
    for code, source, text, release_id, *_ in rows:
        # Each source appears in one release kind, so one row per (code, source) remains.
        found[str(code)][str(source)] = DescriptorFact(
            str(source), str(text), answered_by(_int(release_id))
        )
    return {
        code: sorted(by_source.values(), key=lambda d: _SOURCE_RANK.get(d.source, 99))
        for code, by_source in found.items()
    }


def add_on_facts(
    rows: list[Values], release: ReleaseRef | None, today: dt.date, answered_by: AnsweredBy
) -> dict[str, AddOnFacts]:
    """What the add-on edits say about each add-on code among those looked up."""
    if release is None:
        return {}
    # Dates stay ISO text here: text order is date order, and an add-on with a
    # long primary list (69990 has about 200) would otherwise parse hundreds.
    day = today.isoformat()
    by_code: dict[str, list[tuple[str | None, int, str | None, bool, str | None]]] = defaultdict(
        list
    )
    for add_on, primary, edit_type, add_on_deleted, effective_on, deleted_on, *_ in rows:
        deleted = deleted_on[:10] if deleted_on else None
        active = (not effective_on or effective_on[:10] <= day) and (
            deleted is None or day <= deleted
        )
        by_code[str(add_on)].append((primary, _int(edit_type), add_on_deleted, active, deleted))
    result = {}
    for code, edits in by_code.items():
        active_edits = [e for e in edits if e[3]]
        considered = active_edits or edits
        primaries = sorted({(t, p) for p, t, *_ in active_edits if p is not None})
        add_on_deleted_years = [int(e[2][:4]) for e in edits if e[2]]
        edits_deleted_years = [int(e[4][:4]) for e in edits if e[4] and not e[3]]
        result[code] = AddOnFacts(
            edit_types=tuple(e[1] for e in considered),
            primaries=tuple(AddOnPrimary(p, t) for t, p in primaries),
            contractor_decides=any(e[1] in (2, 3) for e in active_edits),
            active_edit_count=len(active_edits),
            deleted_edit_count=len(edits) - len(active_edits),
            add_on_deleted_year=max(add_on_deleted_years, default=None),
            edits_deleted_year=None if active_edits else max(edits_deleted_years, default=None),
            release=answered_by(release.id),
        )
    return result


def mues(
    rows: list[Values], release: ReleaseRef | None, answered_by: AnsweredBy
) -> dict[str, MueFact]:
    """Each code's medically unlikely edit."""
    if release is None:
        return {}
    return {
        str(code): MueFact(_int(value), _int(mai), rationale, answered_by(release.id))
        for code, value, mai, rationale, *_ in rows
    }


def fee_schedule(
    rows: list[Values], release: ReleaseRef | None, answered_by: AnsweredBy
) -> dict[str, FeeScheduleFacts]:
    """Each code's fee schedule indicators."""
    if release is None:
        return {}
    result: dict[str, FeeScheduleFacts] = {}
    # The row without a modifier speaks for the code; a 26/TC/53 row only when it is alone.
    for row in sorted(rows, key=lambda r: not r[1]):
        code, _modifier, status, global_days, pctc, mult, bilat, asst, co, team = row
        result[str(code)] = FeeScheduleFacts(
            status=str(status),
            global_days=global_days,
            pctc=_indicator(pctc),
            mult_proc=_indicator(mult),
            bilateral=_indicator(bilat),
            assistant=_indicator(asst),
            co_surgeon=_indicator(co),
            team_surgeon=_indicator(team),
            release=answered_by(release.id),
        )
    return result


def _indicator(value: str | None) -> str | None:
    """PFS indicators as CMS means them: "2", not the "2.0" some copies of the file hold."""
    if value is None or value == "":
        return None
    return value[:-2] if value.endswith(".0") else value


def ptp_edits(
    rows: list[Values],
    release: ReleaseRef | None,
    wanted: list[str],
    today: dt.date,
    answered_by: AnsweredBy,
) -> list[PtpEditFact]:
    """The PTP edits between the codes, in the order the codes were named."""
    if release is None:
        return []
    order = {code: n for n, code in enumerate(wanted)}
    edits = [
        PtpEditFact(
            column_1=str(c1),
            column_2=str(c2),
            modifier_indicator=_int(indicator),
            rationale=rationale,
            effective_on=_date(effective_on),
            deleted_on=_date(deleted_on),
            active=in_force(_date(effective_on), _date(deleted_on), today),
            release=answered_by(release.id),
        )
        for c1, c2, indicator, rationale, effective_on, deleted_on, *_ in rows
        if c1 != c2
    ]
    edits.sort(
        key=lambda e: (
            order[e.column_1],
            order[e.column_2],
            e.deleted_on or dt.date.max,
            e.modifier_indicator,
        )
    )
    return edits


def in_force(effective_on: dt.date | None, deleted_on: dt.date | None, today: dt.date) -> bool:
    """An edit is in force from its effective date through its deletion date (its last day)."""
    return (effective_on is None or effective_on <= today) and (
        deleted_on is None or today <= deleted_on
    )
