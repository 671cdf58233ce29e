"""The service's Celery app with a 2 s soft time limit, and a drafting step that takes 30 s
for any question holding SLOW_MARKER: the soft limit fires in the middle of a batch.

``celery -A tests.integration.soft_limit_app worker`` runs it.
"""

from __future__ import annotations

import time
from typing import Any

from consultant.consultations import services
from workers.app import app

SLOW_MARKER = "SLOW-ROW-FOR-THE-SOFT-LIMIT"

app.conf.task_soft_time_limit = 2
app.conf.task_time_limit = 60
_real_draft_reply = services.draft_reply


def _draft_reply_slow_on_the_marker(session: Any, question_text: str, **kwargs: Any) -> Any:
    if SLOW_MARKER in question_text:
        time.sleep(30)  # the soft limit interrupts this
    return _real_draft_reply(session, question_text, **kwargs)


services.draft_reply = _draft_reply_slow_on_the_marker  # type: ignore[assignment]
import workers.tasks  # noqa: E402, F401 - the tasks, registered on this app
