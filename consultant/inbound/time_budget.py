"""A time budget for the CPU work of one message, so no email can hold a worker.

Reading a message is linear in its size, but a worker must not trust that
alone: a message whose reading outlasts its budget is stopped and parked with
that reason while the rest of its batch flows on (a task's time limit would
instead stop the whole batch and charge the next message's attempt).

The budget is a ``SIGALRM`` interval timer: the interpreter runs the handler
between bytecodes, and the regular expression engine checks for signals as it
matches, so even a pathological pattern is stopped. Signals reach only the main
thread, where Celery's prefork children and the CLI run ingest; elsewhere the
budget is not enforced (the task's time limit still applies).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

#: Seconds between further alarms once the budget is spent (see :func:`time_budget`).
_REPEAT_EVERY = 0.05


class MessageOverBudgetError(Exception):
    """Reading one message took longer than its budget; the message is parked, not retried."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"reading the message took over its {seconds:g} s time budget")
        self.seconds = seconds


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise MessageOverBudgetError in the block once ``seconds`` have passed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    enclosing_delay, _interval = signal.getitimer(signal.ITIMER_REAL)
    if enclosing_delay and enclosing_delay <= seconds:
        yield  # an enclosing timer (a test runner's, say) fires first: let it
        return

    expired = False

    def over_budget(_signum: int, _frame: FrameType | None) -> None:
        nonlocal expired
        expired = True
        raise MessageOverBudgetError(seconds)

    previous_hook = sys.unraisablehook

    def drop_budget_overruns(unraisable: Any) -> None:
        # An overrun raised inside a finalizer cannot propagate; the next tick raises it
        # again in ordinary code, so reporting this one would only be noise.
        if not isinstance(unraisable.exc_value, MessageOverBudgetError):
            previous_hook(unraisable)

    started = time.monotonic()
    sys.unraisablehook = drop_budget_overruns
    previous_handler = signal.signal(signal.SIGALRM, over_budget)
    # Repeating: an exception raised while Python runs a finalizer or a weakref
    # callback is printed and dropped ("Exception ignored in ..."); the next
    # tick raises it again in ordinary code.
    signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_EVERY)
    try:
        yield
        if expired:  # every raise landed where Python drops exceptions
            raise MessageOverBudgetError(seconds)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        sys.unraisablehook = previous_hook
        if enclosing_delay:  # the enclosing timer keeps what was left of its time
            left = enclosing_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
