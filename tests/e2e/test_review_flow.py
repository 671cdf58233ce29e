"""Review in the browser, end to end: sign in, queue, claim, edit, approve; the reply
arrives at a real SMTP server threaded to the question, and the asker's answer to it
threads back. Also: two reviewers approving at once send once; hostile mail never runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from consultant.accounts.roles import StaffRole
from consultant.accounts.services import create_account
from consultant.config import Settings
from consultant.consultations.models import Draft
from consultant.db import unit_of_work
from consultant.inbound.ingest import run_ingest
from consultant.outbound.models import OutboundMessage
from consultant.web.cookies import SESSION_COOKIE
from tests.e2e.conftest import WAIT_MS, SignIn
from tests.e2e.live_server import LiveServer, StaffCredentials
from tests.e2e.plain_http import request
from tests.e2e.plain_http import sign_in as sign_in_plainly
from tests.integration.ledger_rows import store_inbound
from tests.integration.pipeline_processes import PipelineEnv, start_worker, stop, wait_until
from tests.integration.question_mail import question_bytes
from tests.integration.review_fixtures import (
    ASKER,
    REPLY_FROM,
    REVIEWER,
    make_pending_drafts,
)
from tests.servers import RedisServer, SmtpSink

SECRET = "e2e-review-secret"
REVIEWER_PASSWORD = "a long password 1"


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _mail_env(redis: RedisServer, sink: SmtpSink) -> dict[str, str]:
    return {
        "CONSULTANT_BROKER_URL": redis.url,
        "CONSULTANT_SMTP_URL": f"{sink.url}?starttls=no",
        "CONSULTANT_REPLY_FROM": REPLY_FROM,
        "CONSULTANT_SECRET_KEY": SECRET,
        "CONSULTANT_SEND_DELAY": "0",
    }


@pytest.fixture(scope="module")
def live_server(
    web_database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    redis: RedisServer,
    sink: SmtpSink,
) -> Iterator[LiveServer]:
    """The web app and a real worker sharing Redis, sending to the SMTP sink."""
    var_dir = tmp_path_factory.mktemp("web-var")
    server = LiveServer(web_database_url, var_dir, extra_env=_mail_env(redis, sink))
    env = PipelineEnv(
        database_url=web_database_url,
        var_dir=var_dir,
        broker_url=redis.url,
        extra=_mail_env(redis, sink),
    )
    server.start()
    worker = start_worker(env, concurrency=1)
    try:
        yield server
    finally:
        stop(worker)
        status = server.stop()
    assert status == 0, f"consultant serve exited {status}:\n{server.log()[-4000:]}"


@pytest.fixture(scope="module")
def drafts(live_server: LiveServer) -> list[int]:
    """Four pending drafts (and the reviewer REVIEWER) in the server's database."""
    return [d.draft_id for d in make_pending_drafts(live_server.database_url, 4)]


def _reviewer() -> StaffCredentials:
    return StaffCredentials(REVIEWER, REVIEWER_PASSWORD, StaffRole.REVIEWER)


