"""The service's Celery app (same broker settings) with one slow task, for broker-outage tests.

``celery -A tests.integration.slow_task_app worker`` runs it; the task leaves
marker files so the test knows when it started and finished.
"""

from __future__ import annotations

import time
from pathlib import Path

from workers.app import make_app

app = make_app()


@app.task(name="tests.slow_touch")
def slow_touch(marker_dir: str, name: str, seconds: float) -> None:
    Path(marker_dir, f"{name}.started").touch()
    time.sleep(seconds)
    Path(marker_dir, f"{name}.done").touch()
