"""Ingest on real databases: dispositions, consultations, threading, drafts, idempotency."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consultant.accounts.models import AccountEvent
from consultant.accounts.services import create_account
from consultant.config import Settings, get_settings
from consultant.consultations import services as consultation_services
from consultant.consultations.models import Consultation, ConsultationMessage, Draft
from consultant.db import unit_of_work
from consultant.inbound.ingest import IngestFailedError, run_ingest
from consultant.inbound.models import InboundMessage
from consultant.mail.message_ids import make_message_id
from tests.integration.ledger_rows import store_inbound
from tests.integration.question_mail import question_bytes

ASKER = "coder@clinic.example"


def _settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": "ingest-test-secret",
        "reply_from": "consultant@localhost",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    with unit_of_work(database_url) as session:
        create_account(session, ASKER, name="Pat")
    return _settings(database_url)


def _row(database_url: str, row_id: int) -> InboundMessage:
    with unit_of_work(database_url) as session:
        return session.get_one(InboundMessage, row_id)


def _drafts(database_url: str) -> list[Draft]:
    with unit_of_work(database_url) as session:
        return list(session.scalars(select(Draft).order_by(Draft.id)))


def _codes(draft: Draft) -> set[str]:
    named = {entry["code"] for entry in draft.facts.get("codes", [])}
    return named | set(draft.facts.get("unknown_codes", []))


def test_a_question_becomes_a_consultation_with_a_pending_draft(
    database_url: str, settings: Settings
) -> None:
    row_id = store_inbound(database_url, question_bytes(ASKER))
    outcome = run_ingest(database_url, row_id, settings)
    assert outcome.disposition == "accepted" and outcome.draft_id and outcome.consultation_id

    row = _row(database_url, row_id)
    assert (row.status, row.disposition, row.attempts) == ("done", "accepted", 1)
    [draft] = _drafts(database_url)
    assert (draft.status, draft.kind, draft.to_address) == ("pending", "answer", ASKER)
    assert draft.consultation_id == outcome.consultation_id
    assert {"63056", "63057"} <= _codes(draft)
    assert draft.body_text and draft.subject.startswith("Re: ")
    with unit_of_work(database_url) as session:
        message = session.scalars(select(ConsultationMessage)).one()
        assert "63057" in message.new_text
        tags = set(session.scalars(select(AccountEvent.tag)))
        assert {"account:consultation:created", "account:draft:created"} <= tags

    # Ingest is idempotent: a redelivered task does nothing.
    assert run_ingest(database_url, row_id, settings).disposition is None
    assert len(_drafts(database_url)) == 1


def test_same_bytes_twice_is_one_consultation(database_url: str, settings: Settings) -> None:
    raw = question_bytes(ASKER)
    first = run_ingest(database_url, store_inbound(database_url, raw), settings)
    second = run_ingest(database_url, store_inbound(database_url, raw), settings)
    assert (first.disposition, second.disposition) == ("accepted", "duplicate")
    assert len(_drafts(database_url)) == 1


def test_a_reused_message_id_with_other_content_is_two_consultations(
    database_url: str, settings: Settings
) -> None:
    reused = "<same-id@clinic.example>"
    one = question_bytes(ASKER, "Is 99354 still valid?", message_id=reused)
    two = question_bytes(ASKER, "What is the MUE of 63057?", message_id=reused)
    outcomes = [
        run_ingest(database_url, store_inbound(database_url, raw), settings) for raw in (one, two)
    ]
    assert [o.disposition for o in outcomes] == ["accepted", "accepted"]
    assert outcomes[0].consultation_id != outcomes[1].consultation_id


def test_a_reply_to_our_message_id_is_a_follow_up_and_stales_the_draft(
    database_url: str, settings: Settings
) -> None:
    first = run_ingest(database_url, store_inbound(database_url, question_bytes(ASKER)), settings)
    assert first.consultation_id is not None
    ours = make_message_id(first.consultation_id, settings.secret_key, "localhost")
    follow = question_bytes(
        ASKER, "Also, what about 69990 with 63047?", subject="Re: Coding question", in_reply_to=ours
    )
    second = run_ingest(database_url, store_inbound(database_url, follow), settings)
    assert second.disposition == "follow_up"
    assert second.consultation_id == first.consultation_id
    old, new = _drafts(database_url)
    assert (old.status, new.status) == ("stale", "pending")
    assert {"69990", "63047"} <= _codes(new)

    # A forged Message-ID (right shape, wrong signature) threads nothing.
    forged = make_message_id(first.consultation_id, "another-secret", "localhost")
    third = run_ingest(
        database_url,
        store_inbound(database_url, question_bytes(ASKER, "And 63056?", in_reply_to=forged)),
        settings,
    )
    assert third.disposition == "accepted" and third.consultation_id != first.consultation_id


def test_a_subject_tag_threads_only_for_a_participant(
    database_url: str, settings: Settings
) -> None:
    stranger = "other@clinic.example"
    with unit_of_work(database_url) as session:
        create_account(session, stranger)
    first = run_ingest(database_url, store_inbound(database_url, question_bytes(ASKER)), settings)
    tag = f"Re: [CC-{first.consultation_id}] Coding question"
    by_asker = run_ingest(
        database_url,
        store_inbound(database_url, question_bytes(ASKER, "And 63056 alone?", subject=tag)),
        settings,
    )
    by_stranger = run_ingest(
        database_url,
        store_inbound(database_url, question_bytes(stranger, "And 63055?", subject=tag)),
        settings,
    )
    assert (by_asker.disposition, by_asker.consultation_id) == ("follow_up", first.consultation_id)
    assert by_stranger.disposition == "accepted"
    assert by_stranger.consultation_id != first.consultation_id


@pytest.mark.parametrize(
    ("headers", "sender", "disposition"),
    [
        ({"Auto-Submitted": "auto-replied"}, ASKER, "auto_reply"),
        ({"Precedence": "bulk", "List-Unsubscribe": "<mailto:u@list.example>"}, ASKER, "bulk"),
        ({"X-Loop": "consultant@localhost"}, ASKER, "loop"),
        ({}, "consultant@localhost", "loop"),
        ({}, "MAILER-DAEMON@mx.example", "bounce"),
        ({}, "stranger@unknown.example", "unknown_sender"),
    ],
)
def test_rule_dispositions_draft_nothing(
    database_url: str, settings: Settings, headers: dict[str, str], sender: str, disposition: str
) -> None:
    row_id = store_inbound(database_url, question_bytes(sender, extra_headers=headers))
    assert run_ingest(database_url, row_id, settings).disposition == disposition
    row = _row(database_url, row_id)
    assert row.status == "done" and row.rule_hits
    assert _drafts(database_url) == []
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Consultation)) == 0


def test_unknown_senders_are_invited_at_most_once_a_week(database_url: str) -> None:
    settings = _settings(database_url, unknown_sender_policy="invite")
    stranger = "stranger@unknown.example"
    outcomes = [
        run_ingest(database_url, store_inbound(database_url, question_bytes(stranger)), settings)
        for _ in range(2)
    ]
    assert [o.disposition for o in outcomes] == ["unknown_sender", "unknown_sender"]
    [invitation] = _drafts(database_url)
    assert (invitation.kind, invitation.to_address, invitation.status) == (
        "invitation",
        stranger,
        "pending",
    )
    assert stranger in invitation.body_text and invitation.consultation_id is None


def test_too_large_mail_gets_a_send_it_smaller_draft(database_url: str, settings: Settings) -> None:
    headers = question_bytes(ASKER).split(b"\n\n", 1)[0] + b"\n\n"
    row_id = store_inbound(database_url, None, size=settings.max_message_bytes + 1, headers=headers)
    assert run_ingest(database_url, row_id, settings).disposition == "too_large"
    [draft] = _drafts(database_url)
    assert (draft.kind, draft.to_address, draft.template) == ("too_large", ASKER, "too-large")
    assert "5 MB" in draft.body_text


def test_a_question_with_no_text_gets_no_draft(database_url: str, settings: Settings) -> None:
    row_id = store_inbound(database_url, question_bytes(ASKER, " ").replace(b"Thanks,\nPat\n", b""))
    assert run_ingest(database_url, row_id, settings).disposition == "no_text"
    assert _drafts(database_url) == []


def test_an_account_holders_reply_with_no_new_text_is_held_where_staff_see_it(
    database_url: str, settings: Settings, tmp_path: Path
) -> None:
    only_quoted = (
        "On Tue, Nov 24, 2026 at 9:14 AM CaseConsultant <consultant@localhost> wrote:\n"
        "> Report 99213 and G2211 once per visit.\n\n-- \nPat\n"
    )
    row_id = store_inbound(database_url, question_bytes(ASKER, only_quoted))
    assert run_ingest(database_url, row_id, settings).disposition == "no_text"
    assert _drafts(database_url) == []

    environ = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
    environ.update(CONSULTANT_DATABASE_URL=database_url, CONSULTANT_VAR_DIR=str(tmp_path / "var"))
    consultant = str(Path(sys.executable).parent / "consultant")
    reason = "no new text once quotes and signature are removed"
    for chosen in (["--disposition", "no_text"], ["--held"]):
        listed = subprocess.run(
            [consultant, "inbound", "list", *chosen],
            env=environ,
            capture_output=True,
            text=True,
            check=True,
        )
        _, row = listed.stdout.splitlines()
        assert row.startswith(f"#{row_id}") and "no_text" in row and f'reason="{reason}"' in row
        assert "99213" not in row  # reasons never quote the mail
    as_json = subprocess.run(
        [consultant, "inbound", "list", "--held", "--json"],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    [held] = json.loads(as_json.stdout)
    assert held["rule_hits"] == [{"rule": "no_text", "reason": reason}]
    # Once the reading is fixed, an operator can take it back by id.
    requeued = subprocess.run(
        [consultant, "requeue", str(row_id)], env=environ, capture_output=True, text=True
    )
    assert requeued.returncode == 0, requeued.stderr
    assert _row(database_url, row_id).status == "stored"


def test_three_failures_park_the_row_and_requeue_brings_it_back(
    database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    row_id = store_inbound(database_url, question_bytes(ASKER))

    def drafting_is_broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the drafting step failed")

    # Fault injection: the drafting step raises, as a bug in it would.
    monkeypatch.setattr(consultation_services, "draft_reply", drafting_is_broken)
    for attempt in (1, 2, 3):
        with pytest.raises(IngestFailedError) as failed:
            run_ingest(database_url, row_id, settings)
        assert failed.value.parked == (attempt == 3)
    row = _row(database_url, row_id)
    assert (row.status, row.attempts, row.disposition) == ("parked", 3, None)
    assert row.last_error and row.last_error.startswith("RuntimeError")
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Consultation)) == 0  # rolled back
    assert run_ingest(database_url, row_id, settings).disposition is None  # parked: left alone
    monkeypatch.undo()

    # The operator's command puts it back; the embedded broker under a temp var dir takes it.
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
    environ.update(CONSULTANT_DATABASE_URL=database_url, CONSULTANT_VAR_DIR=str(tmp_path / "var"))
    consultant = str(Path(sys.executable).parent / "consultant")
    listed = subprocess.run(
        [consultant, "inbound", "list", "--status", "parked", "--json"],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    [parked] = json.loads(listed.stdout)
    assert (parked["id"], parked["attempts"]) == (row_id, 3)
    assert parked["last_error"].startswith("RuntimeError")
    done = subprocess.run(
        [consultant, "requeue", "--all-parked"],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"Re-queued 1 inbound message(s): {row_id}" in done.stdout
    assert len(list((tmp_path / "var" / "broker" / "queue").iterdir())) == 1
    assert _row(database_url, row_id).status == "stored"
    assert run_ingest(database_url, row_id, settings).disposition == "accepted"


def test_the_ingest_task_retries_then_parks(
    database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers.tasks import ingest

    row_id = store_inbound(database_url, question_bytes(ASKER))
    monkeypatch.setenv("CONSULTANT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    calls: list[str] = []

    def drafting_is_broken(*_args: object, **_kwargs: object) -> None:
        calls.append("draft")
        raise RuntimeError("the drafting step failed")

    monkeypatch.setattr(consultation_services, "draft_reply", drafting_is_broken)
    try:
        # apply() runs the task here; each retry runs again at once (no countdown when eager).
        assert ingest.apply(args=[row_id]).get() == "parked"
    finally:
        get_settings.cache_clear()
    assert len(calls) == 3
    assert _row(database_url, row_id).status == "parked"


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        (ASKER, {"Auto-Submitted": "auto-replied"}),  # an oversized automatic reply
        ("MAILER-DAEMON@mx.example", {}),  # an oversized bounce
        ("stranger@unknown.example", {}),  # an unknown sender, held
    ],
)
def test_too_large_mail_no_person_should_be_answered_for_gets_no_draft(
    database_url: str, settings: Settings, sender: str, headers: dict[str, str]
) -> None:
    raw_headers = question_bytes(sender, extra_headers=headers).split(b"\n\n", 1)[0] + b"\n\n"
    row_id = store_inbound(
        database_url, None, size=settings.max_message_bytes + 1, headers=raw_headers
    )
    assert run_ingest(database_url, row_id, settings).disposition == "too_large"
    assert _drafts(database_url) == []
    assert len(_row(database_url, row_id).rule_hits) >= 2  # too_large and the other rule


def test_the_draft_uses_the_date_of_service_the_question_names_else_the_day_it_arrived(
    database_url: str, settings: Settings
) -> None:
    arrived = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
    named = store_inbound(
        database_url,
        question_bytes(ASKER, "Can 63057 be billed with 63056? Seen yesterday."),
        fetched_at=arrived,
    )
    unnamed = store_inbound(database_url, question_bytes(ASKER), fetched_at=arrived)
    run_ingest(database_url, named, settings)
    run_ingest(database_url, unnamed, settings)
    first, second = _drafts(database_url)
    # "yesterday" is read against the question's Date header (2026-11-24).
    assert (first.facts["service_date"], first.facts["service_date_source"]) == (
        "2026-11-23",
        "question",
    )
    assert (second.facts["service_date"], second.facts["service_date_source"]) == (
        "2026-11-25",
        "arrival",
    )
    assert "Date of service used: 2026-11-23, as your question gives it." in first.body_text
    # No code data is loaded here: each code is unknown, and the findings say so.
    assert [f["codes"] for f in first.facts["findings"]] == [["63057"], ["63056"]]
