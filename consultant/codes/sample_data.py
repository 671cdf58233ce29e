"""The bundled sample code data set: load it into an empty database.

The embedded default (``make run``) has no CMS downloads, so it loads the
compact sample shipped in ``consultant/codes/sample/`` (see the README there):
each file through the regular importer, with an explicit kind and a release
name starting with ``sample-`` so every answer says it came from the sample.

The sample's CMS facts never mix into a database that holds real data: as soon
as any release not named ``sample-...`` exists, only the plain-language
summaries are loaded (our own words, which the CMS files do not have; they
answer only where no licensed or HCPCS descriptor does). A sample load cut
short (one file imported, the next failed) resumes on the next call, since
each file is its own release and the importer skips one already imported.

The shipped coding notes (``consultant/codes/notes/notes.csv``, our own words
with their CMS sources) load with the sample, next to real data too, under the
same release name ``codes import`` gives that file, unless an operator has
loaded notes of their own under a name of their choosing: those stay in charge.
Notes are no code data, so they never make a database count as holding real data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from consultant.codes.importers import ImportResult, import_file
from consultant.codes.importers.detection import NOTES_RELEASE_PREFIX
from consultant.codes.kinds import ReleaseKind
from consultant.codes.models import DataRelease
from consultant.db import unit_of_work

SAMPLE_PREFIX = "sample-"


@dataclass(frozen=True)
class SampleFile:
    """One bundled file and the release it becomes."""

    file_name: str
    kind: ReleaseKind
    release: str


# HCPCS first, so the codes' own records exist before the facts that name them;
# the order is otherwise free, each file being a release of its own.
SAMPLE_FILES = (
    SampleFile("HCPC2025_OCT_ANWEB.xlsx", ReleaseKind.HCPCS, "sample-hcpcs-2025-10"),
    SampleFile("summaries.csv", ReleaseKind.SUMMARY, "sample-summaries"),
    SampleFile(
        "ncci-addon-code-edits-2024q2.csv",
        ReleaseKind.ADDON,
        "sample-ncci-addon-code-edits-2024q2",
    ),
    SampleFile(
        "ncci-ptp-practitioner-2024-07-01.csv.gz",
        ReleaseKind.PTP,
        "sample-ncci-ptp-practitioner-2024-07-01",
    ),
    SampleFile(
        "ncci-mue-practitioner-2024-07-01.csv",
        ReleaseKind.MUE,
        "sample-ncci-mue-practitioner-2024-07-01",
    ),
    SampleFile("pfs-indicators-2024-07.csv", ReleaseKind.PFS, "sample-pfs-indicators-2024-07"),
)


def load_sample_data(database_url: str) -> list[ImportResult]:
    """Import the bundled sample: all of it into a database with no real data, else the summaries.

    Returns one result per file imported, or an empty list when there was
    nothing to do (what would be loaded is loaded already).
    """
    present = loaded_release_names(database_url)
    wanted = [sample for sample in sample_files_for(present) if sample.release not in present]
    results: list[ImportResult] = []
    with ExitStack() as stack:
        for sample, path in _sample_paths(stack, wanted):
            # The sample is smaller than a CMS release on purpose: no row-count check.
            results.append(
                import_file(
                    database_url,
                    path,
                    kind=sample.kind.value,
                    release=sample.release,
                    allow_fewer_rows=True,
                )
            )
    return results + _load_shipped_notes(database_url)


def _load_shipped_notes(database_url: str) -> list[ImportResult]:
    """Import the shipped notes unless already loaded or an operator's own notes answer."""
    if any(not n.startswith(NOTES_RELEASE_PREFIX) for n in loaded_notes_names(database_url)):
        return []
    with resources.as_file(shipped_notes_path()) as path:
        # Fewer notes than an earlier notes file is a correction, not a truncated download.
        result = import_file(
            database_url, path, kind=ReleaseKind.NOTES.value, allow_fewer_rows=True
        )
    return [] if result.already_imported else [result]


def shipped_notes_path() -> resources.abc.Traversable:
    """Where the shipped coding notes live inside the installed package."""
    return resources.files("consultant.codes").joinpath("notes", "notes.csv")


def shipped_notes_release() -> str:
    """The release name the shipped notes file gets (from its content)."""
    digest = hashlib.sha256(shipped_notes_path().read_bytes()).hexdigest()
    return NOTES_RELEASE_PREFIX + digest[:12]


def holds_imported_data(names: set[str]) -> bool:
    """Whether any release is not part of the sample (a CMS file, a licensed CPT file...)."""
    return any(not name.startswith(SAMPLE_PREFIX) for name in names)


def sample_files_for(names: set[str]) -> tuple[SampleFile, ...]:
    """The sample files a database with releases ``names`` takes: all, or the summaries only
    next to real data."""
    if holds_imported_data(names):
        return tuple(sample for sample in SAMPLE_FILES if sample.kind is ReleaseKind.SUMMARY)
    return SAMPLE_FILES


def sample_file_path(file_name: str) -> resources.abc.Traversable:
    """Where a bundled sample file lives inside the installed package."""
    return resources.files("consultant.codes").joinpath("sample", file_name)


def _sample_paths(
    stack: ExitStack, samples: Iterable[SampleFile]
) -> Iterator[tuple[SampleFile, Path]]:
    # as_file gives a real path even when the package is installed as a zip;
    # the stack keeps any temporary copy alive until the imports are done.
    for sample in samples:
        yield sample, stack.enter_context(resources.as_file(sample_file_path(sample.file_name)))


def loaded_release_names(database_url: str) -> set[str]:
    """The names of every loaded release of code data (notes aside)."""
    with unit_of_work(database_url) as session:
        return set(
            session.scalars(
                select(DataRelease.name).where(DataRelease.kind != ReleaseKind.NOTES.value)
            )
        )


def loaded_notes_names(database_url: str) -> set[str]:
    """The names of every loaded notes release."""
    with unit_of_work(database_url) as session:
        return set(
            session.scalars(
                select(DataRelease.name).where(DataRelease.kind == ReleaseKind.NOTES.value)
            )
        )
