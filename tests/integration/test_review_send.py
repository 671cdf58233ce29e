"""Approve and send on real databases and a real SMTP server: once, threaded, the same bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from consultant.accounts.models import AccountEvent
from consultant.cli import main
from consultant.config import Settings, get_settings
from consultant.consultations.models import Draft
from consultant.db import unit_of_work
from consultant.inbound.ingest import run_ingest
from consultant.mail.message_ids import consultation_id_from_message_ids
from consultant.mail.outbound_transports import FileOutbox, SmtpTransport, TemporarySendError
from consultant.outbound.models import OutboundMessage
from consultant.outbound.sending import retry_failed, send_one
from consultant.outbound.sent_copy import copy_to_sent_folder
from consultant.review.audit import events_of
from consultant.review.decisions import (
    REVIEWED_SENTENCE,
    ReviewRefused,
    approve,
    ask_for_information,
    reject,
    withdraw,
)
from tests.integration.ledger_rows import RecordingQueue, store_inbound
from tests.integration.question_mail import question_bytes
from tests.integration.review_fixtures import (
    ASKER,
    REPLY_FROM,
    REVIEWER,
    SECRET,
    PendingDraft,
    make_pending_draft,
    make_pending_drafts,
    policy,
    reviewer_of,
)
from tests.servers import DovecotServer, SmtpSink


def _approved(
    database_url: str, *, send_delay: float = 0.0, subject: str = "Coding question"
) -> tuple[PendingDraft, int]:
    """A pending draft, approved: the draft and its outbox row's id."""
    pending = make_pending_draft(database_url, subject=subject)
    with unit_of_work(database_url) as session:
        reviewer = reviewer_of(session, pending)
        outbound = approve(
            session, pending.draft_id, reviewer, policy(send_delay), RecordingQueue()
        )
        return pending, outbound.id


def _plain(sink: SmtpSink) -> SmtpTransport:
    # The sink offers no TLS: plain text is asked for explicitly, never fallen back to.
    return SmtpTransport(f"{sink.url}?starttls=no")


def test_an_approved_reply_is_sent_once_threaded_with_the_edited_text(
    database_url: str, smtp_sink: SmtpSink
) -> None:
    pending = make_pending_draft(database_url)
    queue = RecordingQueue()
    with unit_of_work(database_url) as session:
        outbound = approve(
            session,
            pending.draft_id,
            reviewer_of(session, pending),
            policy(),
            queue,
            body_text="Hello Pat,\n\nEdited by the reviewer: use modifier 59 only if <distinct>.\n",
        )
        outbound_id = outbound.id
    assert queue.enqueued == [("send", outbound_id)]
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "sent"
    # A duplicate queue message, or the sweeper, finds it sent: nothing goes twice.
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "gone"
    [sent] = smtp_sink.wait_for(1)
    assert len(smtp_sink.received) == 1
    assert sent["In-Reply-To"] == pending.question_message_id
    assert pending.question_message_id in sent["References"]
    assert sent["Subject"] == "Re: Coding question"
    assert consultation_id_from_message_ids([sent["Message-ID"]], SECRET) is not None
    parsed = message_from_bytes(smtp_sink.received[0][2], policy=default)
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text is not None and "Edited by the reviewer" in text.get_content()
    assert html is not None and "&lt;distinct&gt;" in html.get_content()
    with unit_of_work(database_url) as session:
        row = session.get(OutboundMessage, outbound_id)
        assert row is not None and row.status == "sent" and row.attempts == 1
        assert row.message_id == sent["Message-ID"]
        actions = [e.action for e in events_of(session, pending.draft_id)]
        assert actions == ["approved"]
        [approved] = events_of(session, pending.draft_id)
        assert (
            approved.detail["edited"] is True
            and "+Edited by the reviewer" in approved.detail["diff"]
        )


