"""The per-message time budget: an overrun that lands in a finalizer is raised again later,
and is never reported as an unraisable exception (pytest would fail the test on it)."""

from __future__ import annotations

import time

import pytest

from consultant.inbound.time_budget import MessageOverBudgetError, time_budget


class SlowToCollect:
    """Its finalizer outlasts the budget, so the first alarm lands where Python drops it."""

    def __del__(self) -> None:
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            pass


def test_an_overrun_inside_a_finalizer_is_raised_again_in_ordinary_code() -> None:
    with pytest.raises(MessageOverBudgetError), time_budget(0.05):
        slow = SlowToCollect()
        del slow  # the alarm fires inside __del__: printed and dropped there
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pass  # the next tick raises here
    # pytest's unraisable-exception check (warnings are errors) passes: nothing was reported.


def test_the_budget_restores_the_unraisable_hook() -> None:
    import sys

    before = sys.unraisablehook
    with time_budget(1.0):
        pass
    assert sys.unraisablehook is before
