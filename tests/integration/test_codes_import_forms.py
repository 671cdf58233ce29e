"""The CMS forms as published import the same facts as the shared CSV rows they were copied from.

Small files in tests/data/cms_forms/ (see its README) hold rows copied from the
shared files; each test imports a form and the matching rows of the shared
file as two releases and compares what each stored. Zip and xlsx forms are
built here from the same rows.
"""

from __future__ import annotations

import csv
import gzip
import zipfile
from collections.abc import Iterable
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from consultant.codes.importers import import_file
from consultant.codes.importers.addon import CMS_TITLES, title_starts
from consultant.db import engine_for
from tests.conftest import TEST_DATA_DIR

FORMS = TEST_DATA_DIR / "cms_forms"
PTP_PARTS = (FORMS / "ccipra-v302r0-f1.txt", FORMS / "ccipra-v302r0-f2.txt")


def stored(url: str, release: str, table: str, columns: str) -> list[tuple[object, ...]]:
    """The release's rows of ``table`` as sorted tuples (dates as text, to compare across forms)."""
    with engine_for(url).connect() as connection:
        rows = connection.execute(
            sa.text(
                f"SELECT {columns} FROM {table} WHERE release_id = "
                "(SELECT id FROM data_release WHERE name = :release)"
            ),
            {"release": release},
        ).all()
    return sorted(tuple("" if v is None else str(v) for v in row) for row in rows)


def assert_same_facts(
    url: str, form: Path, subset: Path, table: str, columns: str, rows: int
) -> None:
    """Import the published ``form`` and the shared ``subset``: the same ``rows`` facts each."""
    published = import_file(url, form)
    shared = import_file(url, subset)
    assert published.rows == shared.rows == rows
    assert stored(url, published.release_name, table, columns) == stored(
        url, shared.release_name, table, columns
    )


def shared_subset(source: Path, target: Path, keep: Iterable[tuple[str, ...]], width: int) -> Path:
    """Write the shared file's header and the rows whose first ``width`` fields are in ``keep``."""
    wanted = set(keep)
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", newline="") as handle, target.open("w", newline="") as out:
        reader, writer = csv.reader(handle), csv.writer(out)
        writer.writerow(next(reader))
        writer.writerows(row for row in reader if tuple(row[:width]) in wanted)
    return target


def form_keys(path: Path, delimiter: str, width: int, skip: int) -> set[tuple[str, ...]]:
    lines = path.read_text().splitlines()[skip:]
    return {tuple(f.strip() for f in line.split(delimiter)[:width]) for line in lines if line}


