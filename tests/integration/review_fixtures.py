"""A pending draft and a reviewer, made the way the service makes them, for review tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from consultant.accounts.roles import StaffRole
from consultant.accounts.services import create_account
from consultant.accounts.staff import StaffUser, create_staff_user
from consultant.config import Settings
from consultant.db import unit_of_work
from consultant.inbound.ingest import run_ingest
from consultant.review.decisions import SendPolicy
from tests.integration.ledger_rows import store_inbound
from tests.integration.question_mail import question_bytes
from tests.integration.test_lookup import insert_test_facts

ASKER = "coder@clinic.example"
QUESTION = "Spine case: 63047 with 69990-59 for the microscope. Will it pay?"
REVIEWER = "reviewer@consult.example"
SECRET = "review-test-secret"
REPLY_FROM = "CaseConsultant <c@consult.example>"


@dataclass(frozen=True)
class PendingDraft:
    draft_id: int
    question_message_id: str
    reviewer_id: int


def make_pending_draft(database_url: str, *, subject: str = "Coding question") -> PendingDraft:
    """Code facts, an account, a reviewer, and one question ingested into a pending draft."""
    return make_pending_drafts(database_url, 1, subject=subject)[0]


def make_pending_drafts(
    database_url: str, count: int, *, subject: str = "Coding question"
) -> list[PendingDraft]:
    """Code facts, an account, a reviewer, and ``count`` questions ingested into pending drafts."""
    insert_test_facts(database_url)
    with unit_of_work(database_url) as session:
        create_account(session, ASKER, name="Pat")
        reviewer = create_staff_user(session, REVIEWER, StaffRole.REVIEWER, "a long password 1")
        session.flush()
        reviewer_id = reviewer.id
    settings = Settings(database_url=database_url, secret_key=SECRET, reply_from=REPLY_FROM)
    made = []
    for n in range(count):
        message_id = f"<q-{n}-{dt.datetime.now().timestamp()}@clinic.example>"
        raw = question_bytes(ASKER, QUESTION, subject=subject, message_id=message_id)
        outcome = run_ingest(database_url, store_inbound(database_url, raw), settings)
        assert outcome.draft_id is not None
        made.append(PendingDraft(outcome.draft_id, message_id, reviewer_id))
    return made


def policy(send_delay: float = 0.0) -> SendPolicy:
    return SendPolicy(
        from_name="CaseConsultant",
        from_address="c@consult.example",
        secret_key=SECRET,
        send_delay=dt.timedelta(seconds=send_delay),
        retry_window=dt.timedelta(minutes=10),
    )


def reviewer_of(session: object, pending: PendingDraft) -> StaffUser:
    user = session.get(StaffUser, pending.reviewer_id)  # type: ignore[attr-defined]
    assert user is not None
    return user
