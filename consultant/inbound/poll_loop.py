"""The poller's long run (``consultant poll``): wait for mail, take it, survive failures.

It waits with IDLE (or by watching a Maildir) and makes a full pass every
``safety_poll_seconds`` in case a notification was missed; it reconnects with
exponential backoff when the server or the database goes away; it works only
while it holds the mailbox's lease; and SIGTERM ends it after the current step.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import DBAPIError, OperationalError

from consultant.config import Settings
from consultant.database_checks import describe_database_error
from consultant.db import TaskQueue
from consultant.inbound.lease import MailboxLease
from consultant.inbound.poller import poll_once
from consultant.mail.sources import MailboxError, MailboxSource, MailboxUnavailable

log = logging.getLogger(__name__)


class StopSignal:
    """Set by SIGTERM (or a test) to make :func:`run_forever` finish its step and return."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def stop(self) -> None:
        self.event.set()

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


def run_forever(
    database_url: str,
    source: MailboxSource,
    settings: Settings,
    queue: TaskQueue,
    *,
    stop: StopSignal,
    lease: MailboxLease | None = None,
    safety_poll_seconds: float = 60.0,
    backoff_seconds: tuple[float, float] = (1.0, 60.0),
    wait_slice_seconds: float = 1.0,
    batch_size: int = 100,
) -> None:
    """Poll until ``stop``: IDLE (or Maildir watching) with a full pass every
    ``safety_poll_seconds``; reconnect with exponential backoff; only while holding the lease.
    """
    lease = lease or MailboxLease(database_url, source.identity)
    backoff = _Backoff(*backoff_seconds)
    waiting_logged = False
    try:
        while not stop.stopped:
            try:
                if not lease.acquire():
                    if not waiting_logged:
                        log.info("another poller holds the lease on %s; waiting", source.identity)
                        waiting_logged = True
                    stop.wait(min(lease.ttl / 4, 5.0))
                    continue
                waiting_logged = False
                source.open()
                _poll_while_leased(
                    database_url,
                    source,
                    settings,
                    queue,
                    stop=stop,
                    lease=lease,
                    backoff=backoff,
                    safety_poll_seconds=safety_poll_seconds,
                    wait_slice_seconds=wait_slice_seconds,
                    batch_size=batch_size,
                )
            except MailboxError:
                raise  # a configuration problem: retrying cannot fix it
            except Exception as exc:  # the server or the database went away, or a bug
                delay = backoff.next_delay()
                log.warning(
                    "poller of %s: %s; retrying in %.1f s",
                    source.identity,
                    _describe_failure(exc),
                    delay,
                )
                source.close()
                stop.wait(delay)
            finally:
                source.close()
    finally:
        try:
            lease.release()
        except OperationalError:
            log.warning("could not release the lease on %s; it will expire", source.identity)


class _Backoff:
    """Exponential delays between reconnects, back to the first once a pass succeeds."""

    def __init__(self, first: float, maximum: float) -> None:
        self.first, self.maximum = first, maximum
        self.current = first

    def next_delay(self) -> float:
        delay, self.current = self.current, min(self.current * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self.current = self.first


def _describe_failure(exc: Exception) -> str:
    # Only names: a database error's text can carry the statement's parameters (mail bytes).
    if isinstance(exc, MailboxUnavailable):
        return str(exc)
    if isinstance(exc, DBAPIError):
        # The driver's class and, for a connection failure, the server's one-line reason.
        return f"database unavailable: {describe_database_error(exc)}"
    return f"unexpected {type(exc).__name__}"


def _poll_while_leased(
    database_url: str,
    source: MailboxSource,
    settings: Settings,
    queue: TaskQueue,
    *,
    stop: StopSignal,
    lease: MailboxLease,
    backoff: _Backoff,
    safety_poll_seconds: float,
    wait_slice_seconds: float,
    batch_size: int,
) -> None:
    # The first pass after (re)connecting also takes leftovers below the watermark.
    poll_once(database_url, source, settings, queue, batch_size=batch_size, keep_lease=lease.keep)
    backoff.reset()
    next_full_pass = time.monotonic() + safety_poll_seconds
    while not stop.stopped:
        if not lease.keep():
            log.warning("lost the lease on %s", source.identity)
            return
        # Short waits keep SIGTERM prompt and the lease renewed.
        timeout = min(wait_slice_seconds, max(0.0, next_full_pass - time.monotonic()))
        woke = source.wait_for_new(timeout)
        full_pass = time.monotonic() >= next_full_pass
        if woke or full_pass:
            poll_once(
                database_url,
                source,
                settings,
                queue,
                include_leftovers=full_pass,
                batch_size=batch_size,
                keep_lease=lease.keep,
            )
            if full_pass:
                next_full_pass = time.monotonic() + safety_poll_seconds
