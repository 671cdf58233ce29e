"""The 2.5-million-row PTP file, imported once per backend for the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from consultant.codes.importers import ImportResult, import_file
from consultant.db import engine_for
from tests.conftest import drop_database, make_database

PTP_FILE = "ncci-ptp-practitioner-2024-07-01.csv.gz"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def ptp_import(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, cms_dir: Path
) -> Iterator[tuple[str, ImportResult]]:
    """A database holding the full PTP release (about 20-60 s per backend on two cores)."""
    url = make_database(str(request.param), tmp_path_factory.mktemp("ptp"))
    try:
        yield url, import_file(url, cms_dir / PTP_FILE)
    finally:
        drop_database(url)


def query(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine_for(url).connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def test_every_row_of_the_readme_is_there_once(ptp_import: tuple[str, ImportResult]) -> None:
    url, result = ptp_import
    # README: 2,546,017 rows, one of them the exact repeat of 88108/88162 (kept once).
    assert (result.rows, result.duplicates, result.skipped_bad) == (2_546_016, 1, 0)
    assert result.rows + result.duplicates == 2_546_017
    assert query(url, "SELECT count(*) FROM ptp_edit") == [(2_546_016,)]
    active = query(url, "SELECT count(*) FROM ptp_edit WHERE deleted_on IS NULL")
    assert active == [(1_669_820,)]
    assert query(url, "SELECT row_count FROM data_release") == [(2_546_016,)]


def test_known_edits_and_the_kept_duplicate(ptp_import: tuple[str, ImportResult]) -> None:
    url, _result = ptp_import
    assert query(
        url,
        "SELECT modifier_indicator, deleted_on FROM ptp_edit "
        "WHERE column_1 = '63047' AND column_2 = '69990'",
    ) == [(0, None)]
    assert query(
        url,
        "SELECT rationale FROM ptp_edit WHERE column_1 = '88108' AND column_2 = '88162'",
    ) == [("Mutually exclusive procedures",)]
    history = query(
        url,
        "SELECT deleted_on FROM ptp_edit WHERE column_1 = '99354' AND column_2 = '0362T' "
        "ORDER BY deleted_on",
    )
    assert [str(d) for (d,) in history] == ["2019-12-31", "2022-12-31"]


def test_importing_the_same_file_again_changes_nothing(
    ptp_import: tuple[str, ImportResult], cms_dir: Path
) -> None:
    url, first = ptp_import
    again = import_file(url, cms_dir / PTP_FILE)
    assert again.already_imported
    assert (again.release_name, again.rows) == (first.release_name, first.rows)
    assert query(url, "SELECT count(*) FROM ptp_edit") == [(2_546_016,)]
