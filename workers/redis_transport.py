"""kombu's Redis transport with one repair: a worker outlives losing Redis mid-task.

With kombu and Celery 5.7, when the broker connection drops while a late-ack
task is running, the consumer's clean-up detaches the transport from its
connection and then closes the channel; the channel tries to put the
unacknowledged message back into Redis through the detached transport,
raises ``AttributeError`` (not a connection error), and Celery treats that as
unrecoverable: the worker process exits and stops consuming, so every
message after the outage waits for an operator. (Reproduced with real Redis
by ``tests/integration/test_redis_transport.py``.)

Giving up that restore loses nothing. Redis is unreachable at that moment,
so the restore could not have succeeded; the message stays in Redis's
unacked index, which the transport redelivers after the visibility timeout,
and if Redis lost it, the beat sweeper re-enqueues the row, because the
database, not the broker, is the source of truth. The worker then
reconnects as it does after any other connection loss.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis

logger = logging.getLogger(__name__)


class QoS(redis.QoS):
    def restore_unacked(self, client: Any = None) -> Any:
        if self.channel.connection.client is None:  # the transport was detached
            logger.warning(
                "broker connection gone: %d unacknowledged message(s) left to the "
                "visibility timeout and the sweeper",
                len(self._delivered),
            )
            self._delivered.clear()
            return None
        return super().restore_unacked(client)  # type: ignore[no-untyped-call]

    def ack(self, delivery_tag: Any) -> None:
        if self.channel.connection.client is None:
            # The task finished after the connection was lost: nothing to tell
            # Redis now; redelivery is harmless because ingest claims each row.
            super(redis.QoS, self).ack(delivery_tag)  # type: ignore[no-untyped-call]
            return
        super().ack(delivery_tag)  # type: ignore[no-untyped-call]


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel


#: The ``broker_transport`` setting that selects this transport.
TRANSPORT_PATH = f"{__name__}:Transport"
