"""The rows behind a code lookup: one plain query per fact table, typed as the models say.

:func:`fetch_fact_rows` asks each table that has an answering release for the
rows of all the codes at once (each an index lookup); a table whose kind has
no release loaded is not asked. :mod:`consultant.codes.lookup_facts` turns the
rows into facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, literal, select, union_all
from sqlalchemy.engine import Connection, Row

from consultant.codes.facts import ReleaseRef
from consultant.codes.kinds import ReleaseKind
from consultant.codes.models import (
    AddOnEdit,
    Code,
    Descriptor,
    FeeScheduleIndicator,
    MedicallyUnlikelyEdit,
    PtpEdit,
)

Rows = Sequence[Row[Any]]

# Where a code's own row (status, deletion, replacement) comes from, most trusted first.
CODE_ROW_KINDS = (ReleaseKind.HCPCS, ReleaseKind.CPT, ReleaseKind.SUMMARY)
_DESCRIPTOR_KINDS = (ReleaseKind.CPT, ReleaseKind.HCPCS, ReleaseKind.SUMMARY)


@dataclass
class FactRows:
    """The rows of each fact table for the codes looked up (empty where nothing answers)."""

    code: Rows = field(default_factory=list)
    descriptor: Rows = field(default_factory=list)
    addon: Rows = field(default_factory=list)
    mue: Rows = field(default_factory=list)
    pfs: Rows = field(default_factory=list)
    ptp: Rows = field(default_factory=list)


def fetch_fact_rows(
    connection: Connection, releases: dict[str, ReleaseRef], wanted: list[str]
) -> FactRows:
    """Every fact row of ``wanted`` in the answering releases, table by table."""
    rows = FactRows()
    run = connection.execute
    code_releases = release_ids(releases, CODE_ROW_KINDS)
    if code_releases:
        rows.code = run(
            select(Code.code, Code.status, Code.deleted_on, Code.replaced_by, Code.release_id)
            .where(Code.release_id.in_(code_releases), Code.code.in_(wanted))
        ).all()  # fmt: skip
    descriptor_releases = release_ids(releases, _DESCRIPTOR_KINDS)
    if descriptor_releases:
        rows.descriptor = run(
            select(Descriptor.code, Descriptor.source, Descriptor.text, Descriptor.release_id)
            .where(Descriptor.release_id.in_(descriptor_releases), Descriptor.code.in_(wanted))
        ).all()  # fmt: skip
    if (addon := releases.get(ReleaseKind.ADDON)) is not None:
        rows.addon = run(
            select(
                AddOnEdit.add_on_code, AddOnEdit.primary_code, AddOnEdit.edit_type,
                AddOnEdit.add_on_deleted_on, AddOnEdit.effective_on, AddOnEdit.deleted_on,
            ).where(AddOnEdit.release_id == addon.id, AddOnEdit.add_on_code.in_(wanted))
        ).all()  # fmt: skip
    if (mue := releases.get(ReleaseKind.MUE)) is not None:
        m = MedicallyUnlikelyEdit
        rows.mue = run(
            select(m.code, m.value, m.adjudication_indicator, m.rationale)
            .where(m.release_id == mue.id, m.code.in_(wanted))
        ).all()  # fmt: skip
    if (pfs := releases.get(ReleaseKind.PFS)) is not None:
        f = FeeScheduleIndicator
        rows.pfs = run(
            select(
                f.code, f.modifier, f.status, f.global_days, f.pctc, f.mult_proc, f.bilat_surg,
                f.asst_surg, f.co_surg, f.team_surg,
            ).where(f.release_id == pfs.id, f.code.in_(wanted))
        ).all()  # fmt: skip
    # A pair needs two codes: with one, there is no PTP edit to find.
    if (ptp := releases.get(ReleaseKind.PTP)) is not None and len(wanted) > 1:
        p = PtpEdit
        rows.ptp = run(
            select(
                p.column_1, p.column_2, p.modifier_indicator, p.rationale, p.effective_on,
                p.deleted_on,
            ).where(p.release_id == ptp.id, p.column_1.in_(wanted), p.column_2.in_(wanted))
        ).all()  # fmt: skip
    return rows


def release_ids(releases: dict[str, ReleaseRef], kinds: Iterable[str]) -> list[int]:
    """The ids of the releases answering for ``kinds``, in that order."""
    return [releases[k].id for k in kinds if k in releases]


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
