"""What an approved reply is made of: the send policy, its headers, the reviewed sentence.

The bytes themselves are built by :func:`consultant.mail.compose.compose_reply`;
this module decides what goes in: who it is from, what it answers (the
question's Message-ID and References), and the sentence saying a certified
coder reviewed it, which only a sent reply carries.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.config import Settings, parse_reply_from
from consultant.consultations.models import Consultation, ConsultationMessage, Draft
from consultant.inbound.models import InboundMessage
from consultant.mail.compose import ReplyHeaders, one_line
from consultant.mail.message_ids import make_message_id


@dataclass(frozen=True)
class SendPolicy:
    """What the settings decide about an approved reply (built by the boundary)."""

    from_name: str
    from_address: str
    secret_key: str
    send_delay: dt.timedelta  # the undo window
    retry_window: dt.timedelta  # how long temporary failures are retried
    claim_time: dt.timedelta = dt.timedelta(minutes=15)


def send_policy(settings: Settings) -> SendPolicy:
    """The policy the settings make; SettingsError when CONSULTANT_REPLY_FROM is not one address."""
    name, address = parse_reply_from(settings.reply_from)
    return SendPolicy(
        from_name=name,
        from_address=address,
        secret_key=settings.secret_key,
        send_delay=dt.timedelta(seconds=settings.send_delay),
        retry_window=dt.timedelta(minutes=settings.send_retry_minutes),
        claim_time=dt.timedelta(minutes=settings.review_claim_minutes),
    )


#: The sentence a sent reply carries, and only a sent one (a preview was never reviewed).
REVIEWED_SENTENCE = "A certified coder reviewed this reply before it was sent."
_SIGNATURE = "CaseConsultant"


def reviewed_text(text: str) -> str:
    """The approved text with the reviewed sentence before the signature (once)."""
    if REVIEWED_SENTENCE in text:
        return text
    lines = text.rstrip("\n").split("\n")
    for n, line in enumerate(lines):
        if line.strip() == _SIGNATURE:
            return "\n".join([*lines[:n], REVIEWED_SENTENCE, "", *lines[n:]]) + "\n"
    return "\n".join([*lines, "", REVIEWED_SENTENCE]) + "\n"


def reviewed_html(html: str) -> str:
    """The draft's HTML with the reviewed sentence before the signature (once)."""
    if REVIEWED_SENTENCE in html:
        return html
    sentence = f"<p>{REVIEWED_SENTENCE}</p>\n"
    for marker in (f"<p>{_SIGNATURE}</p>", "</body>"):
        if marker in html:
            return html.replace(marker, sentence + marker, 1)
    return html + sentence


def edit_diff(automatic: str, edited: str) -> str:
    """The reviewer's edit as a unified diff against the automatic draft."""
    lines = difflib.unified_diff(
        automatic.splitlines(), edited.splitlines(), "draft", "approved", lineterm="", n=1
    )
    return "\n".join(lines)[:20000]


def reply_headers(session: Session, draft: Draft, policy: SendPolicy) -> ReplyHeaders:
    question = session.get(InboundMessage, draft.inbound_message_id)
    parsed = BytesHeaderParser(policy=default_policy).parsebytes(
        (question.headers or question.raw or b"") if question is not None else b""
    )
    question_id = _header(parsed, "Message-ID") or one_line(
        session.scalar(
            select(ConsultationMessage.message_id_header).where(
                ConsultationMessage.inbound_message_id == draft.inbound_message_id
            )
        )
        or ""
    )
    references = tuple(_header(parsed, "References").split())
    if question_id:
        references += (question_id,)
    domain = policy.from_address.rsplit("@", 1)[-1]
    if draft.consultation_id is not None:
        message_id = make_message_id(draft.consultation_id, policy.secret_key, domain)
    else:
        message_id = make_msgid(domain=domain)
    consultation = (
        session.get(Consultation, draft.consultation_id) if draft.consultation_id else None
    )
    subject = _header(parsed, "Subject") or (consultation.subject if consultation else "")
    return ReplyHeaders(
        from_name=policy.from_name,
        from_address=policy.from_address,
        to_address=draft.to_address,
        subject=subject or draft.subject,
        message_id=message_id,
        in_reply_to=question_id or None,
        references=references,
        loop_marker=policy.from_address,
    )


def _header(parsed: object, name: str) -> str:
    # A malformed header must not stop an approval: no value is then the answer.
    try:
        value = parsed.get(name)  # type: ignore[attr-defined]
    except Exception:
        return ""
    return one_line(str(value)) if value is not None else ""
