"""Which kind of data a file holds and which release it is, told from its name or first lines.

The registry maps each kind to its reader. Names as CMS and the shared folder
spell them are recognised (ccipra-v302r0-f1.zip, MCR_MUE_PractitionerServices_
Eff_07-01-2024.csv, AOC_V2024Q2-MCR.xlsx, PPRRVU24_JAN.csv, HCPC2025_OCT_ANWEB
.xlsx, ncci-ptp-practitioner-2024-07-01.csv.gz ...); anything else needs
``--kind`` and ``--release``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from consultant.codes.importers import addon, descriptors, hcpcs, mue, notes, pfs, ptp
from consultant.codes.importers.records import (
    ADDON_EDITS,
    CODES,
    CODING_NOTES,
    DESCRIPTORS,
    FEE_SCHEDULE_INDICATORS,
    MUES,
    PTP_EDITS,
    FactTable,
    ReadItem,
    ReleaseConflictError,
)
from consultant.codes.importers.sources import Source
from consultant.codes.kinds import ReleaseKind


@dataclass(frozen=True)
class Format:
    """How to read one kind of file, and which table's facts count as its rows."""

    kind: ReleaseKind
    read: Callable[[Source], Iterator[ReadItem]]
    counted: FactTable
    members: re.Pattern[str]


FORMATS = {
    ReleaseKind.ADDON: Format(ReleaseKind.ADDON, addon.read_addon, ADDON_EDITS, addon.ZIP_MEMBERS),
    ReleaseKind.PTP: Format(ReleaseKind.PTP, ptp.read_ptp, PTP_EDITS, ptp.ZIP_MEMBERS),
    ReleaseKind.MUE: Format(ReleaseKind.MUE, mue.read_mue, MUES, mue.ZIP_MEMBERS),
    ReleaseKind.PFS: Format(
        ReleaseKind.PFS, pfs.read_pfs, FEE_SCHEDULE_INDICATORS, pfs.ZIP_MEMBERS
    ),
    ReleaseKind.HCPCS: Format(ReleaseKind.HCPCS, hcpcs.read_hcpcs, CODES, hcpcs.ZIP_MEMBERS),
    ReleaseKind.CPT: Format(
        ReleaseKind.CPT, descriptors.read_licensed_cpt, DESCRIPTORS, descriptors.ZIP_MEMBERS
    ),
    ReleaseKind.SUMMARY: Format(
        ReleaseKind.SUMMARY, descriptors.read_summaries, DESCRIPTORS, descriptors.ZIP_MEMBERS
    ),
    ReleaseKind.NOTES: Format(ReleaseKind.NOTES, notes.read_notes, CODING_NOTES, notes.ZIP_MEMBERS),
}

# First match wins; checked against the lower-cased file name.
_KIND_BY_NAME = (
    (ReleaseKind.PTP, re.compile(r"ptp|ccipra|ccipr")),
    (ReleaseKind.MUE, re.compile(r"mue")),
    (ReleaseKind.ADDON, re.compile(r"add-?on|aoc")),
    (ReleaseKind.PFS, re.compile(r"pfs|pprrvu|rvu\d")),
    (ReleaseKind.HCPCS, re.compile(r"hcpc")),
    (ReleaseKind.SUMMARY, re.compile(r"summar")),
    (ReleaseKind.CPT, re.compile(r"cpt")),
    (ReleaseKind.NOTES, re.compile(r"notes")),
)
# First line of the shared CSVs and of our summaries, when the name says nothing.
_KIND_BY_HEADER = (
    (ReleaseKind.PTP, "column_1,column_2,"),
    (ReleaseKind.MUE, "hcpcs_code,mue_value,"),
    (ReleaseKind.ADDON, "add_on_code,primary_code,"),
    (ReleaseKind.PFS, "hcpcs_code,mod,status,"),
    (ReleaseKind.HCPCS, "hcpc,seqnum,recid,"),
    (ReleaseKind.SUMMARY, "code,summary"),
    (ReleaseKind.NOTES, "id,kind,codes,"),
)
_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8}
_MONTHS |= {"sep": 9, "oct": 10, "nov": 11, "dec": 12}
_SUFFIXES = (".gz", ".zip", ".csv", ".txt", ".xlsx", ".xlsm", ".tsv")


