"""Parse + inbound chain per message: how many messages a second one core handles.

Usage: .venv/bin/python bench/parsing.py [--rounds N]

Three message sets: the project's .eml fixtures (real-client shapes, minus the
huge one), CPython's email test corpus (odd and malformed mail), and a typical
question (Gmail multipart/alternative with a quoted reply), which is what the
300 messages/s pipeline target is mostly made of. Prints per set the mean and
p95 CPU microseconds per message and messages a second per core. CPU time (not
wall time) so that other processes on the shared machine do not skew it.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consultant.inbound.rules import InboundContext, run_inbound_chain  # noqa: E402
from consultant.mail.parsing import parse_message  # noqa: E402 - after the path fix above


def _corpus() -> list[bytes]:
    spec = importlib.util.find_spec("test.test_email")
    if spec is None or spec.origin is None:
        return []
    return [path.read_bytes() for path in sorted((Path(spec.origin).parent / "data").glob("msg_*"))]


def _fixtures() -> list[bytes]:
    paths = sorted((ROOT / "tests" / "data" / "eml").glob("*.eml"))
    return [path.read_bytes() for path in paths if path.stat().st_size < 50_000]


def _typical() -> list[bytes]:
    return [(ROOT / "tests" / "data" / "eml" / "gmail_alternative_quoted.eml").read_bytes()]


def _measure(messages: list[bytes], rounds: int) -> tuple[float, float, float]:
    timings = []
    for _ in range(rounds):
        for raw in messages:
            context = InboundContext("consultant@example.org", len(raw), 5 << 20, False, True, "x")
            started = time.thread_time()
            run_inbound_chain(parse_message(raw), context)
            timings.append(time.thread_time() - started)
    mean = statistics.fmean(timings)
    p95 = statistics.quantiles(timings, n=20)[-1]
    return mean * 1e6, p95 * 1e6, 1 / mean


def main() -> None:
    """Run the benchmark and print one line per message set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    rounds = parser.parse_args().rounds
    sets = {"fixtures": _fixtures(), "cpython-corpus": _corpus(), "typical-question": _typical()}
    _measure(sets["fixtures"], 2)  # warm up regex and codec caches
    print(f"{'set':<18}{'messages':>9}{'CPU us':>10}{'p95 us':>10}{'msg/s':>9}")
    for name, messages in sets.items():
        mean, p95, rate = _measure(messages, rounds)
        print(f"{name:<18}{len(messages):>9}{mean:>10.0f}{p95:>10.0f}{rate:>9.0f}")


if __name__ == "__main__":
    main()
