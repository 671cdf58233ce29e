"""The facts a code lookup returns, each naming the data release that answered it.

Plain frozen dataclasses, so the drafting service, the CLI and the review page
read the same thing, and :meth:`LookupResult.as_json` gives the stored form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

#: Descriptor sources in the order a reply prefers them (DESIGN section 5).
DESCRIPTOR_PREFERENCE = ("licensed", "hcpcs_long", "hcpcs_short", "summary")


@dataclass(frozen=True, slots=True)
class ReleaseRef:
    """One data release: its database id, kind, name, effective date and import time."""

    id: int
    kind: str
    name: str
    effective_on: dt.date | None
    # Tells a release deleted and imported again under the same id and name from the first.
    imported_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class DescriptorFact:
    """The words for a code from one source (licensed CPT, HCPCS long/short, our summary)."""

    source: str
    text: str
    release: str


@dataclass(frozen=True, slots=True)
class AddOnPrimary:
    """An acceptable primary of an add-on under one active edit."""

    code: str
    edit_type: int


@dataclass(frozen=True, slots=True)
class AddOnFacts:
    """What the NCCI add-on edits say about one add-on code.

    ``edit_types`` are those of the active edits, or of the deleted ones when no
    edit is active any more (a deleted add-on such as 99354).
    """

    edit_types: tuple[int, ...]
    primaries: tuple[AddOnPrimary, ...]
    # An active type 2 (or type 3) edit: the payer's contractor decides (other) primaries.
    contractor_decides: bool
    active_edit_count: int
    deleted_edit_count: int
    # The year the add-on code itself was deleted, and the year its last edit was.
    add_on_deleted_year: int | None
    edits_deleted_year: int | None
    release: str

    @property
    def active(self) -> bool:
        """True while at least one add-on edit of the code is in force."""
        return self.active_edit_count > 0

    @property
    def main_edit_type(self) -> int:
        """The edit type most edits have (ties go to the higher, less strict type)."""
        return max(set(self.edit_types), key=lambda t: (self.edit_types.count(t), t))


@dataclass(frozen=True, slots=True)
class MueFact:
    """Medically unlikely edit: most units per claim line (MAI 1) or per day (MAI 2 and 3)."""

    value: int
    adjudication_indicator: int
    rationale: str | None
    release: str

    @property
    def per(self) -> str:
        """ "line" or "day", as the adjudication indicator says."""
        return "line" if self.adjudication_indicator == 1 else "day"

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "per": self.per,
            "adjudication_indicator": self.adjudication_indicator,
            "rationale": self.rationale,
            "release": self.release,
        }


@dataclass(frozen=True, slots=True)
class FeeScheduleFacts:
    """Physician fee schedule indicators of a code (no description: that is AMA text)."""

    status: str
    global_days: str | None
    pctc: str | None
    mult_proc: str | None
    bilateral: str | None
    assistant: str | None
    co_surgeon: str | None
    team_surgeon: str | None
    release: str


@dataclass(frozen=True, slots=True)
class PtpEditFact:
    """An NCCI procedure-to-procedure edit between two codes named together."""

    column_1: str
    column_2: str
    modifier_indicator: int
    rationale: str | None
    effective_on: dt.date | None
    deleted_on: dt.date | None
    active: bool
    release: str


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """Everything the loaded data says about one code."""

    code: str
    system: str | None
    known: bool
    # The PFS status letter, or "D" for a code the data says is deleted; None if no source says.
    status: str | None
    deleted_on: dt.date | None = None
    replaced_by: str | None = None
    hcpcs_action: str | None = None
    descriptors: tuple[DescriptorFact, ...] = ()
    add_on: AddOnFacts | None = None
    mue: MueFact | None = None
    fee_schedule: FeeScheduleFacts | None = None
    status_release: str | None = None
    # The last day the HCPCS file lets the code be used, before or after the date asked about.
    ends_on: dt.date | None = None
    # What replaces an ended code: the HCPCS cross-reference (published) or a description match.
    successor: str | None = None
    successor_published: bool = False

    @property
    def deleted(self) -> bool:
        """True when the data says the code is deleted (or discontinued)."""
        return self.status == "D"

    @property
    def best_descriptor(self) -> DescriptorFact | None:
        """Licensed CPT text, else the HCPCS long, short description, else our summary."""
        by_source = {d.source: d for d in self.descriptors}
        for source in DESCRIPTOR_PREFERENCE:
            if source in by_source:
                return by_source[source]
        return None


@dataclass(frozen=True, slots=True)
class LookupResult:
    """Facts per code (in the order asked), the PTP edits between them, the releases used."""

    codes: tuple[CodeFacts, ...]
    pair_edits: tuple[PtpEditFact, ...]
    past_pair_edits: tuple[PtpEditFact, ...]
    releases: tuple[ReleaseRef, ...] = field(default=())
    # The PTP release searched for edits between the codes (it answers "none" too).
    ptp_release: str | None = None

    @property
    def unknown_codes(self) -> list[str]:
        """The codes no loaded release knows."""
        return [c.code for c in self.codes if not c.known]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every fact, with the release that answered each one."""
        return {
            "codes": [_code_json(c) for c in self.codes],
            "pair_edits": [_edit_json(e) for e in self.pair_edits],
            "past_pair_edits": [_edit_json(e) for e in self.past_pair_edits],
            "unknown_codes": self.unknown_codes,
            "ptp_release": self.ptp_release,
            "releases": [
                {"kind": r.kind, "name": r.name, "effective_on": _iso(r.effective_on)}
                for r in self.releases
            ],
        }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _code_json(c: CodeFacts) -> dict[str, Any]:
    add_on = c.add_on
    return {
        "code": c.code,
        "system": c.system,
        "known": c.known,
        "status": c.status,
        "status_release": c.status_release,
        "deleted_on": _iso(c.deleted_on),
        "replaced_by": c.replaced_by,
        "ends_on": _iso(c.ends_on),
        "successor": c.successor,
        "successor_published": c.successor_published,
        "hcpcs_action": c.hcpcs_action,
        "descriptors": [
            {"source": d.source, "text": d.text, "release": d.release} for d in c.descriptors
        ],
        "add_on": None
        if add_on is None
        else {
            "active": add_on.active,
            "edit_types": sorted(set(add_on.edit_types)),
            "primaries": [{"code": p.code, "edit_type": p.edit_type} for p in add_on.primaries],
            "contractor_decides": add_on.contractor_decides,
            "active_edits": add_on.active_edit_count,
            "deleted_edits": add_on.deleted_edit_count,
            "add_on_deleted_year": add_on.add_on_deleted_year,
            "edits_deleted_year": add_on.edits_deleted_year,
            "release": add_on.release,
        },
        "mue": None if c.mue is None else c.mue.to_json(),
        "fee_schedule": None
        if c.fee_schedule is None
        else {
            "status": c.fee_schedule.status,
            "global_days": c.fee_schedule.global_days,
            "pctc": c.fee_schedule.pctc,
            "mult_proc": c.fee_schedule.mult_proc,
            "bilateral": c.fee_schedule.bilateral,
            "assistant": c.fee_schedule.assistant,
            "co_surgeon": c.fee_schedule.co_surgeon,
            "team_surgeon": c.fee_schedule.team_surgeon,
            "release": c.fee_schedule.release,
        },
    }


def _edit_json(e: PtpEditFact) -> dict[str, Any]:
    return {
        "column_1": e.column_1,
        "column_2": e.column_2,
        "modifier_indicator": e.modifier_indicator,
        "rationale": e.rationale,
        "effective_on": _iso(e.effective_on),
        "deleted_on": _iso(e.deleted_on),
        "release": e.release,
    }
