"""Where an approved reply is on its way out, without the table (light enough for the CLI)."""

from __future__ import annotations

import enum


class OutboundStatus(enum.StrEnum):
    """Values of :attr:`OutboundMessage.status`; only ``approved`` may start a send."""

    APPROVED = "approved"  # written with its bytes; sendable once its undo window has passed
    SENDING = "sending"  # a worker holds it; a crash leaves it here for the sweeper
    SENT = "sent"  # the server accepted it (or the file outbox holds it)
    FAILED = "failed"  # refused for good, or retried past the retry window: an operator decides
