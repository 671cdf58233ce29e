"""The reviewers' queue on both databases: order, filters, counts, pages, ages."""

from __future__ import annotations

import datetime as dt

from consultant.db import unit_of_work
from consultant.review.decisions import approve, reject
from consultant.review.queue import PAGE_SIZE, QueueFilter, queue_page
from tests.integration.ledger_rows import RecordingQueue
from tests.integration.review_fixtures import REVIEWER, make_pending_drafts, policy, reviewer_of

TARGET = dt.timedelta(minutes=240)


def test_the_queue_is_oldest_first_with_filters_and_counts(database_url: str) -> None:
    drafts = make_pending_drafts(database_url, 4)
    with unit_of_work(database_url) as session:
        reviewer = reviewer_of(session, drafts[0])
        approve(session, drafts[0].draft_id, reviewer, policy(), RecordingQueue())
        reject(session, drafts[1].draft_id, reviewer, "duplicate")
    with unit_of_work(database_url) as session:
        pending = queue_page(session, QueueFilter(), TARGET)
        assert [row.id for row in pending.rows] == [d.draft_id for d in drafts[2:]]
        assert pending.counts["pending"] == 2 and pending.counts["approved"] == 1
        assert pending.counts["rejected"] == 1
        assert all(row.codes == ["63047", "69990"] for row in pending.rows)
        assert all(row.age_class == "fresh" for row in pending.rows)
        by_code = queue_page(session, QueueFilter(status="all", code="69990"), TARGET)
        assert by_code.total == 4
        assert queue_page(session, QueueFilter(status="all", code="6999"), TARGET).total == 0
        assert queue_page(session, QueueFilter(code="99213"), TARGET).total == 0
        mine = queue_page(session, QueueFilter(status="all", reviewer=REVIEWER), TARGET)
        assert {row.id for row in mine.rows} == {drafts[0].draft_id, drafts[1].draft_id}
        late = queue_page(
            session, QueueFilter(), TARGET, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=5)
        )
        assert {row.age_class for row in late.rows} == {"late"}
        assert queue_page(session, QueueFilter(kind="invitation"), TARGET).total == 0


def test_pages_hold_page_size_drafts_and_a_page_past_the_end_shows_the_last(
    database_url: str,
) -> None:
    made = make_pending_drafts(database_url, PAGE_SIZE + 3)
    with unit_of_work(database_url) as session:
        second = queue_page(session, QueueFilter(page=2), TARGET)
        assert (second.page, second.pages, second.total) == (2, 2, PAGE_SIZE + 3)
        assert [row.id for row in second.rows] == [d.draft_id for d in made[PAGE_SIZE:]]
        assert queue_page(session, QueueFilter(page=99), TARGET).page == 2