def test_a_second_approval_and_a_rejection_after_it_are_refused(database_url: str) -> None:
    pending = make_pending_draft(database_url)
    with unit_of_work(database_url) as session:
        approve(
            session, pending.draft_id, reviewer_of(session, pending), policy(), RecordingQueue()
        )
    for decide in (
        lambda s: approve(s, pending.draft_id, reviewer_of(s, pending), policy(), RecordingQueue()),
        lambda s: reject(s, pending.draft_id, reviewer_of(s, pending), "wrong"),
    ):
        with (
            pytest.raises(ReviewRefused, match=f"draft #{pending.draft_id} is already approved"),
            unit_of_work(database_url) as session,
        ):
            decide(session)
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 1


def test_two_approvals_in_two_processes_at_once_make_one_outbound_row(
    database_url: str, tmp_path: Path
) -> None:
    pending = make_pending_draft(database_url)
    env = {
        **os.environ,
        "CONSULTANT_DATABASE_URL": database_url,
        "CONSULTANT_VAR_DIR": str(tmp_path),
        "CONSULTANT_BROKER_URL": "memory://",
        "CONSULTANT_REPLY_FROM": "CaseConsultant <c@consult.example>",
    }
    consultant = str(Path(sys.executable).with_name("consultant"))
    command = [consultant, "review", "approve", str(pending.draft_id), "--reviewer", REVIEWER]
    runs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = []
    for run in runs:
        out, err = run.communicate(timeout=60)
        results.append((run.returncode, out, err))
    codes = sorted(code for code, _out, _err in results)
    assert codes == [0, 1], results
    refused = next(err for code, _out, err in results if code == 1)
    assert refused.strip() == f"error: draft #{pending.draft_id} is already approved"
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 1


def test_smtp_down_is_retried_and_sent_once_when_it_is_back(database_url: str) -> None:
    _pending, outbound_id = _approved(database_url)
    sink = SmtpSink()  # not started yet: its port refuses connections
    outcome = send_one(database_url, outbound_id, _plain(sink))
    assert outcome.status == "retry" and outcome.retry_in
    with unit_of_work(database_url) as session:
        row = session.get(OutboundMessage, outbound_id)
        assert (
            row is not None
            and row.status == "approved"
            and "refused" in (row.last_error or "").lower()
        )
        row.send_after = row.approved_at  # the backoff is over
    sink.start()
    try:
        assert send_one(database_url, outbound_id, _plain(sink)).status == "sent"
        assert len(sink.wait_for(1)) == 1
    finally:
        sink.stop()


def test_a_permanent_refusal_is_failed_with_the_servers_reason_and_can_be_retried(
    database_url: str, smtp_sink: SmtpSink
) -> None:
    _pending, outbound_id = _approved(database_url)
    smtp_sink.answer = "550 5.7.1 Recipient rejected by policy"
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "failed"
    with unit_of_work(database_url) as session:
        row = session.get(OutboundMessage, outbound_id)
        assert row is not None and row.status == "failed"
        assert row.last_error == "550 5.7.1 Recipient rejected by policy"
        first_id, first_bytes = row.message_id, row.raw
        assert retry_failed(session, outbound_id, policy().retry_window)
    smtp_sink.answer = "250 OK"
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "sent"
    [sent] = smtp_sink.wait_for(1)
    assert sent["Message-ID"] == first_id and smtp_sink.received[0][2].replace(b"\r\n", b"\n") == (
        first_bytes.replace(b"\r\n", b"\n")
    )


def test_a_connection_dropped_after_data_resends_the_same_message_id_at_most_once(
    database_url: str, smtp_sink: SmtpSink
) -> None:
    _pending, outbound_id = _approved(database_url)
    smtp_sink.drop_after_data = True
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "retry"
    smtp_sink.drop_after_data = False
    with unit_of_work(database_url) as session:
        row = session.get(OutboundMessage, outbound_id)
        assert row is not None
        row.send_after = row.approved_at
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "sent"
    messages = smtp_sink.wait_for(2)
    assert len(messages) == 2 and len({m["Message-ID"] for m in messages}) == 1


