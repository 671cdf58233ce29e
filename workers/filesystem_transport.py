"""kombu's filesystem transport, made asynchronous: a killed pool child no longer wedges the worker.

Celery picks the worker's loop from ``transport.implements.asynchronous``.
kombu's filesystem transport says no, so a worker on the embedded broker ran
the blocking ``synloop`` with billiard's threaded ``Pool``, whose children
share one task pipe behind one lock, held by the child that waits for the next
task while it reads. A child killed by SIGKILL (the OOM killer) while holding
it left every other child waiting on that lock for ever, the messages they
had prefetched with them, and SIGTERM too: billiard's shutdown takes the same
lock. (Reproduced by ``tests/integration/test_worker_child_killed.py``: no
progress at all after the kill; on Redis the same kill costs nothing.)

Declared asynchronous, the transport gets what Redis gets: ``asynloop`` and
Celery's ``AsynPool``, with a pipe of its own per child, a dead child noticed
at once and replaced, its task failed with ``WorkerLostError`` and, with
``task_reject_on_worker_lost``, its message put back in the folder.

A folder has no socket for the event loop to watch, so the worker polls it
from a hub timer every ``polling_interval``, taking without blocking the
messages that prefetch allows, a bounded number per tick so that the loop
never stalls. Producers (the poller, the CLI) run no event loop: for them
this is kombu's transport unchanged, and the folder layout is the same.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import filesystem

#: Most messages taken from the folder per tick of the event loop (prefetch usually stops it first).
MAX_PER_TICK = 10


class Transport(filesystem.Transport):
    implements = filesystem.Transport.implements.extend(asynchronous=True)

    _poll_timer: Any = None

    def register_with_event_loop(self, connection: Any, loop: Any) -> None:
        if self._poll_timer is not None:  # registered again after a reconnect
            self._poll_timer.cancel()
        interval = self.polling_interval or 1.0  # kombu's default when the option is unset
        self._poll_timer = loop.call_repeatedly(interval, self._drain_folder, (connection,))

    def _drain_folder(self, connection: Any) -> None:
        for _ in range(MAX_PER_TICK):
            try:
                self.drain_events(connection, timeout=0)  # type: ignore[no-untyped-call]
            except TimeoutError:  # socket.timeout: nothing more to take now
                return


#: The ``broker_transport`` setting that selects this transport.
TRANSPORT_PATH = f"{__name__}:Transport"
