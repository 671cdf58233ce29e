"""Threading: which consultation a reply belongs to.

Three signals, strongest first (ingest tries them in this order):

1. Our outgoing Message-IDs carry the consultation id and an HMAC, so a reply's
   In-Reply-To or References names its consultation and nobody can forge one.
2. A reply token in the address (plus-addressing, ``questions+t.<token>@domain``)
   for clients that drop the threading headers; also HMAC-signed.
3. A ``[CC-123]`` tag in the subject. It is not signed, so ingest accepts it
   only from an address that already takes part in that consultation.

HMAC keys are separated by purpose, so a Message-ID signature can never be
replayed as a reply token or the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

_MESSAGE_ID = re.compile(r"^<?cc\.(\d{1,18})\.([0-9a-f]{12})\.([0-9a-f]{24})@[^<>@\s]+>?$")
_REPLY_TOKEN = re.compile(r"^t\.(\d{1,18})\.([0-9a-f]{16})$")
_SUBJECT_TAG = re.compile(r"\[CC-(\d{1,18})\]", re.IGNORECASE)
_ANGLE_IDS = re.compile(r"<[^<>\s]+>")


def _signature(secret: str, purpose: str, payload: str, length: int) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{payload}".encode(), hashlib.sha256)
    return digest.hexdigest()[:length]


def make_message_id(consultation_id: int, secret: str, domain: str) -> str:
    """A new Message-ID ``<cc.<id>.<nonce>.<hmac>@domain>`` for a message on a consultation.

    The random nonce makes every outgoing message's id unique; the HMAC covers
    the id and the nonce.
    """
    nonce = secrets.token_hex(6)
    signature = _signature(secret, "message-id", f"{consultation_id}.{nonce}", 24)
    return f"<cc.{consultation_id}.{nonce}.{signature}@{domain}>"


def _consultation_id_from_message_id(message_id: str, secret: str) -> int | None:
    found = _MESSAGE_ID.match(message_id.strip().lower())
    if found is None:
        return None
    consultation_id, nonce, signature = found.groups()
    expected = _signature(secret, "message-id", f"{int(consultation_id)}.{nonce}", 24)
    return int(consultation_id) if hmac.compare_digest(signature, expected) else None


def consultation_id_from_message_ids(message_ids: Iterable[str], secret: str) -> int | None:
    """The consultation named by the first of ``message_ids`` that we signed, or None.

    Each item may be one id (with or without angle brackets) or a whole
    References header value.
    """
    for value in message_ids:
        for message_id in _ANGLE_IDS.findall(value) or [value]:
            consultation_id = _consultation_id_from_message_id(message_id, secret)
            if consultation_id is not None:
                return consultation_id
    return None


def make_reply_token(consultation_id: int, secret: str) -> str:
    """The signed token for a reply address: ``<id>.<hmac>`` (lower case, address-safe)."""
    return f"{consultation_id}.{_signature(secret, 'reply-token', str(consultation_id), 16)}"


def make_reply_address(address: str, consultation_id: int, secret: str) -> str:
    """``address`` with the reply token added: ``questions+t.<token>@domain``."""
    local, _, domain = address.rpartition("@")
    return f"{local}+t.{make_reply_token(consultation_id, secret)}@{domain}"


def consultation_id_from_reply_address(address: str, secret: str) -> int | None:
    """The consultation named by a valid reply token in ``address``, or None."""
    local = address.strip().strip("<>").rpartition("@")[0].lower()
    if "+" not in local:
        return None
    found = _REPLY_TOKEN.match(local.rsplit("+", 1)[1])
    if found is None:
        return None
    consultation_id, signature = found.groups()
    expected = _signature(secret, "reply-token", str(int(consultation_id)), 16)
    return int(consultation_id) if hmac.compare_digest(signature, expected) else None


def subject_tag(consultation_id: int) -> str:
    """The subject tag for a consultation, ``[CC-123]``."""
    return f"[CC-{consultation_id}]"


def consultation_id_from_subject(subject: str) -> int | None:
    """The id in the first ``[CC-123]`` tag of ``subject``, or None (unsigned: check the sender)."""
    found = _SUBJECT_TAG.search(subject)
    return int(found.group(1)) if found else None
