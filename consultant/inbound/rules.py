"""The inbound rule chain: which mail becomes a consultation, and why not.

Modelled on GNU Mailman 3's rules and chains: each rule is a small named class
that answers one question about a message and gives its reason; the chain is
one table of (rule, disposition) links read in order. Every rule is checked
and every hit is recorded (the reviewers see all the reasons); the first hit
in chain order decides the disposition. No rule sends anything: ingest acts on
the disposition.

Reasons name headers and rules, never the sender, the subject or the body, so
that they can be shown and stored without leaking a patient's details.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from consultant.inbound.states import Disposition
from consultant.mail.parsing import (
    MAX_DEPTH,
    MAX_PARTS,
    NO_HEADERS,
    PARSER_FAILED,
    TOO_DEEP,
    TOO_MANY_PARTS,
    ParsedMessage,
)

ACCEPTED = Disposition.ACCEPTED


@dataclass
class InboundContext:
    """What the rules need to know beyond the message itself."""

    our_address: str
    raw_size: int
    max_bytes: int
    is_duplicate: bool
    is_known_sender: bool
    #: The value we put in X-Loop on everything we send.
    loop_marker: str


@dataclass(frozen=True)
class RuleHit:
    """One rule that matched, and why, in words safe to store and show."""

    rule: str
    reason: str


@dataclass
class ChainResult:
    """The disposition of a message and every rule that matched it."""

    disposition: Disposition
    hits: list[RuleHit]


class Rule(Protocol):
    """A named check; ``check`` returns the reason it matched, or None."""

    name: str

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None: ...


class TooLarge:
    """Over the size cap: the body is not read; the asker is asked to send it smaller."""

    name = "too_large"

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None:
        if context.raw_size > context.max_bytes:
            return f"{context.raw_size} bytes, over the {context.max_bytes} byte limit"
        return None


class Unparseable:
    """Neither headers nor text could be read from the bytes."""

    name = "unparseable"

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None:
        if parsed is None:
            # A message over the size cap is never downloaded; that is not a parse failure.
            return None if context.raw_size > context.max_bytes else "no message could be read"
        if not parsed.is_unreadable:
            return None
        if any(defect.startswith(PARSER_FAILED) for defect in parsed.defects):
            return "the parser failed on this message"
        if NO_HEADERS in parsed.defects:
            return "no mail headers found"
        return "the text could not be decoded"


class TooComplex:
    """The MIME walk stopped at a limit: parts past it were never read.

    Answering the part that was read could miss the question, and dropping the
    message would lose it silently; it is held for staff instead.
    """

    name = "too_complex"

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None:
        if parsed is None:
            return None
        if TOO_DEEP in parsed.defects:
            return f"MIME parts nested more than {MAX_DEPTH} levels deep"
        if TOO_MANY_PARTS in parsed.defects:
            return f"more than {MAX_PARTS} MIME parts"
        return None


class Duplicate:
    """The same bytes were already received (a second delivery, a re-scanned mailbox)."""

    name = "duplicate"

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None:
        return "the same bytes were already received" if context.is_duplicate else None


def _header(parsed: ParsedMessage, name: str) -> str:
    return (parsed.header(name) or "").strip().lower()


class Loop:
    """Mail from ourselves: our own From address or our X-Loop marker."""

    name = "loop"

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None:
        if parsed is None:
            return None
        if parsed.from_address and parsed.from_address == context.our_address.strip().lower():
            return "sent from our own address"
        marker = context.loop_marker.strip().lower()
        if marker and any(v.strip().lower() == marker for v in parsed.headers.get_all("X-Loop")):
            return "carries our X-Loop header"
        return None


_DAEMON_SENDERS = re.compile(r"\b(mailer-daemon|mailer_daemon|mail-daemon|postmaster)\b", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|returned mail|mail delivery (failed|failure|system)"
    r"|delivery status notification \((failure|delay)\)|failure notice|delivery failure"
    r"|non-?delivery|delivery has failed|message not delivered)",
    re.IGNORECASE,
)
_QMAIL_TEXT = re.compile(
    r"This is the qmail-send program|I'm afraid I wasn't able to deliver your message"
    r"|could not be delivered to one or more (of its )?recipients",
    re.IGNORECASE,
)


def _is_auto_submitted(parsed: ParsedMessage) -> bool:
    value = _header(parsed, "Auto-Submitted")
    return bool(value) and value != "no"


class Bounce:
    """A delivery failure report: DSN, MAILER-DAEMON, qmail text, an empty return path."""

    name = "bounce"

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None:
        if parsed is None:
            return None
        report_type = _header(parsed, "Content-Type")
        if parsed.is_multipart_report and "disposition-notification" not in report_type:
            return "a delivery status report (multipart/report)"
        if _DAEMON_SENDERS.search(parsed.from_address or _header(parsed, "From")):
            return "sent by a mail server (MAILER-DAEMON or postmaster)"
        if parsed.header("X-Failed-Recipients") is not None:
            return "carries X-Failed-Recipients"
        if _BOUNCE_SUBJECT.match(parsed.subject):
            return "subject of a delivery failure notice"
        if _QMAIL_TEXT.search(parsed.text[:4000]):
            return "text of a delivery failure notice (qmail style)"
        # RFC 3834 asks auto-responders to send with an empty return path too, so
        # an empty one means a bounce only when nothing marks an auto-reply.
        if _header(parsed, "Return-Path") == "<>" and not _is_auto_submitted(parsed):
            return "empty return path (Return-Path: <>)"
        return None


_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply")
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[ -]?(reply|response)|auto:|out of (the )?office"
    r"|ooo\b|away from (the|my) office|on vacation|vacation reply|abwesenheitsnotiz"
    r"|réponse automatique|respuesta automática|risposta automatica|automatisch antwoord)",
    re.IGNORECASE,
)


class AutoReply:
    """An automatic answer: RFC 3834 Auto-Submitted, vendor headers, out-of-office subjects."""

    name = "auto_reply"

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None:
        if parsed is None:
            return None
        if _is_auto_submitted(parsed):
            # Fixed words only: a header's value is the sender's text (see the module note).
            return "carries Auto-Submitted other than 'no' (RFC 3834)"
        for name in _AUTO_REPLY_HEADERS:
            if parsed.header(name) is not None:
                return f"carries {name}"
        if parsed.header("X-Auto-Response-Suppress") is not None:
            return "carries X-Auto-Response-Suppress (Exchange automatic message)"
        if _header(parsed, "X-Autogenerated") == "reply":
            return "X-Autogenerated: Reply"
        if _header(parsed, "Precedence") == "auto_reply":
            return "Precedence: auto_reply"
        if parsed.is_multipart_report:
            return "a read receipt (disposition notification)"
        if _AUTO_REPLY_SUBJECT.match(parsed.subject):
            return "subject of an automatic or out-of-office reply"
        return None


_BULK_PRECEDENCE = {value: f"Precedence: {value}" for value in ("bulk", "list", "junk")}


class Bulk:
    """Mailing-list and bulk mail: List-Id, List-Unsubscribe, Precedence bulk/list/junk."""

    name = "bulk"

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None:
        if parsed is None:
            return None
        for name in ("List-Id", "List-Unsubscribe"):
            if parsed.header(name) is not None:
                return f"mailing list message ({name})"
        precedence = _header(parsed, "Precedence")
        if precedence in _BULK_PRECEDENCE:
            return _BULK_PRECEDENCE[precedence]
        return None


class UnknownSender:
    """No account has the sender's address (or there is no sender address at all)."""

    name = "unknown_sender"

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None:
        # Without a sender address there is nobody to answer, whatever the caller knows.
        if parsed is not None and parsed.from_address is None:
            return "no sender address"
        return None if context.is_known_sender else "the sender has no account"


