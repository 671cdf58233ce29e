"""Ingest under attack on real databases: poison text is stored, a slow message is parked
alone, and reading a message holds no write lock.

The whole path through the poller and worker is in ``test_attack_mail.py``;
these tests call the ingest boundary directly to pin each guarantee down.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from consultant.accounts.services import create_account
from consultant.config import Settings
from consultant.consultations.models import ConsultationMessage, Draft
from consultant.db import unit_of_work
from consultant.inbound import ingest
from consultant.inbound.ingest import run_ingest, run_ingest_batch
from consultant.inbound.models import InboundMessage
from consultant.inbound.time_budget import MessageOverBudgetError
from tests.attack_mail import ASKER, IDNA_ASKER_UNICODE, attack_mails
from tests.integration.ledger_rows import store_inbound
from tests.integration.question_mail import question_bytes

#: Code-dense text: reading it takes far longer than SLOW_BUDGET on any machine.
SLOW_QUESTION = "Is 99213 billable with 99214 and 20610? " * 10_000
SLOW_BUDGET = 0.2


def _settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"database_url": database_url, "secret_key": "attack-secret"}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    with unit_of_work(database_url) as session:
        create_account(session, ASKER, name="Pat")
        create_account(session, IDNA_ASKER_UNICODE, name="Dr Ng")
    return _settings(database_url)


def _row(database_url: str, row_id: int) -> InboundMessage:
    with unit_of_work(database_url) as session:
        return session.get_one(InboundMessage, row_id)


@pytest.mark.parametrize(
    "name",
    [
        "unicode_escape body",
        "raw_unicode_escape subject",
        "utf-7 lone surrogates",
        "IDNA sender in ASCII form",
        "base64 junk body",
    ],
)
def test_poison_text_is_stored_and_drafted(
    database_url: str, settings: Settings, name: str
) -> None:
    [attack] = [attack for attack in attack_mails(2_000) if attack.name == name]
    row_id = store_inbound(database_url, attack.raw)
    outcome = run_ingest(database_url, row_id, settings)
    assert outcome.disposition == "accepted" and outcome.draft_id
    row = _row(database_url, row_id)
    assert (row.status, row.attempts, row.last_error) == ("done", 1, None)
    with unit_of_work(database_url) as session:
        message = session.scalars(select(ConsultationMessage)).one()
        draft = session.get_one(Draft, outcome.draft_id)
        for text in (message.new_text, draft.subject, draft.body_text, draft.body_html or ""):
            text.encode("utf-8")  # storable, and read back, on both databases


# An alarm that lands while Python runs a finalizer is reported by Python and
# dropped; the budget's repeating alarm raises it again (time_budget's note).
BUDGET_ALARM_IN_A_FINALIZER = "ignore::pytest.PytestUnraisableExceptionWarning"


@pytest.mark.filterwarnings(BUDGET_ALARM_IN_A_FINALIZER)
def test_a_message_over_its_budget_is_parked_and_its_batch_flows_on(
    database_url: str, settings: Settings
) -> None:
    before = store_inbound(database_url, question_bytes(ASKER, "Is 63057 an add-on?"))
    slow = store_inbound(database_url, question_bytes(ASKER, SLOW_QUESTION))
    after = store_inbound(database_url, question_bytes(ASKER, "Can 20610 go with 99213?"))
    fast_settings = _settings(database_url, message_time_budget=SLOW_BUDGET)
    done = run_ingest_batch(database_url, [before, slow, after], fast_settings)
    assert [failure.inbound_id for failure in done.failures] == [slow]
    assert done.failures[0].parked
    assert [outcome.disposition for outcome in done.outcomes] == ["accepted", "accepted"]
    parked = _row(database_url, slow)
    assert parked.status == "parked" and parked.attempts == 1
    assert parked.last_error is not None
    assert parked.last_error.startswith("reading the message took over its 0.2 s time budget")
    # The reason is ours, never the message's: no PHI in the operator ledger.
    assert "99213" not in parked.last_error
    assert _row(database_url, after).status == "done"


@pytest.mark.filterwarnings(BUDGET_ALARM_IN_A_FINALIZER)
def test_a_stop_ends_the_batch_and_leaves_the_rest_unclaimed(
    database_url: str, settings: Settings
) -> None:
    slow = store_inbound(database_url, question_bytes(ASKER, SLOW_QUESTION))
    rest = [store_inbound(database_url, question_bytes(ASKER, f"Is 6305{n} ok?")) for n in range(3)]
    fast_settings = _settings(database_url, message_time_budget=SLOW_BUDGET)
    # The worker passes its soft time limit's exception; the budget's stands in for it here.
    done = run_ingest_batch(
        database_url, [slow, *rest], fast_settings, stop_on=(MessageOverBudgetError,)
    )
    assert [failure.inbound_id for failure in done.failures] == [slow]
    assert done.unstarted == rest and not done.outcomes
    for row_id in rest:
        row = _row(database_url, row_id)
        assert (row.status, row.attempts, row.last_error) == ("stored", 0, None)


def _try_a_write(database_url: str, row_id: int) -> bool:
    """Whether another connection can write right now, without waiting for any lock.

    SQLite: take the database's one write lock. PostgreSQL: lock the ledger row
    itself, the row ingest's status guard locks when it records the result.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        other = sqlite3.connect(url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once if anyone holds the write lock
            other.execute("ROLLBACK")
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
        return True
    engine = create_engine(database_url)
    try:
        with engine.connect() as other:
            other.execute(text("SET lock_timeout = '1ms'"))
            other.execute(
                text("SELECT id FROM inbound_message WHERE id = :id FOR UPDATE NOWAIT"),
                {"id": row_id},
            )
            other.rollback()
    except OperationalError:  # NOWAIT: the row is locked by someone else
        return False
    finally:
        engine.dispose()
    return True


def test_reading_a_message_holds_no_write_lock(
    database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a message is read and drafted, another process can still write; while its
    result is recorded, the ledger row is locked (so the probe can tell the two apart)."""
    row_id = store_inbound(database_url, question_bytes(ASKER, "Is 63057 an add-on?"))
    writes_during_reading: list[bool] = []
    writes_during_recording: list[bool] = []
    real_read_row, real_record = ingest.read_row, ingest._ingest_claimed

    def read_row_then_try_a_write(*args: Any, **kwargs: Any) -> Any:
        reading = real_read_row(*args, **kwargs)
        writes_during_reading.append(_try_a_write(database_url, row_id))
        return reading

    def record_then_try_a_write(*args: Any, **kwargs: Any) -> Any:
        outcome = real_record(*args, **kwargs)  # inside the write transaction
        writes_during_recording.append(_try_a_write(database_url, row_id))
        return outcome

    monkeypatch.setattr(ingest, "read_row", read_row_then_try_a_write)
    monkeypatch.setattr(ingest, "_ingest_claimed", record_then_try_a_write)
    assert run_ingest(database_url, row_id, settings).disposition == "accepted"
    assert writes_during_reading == [True]
    assert writes_during_recording == [False]
