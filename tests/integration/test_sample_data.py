"""Loading the bundled sample into a database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from importlib import resources
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import func, select

from consultant.codes.importers import import_file
from consultant.codes.kinds import DescriptorSource, ReleaseKind
from consultant.codes.models import (
    AddOnEdit,
    Code,
    DataRelease,
    Descriptor,
    FeeScheduleIndicator,
    MedicallyUnlikelyEdit,
    PtpEdit,
)
from consultant.codes.sample_data import (
    SAMPLE_FILES,
    load_sample_data,
    sample_file_path,
    shipped_notes_release,
)
from consultant.db import unit_of_work

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "consultant" / "codes" / "sample"


def _data_lines(name: str) -> int:
    opener = gzip.open if name.endswith(".gz") else open
    with opener(SAMPLE_DIR / name, "rt", encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _hcpcs_rows() -> int:
    book = openpyxl.load_workbook(SAMPLE_DIR / "HCPC2025_OCT_ANWEB.xlsx", read_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(min_row=2))
    book.close()
    return count


def _count(database_url: str, table: Any, release: str) -> int:
    with unit_of_work(database_url) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(table)
                .join(DataRelease, DataRelease.id == table.release_id)
                .where(DataRelease.name == release)
            )
            or 0
        )


def _release(database_url: str, name: str) -> DataRelease:
    with unit_of_work(database_url) as session:
        return session.scalars(select(DataRelease).where(DataRelease.name == name)).one()


def test_sample_loads_every_file_as_its_own_release(database_url: str) -> None:
    results = load_sample_data(database_url)

    # The shipped coding notes come last (issue 12).
    names = [s.release for s in SAMPLE_FILES] + [shipped_notes_release()]
    assert [result.release_name for result in results] == names
    assert not any(result.already_imported or result.skipped_bad for result in results)
    expected_rows = {
        "sample-ncci-addon-code-edits-2024q2": (
            AddOnEdit,
            _data_lines("ncci-addon-code-edits-2024q2.csv"),
        ),
        "sample-ncci-ptp-practitioner-2024-07-01": (
            PtpEdit,
            _data_lines("ncci-ptp-practitioner-2024-07-01.csv.gz"),
        ),
        "sample-ncci-mue-practitioner-2024-07-01": (
            MedicallyUnlikelyEdit,
            _data_lines("ncci-mue-practitioner-2024-07-01.csv"),
        ),
        "sample-pfs-indicators-2024-07": (
            FeeScheduleIndicator,
            _data_lines("pfs-indicators-2024-07.csv"),
        ),
        "sample-summaries": (Descriptor, _data_lines("summaries.csv")),
        "sample-hcpcs-2025-10": (Code, _hcpcs_rows()),
    }
    by_name = {result.release_name: result for result in results}
    for name, (table, rows) in expected_rows.items():
        assert _count(database_url, table, name) == rows, name
        assert by_name[name].rows == rows, name
        assert _release(database_url, name).row_count == rows, name
    kinds = {s.release: s.kind.value for s in SAMPLE_FILES}
    for name, kind in kinds.items():
        assert _release(database_url, name).kind == kind
    assert _release(database_url, "sample-ncci-ptp-practitioner-2024-07-01").effective_on == (
        dt.date(2024, 7, 1)
    )
    assert _release(database_url, "sample-hcpcs-2025-10").effective_on == dt.date(2025, 10, 1)


def test_loading_the_sample_twice_changes_nothing(database_url: str) -> None:
    load_sample_data(database_url)
    with unit_of_work(database_url) as session:
        before = session.scalar(select(func.count()).select_from(PtpEdit))
        releases = session.scalar(select(func.count()).select_from(DataRelease))

    assert load_sample_data(database_url) == []

    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(PtpEdit)) == before
        assert session.scalar(select(func.count()).select_from(DataRelease)) == releases


def test_next_to_real_data_only_the_sample_summaries_are_loaded_once(
    database_url: str, cms_dir: Path
) -> None:
    import_file(database_url, cms_dir / "ncci-mue-practitioner-2024-07-01.csv")

    result, notes = load_sample_data(database_url)
    assert (result.release_name, result.kind) == ("sample-summaries", "summary")
    assert (notes.release_name, notes.kind) == (shipped_notes_release(), "notes")
    assert load_sample_data(database_url) == []  # twice changes nothing

    with unit_of_work(database_url) as session:
        names = set(session.scalars(select(DataRelease.name)))
    # The sample's CMS facts never mix with real ones; our own summaries and notes do.
    assert names == {
        "ncci-mue-practitioner-2024-07-01",
        "sample-summaries",
        shipped_notes_release(),
    }
    assert _count(database_url, Descriptor, "sample-summaries") == _data_lines("summaries.csv")


def test_a_sample_load_cut_short_resumes(database_url: str) -> None:
    first = SAMPLE_FILES[0]
    with resources.as_file(sample_file_path(first.file_name)) as path:
        import_file(database_url, path, kind=first.kind.value, release=first.release)

    results = load_sample_data(database_url)

    names = [s.release for s in SAMPLE_FILES[1:]] + [shipped_notes_release()]
    assert [result.release_name for result in results] == names
    with unit_of_work(database_url) as session:
        releases = session.scalar(select(func.count()).select_from(DataRelease))
    assert releases == len(SAMPLE_FILES) + 1


def test_the_sample_knows_300_codes_and_150_summaries(database_url: str) -> None:
    load_sample_data(database_url)
    with unit_of_work(database_url) as session:
        codes = session.scalar(select(func.count(func.distinct(Code.code))))
        summaries = session.scalar(
            select(func.count())
            .select_from(Descriptor)
            .where(Descriptor.source == DescriptorSource.SUMMARY.value)
        )
        hcpcs_long = session.scalar(
            select(Descriptor.text).where(
                Descriptor.code == "J3301", Descriptor.source == DescriptorSource.HCPCS_LONG.value
            )
        )
    assert codes is not None and codes >= 300
    assert summaries is not None and summaries >= 150
    assert hcpcs_long is not None and "triamcinolone" in hcpcs_long.lower()


def test_the_sample_answers_the_anchor_questions(database_url: str) -> None:
    load_sample_data(database_url)
    with unit_of_work(database_url) as session:
        edits_63057 = session.execute(
            select(AddOnEdit.primary_code, AddOnEdit.edit_type, AddOnEdit.deleted_on).where(
                AddOnEdit.add_on_code == "63057"
            )
        ).all()
        ptp_63047_69990 = session.execute(
            select(PtpEdit.modifier_indicator, PtpEdit.deleted_on).where(
                PtpEdit.column_1 == "63047", PtpEdit.column_2 == "69990"
            )
        ).all()
        edits_99354 = session.scalars(
            select(AddOnEdit.deleted_on).where(AddOnEdit.add_on_code == "99354")
        ).all()
        addon_99354_deleted = session.scalars(
            select(AddOnEdit.add_on_deleted_on).where(AddOnEdit.add_on_code == "99354")
        ).all()
        glob_63057 = session.scalar(
            select(FeeScheduleIndicator.global_days).where(
                FeeScheduleIndicator.code == "63057", FeeScheduleIndicator.modifier == ""
            )
        )
        mue_63057 = session.scalar(
            select(MedicallyUnlikelyEdit.value).where(MedicallyUnlikelyEdit.code == "63057")
        )
        kinds = dict(
            session.execute(
                select(DataRelease.name, DataRelease.kind).where(
                    DataRelease.kind == ReleaseKind.ADDON.value
                )
            ).all()
        )

    assert sorted((primary, edit_type) for primary, edit_type, _ in edits_63057) == [
        ("63055", 1),
        ("63056", 1),
    ]
    assert all(deleted is None for _, _, deleted in edits_63057)
    assert (0, None) in [tuple(row) for row in ptp_63047_69990]
    assert len(edits_99354) > 10
    assert all(deleted is not None and deleted.year <= 2022 for deleted in edits_99354)
    assert all(deleted == dt.date(2022, 12, 31) for deleted in addon_99354_deleted)
    assert glob_63057 == "ZZZ"
    assert mue_63057 == 3
    assert kinds == {"sample-ncci-addon-code-edits-2024q2": "addon"}
