"""Find the consultation an inbound message continues (DESIGN section 3, step 2).

In order of trust: our HMAC-signed Message-ID in In-Reply-To/References (only
we can make one), then the signed reply token in the address it was sent to,
then a ``[CC-123]`` subject tag, which anyone can type and so counts only when
the sender already takes part in that consultation.
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
