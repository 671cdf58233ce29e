"""Code data figures: import of the 2.5-million-row PTP file (and, from Helper B, lookups).

Usage: .venv/bin/python bench/codes.py [--backends sqlite,postgresql]

For each backend, a throwaway database (a SQLite file in a temporary folder,
or a new PostgreSQL database on the server ``CONSULTANT_BENCH_POSTGRES_URL``
names) is migrated, then the PTP file is imported in a child process, so its
peak resident memory is the importer's alone. Prints wall seconds, the child's
CPU seconds (user + system: on a shared machine the wall time also holds
waiting for the CPU and, on PostgreSQL, the server's work) and peak RSS, and
the machine's load. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402 - after the path fix above

from consultant.codes.shared_data import cms_data_dir  # noqa: E402
from consultant.db import engine_for  # noqa: E402
from tests.databases import LOCAL_POSTGRES_ADMIN_URL, throwaway_database  # noqa: E402

CMS_DIR = cms_data_dir()
PTP_FILE = CMS_DIR / "ncci-ptp-practitioner-2024-07-01.csv.gz"
POSTGRES_ADMIN_URL = os.environ.get("CONSULTANT_BENCH_POSTGRES_URL", LOCAL_POSTGRES_ADMIN_URL)

# Runs in the child: import, then report the result and the child's own resource use.
_CHILD = """
import json, resource, sys
from pathlib import Path
from consultant.codes.importers import import_file
result = import_file(sys.argv[1], Path(sys.argv[2]))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "rows": result.rows, "duplicates": result.duplicates, "seconds": result.seconds,
    "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
}))
"""


@dataclass(frozen=True)
class ImportFigures:
    """What one child-process import measured."""

    rows: int
    duplicates: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float


def import_in_child(url: str, path: Path) -> ImportFigures:
    """Import ``path`` into ``url`` in a fresh Python process and return its figures."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return ImportFigures(**json.loads(done.stdout.strip().splitlines()[-1]))


def bench_ptp_import(backends: list[str]) -> None:
    """PTP import on each backend: seconds (wall and CPU) and peak RSS of the importer."""
    print(f"PTP import of {PTP_FILE.name} (target: < 60 s, peak RSS < 300 MB)")
    for backend in backends:
        with throwaway_database(backend, POSTGRES_ADMIN_URL, "consultant_bench") as url:
            load_before = os.getloadavg()[0]
            figures = import_in_child(url, PTP_FILE)
            load_after = os.getloadavg()[0]
        print(
            f"  {backend:10}  {figures.rows:,} rows (+{figures.duplicates} duplicate)  "
            f"{figures.seconds:6.1f} s wall  {figures.cpu_seconds:6.1f} s importer CPU  "
            f"peak RSS {figures.peak_rss_mb:5.0f} MB  "
            f"(load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} cores)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    arguments = parser.parse_args()
    backends = [b.strip() for b in arguments.backends.split(",") if b.strip()]
    bench_ptp_import(backends)
    bench_lookup(backends)


# Ten codes asked about together whose pairs carry active and deleted PTP edits,
# and add-ons with long primary lists (69990 has about 200).
LOOKUP_CODES = ("63047", "63048", "69990", "22551", "22552", "22845", "20610", "99213", "64483")
LOOKUP_CODES += ("77003",)
LOOKUP_FILES = (
    "ncci-addon-code-edits-2024q2.csv",
    "ncci-mue-practitioner-2024-07-01.csv",
    "pfs-indicators-2024-07.csv",
    PTP_FILE.name,
)


def bench_lookup(backends: list[str], rounds: int = 2000) -> None:
    """Lookup of 10 codes with every pairwise PTP edit: median and p99, per backend."""
    import statistics
    import time

    from consultant.codes.importers import import_file
    from consultant.codes.lookup import look_up_codes
    from consultant.db import session_factory, unit_of_work

    print(f"Lookup of {len(LOOKUP_CODES)} codes with all pairwise edits (target: p99 < 5 ms)")
    for backend in backends:
        with throwaway_database(backend, POSTGRES_ADMIN_URL, "consultant_bench") as url:
            for name in LOOKUP_FILES:
                import_file(url, CMS_DIR / name)
            if backend != "sqlite":
                # Steady state: autovacuum analyzes a freshly loaded table soon after.
                with engine_for(url).connect() as connection:
                    connection.execute(sa.text("ANALYZE"))
                    connection.commit()
            with unit_of_work(url) as session:
                edits = len(look_up_codes(session, LOOKUP_CODES).pair_edits)
            open_session = session_factory(url)()
            for label, fresh in (("own unit of work", True), ("open session", False)):
                timings = []
                cpu_started = time.process_time()
                for n in range(rounds + 50):
                    started = time.perf_counter()
                    if fresh:
                        with unit_of_work(url) as session:
                            look_up_codes(session, LOOKUP_CODES)
                    else:
                        look_up_codes(open_session, LOOKUP_CODES)
                    if n >= 50:  # the first ones warm caches and plans
                        timings.append(time.perf_counter() - started)
                cpu = (time.process_time() - cpu_started) / (rounds + 50)
                p99 = statistics.quantiles(timings, n=100)[-1]
                print(
                    f"  {backend:10}  {label:16}  {edits} active edits  median "
                    f"{statistics.median(timings) * 1e3:5.2f} ms  p99 {p99 * 1e3:5.2f} ms  "
                    f"client CPU {cpu * 1e3:4.2f} ms  (load average {os.getloadavg()[0]:.1f})"
                )
            open_session.close()


if __name__ == "__main__":
    main()
