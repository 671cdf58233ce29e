"""A reviewed reply as the exact bytes to send: headers that thread, nothing injectable.

The subject and every address are reduced to one line after RFC 2047 decoding,
so an encoded CR LF in the asker's subject can never start a header of ours;
``EmailMessage`` with the SMTP policy then folds and encodes what is left.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

_LINE_BREAKS = re.compile(r"[\r\n\0\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|aw|sv|fwd?)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
#: Message-IDs kept in References: the first and the newest ones, as RFC 5322 suggests.
MAX_REFERENCES = 20


@dataclass(frozen=True)
class ReplyHeaders:
    """Who a reply goes to and what it answers."""

    from_name: str  # CONSULTANT_REPLY_FROM's display name, or empty
    from_address: str  # and its address
    to_address: str
    subject: str  # the question's subject, decoded
    message_id: str  # pre-generated, signed: replies to it thread back
    in_reply_to: str | None  # the question's Message-ID
    references: tuple[str, ...]  # the question's References, then its Message-ID
    loop_marker: str  # our X-Loop value


def one_line(value: str) -> str:
    """``value`` with every line break, NUL and other separator turned into a space."""
    return " ".join(_LINE_BREAKS.sub(" ", value).split())


def reply_subject(subject: str) -> str:
    """``Re: `` and the question's subject without its own reply prefixes, on one line."""
    cleaned = _REPLY_PREFIX.sub("", one_line(subject)).strip()
    return f"Re: {cleaned or 'your coding question'}"


def html_from_text(text: str) -> str:
    """The HTML part rebuilt from the (edited) text: escaped, paragraphs kept."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )
    return (
        f'<!DOCTYPE html>\n<html><body style="font-family: sans-serif">\n{body}\n</body></html>\n'
    )


def compose_reply(headers: ReplyHeaders, text: str, html_body: str | None = None) -> bytes:
    """The reply's bytes: text and HTML alternatives, threaded to the question."""
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(
        display_name=one_line(headers.from_name), addr_spec=one_line(headers.from_address)
    )
    message["To"] = one_line(headers.to_address)
    message["Subject"] = reply_subject(headers.subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = one_line(headers.message_id)
    if headers.in_reply_to:
        message["In-Reply-To"] = one_line(headers.in_reply_to)
    references = [one_line(r) for r in headers.references if r.strip()]
    if len(references) > MAX_REFERENCES:
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    if references:
        message["References"] = " ".join(references)
    message["X-Loop"] = one_line(headers.loop_marker)
    message["Auto-Submitted"] = "no"
    message["MIME-Version"] = "1.0"
    message.set_content(text if text.endswith("\n") else text + "\n", cte="quoted-printable")
    message.add_alternative(
        html_body or html_from_text(text), subtype="html", cte="quoted-printable"
    )
    return message.as_bytes(policy=SMTP)
