"""Reading a claimed ledger row: parse, sender, rules and the draft, before any write.

Everything here is CPU work plus reads. Ingest runs it inside the message's
time budget and outside its write transaction, so a slow message can neither
hold SQLite's database-wide write lock nor keep other messages waiting; the
write transaction that follows only checks that what was read still holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from consultant.accounts.services import KnownAccount, SenderAccounts
from consultant.config import Settings
from consultant.consultations.drafting import CodeData, load_code_data
from consultant.consultations.services import AnswerPlan, plan_answer
from consultant.inbound.claims import ClaimedRow, accepted_elsewhere
from consultant.inbound.rules import ACCEPTED, ChainResult, InboundContext, run_inbound_chain
from consultant.mail.parsing import ParsedMessage, parse_message


@dataclass
class BatchState:
    """Read once per batch and reused by each of its rows."""

    accounts: SenderAccounts = field(default_factory=SenderAccounts)
    code_data: CodeData | None = None


@dataclass(frozen=True)
class Reading:
    """What a row is and what to write for it, as read before the write transaction."""

    parsed: ParsedMessage | None
    #: The parsed message, or only its headers for mail over the size cap.
    envelope: ParsedMessage | None
    account: KnownAccount | None
    is_duplicate: bool
    chain: ChainResult
    #: The draft, for accepted mail.
    plan: AnswerPlan | None


def rule_chain(
    parsed: ParsedMessage | None,
    envelope: ParsedMessage | None,
    row: ClaimedRow,
    account: KnownAccount | None,
    is_duplicate: bool,
    settings: Settings,
) -> ChainResult:
    """The inbound rules' verdict on a row."""
    context = InboundContext(
        our_address=settings.reply_address,
        raw_size=row.size,
        max_bytes=settings.max_message_bytes,
        is_duplicate=is_duplicate,
        is_known_sender=account is not None,
        loop_marker=settings.reply_address,
    )
    # For mail over the cap the rules see the headers, so an oversized bounce or
    # newsletter is still told apart from a person's question.
    return run_inbound_chain(parsed or envelope, context)


def read_row(session: Session, row: ClaimedRow, settings: Settings, state: BatchState) -> Reading:
    """Parse the row, find its sender, run the rules and, for accepted mail, draft the reply."""
    connection = session.connection()
    is_duplicate = accepted_elsewhere(connection, row)
    parsed = parse_message(row.raw) if row.raw is not None else None
    # A message over the size cap was never downloaded: only its headers were
    # fetched, enough to know whom to ask for a smaller one.
    envelope = parsed or (parse_message(row.headers) if row.headers else None)
    sender = envelope.from_address if envelope is not None else None
    account = state.accounts.account_of(connection, sender)
    chain = rule_chain(parsed, envelope, row, account, is_duplicate, settings)
    plan = None
    if chain.disposition == ACCEPTED and parsed is not None:
        if state.code_data is None:
            state.code_data = load_code_data(session)
        plan = plan_answer(
            session, parsed, account, settings, state.code_data, arrived=row.fetched_at
        )
    return Reading(parsed, envelope, account, is_duplicate, chain, plan)
