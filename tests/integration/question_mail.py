"""Building the raw bytes of test mail, as a mail client would send them."""

from __future__ import annotations

import datetime as dt
import itertools
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

_counter = itertools.count(1)


def question_bytes(
    sender: str = "coder@clinic.example",
    text: str = "Can 63057 be billed with 63056 for the second level?",
    *,
    subject: str = "Coding question",
    to: str = "consultant@localhost",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    """A plain-text question; every call gives different bytes unless message_id and text repeat."""
    message = EmailMessage()
    message["From"] = f"Coder <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC))
    message["Message-ID"] = message_id or make_msgid(f"q{next(_counter)}", "clinic.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (extra_headers or {}).items():
        message[name] = value
    message.set_content(text + "\n\nThanks,\nPat\n")
    return message.as_bytes()
