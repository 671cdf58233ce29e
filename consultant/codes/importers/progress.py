"""A plain progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 30
_EVERY_SECONDS = 0.2


class ProgressBar:
    """``label [#####.....]  45%  1,234,567 rows``, redrawn at most five times a second."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self._drawn_at = 0.0

    def update(self, done: int, rows: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn_at < _EVERY_SECONDS:
            return
        self._drawn_at = now
        self._draw(done, rows)

    def finish(self, rows: int) -> None:
        if not self.enabled:
            return
        self._draw(self.total, rows)
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, done: int, rows: int) -> None:
        fraction = min(done / self.total, 1.0)
        filled = int(fraction * _WIDTH)
        bar = "#" * filled + "." * (_WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {fraction:4.0%}  {rows:,} rows")
        self.stream.flush()
