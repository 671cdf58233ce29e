"""Reply drafting: drafts per second for typical 3-code questions (extract + lookup + render).

Usage: .venv/bin/python bench/drafting.py [--backends sqlite,postgresql] [--drafts N]
                                          [--database-url URL]

Loads the shared CMS files (the full 2.5-million-row PTP release included) into
a throwaway SQLite file and a throwaway PostgreSQL database (or uses
``--database-url``, already loaded), then drafts replies one after another in
one process, one unit of work per draft as a worker does. Prints drafts per
second (wall clock, so PostgreSQL's round trips count), client CPU per draft,
and the median and p99 time of one draft. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402 - after the path fix above

from consultant.codes.importers import import_file  # noqa: E402
from consultant.codes.shared_data import cms_data_dir  # noqa: E402
from consultant.consultations.drafting import draft_reply  # noqa: E402
from consultant.db import unit_of_work  # noqa: E402
from tests.databases import LOCAL_POSTGRES_ADMIN_URL, throwaway_database  # noqa: E402

CMS_DIR = cms_data_dir()
SHARED_FILES = (
    "ncci-addon-code-edits-2024q2.csv",
    "ncci-mue-practitioner-2024-07-01.csv",
    "pfs-indicators-2024-07.csv",
    "HCPC2025_OCT_ANWEB.xlsx",
    "ncci-ptp-practitioner-2024-07-01.csv.gz",
)
POSTGRES_ADMIN_URL = os.environ.get("CONSULTANT_BENCH_POSTGRES_URL", LOCAL_POSTGRES_ADMIN_URL)
# Codes coders often ask about together, in groups that share edits and add-ons.
CODE_GROUPS = (
    ("63047", "63048", "69990"),
    ("63056", "63057", "63048"),
    ("29881", "20610", "99213"),
    ("64483", "64484", "77003"),
    ("11042", "11045", "97597"),
    ("99214", "20610", "J1100"),
    ("22551", "22552", "22845"),
    ("27447", "20610", "J3301"),
    ("96365", "96366", "96375"),
    ("99215", "G2211", "99417"),
)
QUESTION_FORMS = (
    "Hi team,\n\nCan we bill {a} with {b}-59 and {c} on the same day? The op note "
    "describes separate sites.\n\nThanks,\nPat Doe, CPC\nBilling office",
    "Quick one: {a} x 1, {b} x 2 and {c}. Any NCCI edit between them, and do we "
    "need a modifier?\n\nRegards,\nSam",
    "For a Medicare patient we coded {a}, {b} and {c}-RT. Payer denied {b}. Why?",
)


def questions(count: int) -> list[str]:
    """``count`` typical 3-code questions in varied wording (fixed seed, so runs compare)."""
    rng = random.Random(7)
    made = []
    for _ in range(count):
        a, b, c = rng.choice(CODE_GROUPS)
        made.append(rng.choice(QUESTION_FORMS).format(a=a, b=b, c=c))
    return made


@contextmanager
def loaded_database(backend: str) -> Iterator[str]:
    """A throwaway database on ``backend`` with every shared CMS file imported."""
    with throwaway_database(backend, POSTGRES_ADMIN_URL, "consultant_bench") as url:
        for name in SHARED_FILES:
            started = time.perf_counter()
            result = import_file(url, CMS_DIR / name)
            seconds = time.perf_counter() - started
            print(f"  loaded {result.release_name}: {result.rows} rows in {seconds:.1f} s")
        yield url


def bench_drafts(url: str, count: int) -> None:
    """Draft ``count`` replies, one unit of work each, and print the figures."""
    batch = questions(count)
    started = time.perf_counter()
    with unit_of_work(url) as session:
        draft_reply(session, batch[0], subject="Coding question")
    # The first draft of a process loads the known-code set and compiles the templates.
    print(f"  first draft of the process: {(time.perf_counter() - started) * 1e3:.0f} ms")
    for question in batch[:20]:  # warm-up: statement caches and query plans
        with unit_of_work(url) as session:
            draft_reply(session, question, subject="Coding question")
    timings = []
    cpu_started = time.process_time()
    wall_started = time.perf_counter()
    for question in batch:
        started = time.perf_counter()
        with unit_of_work(url) as session:
            draft_reply(session, question, subject="Coding question")
        timings.append(time.perf_counter() - started)
    wall = time.perf_counter() - wall_started
    cpu = time.process_time() - cpu_started
    p99 = statistics.quantiles(timings, n=100)[-1]
    print(
        f"  {count} drafts: {count / wall:.0f} drafts/s (wall), client CPU "
        f"{cpu / count * 1e3:.2f} ms/draft, median {statistics.median(timings) * 1e3:.2f} ms, "
        f"p99 {p99 * 1e3:.2f} ms (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


def main() -> None:
    """Load the data on each backend and print the drafting figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--drafts", type=int, default=3000)
    parser.add_argument("--database-url", help="an already loaded database to use instead")
    args = parser.parse_args()
    if args.database_url:
        print(f"drafting on {make_url(args.database_url).get_backend_name()} (given database)")
        bench_drafts(args.database_url, args.drafts)
        return
    for backend in args.backends.split(","):
        print(f"drafting on {backend}")
        with loaded_database(backend) as url:
            bench_drafts(url, args.drafts)


if __name__ == "__main__":
    main()
