"""The Celery-backed :class:`consultant.db.TaskQueue`.

It sends, with a short bounded retry, and raises when the broker stays
unreachable: :func:`consultant.db.enqueue_after_commit`, the one way work is
queued after a commit, logs that and leaves the committed rows to the sweeper.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from workers.app import app

logger = logging.getLogger(__name__)

# A short, bounded retry: a broker that is down must not stall the poller.
_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}

#: Task names the domain may enqueue, mapped to the Celery task that runs them.
TASK_NAMES = {"ingest": "workers.tasks.ingest", "send": "workers.tasks.send"}
#: The same for many rows at once: one message carries a list of ids.
BATCH_TASK_NAMES = {"ingest": "workers.tasks.ingest_batch"}
#: Ids per batch message. A task costs the worker about 2 ms of its own, so
#: batches save most of that, yet small enough that a poller's batch of 100 is
#: shared by every worker process and that a row waits little behind others.
BATCH_SIZE = 20


class CeleryTaskQueue:
    """Sends ``task_name(row_id)`` to the Celery broker; ids only, never mail content."""

    def __init__(self, celery_app: Any = None) -> None:
        # The process app by default; tests and the bench pass one for another broker.
        self.celery_app = celery_app if celery_app is not None else app

    def enqueue(self, task_name: str, row_id: int) -> None:
        """Send the task; raises if the broker stays unreachable."""
        celery_name = TASK_NAMES.get(task_name, task_name)
        self.celery_app.send_task(
            celery_name, args=[int(row_id)], retry=True, retry_policy=_RETRY_POLICY
        )

    def enqueue_many(self, task_name: str, row_ids: Sequence[int]) -> None:
        """Send ``task_name`` for every row, BATCH_SIZE ids per message; raises like ``enqueue``."""
        celery_name = BATCH_TASK_NAMES.get(task_name)
        if celery_name is None:
            for row_id in row_ids:
                self.enqueue(task_name, row_id)
            return
        ids = [int(row_id) for row_id in row_ids]
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start : start + BATCH_SIZE]
            self.celery_app.send_task(
                celery_name, args=[chunk], retry=True, retry_policy=_RETRY_POLICY
            )