def detect_kind(source: Source, given: str | None) -> ReleaseKind:
    """The kind ``--kind`` gives, else the one the file's name or first line shows."""
    if given:
        try:
            return ReleaseKind(given.lower())
        except ValueError:
            raise ReleaseConflictError(f"unknown kind {given!r}: use one of {_kinds()}") from None
    name = source.path.name.lower()
    for kind, pattern in _KIND_BY_NAME:
        if pattern.search(name):
            return kind
    head = source.first_text(re.compile(r"\.(txt|csv)$"), max_lines=1)
    first = head[0].strip().lower() if head else ""
    for kind, prefix in _KIND_BY_HEADER:
        if first.startswith(prefix):
            return kind
    raise ReleaseConflictError(
        f"cannot tell what {source.path.name} holds: give --kind ({_kinds()}) and --release NAME"
    )


#: The name of a notes release imported without ``--release``, before its content's digest.
NOTES_RELEASE_PREFIX = "coding-notes-"


def release_identity(
    path: Path, given: str | None, kind: ReleaseKind | None = None, sha256: str = ""
) -> tuple[str, dt.date | None]:
    """The release's name and effective date: ``--release`` or the file's name, dated by either.

    Notes carry their own dates, one per note, so a notes release has no effective date
    (the latest import answers) and, unnamed, is named by its content: the same file
    always makes the same release, whoever imports it (``codes import`` or ``load-sample``).
    """
    if kind is ReleaseKind.NOTES:
        name = given.strip() if given else NOTES_RELEASE_PREFIX + sha256[:12]
        if not name or len(name) > 120:
            raise ReleaseConflictError("a release name must have 1 to 120 characters")
        return name, None
    name = given.strip() if given else release_name_from(path)
    effective = effective_date_in(name) or effective_date_in(path.name)
    if given is None and effective is None:
        raise ReleaseConflictError(
            f"cannot tell which release {path.name} is (no date in its name): "
            "name it with --release NAME, for example --release ncci-ptp-2024-07-01"
        )
    if not name or len(name) > 120:
        raise ReleaseConflictError("a release name must have 1 to 120 characters")
    return name, effective


def release_name_from(path: Path) -> str:
    """The file's name without its format suffixes or zip part number, lower-cased."""
    name = path.name.lower()
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                name, stripped = name[: -len(suffix)], True
    # ccipra-v302r0-f1 .. -f4 are parts of one release.
    return re.sub(r"(ccipra?-v\d+r\d+)-f\d$", r"\1", name)


def effective_date_in(text: str) -> dt.date | None:
    """The date a release takes effect, as CMS and we spell it in file and release names."""
    text = text.lower()
    patterns: tuple[tuple[str, Callable[[re.Match[str]], tuple[int, int, int]]], ...] = (
        (r"(\d{4})-(\d{2})-(\d{2})", lambda m: (int(m[1]), int(m[2]), int(m[3]))),
        (r"(\d{2})-(\d{2})-(\d{4})", lambda m: (int(m[3]), int(m[1]), int(m[2]))),
        (r"(\d{4})q([1-4])", lambda m: (int(m[1]), 3 * int(m[2]) - 2, 1)),
        # NCCI version 30.2 is the third quarter of 2024: year 1994 + major, quarter minor + 1.
        (r"v(\d{2})(\d)r\d", lambda m: (1994 + int(m[1]), 3 * int(m[2]) + 1, 1)),
        (r"rvu(\d{2})([a-d])", lambda m: (2000 + int(m[1]), 3 * "abcd".index(m[2]) + 1, 1)),
        (r"(\d{4})_(" + "|".join(_MONTHS) + ")", lambda m: (int(m[1]), _MONTHS[m[2]], 1)),
        (r"(\d{2})_(" + "|".join(_MONTHS) + ")", lambda m: (2000 + int(m[1]), _MONTHS[m[2]], 1)),
        (r"(?<!\d)(\d{4})-(\d{2})(?!\d)", lambda m: (int(m[1]), int(m[2]), 1)),
        (r"(?<!\d)((?:19|20)\d{2})(?!\d)", lambda m: (int(m[1]), 1, 1)),
    )
    for pattern, parts in patterns:
        match = re.search(pattern, text)
        if match:
            try:
                return dt.date(*parts(match))
            except ValueError:
                continue
    return None


def _kinds() -> str:
    return "|".join(kind.value for kind in FORMATS)
