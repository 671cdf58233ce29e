"""The inbound ledger's states and dispositions, without the tables.

Kept apart from :mod:`consultant.inbound.models` so that the command line can
offer them as choices without importing SQLAlchemy (``consultant --help`` stays fast).
"""

from __future__ import annotations

import enum


class InboundStatus(enum.StrEnum):
    """Values of :attr:`InboundMessage.status`."""

    STORED = "stored"  # ledger written, ingest not done yet
    INGESTING = "ingesting"
    DONE = "done"
    PARKED = "parked"


class Disposition(enum.StrEnum):
    """Values of :attr:`InboundMessage.disposition`: what ingest decided a message is.

    The rule chain's dispositions (``consultant.inbound.rules``) and the two for
    mail that became part of a consultation.
    """

    ACCEPTED = "accepted"  # a new consultation
    FOLLOW_UP = "follow_up"  # a message on an existing consultation
    TOO_LARGE = "too_large"
    UNPARSEABLE = "unparseable"
    TOO_COMPLEX = "too_complex"
    DUPLICATE = "duplicate"
    LOOP = "loop"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    BULK = "bulk"
    UNKNOWN_SENDER = "unknown_sender"
    NO_TEXT = "no_text"


#: Mail a person wrote that got no answer and waits for staff with its reason: an unknown
#: sender (policy "hold"), nothing new once quotes are removed, MIME past the walk's limits.
#: ``consultant inbound list --held`` lists them; ``requeue`` takes them back by id.
HELD_DISPOSITIONS = (Disposition.UNKNOWN_SENDER, Disposition.NO_TEXT, Disposition.TOO_COMPLEX)
