"""Attack mail: crafted messages that once stalled, poisoned or fooled the mail path.

Each builder returns raw bytes a hostile or unlucky sender could deliver, with
the disposition ingest must record for it. The pipeline test sends them all
through the real poller and worker; ``bench/attacks.py`` times each one.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from email.utils import make_msgid

ASKER = "coder@clinic.example"
#: The same mailbox, its domain in Unicode; its account is created in that form.
IDNA_ASKER_UNICODE = "dr.ng@klinik-müller.example"
IDNA_ASKER_ACE = "dr.ng@xn--klinik-mller-klb.example"
#: Sender text no operator listing may show (the auto-reply rule once copied it).
MARKER = "jane-doe-1970-private"


@dataclass(frozen=True)
class AttackMail:
    """One crafted message and what ingest must make of it."""

    name: str
    raw: bytes
    disposition: str


def _mail(
    body: bytes,
    *,
    headers: str = "",
    sender: str = ASKER,
    content_type: str = "",
    subject: str = "Coding question",
) -> bytes:
    head = (
        f"From: Coder <{sender}>\r\nTo: consultant@localhost\r\nSubject: {subject}\r\n"
        f"Message-ID: {make_msgid('attack', 'clinic.example')}\r\nMIME-Version: 1.0\r\n"
        + (content_type or "Content-Type: text/plain; charset=utf-8\r\n")
        + headers
    )
    return head.encode("utf-8") + b"\r\n" + body


def _text(text: str) -> bytes:
    return _mail(text.encode("utf-8"))


def nested_mime(levels: int) -> bytes:
    """A question inside ``levels`` nested multipart/mixed parts."""
    inner = b"Content-Type: text/plain\r\n\r\nCan 99213 be billed with 99214?\r\n"
    for level in range(levels):
        boundary = f"level{level}".encode()
        inner = (
            b'Content-Type: multipart/mixed; boundary="'
            + boundary
            + b'"\r\n\r\n--'
            + boundary
            + b"\r\n"
            + inner
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    head, _, body = inner.partition(b"\r\n\r\n")
    return _mail(body, content_type=head.decode() + "\r\n")


def _many_parts(count: int) -> bytes:
    parts = "".join(f"--x\r\nContent-Type: text/plain\r\n\r\npart {n}\r\n" for n in range(count))
    return _mail(
        (parts + "--x--\r\n").encode(),
        content_type='Content-Type: multipart/mixed; boundary="x"\r\n',
    )


def _charset(charset: str, body: bytes) -> bytes:
    return _mail(body, content_type=f"Content-Type: text/plain; charset={charset}\r\n")


def attack_mails(size: int = 20_000) -> list[AttackMail]:
    """Every attack, the run-length ones ``size`` characters long."""
    junk = random.Random(7).randbytes(size)
    nested_parens = "(" * (size // 2) + "99213" + ")" * (size // 2)
    return [
        AttackMail("numbered address line", _text("Hi\n1 " + "A" * 400 + " 99213\n"), "accepted"),
        AttackMail(
            "numbered address, long",
            _text("Hi\n1 " + "A" * size + " 99213\n"),
            "accepted",
        ),
        AttackMail(
            "city line after a street",
            _text("940 Birch Lane\n" + "A" * 800 + "1 99213\n"),
            "accepted",
        ),
        AttackMail("capitals", _text("Is 99213 ok? " + "AB " * (size // 3)), "accepted"),
        AttackMail("digits", _text("Is 99213 ok? " + "1" * size), "accepted"),
        AttackMail("code-shaped numbers", _text("99213 " * (size // 6)), "accepted"),
        AttackMail("hyphens", _text("Is 99213 ok? " + "-" * size + " 99214"), "accepted"),
        AttackMail(
            "quote markers",
            _text("Is 99213 ok?\n" + ">" * size + " 99214\n" + "> q\n" * (size // 4)),
            "accepted",
        ),
        AttackMail("angle at", _text("Is 99213 ok? " + "<@" * (size // 2)), "accepted"),
        AttackMail("nested parentheses", _text("Is 99213 ok? " + nested_parens), "accepted"),
        AttackMail(
            "unicode_escape body",
            _charset("unicode_escape", b"Is 99213 ok? \\ud800 \\udfff\r\n"),
            "accepted",
        ),
        AttackMail(
            "raw_unicode_escape subject",
            _mail(
                b"Is 99213 ok?\r\n",
                subject="=?raw_unicode_escape?q?=5Cud800?= =?unicode_escape?b?XHVkYzAw?=",
            ),
            "accepted",
        ),
        AttackMail(
            "utf-7 lone surrogates",
            _charset("utf-7", b"Is 99213 ok? +2AA- +3ABhAA-\r\n"),
            "accepted",
        ),
        AttackMail(
            "HTML nested thousands deep",
            _mail(
                ("<div>" * (size // 5) + "Is 99213 billable?").encode(),
                content_type="Content-Type: text/html; charset=utf-8\r\n",
            ),
            "accepted",
        ),
        AttackMail("MIME 500 levels deep", nested_mime(500), "too_complex"),
        AttackMail("MIME 700 parts", _many_parts(700), "too_complex"),
        AttackMail(
            "auto-reply carrying sender text",
            _mail(b"Away\r\n", headers=f"Auto-Submitted: auto-replied; {MARKER}\r\n"),
            "auto_reply",
        ),
        AttackMail("random bytes", junk, "unparseable"),
        AttackMail(
            "base64 junk body",
            _mail(
                base64.encodebytes(junk),
                content_type="Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n",
            ),
            "accepted",
        ),
        AttackMail(
            "a header a megabyte long",
            _mail(b"Is 99213 ok?\r\n", headers="X-Junk: " + "a" * (1 << 20) + "\r\n"),
            "accepted",
        ),
        AttackMail(
            "IDNA sender in ASCII form",
            _mail(b"Is 99213 ok?\r\n", sender=IDNA_ASKER_ACE),
            "accepted",
        ),
    ]