class NoText:
    """Nothing new to answer once quoted history and signature are removed."""

    name = "no_text"

    def check(self, parsed: ParsedMessage | None, context: InboundContext) -> str | None:
        if parsed is None or parsed.new_text.strip():
            return None
        if parsed.attachments:
            return f"no new text, only {len(parsed.attachments)} attachment(s)"
        return "no new text once quotes and signature are removed"


#: The chain: (rule, disposition) links, checked in this order; the first hit decides.
INBOUND_CHAIN: tuple[tuple[Rule, Disposition], ...] = (
    (TooLarge(), Disposition.TOO_LARGE),
    (Unparseable(), Disposition.UNPARSEABLE),
    (TooComplex(), Disposition.TOO_COMPLEX),
    (Duplicate(), Disposition.DUPLICATE),
    (Loop(), Disposition.LOOP),
    (Bounce(), Disposition.BOUNCE),
    (AutoReply(), Disposition.AUTO_REPLY),
    (Bulk(), Disposition.BULK),
    (UnknownSender(), Disposition.UNKNOWN_SENDER),
    (NoText(), Disposition.NO_TEXT),
)


def run_inbound_chain(parsed: ParsedMessage | None, context: InboundContext) -> ChainResult:
    """Check every rule; the disposition is the first hit's, or "accepted" when none hit.

    ``parsed`` is None when the body was not downloaded (over the size cap).
    """
    hits: list[RuleHit] = []
    disposition = ACCEPTED
    for rule, link_disposition in INBOUND_CHAIN:
        reason = rule.check(parsed, context)
        if reason is None:
            continue
        if not hits:
            disposition = link_disposition
        hits.append(RuleHit(rule.name, reason))
    return ChainResult(disposition, hits)