@pytest.fixture(scope="module")
def ptp_subset(cms_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    keys = set().union(*(form_keys(part, "\t", 2, 3) for part in PTP_PARTS))
    target = tmp_path_factory.mktemp("ptp") / "ncci-ptp-subset-2024-07-01.csv"
    return shared_subset(cms_dir / "ncci-ptp-practitioner-2024-07-01.csv.gz", target, keys, 2)


def test_ptp_text_parts_in_a_zip_import_the_shared_facts(
    database_url: str, ptp_subset: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "ccipra-v302r0-f1.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in PTP_PARTS:
            zipped.write(part, part.name)
        zipped.writestr("readme.pdf", b"not text")
    published = import_file(database_url, archive)
    shared = import_file(database_url, ptp_subset)
    assert (published.release_name, str(published.effective_on)) == ("ccipra-v302r0", "2024-07-01")
    # 13 lines, one of them the exact repeat of 88108/88162 deleted 1996-01-01.
    assert (published.rows, published.duplicates) == (shared.rows, shared.duplicates) == (12, 1)
    columns = "column_1, column_2, deleted_on, modifier_indicator, rationale"
    assert stored(database_url, published.release_name, "ptp_edit", columns) == stored(
        database_url, shared.release_name, "ptp_edit", columns
    )
    kept = stored(
        database_url,
        published.release_name,
        "ptp_edit",
        "column_1, rationale, effective_on",
    )
    assert ("88108", "Mutually exclusive procedures", "1996-01-01") in kept  # the first one
    assert ("88108", "Standards of medical/surgical practice", "1996-01-01") not in kept


def test_ptp_text_part_imports_directly(database_url: str) -> None:
    result = import_file(database_url, PTP_PARTS[1], release="ccipra-v302r0-f2-only")
    # No date in the release name given: the file name dates it.
    assert (result.rows, str(result.effective_on)) == (7, "2024-07-01")
    active = stored(database_url, result.release_name, "ptp_edit", "column_2, deleted_on")
    assert ("0074T", "2005-01-01") in active
    assert ("0362T", "2019-12-31") in active and ("0362T", "2022-12-31") in active


def test_mue_csv_with_header_lines_imports_the_shared_facts(
    database_url: str, cms_dir: Path, tmp_path: Path
) -> None:
    form = FORMS / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv"
    keys = {(row[0],) for row in csv.reader(form.read_text().splitlines()[4:])}
    subset = shared_subset(
        cms_dir / "ncci-mue-practitioner-2024-07-01.csv", tmp_path / "mue-2024-07-01.csv", keys, 1
    )
    columns = "code, value, adjudication_indicator, rationale"
    assert_same_facts(database_url, form, subset, "mue", columns, 6)


def aoc_rows() -> list[list[str]]:
    """The fixed-width fixture's rows, cut at its title positions (to write the xlsx form)."""
    lines = (FORMS / "AOC_V2024Q2-MCR.txt").read_text().splitlines()
    starts = title_starts(lines[2])
    assert starts is not None
    ends = [*starts[1:], None]
    return [[line[a:b].strip() for a, b in zip(starts, ends, strict=True)] for line in lines[3:]]


@pytest.mark.parametrize("form", ["txt", "xlsx"])
def test_addon_fixed_width_and_xlsx_import_the_shared_facts(
    database_url: str, cms_dir: Path, tmp_path: Path, form: str
) -> None:
    rows = aoc_rows()
    if form == "txt":
        path = FORMS / "AOC_V2024Q2-MCR.txt"
    else:
        path = tmp_path / "AOC_V2024Q2-MCR.xlsx"
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(list(CMS_TITLES))
        for row in rows:
            # Excel keeps the Julian dates and edit type as numbers.
            sheet.append([int(v) if v.isdigit() and len(v) != 5 else v for v in row])
        workbook.save(path)
    subset = shared_subset(
        cms_dir / "ncci-addon-code-edits-2024q2.csv",
        tmp_path / "ncci-addon-subset-2024q2.csv",
        {(r[0], r[1]) for r in rows},
        2,
    )
    columns = (
        "add_on_code, primary_code, edit_type, add_on_deleted_on, primary_deleted_on, "
        "effective_on, deleted_on, notes"
    )
    assert_same_facts(database_url, path, subset, "addon_edit", columns, 12)


@pytest.mark.parametrize("zipped", [False, True])
def test_pprrvu_imports_the_shared_indicators_and_never_its_description(
    database_url: str, cms_dir: Path, tmp_path: Path, zipped: bool
) -> None:
    form = FORMS / "PPRRVU24_JUL.csv"
    path = form
    if zipped:
        path = tmp_path / "RVU24C.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("GPCI2024.csv", "Medicare Administrative Contractor,Locality\n")
            archive.write(form, form.name)
    keys = {(row[0], row[1]) for row in csv.reader(form.read_text().splitlines()[9:])}
    subset = shared_subset(
        cms_dir / "pfs-indicators-2024-07.csv", tmp_path / "pfs-subset-2024-07.csv", keys, 2
    )
    columns = (
        "code, modifier, status, pctc, global_days, mult_proc, bilat_surg, asst_surg, co_surg, "
        "team_surg, endo_base"
    )
    assert_same_facts(database_url, path, subset, "fee_schedule_indicator", columns, 9)
    with engine_for(database_url).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM descriptor")).scalar() == 0
        dump = connection.execute(sa.text("SELECT * FROM fee_schedule_indicator")).all()
    assert not any("PLACEHOLDER" in str(value) for row in dump for value in row)


def test_hcpcs_fixed_width_records_import_the_shared_facts(
    database_url: str, cms_dir: Path
) -> None:
    published = import_file(
        database_url, FORMS / "HCPC2019_CONTR_ANWEB.txt", release="hcpcs-2019-excerpt"
    )
    shared = import_file(database_url, cms_dir / "HCPC2019_CONTR_ANWEB.txt.gz")
    assert published.rows == 6
    code_columns = "code, system, status, added_on, deleted_on, replaced_by"
    excerpt = stored(database_url, published.release_name, "code", code_columns)
    codes = {row[0] for row in excerpt}
    assert codes == {"A1", "AD", "A4550", "E0100", "G8891", "J0585"}
    full = stored(database_url, shared.release_name, "code", code_columns)
    assert excerpt == [row for row in full if row[0] in codes]
    texts = "code, source, text"
    excerpt_texts = stored(database_url, published.release_name, "descriptor", texts)
    full_texts = stored(database_url, shared.release_name, "descriptor", texts)
    assert excerpt_texts == [row for row in full_texts if row[0] in codes]
    assert len(excerpt_texts) == 12


def test_hcpcs_xlsx_excerpt_imports_the_shared_facts(
    database_url: str, cms_dir: Path, tmp_path: Path
) -> None:
    wanted = {"   A1", "   25", "J0585", "G2212", "A4550", "L3000"}
    source = openpyxl.load_workbook(cms_dir / "HCPC2025_OCT_ANWEB.xlsx", read_only=True)
    excerpt = openpyxl.Workbook()
    sheet = excerpt.active
    try:
        for number, row in enumerate(source.worksheets[0].iter_rows(values_only=True)):
            if number == 0 or row[0] in wanted:
                sheet.append(list(row))
    finally:
        source.close()
    path = tmp_path / "HCPC2025_OCT_ANWEB.xlsx"
    excerpt.save(path)
    published = import_file(database_url, path, release="hcpcs-2025-excerpt")
    shared = import_file(database_url, cms_dir / "HCPC2025_OCT_ANWEB.xlsx")
    code_columns = "code, system, status, added_on, deleted_on, replaced_by"
    mine = stored(database_url, published.release_name, "code", code_columns)
    codes = {row[0] for row in mine}
    assert len(codes) == published.rows >= 4
    full = stored(database_url, shared.release_name, "code", code_columns)
    assert mine == [row for row in full if row[0] in codes]
    texts = "code, source, text"
    assert stored(database_url, published.release_name, "descriptor", texts) == [
        row
        for row in stored(database_url, shared.release_name, "descriptor", texts)
        if row[0] in codes
    ]
