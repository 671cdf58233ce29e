"""A message that kills its worker process (kill -9, the OOM killer) is parked, not retried forever.

Each run below is a real process that ingest kills with SIGKILL in the
middle of drafting, as a message that makes the interpreter blow up would:
no exception is raised and nothing in the process can record the failure.
Only what the run committed before it started work can count the attempt.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from consultant.accounts.services import create_account
from consultant.config import Settings
from consultant.consultations import services as consultation_services
from consultant.consultations.models import Consultation, Draft
from consultant.db import unit_of_work
from consultant.inbound.ingest import MAX_ATTEMPTS, IngestFailedError, run_ingest
from consultant.inbound.models import InboundMessage
from tests.integration.ledger_rows import store_inbound
from tests.integration.question_mail import question_bytes

ASKER = "coder@clinic.example"

# The child ingests one row; drafting its reply kills the process outright.
_DYING_RUN = """
import os, signal, sys
from consultant.config import Settings
from consultant.consultations import services as consultation_services
from consultant.inbound.ingest import run_ingest

def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

consultation_services.draft_reply = die
url, row_id = sys.argv[1], int(sys.argv[2])
run_ingest(url, row_id, Settings(database_url=url, secret_key="s", reply_from="c@localhost"))
"""


def _settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key="s", reply_from="c@localhost")


def _run_and_die(database_url: str, row_id: int) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
    child = subprocess.run(
        [sys.executable, "-c", _DYING_RUN, database_url, str(row_id)],
        env=environ,
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]


def test_a_message_that_kills_its_worker_is_parked_after_three_deaths(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work(database_url) as session:
        create_account(session, ASKER)
    row_id = store_inbound(database_url, question_bytes(ASKER))
    for _ in range(MAX_ATTEMPTS):
        _run_and_die(database_url, row_id)
    with unit_of_work(database_url) as session:
        row = session.get_one(InboundMessage, row_id)
        # Each death left the row claimed, with its attempt counted.
        assert (row.status, row.attempts) == ("ingesting", MAX_ATTEMPTS)

    drafted: list[str] = []
    monkeypatch.setattr(
        consultation_services, "draft_reply", lambda *_a, **_k: drafted.append("again")
    )
    # The next delivery (a redelivered task, the sweeper) must not try a fourth time.
    with pytest.raises(IngestFailedError) as failed:
        run_ingest(database_url, row_id, _settings(database_url))
    assert failed.value.parked
    assert drafted == []
    with unit_of_work(database_url) as session:
        row = session.get_one(InboundMessage, row_id)
        assert (row.status, row.attempts, row.disposition) == ("parked", MAX_ATTEMPTS, None)
        assert row.last_error is not None
        assert row.last_error.startswith("worker died 3 times while ingesting")
        assert session.scalar(select(func.count()).select_from(Consultation)) == 0
        assert session.scalar(select(func.count()).select_from(Draft)) == 0


def test_a_death_then_a_clean_run_finishes_the_message(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        create_account(session, ASKER)
    row_id = store_inbound(database_url, question_bytes(ASKER))
    _run_and_die(database_url, row_id)
    outcome = run_ingest(database_url, row_id, _settings(database_url))
    assert outcome.disposition == "accepted"
    with unit_of_work(database_url) as session:
        row = session.get_one(InboundMessage, row_id)
        assert (row.status, row.attempts, row.last_error) == ("done", 2, None)
