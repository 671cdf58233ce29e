"""Build the bundled sample code data set from the shared CMS files.

Usage: ``python scripts/build_sample_data.py [CMS_DIR] [--out DIR]``

Reads the public CMS files in CMS_DIR (default ``../shared/data/cms`` beside
the project) and the curated code list ``consultant/codes/sample/codes.csv``,
and writes into ``consultant/codes/sample/`` the rows that concern those
codes, in the same formats and column headers as the shared files, so the
regular importers read them:

- add-on code edits whose add-on code is in the list (every primary kept);
- PTP edits where both columns are in the list, active and deleted (gzip);
- MUE and fee schedule indicator rows of the listed codes (no descriptions,
  as the shared files have none);
- the HCPCS Level II spreadsheet rows of the listed HCPCS codes, all 48
  columns, as an xlsx.

CSV lines are copied byte for byte, so a sample row reads exactly as the
shared row does. The outputs are deterministic (gzip and xlsx timestamps
fixed) so a rebuild from the same inputs changes no file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl

from consultant.codes.shared_data import cms_data_dir

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CMS_DIR = cms_data_dir()
DEFAULT_OUT_DIR = PROJECT_ROOT / "consultant" / "codes" / "sample"

ADDON_FILE = "ncci-addon-code-edits-2024q2.csv"
PTP_FILE = "ncci-ptp-practitioner-2024-07-01.csv.gz"
MUE_FILE = "ncci-mue-practitioner-2024-07-01.csv"
PFS_FILE = "pfs-indicators-2024-07.csv"
HCPCS_FILE = "HCPC2025_OCT_ANWEB.xlsx"

# A fixed timestamp for the xlsx document properties and zip entries, so a
# rebuild from the same inputs gives the same bytes (and the same sha256,
# which the importers use to recognise a release already loaded).
_FIXED_TIME = dt.datetime(2025, 10, 1, 0, 0, 0)
_MODIFIED_STAMP = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def read_code_list(path: Path) -> dict[str, str]:
    """The curated sample codes (``code,topic``), refusing duplicates and malformed codes."""
    topics: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for line_number, row in enumerate(csv.DictReader(handle), start=2):
            code = row["code"].strip()
            if len(code) != 5 or not code.isalnum():
                raise ValueError(f"{path}:{line_number}: {code!r} is not a 5-character code")
            if code in topics:
                raise ValueError(f"{path}:{line_number}: {code} is listed twice")
            topics[code] = row["topic"].strip()
    return topics


def _lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        yield from handle


def copy_matching_rows(
    source: Path,
    target: Path,
    keep: set[str],
    columns: tuple[str, ...],
    seen: set[str],
) -> int:
    """Copy the header and every line whose ``columns`` values are all in ``keep``.

    Every code met in any column of a kept line is added to ``seen``. Returns
    the number of data lines written.
    """
    lines = _lines(source)
    header = next(lines)
    names = next(csv.reader([header]))
    positions = [names.index(column) for column in columns]
    written = 0
    buffer = io.StringIO(newline="")
    buffer.write(header)
    for line in lines:
        values = next(csv.reader([line]))
        if all(values[position] in keep for position in positions):
            buffer.write(line)
            seen.update(values[position] for position in positions)
            written += 1
    data = buffer.getvalue().encode("utf-8")
    if target.suffix == ".gz":
        # mtime=0 and no file name in the header: identical bytes on every rebuild.
        with (
            target.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as packed,
        ):
            packed.write(data)
    else:
        target.write_bytes(data)
    return written


def copy_hcpcs_rows(source: Path, target: Path, keep: set[str], seen: set[str]) -> int:
    """Write the HCPCS spreadsheet rows of the codes in ``keep`` to a new xlsx, all columns."""
    source_book = openpyxl.load_workbook(source, read_only=True)
    sheet = source_book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    kept = [row for row in rows if isinstance(row[0], str) and row[0] in keep]
    title = sheet.title
    source_book.close()

    book = openpyxl.Workbook()
    out = book.active
    out.title = title
    out.append(list(header))
    for row in kept:
        out.append(list(row))
        seen.add(str(row[0]))
    book.properties.created = _FIXED_TIME
    book.properties.modified = _FIXED_TIME
    book.properties.creator = "CaseConsultant sample builder"
    raw = io.BytesIO()
    book.save(raw)
    target.write_bytes(_with_fixed_zip_times(raw.getvalue()))
    return len(kept)


def _with_fixed_zip_times(data: bytes) -> bytes:
    """The same zip with every entry's timestamp fixed, so the bytes do not depend on the clock."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time here whatever the properties say.
                content = _MODIFIED_STAMP.sub(
                    rb"\g<1>" + _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                    content,
                )
            target.writestr(fixed, content)
    return out.getvalue()


def build(cms_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write every sample file into ``out_dir``; returns rows written per file."""
    codes = read_code_list(out_dir / "codes.csv")
    keep = set(codes)
    found: set[str] = set()
    counts = {
        ADDON_FILE: copy_matching_rows(
            cms_dir / ADDON_FILE, out_dir / ADDON_FILE, keep, ("add_on_code",), found
        ),
        PTP_FILE: copy_matching_rows(
            cms_dir / PTP_FILE, out_dir / PTP_FILE, keep, ("column_1", "column_2"), found
        ),
        MUE_FILE: copy_matching_rows(
            cms_dir / MUE_FILE, out_dir / MUE_FILE, keep, ("hcpcs_code",), found
        ),
        PFS_FILE: copy_matching_rows(
            cms_dir / PFS_FILE, out_dir / PFS_FILE, keep, ("hcpcs_code",), found
        ),
        HCPCS_FILE: copy_hcpcs_rows(cms_dir / HCPCS_FILE, out_dir / HCPCS_FILE, keep, found),
    }
    # A listed code that no public file knows would be a typo, or a code the
    # sample could say nothing true about.
    unknown = sorted(keep - found)
    if unknown:
        raise ValueError(f"codes in codes.csv that no CMS file mentions: {', '.join(unknown)}")
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command line entry: build the sample and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cms_dir", nargs="?", type=Path, default=DEFAULT_CMS_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)
    try:
        counts = build(args.cms_dir, args.out)
    except (OSError, ValueError) as exc:
        print(f"build_sample_data: {exc}", file=sys.stderr)
        return 1
    total = 0
    for name, rows in counts.items():
        size = (args.out / name).stat().st_size
        total += size
        print(f"{name}: {rows} rows, {size / 1024:.1f} KiB")
    print(f"total of the generated files: {total / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
