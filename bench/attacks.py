"""Adversarial mail: time of the extractor and of the whole ingest per input size.

For each crafted input (the patterns that once backtracked, long runs of
capitals, digits, hyphens, quote markers, ``<@``, nested parentheses) at
n = 1k, 10k and 100k characters, prints the extractor's CPU time on the text
and the wall time of one whole ingest (parse, rules, extraction, look-ups,
draft, writes) of a message with that body, on a throwaway SQLite database with
the bundled sample code data. A case still running after ``--cap`` seconds is
stopped and printed as "> cap". Prints figures; asserts nothing.

    .venv/bin/python bench/attacks.py [--sizes 1000,10000,100000] [--cap 60]
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consultant.accounts.services import create_account  # noqa: E402 - after the path fix
from consultant.codes.sample_data import load_sample_data  # noqa: E402
from consultant.config import Settings  # noqa: E402
from consultant.db import unit_of_work  # noqa: E402
from consultant.extraction import extract  # noqa: E402
from consultant.inbound.ingest import IngestFailedError, run_ingest  # noqa: E402
from tests.databases import throwaway_database  # noqa: E402
from tests.integration.ledger_rows import store_inbound  # noqa: E402
from tests.integration.question_mail import question_bytes  # noqa: E402

ASKER = "coder@clinic.example"


def adversarial_texts(n: int) -> dict[str, str]:
    """Each crafted text, about ``n`` characters long."""
    # The address look-alikes read one line at a time (at most 2,000 characters):
    # an attacker repeats a line of the worst length rather than writing one long one.
    numbered_line = "1 " + "A" * 400 + " 99213\n"
    city_block = "940 Birch Lane\n" + "A" * 800 + "1 99213\n"
    return {
        "numbered address": "Hi\n" + numbered_line * max(1, n // len(numbered_line)),
        "city after street": city_block * max(1, n // len(city_block)),
        "one long address line": "Hi\n1 " + "A" * n + " 99213\n",
        "capital words": "Is 99213 ok? " + "AB " * (n // 3),
        "digits": "Is 99213 ok? " + "1" * n,
        "code-shaped numbers": "99213 " * (n // 6),
        "hyphens": "Is 99213 ok? " + "-" * n + " 99214",
        "quote markers": "Is 99213 ok?\n" + ">" * n + " 99214\n",
        "angle at": "Is 99213 ok? " + "<@" * (n // 2),
        "parentheses": "Is 99213 ok? " + "(" * (n // 2) + "99213" + ")" * (n // 2),
        "street-like lines": "1 Main St\n" * (n // 10) + "99213\n",
    }


class _Capped(Exception):
    pass


def _timed(run: Callable[[], object], cap: float, clock: Callable[[], float]) -> str:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise _Capped

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, cap)
    started = clock()
    try:
        run()
    except _Capped:
        return f"> {cap:g} s"
    except IngestFailedError as failed:
        if failed.reason == _Capped.__name__:  # ingest recorded the cap as its failure
            return f"> {cap:g} s"
        return f"{clock() - started:.4f} s ({failed.reason[:40]})"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return f"{clock() - started:.4f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--cap", type=float, default=60.0)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with throwaway_database("sqlite") as url:
        load_sample_data(url)
        with unit_of_work(url) as session:
            create_account(session, ASKER, name="Pat")
        # The bench measures, so the ingest's own budget must not cut a case short.
        settings = Settings(database_url=url, message_time_budget=args.cap * 10)
        print(f"{'input':<22}{'n':>8}  {'extract (CPU)':>16}  {'whole ingest (wall)':>22}")
        for size in sizes:
            for name, text in adversarial_texts(size).items():
                extract_time = _timed(lambda t=text: extract(t), args.cap, time.process_time)
                row_id = store_inbound(url, question_bytes(ASKER, text))
                ingest_time = _timed(
                    lambda r=row_id: run_ingest(url, r, settings), args.cap, time.perf_counter
                )
                print(f"{name:<22}{size:>8}  {extract_time:>16}  {ingest_time:>22}", flush=True)


if __name__ == "__main__":
    main()
