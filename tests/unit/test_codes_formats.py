"""Field parsers, kind and release detection, and the readers of each CMS form (no database)."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from pathlib import Path

import pytest

from consultant.codes.importers.detection import (
    detect_kind,
    effective_date_in,
    release_identity,
)
from consultant.codes.importers.hcpcs import fixed_width_records, read_hcpcs
from consultant.codes.importers.pfs import read_pfs
from consultant.codes.importers.progress import ProgressBar
from consultant.codes.importers.records import (
    BadLine,
    Duplicate,
    Fact,
    ReleaseConflictError,
)
from consultant.codes.importers.sources import Source
from consultant.codes.importers.values import (
    BadValue,
    compact_date,
    indicator,
    julian_date,
    system_of,
    year_end,
    year_start,
)
from consultant.codes.kinds import ReleaseKind
from tests.conftest import TEST_DATA_DIR

FORMS = TEST_DATA_DIR / "cms_forms"


def test_julian_dates_count_days_from_the_first_of_january() -> None:
    assert julian_date("2013001", "d") == "2013-01-01"
    assert julian_date("2020366", "d") == "2020-12-31"  # a leap year
    assert julian_date("2022365", "d") == "2022-12-31"
    assert julian_date("", "d") is None
    with pytest.raises(BadValue, match="day 366 does not exist in 2022"):
        julian_date("2022366", "d")
    with pytest.raises(BadValue, match="not a Julian date"):
        julian_date("20220101", "d")


def test_years_alone_become_first_or_last_day() -> None:
    assert year_start("2013", "y") == "2013-01-01"
    assert year_end("2022", "y") == "2022-12-31"
    assert year_end("", "y") is None


def test_compact_dates_must_be_real() -> None:
    assert compact_date("20240701", "d") == "2024-07-01"
    with pytest.raises(BadValue, match="not a real date"):
        compact_date("20230230", "d")


def test_indicators_lose_the_decimal_the_shared_csv_added() -> None:
    assert indicator("9.0", "pctc", 2) == "9"
    assert indicator("090", "glob", 3) == "090"
    assert indicator("", "glob", 3) is None


@pytest.mark.parametrize(
    ("code", "system"),
    [
        ("99213", "CPT-I"),
        ("0001F", "CPT-II"),
        ("0275T", "CPT-III"),
        ("0001U", "PLA"),
        ("J0585", "HCPCS-II"),
        ("A1", "modifier"),
    ],
)
def test_system_is_told_by_shape(code: str, system: str) -> None:
    assert system_of(code).value == system


@pytest.mark.parametrize(
    ("name", "kind", "release", "effective"),
    [
        (
            "ncci-ptp-practitioner-2024-07-01.csv.gz",
            "ptp",
            "ncci-ptp-practitioner-2024-07-01",
            "2024-07-01",
        ),
        ("ccipra-v302r0-f1.zip", "ptp", "ccipra-v302r0", "2024-07-01"),
        ("ccipra-v300r0-f3.TXT", "ptp", "ccipra-v300r0", "2024-01-01"),
        (
            "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv",
            "mue",
            "mcr_mue_practitionerservices_eff_07-01-2024",
            "2024-07-01",
        ),
        ("ncci-addon-code-edits-2024q2.csv", "addon", "ncci-addon-code-edits-2024q2", "2024-04-01"),
        ("AOC_V2024Q2-MCR.xlsx", "addon", "aoc_v2024q2-mcr", "2024-04-01"),
        ("pfs-indicators-2024-07.csv", "pfs", "pfs-indicators-2024-07", "2024-07-01"),
        ("PPRRVU24_JAN.csv", "pfs", "pprrvu24_jan", "2024-01-01"),
        ("RVU24C.zip", "pfs", "rvu24c", "2024-07-01"),
        ("HCPC2025_OCT_ANWEB.xlsx", "hcpcs", "hcpc2025_oct_anweb", "2025-10-01"),
        ("HCPC2019_CONTR_ANWEB.txt.gz", "hcpcs", "hcpc2019_contr_anweb", "2019-01-01"),
    ],
)
def test_kind_and_release_come_from_the_file_name(
    tmp_path: Path, name: str, kind: str, release: str, effective: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert detect_kind(Source(path), None) == ReleaseKind(kind)
    assert release_identity(path, None) == (release, dt.date.fromisoformat(effective))


def test_kind_comes_from_the_header_when_the_name_says_nothing(tmp_path: Path) -> None:
    path = tmp_path / "edits.csv"
    path.write_text("column_1,column_2,deletion_date,modifier_indicator,rationale\n")
    assert detect_kind(Source(path), None) == ReleaseKind.PTP


def test_an_unknown_file_asks_for_kind_and_release(tmp_path: Path) -> None:
    path = tmp_path / "mystery.txt"
    path.write_text("hello\n")
    with pytest.raises(ReleaseConflictError, match="give --kind"):
        detect_kind(Source(path), None)
    with pytest.raises(ReleaseConflictError, match="--release NAME"):
        release_identity(path, None)
    assert release_identity(path, "licensed-cpt-2025") == ("licensed-cpt-2025", dt.date(2025, 1, 1))
    assert effective_date_in("sample-summaries") is None


def test_hcpcs_text_holds_the_records_its_readme_counts(cms_dir: Path) -> None:
    records = [
        r for r in fixed_width_records(Source(cms_dir / "HCPC2019_CONTR_ANWEB.txt.gz"))
        if not isinstance(r, BadLine)
    ]  # fmt: skip
    kinds = Counter(r.record_id for r in records)
    # The README's 11,096 records are the procedure records (ids 3 and 4);
    # modifiers add 526 more (ids 7 and 8).
    assert kinds["3"] + kinds["4"] == 11_096
    assert kinds["7"] + kinds["8"] == 526


def test_hcpcs_continuation_records_make_one_long_description() -> None:
    facts = [
        f for f in read_hcpcs(Source(FORMS / "HCPC2019_CONTR_ANWEB.txt")) if isinstance(f, Fact)
    ]
    descriptors = {
        (f.values[0], f.values[1]): f.values[2] for f in facts if f.table.name == "descriptor"
    }
    codes = {f.values[0]: f.values for f in facts if f.table.name == "code"}
    assert descriptors[("AD", "hcpcs_long")] == (
        "Medical supervision by a physician: more than four concurrent anesthesia procedures"
    )
    assert codes["AD"][1] == "modifier"
    assert codes["J0585"][1] == "HCPCS-II"
    assert len(descriptors[("G8891", "hcpcs_long")]) > 160  # three records joined


def test_pprrvu_description_never_leaves_the_reader() -> None:
    items = list(read_pfs(Source(FORMS / "PPRRVU24_JUL.csv")))
    assert items and all(isinstance(item, Fact) for item in items)
    assert not any("PLACEHOLDER" in str(value) for item in items for value in item.values)  # type: ignore[union-attr]


def test_a_malformed_line_is_reported_with_its_number(tmp_path: Path) -> None:
    lines = (FORMS / "ccipra-v302r0-f1.txt").read_text().splitlines()
    lines[4] = lines[4].replace("\t0\t", "\t7\t")
    path = tmp_path / "ccipra-v302r0-f1.txt"
    path.write_text("\n".join(lines) + "\n")
    from consultant.codes.importers.ptp import read_ptp

    bad = [item for item in read_ptp(Source(path)) if isinstance(item, BadLine | Duplicate)]
    assert bad[0] == BadLine(str(path), 5, "modifier indicator '7' is not one of 0, 1, 9")
    assert isinstance(bad[1], Duplicate)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_only_on_a_terminal() -> None:
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = ProgressBar("ptp release", 200, stream=stream)
        bar.update(100, 1_234_567)
        bar.finish(2_000_000)
    assert (
        "ptp release [###############...............]  50%  1,234,567 rows" in terminal.getvalue()
    )
    assert terminal.getvalue().endswith(" 100%  2,000,000 rows\n")
    assert pipe.getvalue() == ""
