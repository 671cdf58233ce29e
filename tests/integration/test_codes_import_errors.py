"""A file that cannot be imported says so in one line naming it, and writes nothing.

Truncated or mislabelled containers (gzip, zip, xlsx) and a missing file stop
``consultant codes import`` with ``error: FILE: what is wrong`` and exit 2; a
header row that is not the one a reader expects stops every kind with
``FILE:LINE: expected columns [...], found [...]`` (exit 1), even when the
values below it would pass and even with ``--skip-bad``. Run on SQLite: none of
this depends on the database.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from consultant.codes.importers import ImportFileError, UnreadableFileError, import_file
from consultant.db import engine_for
from tests.conftest import TEST_DATA_DIR
from tests.databases import drop_database, make_database

FORMS = TEST_DATA_DIR / "cms_forms"
CONSULTANT = Path(sys.executable).with_name("consultant")
MUE_TITLES = "[HCPCS/CPT code, MUE value, MUE adjudication indicator, MUE rationale]"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url = make_database("sqlite", tmp_path)
    yield url
    drop_database(url)


def releases(url: str) -> int:
    with engine_for(url).connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM data_release")).scalar_one())


def consultant_import(
    database_url: str, path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
    env.update(CONSULTANT_DATABASE_URL=database_url, CONSULTANT_VAR_DIR=str(path.parent / "var"))
    return subprocess.run(
        [str(CONSULTANT), "codes", "import", *args, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], status: int, line: str) -> None:
    shown = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == status, shown
    assert result.stderr.splitlines() == [line], shown
    assert "Traceback" not in result.stdout + result.stderr, shown


# --- files that cannot be read at all: exit 2 ---


def truncated_gzip(folder: Path, cms_dir: Path) -> Path:
    path = folder / "ncci-ptp-practitioner-2024-07-01.csv.gz"
    path.write_bytes((cms_dir / "ncci-ptp-practitioner-2024-07-01.csv.gz").read_bytes()[:5000])
    return path


def text_named_gz(folder: Path, _cms_dir: Path) -> Path:
    path = folder / "ncci-mue-practitioner-2024-07-01.csv.gz"
    path.write_text("hcpcs_code,mue_value,mai,mue_rationale\n")
    return path


def text_named_xlsx(folder: Path, _cms_dir: Path) -> Path:
    path = folder / "AOC_V2024Q2-MCR.xlsx"
    path.write_text("Add-on Code,Primary Code\n22552,22551\n")
    return path


def zip_named_xlsx(folder: Path, _cms_dir: Path) -> Path:
    path = folder / "HCPC2025_OCT_ANWEB.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("HCPC2025_OCT_ANWEB.txt", "A1 dressing\n")
    return path


def truncated_xlsx(folder: Path, cms_dir: Path) -> Path:
    path = folder / "HCPC2025_OCT_ANWEB.xlsx"
    path.write_bytes((cms_dir / "HCPC2025_OCT_ANWEB.xlsx").read_bytes()[:100_000])
    return path


def text_named_zip(folder: Path, _cms_dir: Path) -> Path:
    path = folder / "ccipra-v302r0-f1.zip"
    path.write_text("Column 1\tColumn 2\n")
    return path


def zip_without_the_part(folder: Path, _cms_dir: Path) -> Path:
    path = folder / "ccipra-v302r0-f1.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.pdf", b"%PDF")
    return path


def missing_file(folder: Path, _cms_dir: Path) -> Path:
    return folder / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv"


def a_folder(folder: Path, _cms_dir: Path) -> Path:
    path = folder / "ncci-mue-2024-07-01.csv"
    path.mkdir()
    return path


XLSX_NOT_A_ZIP = "not an xlsx workbook (a text file named .xlsx, or a truncated download?)"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (truncated_gzip, "the gzip file ends early (truncated download?)"),
        (text_named_gz, "not a gzip file, though its name ends in .gz"),
        (text_named_xlsx, XLSX_NOT_A_ZIP),
        (zip_named_xlsx, "not an xlsx workbook (a zip file without a workbook's parts)"),
        (truncated_xlsx, XLSX_NOT_A_ZIP),
        (text_named_zip, "not a zip file, or a truncated one (truncated download?)"),
        (zip_without_the_part, r"no member of the expected form (\.txt$) in readme.pdf"),
        (missing_file, "no such file"),
        (a_folder, "is a folder, not a file"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_an_unreadable_file_is_named_in_one_line_with_exit_2(
    database_url: str,
    cms_dir: Path,
    tmp_path: Path,
    make: Callable[[Path, Path], Path],
    reason: str,
) -> None:
    path = make(tmp_path, cms_dir)
    with pytest.raises(UnreadableFileError) as caught:
        import_file(database_url, path)
    assert str(caught.value) == f"{path}: {reason}"
    assert releases(database_url) == 0
    assert_one_line(consultant_import(database_url, path), 2, f"error: {path}: {reason}")


# --- a header row that is not the one expected: exit 1, whatever the values ---


def replaced_line(source: Path, number: int, line: str) -> str:
    lines = source.read_text().splitlines()
    lines[number - 1] = line
    return "\n".join(lines) + "\n"


def pprrvu_titles() -> list[str]:
    return (FORMS / "PPRRVU24_JUL.csv").read_text().splitlines()[8].split(",")


def swapped_pprrvu() -> str:
    titles = pprrvu_titles()
    titles[18], titles[19] = titles[19], titles[18]  # MULT PROC and BILAT SURG
    return replaced_line(FORMS / "PPRRVU24_JUL.csv", 9, ",".join(titles))


HEADER_CASES = {
    "mue shared, two columns swapped": (
        "ncci-mue-practitioner-2024-10-01.csv",
        "hcpcs_code,mai,mue_value,mue_rationale\n63047,1,2,Anatomic Consideration\n",
        1,
        f"expected columns {MUE_TITLES}, found [hcpcs_code, mai, mue_value, mue_rationale]",
    ),
    "mue CMS form, other titles": (
        "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv",
        replaced_line(
            FORMS / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv", 4, "Code,Value,Indicator,Why"
        ),
        4,
        f"expected columns {MUE_TITLES}, found [Code, Value, Indicator, Why]",
    ),
    "mue without a header": (
        "ncci-mue-practitioner-2024-10-01.csv",
        "63047,1,2,Anatomic Consideration\n",
        1,
        f"expected columns {MUE_TITLES} before the first data row, found none",
    ),
    "ptp shared, two columns swapped": (
        "ncci-ptp-practitioner-2024-10-01.csv",
        "column_2,column_1,deletion_date,modifier_indicator,rationale\n63047,22867,,1,x\n",
        1,
        "expected columns [column_1, column_2, deletion_date, modifier_indicator, rationale], "
        "found [column_2, column_1, deletion_date, modifier_indicator, rationale]",
    ),
    "ptp CMS text, two columns swapped": (
        "ccipra-v302r0-f1.txt",
        (FORMS / "ccipra-v302r0-f1.txt")
        .read_text()
        .replace("Column 1\tColumn 2\t", "Column 2\tColumn 1\t", 1),
        3,
        "expected columns [Column 1, Column 2, *=in existence prior to 1996, Effective Date, "
        "Deletion Date, Modifier, PTP Edit Rationale], found [Column 2, Column 1, "
        "*=in existence prior to 1996, Effective Date, Deletion Date *=no data, "
        "Modifier 0=not allowed 1=allowed 9=not applicable, PTP Edit Rationale]",
    ),
    "addon shared, two columns swapped": (
        "ncci-addon-code-edits-2024q3.csv",
        "add_on_code,edit_type,primary_code,add_on_deleted_year,primary_deleted_year,"
        "edit_effective_year,edit_deleted_year,notes\n63057,1,63056,,,2013,,\n",
        1,
        "expected columns [add_on_code, primary_code, edit_type, add_on_deleted_year, "
        "primary_deleted_year, edit_effective_year, edit_deleted_year, notes], "
        "found [add_on_code, edit_type, primary_code, add_on_deleted_year, "
        "primary_deleted_year, edit_effective_year, edit_deleted_year, notes]",
    ),
    "pfs shared, a column renamed": (
        "pfs-indicators-2024-10.csv",
        "hcpcs_code,mod,status,pctc,global_days,mult_proc,bilat_surg,asst_surg,co_surg,"
        "team_surg,endo_base\n63047,,A,0,090,2,2,2,2,0,\n",
        1,
        "expected columns [hcpcs_code, mod, status, pctc, glob, mult_proc, bilat_surg, "
        "asst_surg, co_surg, team_surg, endo_base], found [hcpcs_code, mod, status, pctc, "
        "global_days, mult_proc, bilat_surg, asst_surg, co_surg, team_surg, endo_base] (no glob)",
    ),
    "pfs PPRRVU, two columns swapped": (
        "PPRRVU24_JUL.csv",
        swapped_pprrvu(),
        9,
        "expected columns [1:HCPCS, 2:MOD, 4:STATUS CODE, 14:PCTC IND, 15:GLOB DAYS, "
        "19:MULT PROC, 20:BILAT SURG, 21:ASST SURG, 22:CO-SURG, 23:TEAM SURG, 24:ENDO BASE], "
        "found [1:HCPCS, 2:MOD, 4:STATUS CODE, 14:PCTC IND, 15:GLOB DAYS, 19:BILAT SURG, "
        "20:MULT PROC, 21:ASST SURG, 22:CO-SURG, 23:TEAM SURG, 24:ENDO BASE]",
    ),
    "summary, other titles": (
        "summaries-2025.csv",
        "code,text\n99213,An office visit in our words\n",
        1,
        "expected columns [code, summary], found [code, text]",
    ),
}


@pytest.mark.parametrize("case", list(HEADER_CASES))
@pytest.mark.parametrize("skip_bad", [False, True], ids=["", "skip-bad"])
def test_a_wrong_header_row_stops_every_kind_with_the_columns_expected_and_found(
    database_url: str, tmp_path: Path, case: str, skip_bad: bool
) -> None:
    name, content, line, message = HEADER_CASES[case]
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ImportFileError) as caught:
        import_file(database_url, path, skip_bad=skip_bad)
    assert str(caught.value) == f"{path}:{line}: {message}"
    assert releases(database_url) == 0


def test_hcpcs_xlsx_without_its_titles_names_the_columns_expected(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "HCPC2025_OCT_ANWEB.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["CODE", "SEQ", "REC", "LONG", "SHORT", "ADDED", "ENDED", "ACTION"])
    workbook.active.append(["A4550", "00100", "3", "Surgical trays", "Surgical trays"])
    workbook.save(path)
    with pytest.raises(ImportFileError) as caught:
        import_file(database_url, path, skip_bad=True)
    assert str(caught.value) == (
        f"{path}:0: expected columns [HCPC, SEQNUM, RECID, LONG DESCRIPTION, "
        "SHORT DESCRIPTION, ADD DT, TERM DT, ACTION CD], found no row with them in the first "
        "60 rows"
    )


def test_the_cli_prints_a_wrong_header_in_one_line_with_exit_1(
    database_url: str, tmp_path: Path
) -> None:
    name, content, line, message = HEADER_CASES["mue CMS form, other titles"]
    path = tmp_path / name
    path.write_text(content)
    for args in ((), ("--skip-bad",)):
        result = consultant_import(database_url, path, *args)
        assert_one_line(result, 1, f"error: {path}:{line}: {message}")
    assert releases(database_url) == 0


def test_pprrvu_titles_may_run_over_two_rows(database_url: str, tmp_path: Path) -> None:
    # "STATUS" above "CODE", "PCTC" above "IND"...: each column's two cells make its title.
    titles = pprrvu_titles()
    upper = [title.split(" ", 1)[0] for title in titles]
    lower = [title.split(" ", 1)[1] if " " in title else "" for title in titles]
    lines = (FORMS / "PPRRVU24_JUL.csv").read_text().splitlines()
    path = tmp_path / "PPRRVU24_JUL.csv"
    path.write_text("\n".join([*lines[:8], ",".join(upper), ",".join(lower), *lines[9:]]) + "\n")
    assert import_file(database_url, path, release="pprrvu-two-rows-2024").rows == 9
    # The same two rows with two titles swapped are refused at the lower row.
    lower[18], lower[19] = lower[19], lower[18]
    upper[18], upper[19] = upper[19], upper[18]
    swapped = tmp_path / "PPRRVU24_OCT.csv"
    swapped.write_text("\n".join([*lines[:8], ",".join(upper), ",".join(lower), *lines[9:]]) + "\n")
    with pytest.raises(ImportFileError, match=r":10: expected columns \[1:HCPCS, "):
        import_file(database_url, swapped)


def test_a_gzip_that_ends_early_is_told_from_a_bad_line(database_url: str, tmp_path: Path) -> None:
    # Complete lines come out before the end is found missing: the error is about the file.
    body = "hcpcs_code,mue_value,mai,mue_rationale\n" + "".join(
        f"{code},1,2,Anatomic Consideration\n" for code in range(10000, 30000)
    )
    packed = gzip.compress(body.encode())
    path = tmp_path / "ncci-mue-practitioner-2024-10-01.csv.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(UnreadableFileError, match="the gzip file ends early"):
        import_file(database_url, path)
    assert releases(database_url) == 0
