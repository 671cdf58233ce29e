"""Reply drafting: drafts per second for typical 3-code questions (extract + lookup + render).

Usage: .venv/bin/python bench/drafting.py [--backends sqlite,postgresql] [--drafts N]
                                          [--database-url URL] [--compare-with REF]

Loads the shared CMS files (the full 2.5-million-row PTP release included) into
a throwaway SQLite file and a throwaway PostgreSQL database (or uses
``--database-url``, already loaded), then drafts replies one after another in
one process, one unit of work per draft as a worker does. Prints drafts per
second (wall clock, so PostgreSQL's round trips count), client CPU per draft,
and the median and p99 time of one draft. Asserts nothing.

The questions carry dates of service and drug doses, and the coding notes are
loaded, so the figures include findings and notes. ``--compare-with REF`` (for
example c434520, the code before issue 12) checks REF out into a temporary git
worktree and runs the same questions with that code on the same database, right
after the current code, so both figures come from one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The code measured: this checkout, or the worktree of --compare-with (set by the parent run).
CODE_ROOT = Path(os.environ.get("BENCH_CODE_ROOT", ROOT))
sys.path.insert(0, str(CODE_ROOT))
if "BENCH_SHIPPED_ROOT" in os.environ:
    # The editable install maps the shipped folders (templates, schema) to this checkout's:
    # put the compared code's own first.
    sys.path.insert(0, os.environ["BENCH_SHIPPED_ROOT"])

from sqlalchemy.engine import make_url  # noqa: E402 - after the path fix above

from consultant.codes.importers import import_file  # noqa: E402
from consultant.codes.shared_data import cms_data_dir  # noqa: E402
from consultant.consultations.drafting import draft_reply  # noqa: E402
from consultant.db import unit_of_work  # noqa: E402
from tests.databases import LOCAL_POSTGRES_ADMIN_URL, throwaway_database  # noqa: E402

_DRAFT_PARAMETERS = set(inspect.signature(draft_reply).parameters)

CMS_DIR = cms_data_dir()
SHARED_FILES = (
    "ncci-addon-code-edits-2024q2.csv",
    "ncci-mue-practitioner-2024-07-01.csv",
    "pfs-indicators-2024-07.csv",
    "HCPC2025_OCT_ANWEB.xlsx",
    "ncci-ptp-practitioner-2024-07-01.csv.gz",
)
NOTES_FILE = ROOT / "consultant" / "codes" / "notes" / "notes.csv"
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
    "DOS 07/15/2024: {a} and {b}, plus {c} on both knees. Toradol 60 mg J1885 with 96372. "
    "Modifier 25 on the visit?",
)
#: The day the questions arrived: in the quarter of the shared releases.
ARRIVED = dt.date(2024, 7, 20)


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
        import_file(url, NOTES_FILE, kind="notes")
        print("  loaded the coding notes")
        yield url


def _draft(session: Any, question: str) -> None:
    # The code before issue 12 takes no date of service; the current code is given one.
    if "service_date" in _DRAFT_PARAMETERS:
        draft_reply(session, question, subject="Coding question", service_date=ARRIVED)
    else:
        draft_reply(session, question, subject="Coding question")


def bench_drafts(url: str, count: int) -> None:
    """Draft ``count`` replies, one unit of work each, and print the figures."""
    batch = questions(count)
    started = time.perf_counter()
    with unit_of_work(url) as session:
        _draft(session, batch[0])
    # The first draft of a process loads the known-code set and compiles the templates.
    print(f"  first draft of the process: {(time.perf_counter() - started) * 1e3:.0f} ms")
    for question in batch[:20]:  # warm-up: statement caches and query plans
        with unit_of_work(url) as session:
            _draft(session, question)
    timings = []
    cpu_started = time.process_time()
    wall_started = time.perf_counter()
    for question in batch:
        started = time.perf_counter()
        with unit_of_work(url) as session:
            _draft(session, question)
        timings.append(time.perf_counter() - started)
    wall = time.perf_counter() - wall_started
    cpu = time.process_time() - cpu_started
    p99 = statistics.quantiles(timings, n=100)[-1]
    print(
        f"  {count} drafts: {count / wall:.0f} drafts/s (wall), client CPU "
        f"{cpu / count * 1e3:.2f} ms/draft, median {statistics.median(timings) * 1e3:.2f} ms, "
        f"p99 {p99 * 1e3:.2f} ms (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


def bench_old_code(ref: str, url: str, count: int) -> None:
    """Run this bench with the code of ``ref`` (a git worktree) on the loaded database."""
    with tempfile.TemporaryDirectory(prefix="bench-old-") as folder:
        worktree = Path(folder) / "code"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(worktree), ref],
            check=True,
        )
        shipped = Path(folder) / "shipped"
        shipped.mkdir()
        (shipped / "consultant_templates").symlink_to(worktree / "templates")
        (shipped / "consultant_schema").symlink_to(worktree / "schema")
        try:
            print(f"  the code of {ref}, same questions, same database:")
            subprocess.run(
                [sys.executable, __file__, "--database-url", url, "--drafts", str(count)],
                env={
                    **os.environ,
                    "BENCH_CODE_ROOT": str(worktree),
                    "BENCH_SHIPPED_ROOT": str(shipped),
                },
                check=True,
            )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)],
                check=True,
            )


def main() -> None:
    """Load the data on each backend and print the drafting figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--drafts", type=int, default=3000)
    parser.add_argument("--database-url", help="an already loaded database to use instead")
    parser.add_argument("--compare-with", metavar="REF", help="also measure the code of REF")
    args = parser.parse_args()
    if args.database_url:
        where = make_url(args.database_url).get_backend_name()
        print(f"  drafting on {where} (given database) with the code in {CODE_ROOT}")
        bench_drafts(args.database_url, args.drafts)
        return
    for backend in args.backends.split(","):
        print(f"drafting on {backend}")
        with loaded_database(backend) as url:
            bench_drafts(url, args.drafts)
            if args.compare_with:
                bench_old_code(args.compare_with, url, args.drafts)


if __name__ == "__main__":
    main()
