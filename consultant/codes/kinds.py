"""The kinds of code data: release kinds, code systems, descriptor sources.

Kept apart from :mod:`consultant.codes.models` so that the command line can
offer them as choices without importing SQLAlchemy.
"""

from __future__ import annotations

import enum


class ReleaseKind(enum.StrEnum):
    """What a data release holds; one importer per kind."""

    ADDON = "addon"
    PTP = "ptp"
    MUE = "mue"
    PFS = "pfs"
    HCPCS = "hcpcs"
    CPT = "cpt"
    SUMMARY = "summary"
    # Curated coding notes in our own words, each citing its public CMS source.
    NOTES = "notes"


class CodeSystem(enum.StrEnum):
    """The code set a code belongs to, told apart by its shape."""

    CPT_I = "CPT-I"
    CPT_II = "CPT-II"
    CPT_III = "CPT-III"
    PLA = "PLA"
    HCPCS_II = "HCPCS-II"
    MODIFIER = "modifier"


class DescriptorSource(enum.StrEnum):
    """Where a descriptor's words come from; the reply prefers them in this order."""

    LICENSED_CPT = "licensed"
    HCPCS_LONG = "hcpcs_long"
    HCPCS_SHORT = "hcpcs_short"
    SUMMARY = "summary"


def is_drug_code(code: str) -> bool:
    """Whether ``code`` is a HCPCS drug code: J, Q (drugs, biosimilars) or C9 (pass-through)."""
    return code[:1] in ("J", "Q") or code.startswith("C9")


def is_evaluation_and_management(code: str) -> bool:
    """Whether ``code`` is in CPT's evaluation and management section (99202-99499)."""
    return len(code) == 5 and code.isdigit() and "99202" <= code <= "99499"
