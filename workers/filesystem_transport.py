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

Two repairs to kombu's channel keep every message whole. kombu creates a
message file under its final name and only then writes it, so a consumer
polling at that moment takes an empty or half-written file, fails to decode it
and the message is gone; here it is written under a name no consumer takes
and renamed into place (``os.replace``, atomic on one filesystem). And a
taken file is moved into the broker's own folder, not the system temp folder,
where a move across filesystems is a copy that two workers can both win.

A folder has no socket for the event loop to watch, so the worker polls it
from a hub timer every ``polling_interval``, taking without blocking the
messages that prefetch allows, a bounded number per tick so that the loop
never stalls. Producers (the poller, the CLI) run no event loop: for them
this is kombu's transport unchanged, and the folder layout is the same.
"""

from __future__ import annotations

import os
import uuid
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps, loads

#: Most messages taken from the folder per tick of the event loop (prefetch usually stops it first).
MAX_PER_TICK = 10


#: The suffix of a message file still being written; consumers skip it.
_WRITING = ".writing"


class Channel(filesystem.Channel):
    # kombu's two base classes disagree on this signature; ours is the filesystem one.
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Write the message under a temporary name, then rename it into the queue."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = final + _WRITING
        try:
            with open(temporary, "wb") as file:
                file.write(dumps(payload).encode("utf-8"))  # type: ignore[no-untyped-call]
            os.replace(temporary, final)
        except OSError as exc:
            raise ChannelError(f"cannot add a message file to {self.data_folder_out!r}") from exc

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        """Take the oldest message of ``queue``: rename it out of the folder, read it, delete it."""
        wanted = f"{queue}.msg"
        taken_folder = self.processed_folder
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue  # another queue's message, or one still being written
            taken = os.path.join(taken_folder, name)
            try:
                # Atomic within one filesystem: of two workers, exactly one wins the file.
                os.replace(os.path.join(self.data_folder_in, name), taken)
            except OSError:
                continue  # another worker took it first
            try:
                with open(taken, "rb") as file:
                    payload = file.read()
                if not self.store_processed:
                    os.remove(taken)
            except OSError as exc:
                raise ChannelError(f"cannot read a message file in {taken_folder!r}") from exc
            return loads(payload.decode("utf-8"))  # type: ignore[no-untyped-call]
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel
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
