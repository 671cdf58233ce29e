"""Attack mail through the real poller and worker: nothing stalls, nothing is lost.

Every crafted message of :mod:`tests.attack_mail` is APPENDed over IMAP to a
real Dovecot, stored by ``consultant poll`` and ingested by a real Celery
worker (Redis broker) on SQLite and on PostgreSQL. Each must end in its
recorded disposition, none parked, and an ordinary question sent after all
of them must still be drafted promptly.
"""

from __future__ import annotations

import json
import time

import pytest

from consultant.config import Settings
from tests.attack_mail import IDNA_ASKER_UNICODE, MARKER, attack_mails
from tests.integration.pipeline_fixtures import ASKER, ledger_statuses
from tests.integration.pipeline_processes import (
    PipelineEnv,
    log_tail,
    start_poller,
    start_worker,
    stop,
    wait_until,
)
from tests.integration.question_mail import question_bytes
from tests.servers import DovecotServer

#: Far above what any of these takes (well under a second each), far below a stall.
DEADLINE = 180.0
#: The ordinary question after the attacks; seconds, generous for a loaded CI machine.
ON_TIME = 60.0


def _final(statuses: dict[str, int]) -> int:
    return statuses.get("done", 0) + statuses.get("parked", 0)


def _inbound(env: PipelineEnv) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(env.consultant("inbound", "list", "--json").stdout)
    return rows


def test_attack_mail_ends_in_its_disposition_and_normal_mail_flows_on(
    pipeline: PipelineEnv, dovecot: DovecotServer
) -> None:
    attacks = attack_mails()
    assert Settings().message_time_budget >= 1  # the worker runs on the default budget
    pipeline.consultant("accounts", "create", IDNA_ASKER_UNICODE, "--name", "Dr Ng")
    worker, poller = start_worker(pipeline), start_poller(pipeline)
    try:
        dovecot.append_many([attack.raw for attack in attacks])
        try:
            wait_until(
                lambda: _final(ledger_statuses(pipeline.database_url)) == len(attacks),
                timeout=DEADLINE,
                interval=0.5,
            )
        except TimeoutError:
            pytest.fail(f"{ledger_statuses(pipeline.database_url)}\n{log_tail(pipeline)}")
        sent_at = time.monotonic()
        dovecot.append(question_bytes(ASKER, "After all that: is 63057 an add-on code?"))

        def drafted() -> bool:
            return any("63057" in draft["codes"] for draft in pipeline.pending_drafts())

        try:
            wait_until(drafted, timeout=ON_TIME, interval=0.3)
        except TimeoutError:
            pytest.fail(log_tail(pipeline))
        assert time.monotonic() - sent_at < ON_TIME
    finally:
        stop(poller)
        stop(worker)
    rows = _inbound(pipeline)
    by_uid = sorted(rows, key=lambda row: int(str(row["id"])))[: len(attacks)]
    found = [
        (attack.name, row["disposition"] or row["status"])
        for attack, row in zip(attacks, by_uid, strict=True)
    ]
    assert found == [(attack.name, attack.disposition) for attack in attacks]
    assert all(row["status"] == "done" for row in rows), rows
    listing = json.dumps(rows)
    assert MARKER not in listing and ASKER not in listing
    assert "too_complex" in listing and "nested more than 60 levels" in listing
