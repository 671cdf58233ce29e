"""Enqueueing background work, the one way: by task name and row id, after commit.

The domain never imports Celery. It asks for work through :class:`TaskQueue`;
the boundary (poller, CLI, web) gets the Celery-backed queue from
``workers.queue`` by name at run time. Messages carry only a task name and a
row id: the task re-loads the row, so no PHI travels through the broker.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

from sqlalchemy.orm import Session

from consultant.db import after_commit


class TaskQueue(Protocol):
    """Something that runs a named task for a row id, some time later."""

    def enqueue(self, task_name: str, row_id: int) -> None: ...

    def enqueue_many(self, task_name: str, row_ids: Sequence[int]) -> None:
        """The task for every row; a queue may send several ids in one message."""
        ...


@lru_cache(maxsize=1)
def default_task_queue() -> TaskQueue:
    """The Celery-backed queue of ``workers.queue``, imported only when work is enqueued."""
    module = importlib.import_module("workers.queue")
    queue: TaskQueue = module.CeleryTaskQueue()
    return queue


def enqueue_after_commit(
    session: Session, task_name: str, row_ids: Sequence[int], queue: TaskQueue | None = None
) -> None:
    """Enqueue ``task_name`` for every row once ``session`` commits; never if it rolls back.

    If the broker is down at that moment the rows are still committed in their
    non-final state, and the sweeper re-enqueues them: nothing is lost.
    """
    chosen = list(row_ids)
    after_commit(session, lambda: (queue or default_task_queue()).enqueue_many(task_name, chosen))
