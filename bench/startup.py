"""How long the command line takes to start: ``consultant --help`` and a real command.

Prints the median of several runs; never asserts a time. Run: python bench/startup.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 9
CONSULTANT = Path(sys.executable).with_name("consultant")


def median_seconds(arguments: list[str], env: dict[str, str]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(
            [str(CONSULTANT), *arguments],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CONSULTANT_VAR_DIR": folder}
        for arguments in (["--help"], ["review", "list", "--help"], ["extract"]):
            seconds = median_seconds(arguments, env)
            print(f"consultant {' '.join(arguments):<20} {seconds:.3f} s (median of {RUNS})")


if __name__ == "__main__":
    main()
