"""The batch queries behind a code lookup: one query per fact table for all codes at once.

Each function takes the session's connection (so it runs inside the session's
transaction), the codes wanted and the release answering for its kind,
and returns facts keyed by code; ``answered_by`` records which release answered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import BindParameter, Executable, bindparam, exists, literal, select, union_all
from sqlalchemy.engine import Connection

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
from consultant.codes.models import (
    AddOnEdit,
    Code,
    Descriptor,
    FeeScheduleIndicator,
    MedicallyUnlikelyEdit,
    PtpEdit,
    ReleaseKind,
)

AnsweredBy = Callable[[int], str]

# Where a code's own row (status, deletion, replacement) comes from, most trusted first.
_CODE_ROW_KINDS = (ReleaseKind.HCPCS, ReleaseKind.CPT, ReleaseKind.SUMMARY)
_DESCRIPTOR_KINDS = (ReleaseKind.CPT, ReleaseKind.HCPCS, ReleaseKind.SUMMARY)
_SOURCE_RANK = {source: n for n, source in enumerate(DESCRIPTOR_PREFERENCE)}

# Core statements built once: a lookup runs several per draft, and building and
# compiling a statement cost more than SQLite answering it. Expanding IN lists
# keep one cached compilation for any number of codes.
_codes: BindParameter[str] = bindparam("codes", expanding=True)
_release_ids: BindParameter[int] = bindparam("release_ids", expanding=True)
_release_id: BindParameter[int] = bindparam("release_id")
_c = Code.__table__.c
_CODE_ROWS = select(_c.code, _c.status, _c.deleted_on, _c.replaced_by, _c.release_id).where(
    _c.release_id.in_(_release_ids), _c.code.in_(_codes)
)
_d = Descriptor.__table__.c
_DESCRIPTORS = select(_d.code, _d.source, _d.text, _d.release_id).where(
    _d.release_id.in_(_release_ids), _d.code.in_(_codes)
)
_a = AddOnEdit.__table__.c
_ADD_ON_EDITS = select(
    _a.add_on_code,
    _a.primary_code,
    _a.edit_type,
    _a.add_on_deleted_on,
    _a.effective_on,
    _a.deleted_on,
).where(_a.release_id == _release_id, _a.add_on_code.in_(_codes))
_m = MedicallyUnlikelyEdit.__table__.c
_MUES = select(_m.code, _m.value, _m.adjudication_indicator, _m.rationale).where(
    _m.release_id == _release_id, _m.code.in_(_codes)
)
_f = FeeScheduleIndicator.__table__.c
_FEES = select(
    _f.code,
    _f.modifier,
    _f.status,
    _f.global_days,
    _f.pctc,
    _f.mult_proc,
    _f.bilat_surg,
    _f.asst_surg,
    _f.co_surg,
    _f.team_surg,
).where(_f.release_id == _release_id, _f.code.in_(_codes))
_p = PtpEdit.__table__.c
_PAIRS = select(
    _p.column_1, _p.column_2, _p.modifier_indicator, _p.rationale, _p.effective_on, _p.deleted_on
).where(_p.release_id == _release_id, _p.column_1.in_(_codes), _p.column_2.in_(_codes))


def _rows(connection: Connection, statement: Executable, **params: object) -> Sequence[Any]:
    """Run a prebuilt Core statement: no ORM layer between the rows and the facts."""
    return connection.execute(statement, params).all()


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


def _ids(releases: dict[str, ReleaseRef], kinds: Iterable[str]) -> list[int]:
    return [releases[k].id for k in kinds if k in releases]


def code_rows(
    connection: Connection,
    releases: dict[str, ReleaseRef],
    wanted: list[str],
    answered_by: AnsweredBy,
) -> dict[str, CodeRow]:
    ids = _ids(releases, _CODE_ROW_KINDS)
    if not ids:
        return {}
    rank = {rid: n for n, rid in enumerate(ids)}
    rows = _rows(connection, _CODE_ROWS, release_ids=ids, codes=wanted)
    best: dict[str, tuple[int, str | None, dt.date | None, str | None]] = {}
    for code, action, deleted_on, replaced_by, release_id in rows:
        if code not in best or rank[release_id] < best[code][0]:
            best[code] = (rank[release_id], action, deleted_on, replaced_by)
    return {
        code: CodeRow(action, deleted_on, replaced_by, answered_by(ids[n]))
        for code, (n, action, deleted_on, replaced_by) in best.items()
    }


def descriptors(
    connection: Connection,
    releases: dict[str, ReleaseRef],
    wanted: list[str],
    answered_by: AnsweredBy,
) -> dict[str, list[DescriptorFact]]:
    ids = _ids(releases, _DESCRIPTOR_KINDS)
    if not ids:
        return {}
    rows = _rows(connection, _DESCRIPTORS, release_ids=ids, codes=wanted)
    found: dict[str, dict[str, DescriptorFact]] = defaultdict(dict)
    for code, source, text, release_id in rows:
        # Each source appears in one release kind, so one row per (code, source) remains.
        found[code][source] = DescriptorFact(source, text, answered_by(release_id))
    return {
        code: sorted(by_source.values(), key=lambda d: _SOURCE_RANK.get(d.source, 99))
        for code, by_source in found.items()
    }


def add_on_facts(
    connection: Connection,
    release: ReleaseRef | None,
    wanted: list[str],
    today: dt.date,
    answered_by: AnsweredBy,
) -> dict[str, AddOnFacts]:
    if release is None:
        return {}
    rows = _rows(connection, _ADD_ON_EDITS, release_id=release.id, codes=wanted)
    by_code: dict[str, list[tuple[str | None, int, dt.date | None, bool, dt.date | None]]] = (
        defaultdict(list)
    )
    for add_on, primary, edit_type, add_on_deleted, effective_on, deleted_on in rows:
        active = in_force(effective_on, deleted_on, today)
        by_code[add_on].append((primary, edit_type, add_on_deleted, active, deleted_on))
    result = {}
    for code, edits in by_code.items():
        active_edits = [e for e in edits if e[3]]
        considered = active_edits or edits
        primaries = sorted(
            {AddOnPrimary(p, t) for p, t, *_ in active_edits if p is not None},
            key=lambda p: (p.edit_type, p.code),
        )
        add_on_deleted_years = [e[2].year for e in edits if e[2] is not None]
        edits_deleted_years = [e[4].year for e in edits if e[4] is not None and not e[3]]
        result[code] = AddOnFacts(
            edit_types=tuple(e[1] for e in considered),
            primaries=tuple(primaries),
            contractor_decides=any(e[1] in (2, 3) for e in active_edits),
            active_edit_count=len(active_edits),
            deleted_edit_count=len(edits) - len(active_edits),
            add_on_deleted_year=max(add_on_deleted_years, default=None),
            edits_deleted_year=None if active_edits else max(edits_deleted_years, default=None),
            release=answered_by(release.id),
        )
    return result


def mues(
    connection: Connection,
    release: ReleaseRef | None,
    wanted: list[str],
    answered_by: AnsweredBy,
) -> dict[str, MueFact]:
    if release is None:
        return {}
    rows = _rows(connection, _MUES, release_id=release.id, codes=wanted)
    return {
        code: MueFact(value, mai, rationale, answered_by(release.id))
        for code, value, mai, rationale in rows
    }


def fee_schedule(
    connection: Connection,
    release: ReleaseRef | None,
    wanted: list[str],
    answered_by: AnsweredBy,
) -> dict[str, FeeScheduleFacts]:
    if release is None:
        return {}
    rows = _rows(connection, _FEES, release_id=release.id, codes=wanted)
    result: dict[str, FeeScheduleFacts] = {}
    # The row without a modifier speaks for the code; a 26/TC/53 row only when it is alone.
    for row in sorted(rows, key=lambda r: r[1] == ""):
        code, _modifier, status, global_days, pctc, *indicators = row
        mult, bilat, asst, co, team = (_indicator(v) for v in indicators)
        result[code] = FeeScheduleFacts(
            status=status,
            global_days=global_days,
            pctc=_indicator(pctc),
            mult_proc=mult,
            bilateral=bilat,
            assistant=asst,
            co_surgeon=co,
            team_surgeon=team,
            release=answered_by(release.id),
        )
    return result


def _indicator(value: str | None) -> str | None:
    """PFS indicators as CMS means them: "2", not the "2.0" some copies of the file hold."""
    if value is None or value == "":
        return None
    return value[:-2] if value.endswith(".0") else value


def ptp_edits(
    connection: Connection,
    release: ReleaseRef | None,
    wanted: list[str],
    today: dt.date,
    answered_by: AnsweredBy,
) -> list[PtpEditFact]:
    if release is None or len(wanted) < 2:
        return []
    rows = _rows(connection, _PAIRS, release_id=release.id, codes=wanted)
    order = {code: n for n, code in enumerate(wanted)}
    edits = [
        PtpEditFact(
            column_1=c1,
            column_2=c2,
            modifier_indicator=indicator,
            rationale=rationale,
            effective_on=effective_on,
            deleted_on=deleted_on,
            active=in_force(effective_on, deleted_on, today),
            release=answered_by(release.id),
        )
        for c1, c2, indicator, rationale, effective_on, deleted_on in rows
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


def in_ptp(connection: Connection, release: ReleaseRef | None, codes: list[str]) -> set[str]:
    """Which of ``codes`` head any PTP edit: a code no other table knows may still be there."""
    if release is None or not codes:
        return set()
    # One EXISTS per code, each an index seek, instead of scanning every edit of a code.
    probes = [
        select(literal(code).label("code")).where(
            exists().where(PtpEdit.release_id == release.id, PtpEdit.column_1 == code)
        )
        for code in codes
    ]
    return set(connection.execute(union_all(*probes)).scalars())


def in_force(effective_on: dt.date | None, deleted_on: dt.date | None, today: dt.date) -> bool:
    """An edit is in force from its effective date through its deletion date (its last day)."""
    return (effective_on is None or effective_on <= today) and (
        deleted_on is None or today <= deleted_on
    )