def test_starttls_is_required_and_never_falls_back_to_plain_text(
    database_url: str, smtp_sink: SmtpSink
) -> None:
    with pytest.raises(TemporarySendError, match="does not offer STARTTLS"):
        SmtpTransport(smtp_sink.url).send("c@consult.example", ["a@b.example"], b"x", "<m@x>")
    assert smtp_sink.received == []


def test_the_file_outbox_keeps_one_file_per_reply_however_often_it_is_sent(tmp_path: Path) -> None:
    outbox = FileOutbox(tmp_path / "outbox")
    for _ in range(2):
        outbox.send("c@x.example", ["a@b.example"], b"Subject: hi\r\n\r\nbody\r\n", "<cc.1.a.b@x>")
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["cc.1.a.b_x.eml"]


def test_an_approval_is_undone_before_its_send_starts_and_not_after(
    database_url: str, smtp_sink: SmtpSink
) -> None:
    pending, outbound_id = _approved(database_url, send_delay=60)
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "not_due"
    with unit_of_work(database_url) as session:
        withdraw(session, pending.draft_id, reviewer_of(session, pending))
    with unit_of_work(database_url) as session:
        draft = session.get(Draft, pending.draft_id)
        assert draft is not None and draft.status == "pending"
        assert session.get(OutboundMessage, outbound_id) is None
        again = approve(
            session, pending.draft_id, reviewer_of(session, pending), policy(), RecordingQueue()
        ).id
    assert send_one(database_url, again, _plain(smtp_sink)).status == "sent"
    with (
        pytest.raises(ReviewRefused, match="too late to undo"),
        unit_of_work(database_url) as session,
    ):
        withdraw(session, pending.draft_id, reviewer_of(session, pending))


