"""The batch queries behind a code lookup: one query per fact table for all codes at once.

Each function takes the codes wanted and the release answering for its kind,
and returns facts keyed by code; ``answered_by`` records which release answered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from sqlalchemy import exists, literal, select, union_all
from sqlalchemy.orm import Session

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
    session: Session,
    releases: dict[str, ReleaseRef],
    wanted: list[str],
    answered_by: AnsweredBy,
) -> dict[str, CodeRow]:
    ids = _ids(releases, _CODE_ROW_KINDS)
    if not ids:
        return {}
    rank = {rid: n for n, rid in enumerate(ids)}
    rows = session.execute(
        select(Code.code, Code.status, Code.deleted_on, Code.replaced_by, Code.release_id).where(
            Code.release_id.in_(ids), Code.code.in_(wanted)
        )
    ).all()
    best: dict[str, tuple[int, str | None, dt.date | None, str | None]] = {}
    for code, action, deleted_on, replaced_by, release_id in rows:
        if code not in best or rank[release_id] < best[code][0]:
            best[code] = (rank[release_id], action, deleted_on, replaced_by)
    return {
        code: CodeRow(action, deleted_on, replaced_by, answered_by(ids[n]))
        for code, (n, action, deleted_on, replaced_by) in best.items()
    }


def descriptors(
    session: Session,
    releases: dict[str, ReleaseRef],
    wanted: list[str],
    answered_by: AnsweredBy,
) -> dict[str, list[DescriptorFact]]:
    ids = _ids(releases, _DESCRIPTOR_KINDS)
    if not ids:
        return {}
    rows = session.execute(
        select(Descriptor.code, Descriptor.source, Descriptor.text, Descriptor.release_id).where(
            Descriptor.release_id.in_(ids), Descriptor.code.in_(wanted)
        )
    ).all()
    found: dict[str, dict[str, DescriptorFact]] = defaultdict(dict)
    for code, source, text, release_id in rows:
        # Each source appears in one release kind, so one row per (code, source) remains.
        found[code][source] = DescriptorFact(source, text, answered_by(release_id))
    return {
        code: sorted(by_source.values(), key=lambda d: _SOURCE_RANK.get(d.source, 99))
        for code, by_source in found.items()
    }


def add_on_facts(
    session: Session,
    release: ReleaseRef | None,
    wanted: list[str],
    today: dt.date,
    answered_by: AnsweredBy,
) -> dict[str, AddOnFacts]:
    if release is None:
        return {}
    rows = session.execute(
        select(
            AddOnEdit.add_on_code,
            AddOnEdit.primary_code,
            AddOnEdit.edit_type,
            AddOnEdit.add_on_deleted_on,
            AddOnEdit.effective_on,
            AddOnEdit.deleted_on,
        ).where(AddOnEdit.release_id == release.id, AddOnEdit.add_on_code.in_(wanted))
    ).all()
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
    session: Session,
    release: ReleaseRef | None,
    wanted: list[str],
    answered_by: AnsweredBy,
) -> dict[str, MueFact]:
    if release is None:
        return {}
    m = MedicallyUnlikelyEdit
    rows = session.execute(
        select(m.code, m.value, m.adjudication_indicator, m.rationale).where(
            m.release_id == release.id, m.code.in_(wanted)
        )
    ).all()
    return {
        code: MueFact(value, mai, rationale, answered_by(release.id))
        for code, value, mai, rationale in rows
    }


def fee_schedule(
    session: Session,
    release: ReleaseRef | None,
    wanted: list[str],
    answered_by: AnsweredBy,
) -> dict[str, FeeScheduleFacts]:
    if release is None:
        return {}
    f = FeeScheduleIndicator
    rows = session.execute(
        select(
            f.code,
            f.modifier,
            f.status,
            f.global_days,
            f.pctc,
            f.mult_proc,
            f.bilat_surg,
            f.asst_surg,
            f.co_surg,
            f.team_surg,
        ).where(f.release_id == release.id, f.code.in_(wanted))
    ).all()
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
    session: Session,
    release: ReleaseRef | None,
    wanted: list[str],
    today: dt.date,
    answered_by: AnsweredBy,
) -> list[PtpEditFact]:
    if release is None or len(wanted) < 2:
        return []
    p = PtpEdit
    rows = session.execute(
        select(
            p.column_1,
            p.column_2,
            p.modifier_indicator,
            p.rationale,
            p.effective_on,
            p.deleted_on,
        ).where(p.release_id == release.id, p.column_1.in_(wanted), p.column_2.in_(wanted))
    ).all()
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


def in_ptp(session: Session, release: ReleaseRef | None, codes: list[str]) -> set[str]:
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
    return set(session.execute(union_all(*probes)).scalars())


def in_force(effective_on: dt.date | None, deleted_on: dt.date | None, today: dt.date) -> bool:
    """An edit is in force from its effective date through its deletion date (its last day)."""
    return (effective_on is None or effective_on <= today) and (
        deleted_on is None or today <= deleted_on
    )