def test_claim_edit_approve_sends_once_threaded_and_the_answer_threads_back(
    page: Page, sign_in: SignIn, live_server: LiveServer, sink: SmtpSink, drafts: list[int]
) -> None:
    draft_id = drafts[0]
    sign_in(_reviewer())
    expect(page.get_by_role("link", name=f"#{draft_id}")).to_be_visible()
    page.keyboard.press("Enter")  # the oldest draft is selected first
    page.wait_for_url(f"**/review/{draft_id}")
    expect(page.get_by_role("heading", name="Question")).to_be_visible()
    page.keyboard.press("c")
    expect(page.get_by_role("status")).to_contain_text("You hold this draft now.")
    expect(page.get_by_role("link", name="Next pending draft")).to_have_attribute(
        "href", f"/review/{drafts[1]}"
    )
    reply = page.get_by_label("Reply text")
    reply.fill("Hello Pat,\n\nYes, with modifier 59 when the sites are distinct.\n\nReviewed.")
    before = len(sink.received)
    page.get_by_role("button", name="Approve and send").click()
    page.wait_for_url(f"**/review/{draft_id}?done=approved")
    expect(page.get_by_role("status").first).to_contain_text("Approved")
    [*_, sent] = sink.wait_for(before + 1, timeout=WAIT_MS / 1000 * 3)
    assert "Yes, with modifier 59" in sent.get_payload(0).get_payload(decode=True).decode()
    assert sent["Subject"] == "Re: Coding question"
    assert sent["In-Reply-To"] and sent["In-Reply-To"] in sent["References"]
    # The asker answers our reply: it threads back to the same consultation.
    answer = question_bytes(
        ASKER, "Thanks. And 22551 with 22552?", subject="Re: Coding question",
        in_reply_to=sent["Message-ID"],
    )  # fmt: skip
    settings = Settings(
        database_url=live_server.database_url, secret_key=SECRET, reply_from=REPLY_FROM
    )
    outcome = run_ingest(
        live_server.database_url, store_inbound(live_server.database_url, answer), settings
    )
    with unit_of_work(live_server.database_url) as session:
        first = session.get(Draft, draft_id)
        follow_up = session.get(Draft, outcome.draft_id)
        assert first is not None and follow_up is not None
        assert follow_up.consultation_id == first.consultation_id
    assert outcome.disposition == "follow_up"


def test_two_reviewers_approving_at_once_send_one_reply(
    browser: Browser, live_server: LiveServer, sink: SmtpSink, drafts: list[int]
) -> None:
    draft_id = drafts[1]
    second = live_server.add_staff("second@consult.example", StaffRole.REVIEWER, "second pass 12")
    pages = []
    for who in (_reviewer(), second):
        context = browser.new_context(base_url=live_server.base_url)
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Email address").fill(who.email)
        page.get_by_label("Password").fill(who.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/review")
        page.goto(f"/review/{draft_id}")
        pages.append(page)
    before = len(sink.received)
    for page in pages:
        page.get_by_role("button", name="Approve and send").click()
    outcomes = []
    for page in pages:
        # Wait for the answer page itself (the form's page has neither sentence).
        approved = page.get_by_text("Approved. It is sent")
        refused = page.get_by_text(f"draft #{draft_id} is already approved")
        expect(approved.or_(refused)).to_be_visible()
        outcomes.append("refused" if refused.is_visible() else "approved")
        page.context.close()
    assert sorted(outcomes) == ["approved", "refused"]
    sink.wait_for(before + 1)
    with unit_of_work(live_server.database_url) as session:
        count = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.draft_id == draft_id)
        )
    assert count == 1


def test_a_post_without_the_csrf_token_is_refused(
    live_server: LiveServer, drafts: list[int]
) -> None:
    signed_in = sign_in_plainly(live_server.base_url, REVIEWER, REVIEWER_PASSWORD)
    session = signed_in.cookie(SESSION_COOKIE)
    assert session
    answer = request(
        live_server.base_url,
        "POST",
        f"/review/{drafts[2]}/approve",
        cookies={SESSION_COOKIE: session},
        form={"body_text": "sent by a forged form"},
    )
    assert answer.status == 403
    with unit_of_work(live_server.database_url) as session_db:
        draft = session_db.get(Draft, drafts[2])
        assert draft is not None and draft.status == "pending"


