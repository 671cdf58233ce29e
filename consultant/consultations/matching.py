"""Find the consultation an inbound message continues (DESIGN section 3, step 2).

In order of trust: our HMAC-signed Message-ID in In-Reply-To/References (only
we can make one); then any other Message-ID already on a consultation (the
asker's own earlier question), from a participant of it; then the signed reply
token in the address it was sent to; then a ``[CC-123]`` subject tag, which
anyone can type and so counts only when the sender already takes part in that
consultation. The subject alone never joins a thread.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from consultant.consultations.models import Consultation, ConsultationMessage
from consultant.mail.message_ids import (
    consultation_id_from_message_ids,
    consultation_id_from_reply_address,
    consultation_id_from_subject,
)
from consultant.mail.parsing import ParsedMessage


def find_consultation(session: Session, parsed: ParsedMessage, secret: str) -> Consultation | None:
    """The consultation ``parsed`` replies to, or None when it starts a new one."""
    message_ids = [
        *(parsed.references or ()),
        *([parsed.in_reply_to] if parsed.in_reply_to else []),
    ]
    consultation_id = consultation_id_from_message_ids(message_ids, secret)
    if consultation_id is not None and (found := session.get(Consultation, consultation_id)):
        return found
    if message_ids and parsed.from_address is not None:
        found = _consultation_holding(session, message_ids)
        if found is not None and is_participant(session, found, parsed.from_address):
            return found
    for address in parsed.to_addresses:
        consultation_id = consultation_id_from_reply_address(address, secret)
        if consultation_id is not None and (found := session.get(Consultation, consultation_id)):
            return found
    consultation_id = consultation_id_from_subject(parsed.subject or "")
    if consultation_id is None or parsed.from_address is None:
        return None
    found = session.get(Consultation, consultation_id)
    if found is not None and is_participant(session, found, parsed.from_address):
        return found
    return None


def is_participant(session: Session, consultation: Consultation, address: str) -> bool:
    """Whether ``address`` asked the question or wrote a message on the consultation."""
    address = address.lower()
    if consultation.asker_address == address:
        return True
    return bool(
        session.scalar(
            select(
                exists().where(
                    ConsultationMessage.consultation_id == consultation.id,
                    ConsultationMessage.sender_address == address,
                )
            )
        )
    )


def _consultation_holding(session: Session, message_ids: list[str]) -> Consultation | None:
    """The consultation that already holds one of ``message_ids`` (the asker's own question,
    say, answered from their Sent folder), newest first."""
    consultation_id = session.scalar(
        select(ConsultationMessage.consultation_id)
        .where(ConsultationMessage.message_id_header.in_(message_ids[-50:]))
        .order_by(ConsultationMessage.id.desc())
        .limit(1)
    )
    return session.get(Consultation, consultation_id) if consultation_id is not None else None
