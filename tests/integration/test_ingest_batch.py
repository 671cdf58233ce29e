"""Ingest of several rows in one run (one Celery task): each row on its own, one connection."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from consultant.accounts.models import AccountEvent
from consultant.accounts.services import create_account
from consultant.config import Settings
from consultant.consultations import services as consultation_services
from consultant.consultations.drafting import DraftReply, draft_reply
from consultant.consultations.models import Consultation, ConsultationMessage, Draft
from consultant.db import unit_of_work
from consultant.inbound.ingest import run_ingest_batch
from consultant.inbound.models import InboundMessage
from tests.integration.ledger_rows import store_inbound
from tests.integration.question_mail import question_bytes

ASKER = "coder@clinic.example"

# Drafting the question that says "poison" kills the process, as a message
# that blows up the interpreter would; the others are drafted normally.
_DYING_BATCH = """
import os, signal, sys
from consultant.config import Settings
from consultant.consultations import services as consultation_services
from consultant.inbound.ingest import run_ingest_batch

real_draft_reply = consultation_services.draft_reply

def draft_or_die(session, text, **kwargs):
    if "poison" in text:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_draft_reply(session, text, **kwargs)

consultation_services.draft_reply = draft_or_die
url, ids = sys.argv[1], [int(i) for i in sys.argv[2:]]
run_ingest_batch(url, ids, Settings(database_url=url, secret_key="s", reply_from="c@localhost"))
"""


def _settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key="s", reply_from="c@localhost")


def _rows(database_url: str, ids: list[int]) -> list[tuple[str, int, str | None]]:
    with unit_of_work(database_url) as session:
        rows = [session.get_one(InboundMessage, row_id) for row_id in ids]
        return [(row.status, row.attempts, row.disposition) for row in rows]


@pytest.fixture
def asker(database_url: str) -> str:
    with unit_of_work(database_url) as session:
        create_account(session, ASKER, name="Pat")
    return ASKER


def test_a_batch_ingests_each_row_with_its_own_draft(database_url: str, asker: str) -> None:
    ids = [
        store_inbound(database_url, question_bytes(asker, f"Question {n}: 63057 with 63056?"))
        for n in range(5)
    ]
    stranger = store_inbound(database_url, question_bytes("someone@else.example"))
    done = run_ingest_batch(database_url, [*ids, stranger, ids[0]], _settings(database_url))
    assert done.failures == []
    assert [o.disposition for o in done.outcomes] == [*["accepted"] * 5, "unknown_sender"]
    assert _rows(database_url, ids) == [("done", 1, "accepted")] * 5
    with unit_of_work(database_url) as session:
        drafts = list(session.scalars(select(Draft).order_by(Draft.inbound_message_id)))
        assert [d.inbound_message_id for d in drafts] == ids
        assert all({"63056", "63057"} <= {c["code"] for c in d.facts["codes"]} for d in drafts)
        assert all(d.body_text.startswith("Hello Pat") for d in drafts), drafts[0].body_text[:40]
        # The account's history names the ledger row and the draft (one statement on PostgreSQL).
        events = session.execute(
            select(AccountEvent.tag, AccountEvent.additional).where(
                AccountEvent.consultation_id == drafts[0].consultation_id
            )
        ).all()
        assert sorted((tag, additional) for tag, additional in events) == [
            ("account:consultation:created", {"inbound_id": ids[0]}),
            ("account:draft:created", {"draft_id": drafts[0].id}),
        ]
        consultation = session.get_one(Consultation, drafts[0].consultation_id)
        assert (consultation.asker_address, consultation.status) == (ASKER, "open")
    # Run again (a redelivered task): nothing to do, nothing counted.
    again = run_ingest_batch(database_url, ids, _settings(database_url))
    assert [o.disposition for o in again.outcomes] == [None] * 5
    assert _rows(database_url, ids) == [("done", 1, "accepted")] * 5


def test_one_failing_row_never_blocks_the_others(
    database_url: str, asker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [
        store_inbound(database_url, question_bytes(asker, f"Question {n} on 63057"))
        for n in range(3)
    ]
    bad = store_inbound(database_url, question_bytes(asker, "broken question on 63057"))

    def broken_for_one(session: object, text: str, **kwargs: object) -> DraftReply:
        if "broken" in text:
            raise RuntimeError("drafting failed")
        return draft_reply(session, text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(consultation_services, "draft_reply", broken_for_one)
    done = run_ingest_batch(database_url, [ids[0], bad, *ids[1:]], _settings(database_url))
    assert [(f.inbound_id, f.parked, f.reason) for f in done.failures] == [
        (bad, False, "RuntimeError")
    ]
    assert [o.inbound_id for o in done.outcomes] == ids
    assert _rows(database_url, ids) == [("done", 1, "accepted")] * 3
    assert _rows(database_url, [bad]) == [("stored", 1, None)]
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(ConsultationMessage)) == 3


def test_a_worker_death_counts_only_against_the_row_it_was_working_on(
    database_url: str, asker: str
) -> None:
    first = store_inbound(database_url, question_bytes(asker, "Question on 63057"))
    poison = store_inbound(database_url, question_bytes(asker, "poison question on 63057"))
    last = store_inbound(database_url, question_bytes(asker, "Another question on 63056"))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
    child = subprocess.run(
        [sys.executable, "-c", _DYING_BATCH, database_url, str(first), str(poison), str(last)],
        env=environ,
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    # The first was committed; the poison was claimed (its death counted); the
    # last was never started, so no attempt is charged to it.
    assert _rows(database_url, [first, poison, last]) == [
        ("done", 1, "accepted"),
        ("ingesting", 1, None),
        ("stored", 0, None),
    ]
    done = run_ingest_batch(database_url, [poison, last], _settings(database_url))
    assert done.failures == []
    assert _rows(database_url, [poison, last]) == [("done", 2, "accepted"), ("done", 1, "accepted")]
