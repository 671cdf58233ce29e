"""The bundled sample files: built from the shared CMS data, small, summaries in our own words."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = PROJECT_ROOT / "consultant" / "codes" / "sample"
BUILDER = PROJECT_ROOT / "scripts" / "build_sample_data.py"

# Words that mark AMA descriptor boilerplate; a summary in our own words has no need of them.
DESCRIPTOR_BOILERPLATE = (
    "list separately in addition to",
    "code for primary procedure",
    "key components",
    "medically appropriate history",
    "qualified health care professional",
    "when performed",
    "(eg,",
    "(ie,",
    "single or multiple",
    "separate procedure",
    "each additional",
    "requiring these",
    "and/or",
)
# A run this long shared with a CMS description would be copying, not explaining.
LONGEST_SHARED_RUN = 6


def _rows(name: str) -> list[dict[str, str]]:
    with (SAMPLE_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def summaries() -> dict[str, str]:
    rows = _rows("summaries.csv")
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes)), "a code has two summaries"
    return {row["code"]: row["summary"] for row in rows}


@pytest.fixture(scope="module")
def sample_codes() -> dict[str, str]:
    return {row["code"]: row["topic"] for row in _rows("codes.csv")}


@pytest.fixture(scope="module")
def fee_schedule() -> dict[str, dict[str, str]]:
    return {row["hcpcs_code"]: row for row in _rows("pfs-indicators-2024-07.csv") if not row["mod"]}


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_sample_data", BUILDER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bundled_files_are_what_the_builder_makes_and_it_refuses_an_unknown_code(
    cms_dir: Path, tmp_path: Path
) -> None:
    # One pass over the shared files (the PTP file alone is 2.5 million rows) checks both:
    # a code no CMS file knows is refused by name, after every file was written, and the
    # files written (which no unknown code can add a row to) are the bundled ones.
    codes = (SAMPLE_DIR / "codes.csv").read_text(encoding="utf-8")
    (tmp_path / "codes.csv").write_text(codes.rstrip("\n") + "\n0000Z,typo\n", encoding="utf-8")
    builder = _builder()
    with pytest.raises(ValueError, match=r"no CMS file mentions: 0000Z$"):
        builder.build(cms_dir, tmp_path)
    built = (
        builder.ADDON_FILE, builder.PTP_FILE, builder.MUE_FILE, builder.PFS_FILE,
        builder.HCPCS_FILE,
    )  # fmt: skip
    for name in built:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), (
            f"{name} is stale: run scripts/build_sample_data.py"
        )


def test_the_sample_keeps_the_shared_files_headers(cms_dir: Path) -> None:
    for name in (
        "ncci-addon-code-edits-2024q2.csv",
        "ncci-mue-practitioner-2024-07-01.csv",
        "pfs-indicators-2024-07.csv",
    ):
        assert _first_line(SAMPLE_DIR / name) == _first_line(cms_dir / name)
    ptp = "ncci-ptp-practitioner-2024-07-01.csv.gz"
    assert _first_line(SAMPLE_DIR / ptp) == _first_line(cms_dir / ptp)
    assert _xlsx_header(SAMPLE_DIR / "HCPC2025_OCT_ANWEB.xlsx") == _xlsx_header(
        cms_dir / "HCPC2025_OCT_ANWEB.xlsx"
    )
    assert "description" not in _first_line(SAMPLE_DIR / "pfs-indicators-2024-07.csv").lower()


def test_the_sample_is_small_and_covers_enough_codes(sample_codes: dict[str, str]) -> None:
    total = sum(path.stat().st_size for path in SAMPLE_DIR.iterdir())
    assert total < 1024 * 1024
    assert len(sample_codes) >= 300
    for anchor in ("63055", "63056", "63057", "63047", "63048", "69990", "99354", "99417"):
        assert anchor in sample_codes
    assert "G2212" in sample_codes
    topics = set(sample_codes.values())
    assert {"evaluation-management", "spine", "hcpcs-drugs", "pathology-lab"} <= topics


def test_summaries_cover_at_least_150_sample_codes(
    summaries: dict[str, str], sample_codes: dict[str, str]
) -> None:
    assert len(summaries) >= 150
    assert set(summaries) <= set(sample_codes)
    for code, text in summaries.items():
        assert 10 <= len(text) <= 300, code
        assert text == text.strip() and "\n" not in text, code


def test_no_summary_uses_descriptor_boilerplate(summaries: dict[str, str]) -> None:
    for code, text in summaries.items():
        lowered = text.lower()
        for phrase in DESCRIPTOR_BOILERPLATE:
            assert phrase not in lowered, f"{code}: {phrase!r}"


def test_no_summary_repeats_a_run_of_words_from_a_cms_description(
    summaries: dict[str, str], cms_dir: Path
) -> None:
    cms_runs: set[tuple[str, ...]] = set()
    for text in _cms_texts(cms_dir):
        cms_runs.update(_runs(text))
    for code, text in summaries.items():
        shared = [" ".join(run) for run in _runs(text) if run in cms_runs]
        assert not shared, f"{code} repeats CMS wording: {shared}"


def test_a_summary_calls_a_code_an_add_on_exactly_when_the_cms_data_does(
    summaries: dict[str, str], fee_schedule: dict[str, dict[str, str]]
) -> None:
    add_ons = {row["add_on_code"] for row in _rows("ncci-addon-code-edits-2024q2.csv")}
    for code, text in summaries.items():
        in_cms = code in add_ons or fee_schedule.get(code, {}).get("glob") == "ZZZ"
        assert ("add-on" in text.lower()) == in_cms, code


# A claim about Medicare payment in a summary, and the fee schedule statuses that bear it out.
STATUS_CLAIMS = (
    (re.compile(r"not covered|does not cover|not a medicare-covered"), {"N"}),
    (re.compile(r"bundl"), {"B", "T"}),
    (re.compile(r"carrier-priced"), {"C"}),
    (re.compile(r"does not pay|does not accept|not recognise|not payable|not valid"), {"I", "X"}),
)


def test_medicare_status_claims_match_the_fee_schedule(
    summaries: dict[str, str], fee_schedule: dict[str, dict[str, str]]
) -> None:
    checked = 0
    for code, text in summaries.items():
        status = fee_schedule.get(code, {}).get("status")
        for pattern, statuses in STATUS_CLAIMS:
            if pattern.search(text.lower()):
                assert status in statuses, f"{code}: {pattern.pattern} but status {status}"
                checked += 1
        if re.search(r"\b(deleted|retired|former)\b", text.lower()):
            assert status is None, f"{code} is called deleted but has fee schedule status {status}"
            checked += 1
    assert checked >= 10


def _runs(text: str) -> Iterator[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    for start in range(len(words) - LONGEST_SHARED_RUN + 1):
        yield tuple(words[start : start + LONGEST_SHARED_RUN])


def _cms_texts(cms_dir: Path) -> Iterator[str]:
    book = openpyxl.load_workbook(cms_dir / "HCPC2025_OCT_ANWEB.xlsx", read_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = next(rows)
    long_at, short_at = header.index("LONG DESCRIPTION"), header.index("SHORT DESCRIPTION")
    for row in rows:
        yield str(row[long_at] or "")
        yield str(row[short_at] or "")
    book.close()
    for row in _rows("ncci-mue-practitioner-2024-07-01.csv"):
        yield row["mue_rationale"]
    for row in _rows("ncci-addon-code-edits-2024q2.csv"):
        yield row["notes"]


def _first_line(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return handle.readline()


def _xlsx_header(path: Path) -> tuple[object, ...]:
    book = openpyxl.load_workbook(path, read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return tuple(header)