def test_hostile_mail_never_runs_in_the_page_or_its_frame(
    page: Page, sign_in: SignIn, live_server: LiveServer, tmp_path: Path
) -> None:
    payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
    message = EmailMessage()
    message["From"] = f'"{payload}" <{ASKER}>'
    message["To"] = "c@consult.example"
    message["Subject"] = f"Help {payload}"
    message["Message-ID"] = "<xss-1@clinic.example>"
    message.set_content("63047 with 69990? " + payload)
    message.add_alternative(
        f"<p>63047 with 69990?</p>{payload}<a href='javascript:window.__xss=1'>x</a>",
        subtype="html",
    )
    message.add_attachment(
        b"%PDF-1.4", maintype="application", subtype="pdf", filename=f"{payload}.pdf"
    )
    settings = Settings(
        database_url=live_server.database_url, secret_key=SECRET, reply_from=REPLY_FROM
    )
    outcome = run_ingest(
        live_server.database_url,
        store_inbound(live_server.database_url, message.as_bytes()),
        settings,
    )
    assert outcome.draft_id is not None
    sign_in(_reviewer())
    expect(page.get_by_text(f"Help {payload}").first).to_be_visible()  # shown as text
    page.goto(f"/review/{outcome.draft_id}")
    page.get_by_text("As the asker's mail client showed it").click()
    frame = page.frame_locator("iframe.question-frame")
    expect(frame.get_by_text("63047 with 69990?")).to_be_visible()
    expect(page.get_by_role("link", name=f"{payload}.pdf")).to_be_visible()
    assert page.evaluate("window.__xss") is None
    for child in page.frames:
        assert child.evaluate("() => window.__xss === undefined") is True


def test_the_api_lists_and_decides_with_the_pages_permissions(
    live_server: LiveServer, drafts: list[int]
) -> None:
    draft_id = drafts[3]
    assert request(live_server.base_url, "GET", "/api/review").status == 401
    session = sign_in_plainly(live_server.base_url, REVIEWER, REVIEWER_PASSWORD).cookie(
        SESSION_COOKIE
    )
    assert session
    jar = {SESSION_COOKIE: session}
    listed = json.loads(request(live_server.base_url, "GET", "/api/review", cookies=jar).body)
    assert draft_id in [row["id"] for row in listed["drafts"]]
    token = json.loads(request(live_server.base_url, "GET", "/api/me", cookies=jar).body)[
        "csrf_token"
    ]
    path = f"/api/review/{draft_id}/approve"
    headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
    first = request(live_server.base_url, "POST", path, cookies=jar, headers=headers, body="{}")
    assert first.status == 200, first.body
    assert json.loads(first.body)["message_id"].startswith("<cc.")
    again = request(live_server.base_url, "POST", path, cookies=jar, headers=headers, body="{}")
    assert again.status == 409
    assert json.loads(again.body) == {"error": f"draft #{draft_id} is already approved"}


def test_held_mail_is_listed_with_its_reason_and_can_be_ingested_again(
    page: Page, sign_in: SignIn, live_server: LiveServer, drafts: list[int]
) -> None:
    stranger = "new.coder@clinic.example"
    raw = question_bytes(stranger, "Is 20610 payable with 99213 the same day?")
    settings = Settings(
        database_url=live_server.database_url, secret_key=SECRET, reply_from=REPLY_FROM
    )
    held = run_ingest(
        live_server.database_url, store_inbound(live_server.database_url, raw), settings
    )
    assert held.disposition == "unknown_sender" and held.draft_id is None
    sign_in(_reviewer())
    page.get_by_role("link", name="held mail").click()
    page.wait_for_url("**/review/held")
    row = page.get_by_role("row", name=f"#{held.inbound_id}")
    expect(row).to_contain_text("unknown sender")
    with unit_of_work(live_server.database_url) as session:
        create_account(session, stranger, name="New coder")
    row.get_by_role("button", name="Ingest again").click()
    expect(page.get_by_role("status")).to_contain_text(f"#{held.inbound_id} is queued")

    def drafted() -> bool:
        with unit_of_work(live_server.database_url) as session:
            found = session.scalar(
                select(func.count())
                .select_from(Draft)
                .where(Draft.inbound_message_id == held.inbound_id)
            )
        return bool(found)

    wait_until(drafted, timeout=30)
    page.reload()
    expect(page.get_by_role("row", name=f"#{held.inbound_id}")).to_have_count(0)