def test_a_failed_send_is_listed_with_the_servers_reason(
    database_url: str, smtp_sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending, outbound_id = _approved(database_url)
    smtp_sink.answer = "554 5.7.1 Message refused"
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "failed"
    monkeypatch.setenv("CONSULTANT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["review", "list", "--status", "failed"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"#{pending.draft_id}" in result.output
    assert "send failed: 554 5.7.1 Message refused" in result.output


def test_the_sent_reply_says_it_was_reviewed_and_the_preview_never_did(
    database_url: str, smtp_sink: SmtpSink
) -> None:
    pending = make_pending_draft(database_url)
    with unit_of_work(database_url) as session:
        draft = session.get(Draft, pending.draft_id)
        assert draft is not None and REVIEWED_SENTENCE not in draft.body_text
        outbound_id = approve(
            session, pending.draft_id, reviewer_of(session, pending), policy(), RecordingQueue()
        ).id
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "sent"
    parsed = message_from_bytes(smtp_sink.received[0][2], policy=default)
    for part in ("plain", "html"):
        body = parsed.get_body((part,))
        assert body is not None and body.get_content().count(REVIEWED_SENTENCE) == 1


def test_a_rejection_with_a_notice_and_a_question_back_are_drafts_needing_approval(
    database_url: str,
) -> None:
    first, second = make_pending_drafts(database_url, 2)
    with unit_of_work(database_url) as session:
        reviewer = reviewer_of(session, first)
        notice_id = reject(
            session,
            first.draft_id,
            reviewer,
            "Billing advice for Medicaid is out of scope.",
            notify=True,
        )
        asking_id = ask_for_information(
            session, second.draft_id, reviewer, "Which levels were decompressed?"
        )
    with unit_of_work(database_url) as session:
        notice = session.get(Draft, notice_id)
        asking = session.get(Draft, asking_id)
        assert notice is not None and asking is not None
        assert (notice.kind, notice.status) == ("rejection_notice", "pending")
        assert "Billing advice for Medicaid is out of scope." in notice.body_text
        assert notice.body_text.startswith("Hello Pat,")
        assert (asking.kind, asking.status) == ("more_information", "pending")
        assert "Which levels were decompressed?" in asking.body_text
        rejected = [session.get(Draft, d.draft_id) for d in (first, second)]
        assert [d.status for d in rejected if d is not None] == ["rejected", "rejected"]
        # Only an answer gets a notice: rejecting the notice itself with one is refused.
        with pytest.raises(ReviewRefused, match="only an answer gets a notice"):
            reject(session, notice_id, reviewer, "no", notify=True)


def test_a_hostile_subject_adds_no_header_and_no_recipient_on_the_wire(
    database_url: str, smtp_sink: SmtpSink
) -> None:
    hostile = "=?utf-8?q?Hi=0D=0ABcc=3A_victim=40evil=2Eexample?="
    _pending, outbound_id = _approved(database_url, subject=hostile)
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "sent"
    [(_sender, recipients, raw)] = smtp_sink.received
    assert recipients == [ASKER]
    parsed = message_from_bytes(raw, policy=default)
    assert parsed["Bcc"] is None and "victim@evil.example" not in str(parsed["To"])
    assert parsed["Subject"].startswith("Re: Hi")


def test_a_sent_reply_is_copied_to_the_imap_sent_folder_once(
    database_url: str, smtp_sink: SmtpSink, dovecot: DovecotServer, tmp_path: Path
) -> None:
    _pending, outbound_id = _approved(database_url)
    assert send_one(database_url, outbound_id, _plain(smtp_sink)).status == "sent"
    settings = Settings(
        database_url=database_url, imap_url=dovecot.url(), var_dir=tmp_path, sent_folder="Sent"
    )
    assert copy_to_sent_folder(settings, outbound_id) is True
    assert copy_to_sent_folder(settings, outbound_id) is False  # made once
    [copy] = dovecot.messages("Sent")
    with unit_of_work(database_url) as session:
        row = session.get(OutboundMessage, outbound_id)
        assert row is not None and row.copied_to_sent_folder
        assert copy.replace(b"\r\n", b"\n") == row.raw.replace(b"\r\n", b"\n")


def test_a_stale_draft_cannot_be_approved_and_names_the_new_one(database_url: str) -> None:
    pending = make_pending_draft(database_url)
    follow_up = question_bytes(
        ASKER, "Also: 22551 with 22552?", in_reply_to=pending.question_message_id
    )
    settings = Settings(database_url=database_url, secret_key=SECRET, reply_from=REPLY_FROM)
    newer = run_ingest(database_url, store_inbound(database_url, follow_up), settings).draft_id
    assert newer is not None
    with (
        pytest.raises(ReviewRefused, match=f"stale.*review draft #{newer} instead"),
        unit_of_work(database_url) as session,
    ):
        approve(
            session, pending.draft_id, reviewer_of(session, pending), policy(), RecordingQueue()
        )


def test_approval_and_rejection_are_in_the_askers_history(database_url: str) -> None:
    first, second = make_pending_drafts(database_url, 2)
    with unit_of_work(database_url) as session:
        reviewer = reviewer_of(session, first)
        approve(session, first.draft_id, reviewer, policy(), RecordingQueue())
        reject(session, second.draft_id, reviewer, "duplicate question")
    with unit_of_work(database_url) as session:
        tags = session.scalars(select(AccountEvent.tag).order_by(AccountEvent.id)).all()
    assert tags[-2:] == ["account:draft:approved", "account:draft:rejected"]


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_tls_is_used_when_trusted_and_a_failed_handshake_never_falls_back(
    tls: str, tmp_path: Path
) -> None:
    sink = SmtpSink(tls=tls, tls_dir=tmp_path)
    sink.start()
    try:
        raw = b"Subject: hi\r\nMessage-ID: <t@x>\r\n\r\nbody\r\n"
        # The server's certificate is not trusted: the handshake fails, nothing goes in clear.
        with pytest.raises(TemporarySendError, match=r"TLS with 127\.0\.0\.1"):
            SmtpTransport(sink.url).send("c@consult.example", ["a@b.example"], raw, "<t@x>")
        assert sink.received == []
        trusted = SmtpTransport(f"{sink.url}?cafile={sink.certificate}")
        assert trusted.send("c@consult.example", ["a@b.example"], raw, "<t@x>").startswith("250")
        assert len(sink.wait_for(1)) == 1
    finally:
        sink.stop()
