"""A reply naming the asker's own earlier question joins its consultation (participants only)."""

from __future__ import annotations

from consultant.accounts.services import create_account
from consultant.config import Settings
from consultant.consultations.models import Draft
from consultant.db import unit_of_work
from consultant.inbound.ingest import run_ingest
from tests.integration.ledger_rows import store_inbound
from tests.integration.question_mail import question_bytes
from tests.integration.review_fixtures import ASKER, REPLY_FROM, SECRET, make_pending_draft


def _ingest(database_url: str, raw: bytes) -> tuple[str, int | None]:
    settings = Settings(database_url=database_url, secret_key=SECRET, reply_from=REPLY_FROM)
    outcome = run_ingest(database_url, store_inbound(database_url, raw), settings)
    return outcome.disposition, outcome.consultation_id


def test_a_reply_to_the_askers_own_question_joins_its_consultation(database_url: str) -> None:
    first = make_pending_draft(database_url)
    with unit_of_work(database_url) as session:
        draft = session.get(Draft, first.draft_id)
        assert draft is not None
        consultation_id = draft.consultation_id
    # Answered from the asker's Sent folder: References names their own question only.
    raw = question_bytes(ASKER, "Forgot: 63048 x2 too?", in_reply_to=first.question_message_id)
    assert _ingest(database_url, raw) == ("follow_up", consultation_id)


def test_someone_else_naming_that_message_id_starts_their_own(database_url: str) -> None:
    first = make_pending_draft(database_url)
    with unit_of_work(database_url) as session:
        create_account(session, "other@elsewhere.example", name="Other")
    raw = question_bytes(
        "other@elsewhere.example", "What about 20610?", in_reply_to=first.question_message_id
    )
    disposition, consultation_id = _ingest(database_url, raw)
    assert disposition == "accepted"
    with unit_of_work(database_url) as session:
        draft = session.get(Draft, first.draft_id)
        assert draft is not None and draft.consultation_id != consultation_id
