"""The poller: mailbox -> raw bytes and a ledger row -> ``ingest`` queued -> message moved.

One step per batch, in this order, so that a crash at any point loses and
duplicates nothing: store the raw bytes and a ledger row keyed by (mailbox,
UIDVALIDITY, UID), commit, enqueue ``ingest`` for the batch's ids after the
commit (one message per batch where the queue takes many ids), then move
the messages to the Processed folder. A message stored but not moved (a crash
in between) is seen again on the next pass: its key is in the ledger, so it is
only moved. Logs carry counts, UIDs and row ids: never a subject, an address
or a body.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from consultant.config import Settings
from consultant.db import TaskQueue, enqueue_after_commit, unit_of_work
from consultant.inbound.store import (
    FetchedMessage,
    load_mailbox_state,
    record_inbound,
    save_watermark,
    stored_hashes,
    stored_uids,
)
from consultant.mail.sources import (
    MailboxSource,
    MailboxUnavailable,
    PendingMessage,
)

log = logging.getLogger(__name__)

INGEST_TASK = "ingest"


@dataclass
class PollReport:
    """What one pass did, in counts."""

    stored: int = 0
    too_large: int = 0
    already_stored: int = 0
    same_content: int = 0
    vanished: int = 0
    moved: int = 0


def poll_once(
    database_url: str,
    source: MailboxSource,
    settings: Settings,
    queue: TaskQueue,
    *,
    include_leftovers: bool = True,
    batch_size: int = 100,
    keep_lease: Callable[[], bool] | None = None,
) -> PollReport:
    """Take every pending message from the open ``source`` into the ledger.

    With ``include_leftovers`` the pass also looks at messages at or below the
    watermark still in the mailbox (left by a crash before the move); otherwise
    only UIDs above the watermark. ``keep_lease`` is asked before each batch;
    when it says the lease is lost, the pass stops.
    """
    mailbox = source.identity
    uidvalidity = source.uidvalidity()
    with unit_of_work(database_url) as session:
        state = load_mailbox_state(session, mailbox)
        known_uidvalidity = state.uidvalidity if state else uidvalidity
        watermark = state.last_uid if state else 0
    rescan = known_uidvalidity != uidvalidity
    if rescan:
        log.warning(
            "UIDVALIDITY of %s changed from %d to %d: re-scanning, deduplicating by content",
            mailbox,
            known_uidvalidity,
            uidvalidity,
        )
        watermark = 0
    pending = source.list_pending(0 if include_leftovers or rescan else watermark)
    if source.uidvalidity() != uidvalidity:
        raise MailboxUnavailable("UIDVALIDITY changed during the pass; starting again")
    report = PollReport()
    for start in range(0, len(pending), batch_size):
        if keep_lease is not None and not keep_lease():
            log.warning("lost the lease on %s; stopping this pass", mailbox)
            return report
        batch = pending[start : start + batch_size]
        _take_batch(
            database_url,
            source,
            settings,
            queue,
            batch,
            uidvalidity=uidvalidity,
            # Below the old watermark a message without a ledger row can only be
            # one a re-scan deduplicated before: compare contents there too.
            dedupe_below=max((m.uid for m in pending), default=0) + 1 if rescan else watermark + 1,
            report=report,
            # A re-scan records the new UIDVALIDITY only once all of it is done, so a
            # crash half-way re-scans (and dedupes) again instead of storing twice.
            save_state=not rescan,
        )
    if rescan:
        with unit_of_work(database_url) as session:
            save_watermark(session, mailbox, uidvalidity, max((m.uid for m in pending), default=0))
    if pending:
        log.info(
            "poll of %s: %d stored, %d too large, %d already stored, %d same content, %d moved",
            mailbox,
            report.stored,
            report.too_large,
            report.already_stored,
            report.same_content,
            report.moved,
        )
    return report


def _take_batch(
    database_url: str,
    source: MailboxSource,
    settings: Settings,
    queue: TaskQueue,
    batch: Sequence[PendingMessage],
    *,
    uidvalidity: int,
    dedupe_below: int,
    report: PollReport,
    save_state: bool,
) -> None:
    mailbox = source.identity
    with unit_of_work(database_url) as session:
        already = stored_uids(session, mailbox, uidvalidity, (m.uid for m in batch))
    new = [m for m in batch if m.uid not in already]
    report.already_stored += len(already)
    # The size is checked first: a message over the cap is never downloaded.
    small = [m for m in new if m.size <= settings.max_message_bytes]
    large = [m for m in new if m.size > settings.max_message_bytes]
    bodies = source.fetch([m.uid for m in small])
    headers = source.fetch_headers([m.uid for m in large])
    hashes = {uid: hashlib.sha256(raw).hexdigest() for uid, raw in bodies.items()}
    hashes.update({uid: hashlib.sha256(head).hexdigest() for uid, head in headers.items()})
    handled = set(already)
    with unit_of_work(database_url) as session:
        suspects = [uid for uid in hashes if uid < dedupe_below]
        seen = stored_hashes(session, mailbox, (hashes[uid] for uid in suspects))
        fetched: list[FetchedMessage] = []
        for message in new:
            if message.uid not in hashes:
                report.vanished += 1  # moved away by someone else since the listing
                continue
            handled.add(message.uid)
            if message.uid < dedupe_below and hashes[message.uid] in seen:
                report.same_content += 1
                continue
            fetched.append(
                FetchedMessage(
                    uid=message.uid,
                    sha256=hashes[message.uid],
                    size=message.size,
                    raw=bodies.get(message.uid),
                    headers=headers.get(message.uid),
                )
            )
        new_ids = record_inbound(session, mailbox, uidvalidity, fetched)
        for item in fetched:
            if item.uid not in new_ids:
                report.already_stored += 1  # another poller stored it a moment ago
            elif item.raw is None:
                report.too_large += 1
            else:
                report.stored += 1
        stored = sorted(new_ids.values())
        if stored:
            enqueue_after_commit(session, INGEST_TASK, stored, queue)
        if save_state and batch:
            save_watermark(session, mailbox, uidvalidity, max(m.uid for m in batch))
    # Committed (and ingest queued): only now touch the message on the server.
    moved = sorted(handled)
    source.mark_processed(moved)
    report.moved += len(moved)
