"""Account use cases: create an account, find the account of a sender, append an event.

Services take a session and add/flush; the caller's unit of work commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.accounts.models import Account, AccountAddress, AccountEvent
from consultant.mail.addresses import normalise_address as normalise_address  # re-exported

# Event tags: "account:<object>:<what happened>", one place so they stay consistent.
ACCOUNT_CREATED = "account:account:created"
CONSULTATION_CREATED = "account:consultation:created"
CONSULTATION_FOLLOW_UP = "account:consultation:follow_up"
DRAFT_CREATED = "account:draft:created"

# scrypt cost: n=2**14, r=8 uses 16 MiB and about 50 ms, the level OWASP lists for scrypt.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class AccountExistsError(Exception):
    """The address already belongs to an account."""


def hash_password(password: str) -> str:
    """A salted scrypt hash, with its parameters, for storing."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(digest.hex(), digest_hex)


def create_account(
    session: Session,
    email: str,
    *,
    name: str | None = None,
    plan: str = "standard",
    password: str | None = None,
) -> Account:
    """Add an account whose first address is ``email``; raise AccountExistsError if taken."""
    address = normalise_address(email)
    if "@" not in address:
        raise ValueError("an email address needs an @")
    taken = session.scalar(select(AccountAddress.id).where(AccountAddress.address == address))
    if taken is not None:
        raise AccountExistsError(address)
    account = Account(
        email=address,
        name=name,
        plan=plan,
        password_hash=hash_password(password) if password else None,
    )
    session.add(account)
    session.flush()
    session.add(AccountAddress(account_id=account.id, address=address))
    record_event(session, account.id, ACCOUNT_CREATED)
    session.flush()
    return account


def account_for_address(session: Session, address: str | None) -> Account | None:
    """The account that owns ``address``, or None for an unknown sender."""
    if not address:
        return None
    return session.scalar(
        select(Account)
        .join(AccountAddress, AccountAddress.account_id == Account.id)
        .where(AccountAddress.address == normalise_address(address))
    )


def record_event(
    session: Session,
    account_id: int,
    tag: str,
    *,
    consultation_id: int | None = None,
    **ids: int,
) -> AccountEvent:
    """Append one event to an account's history (ids only, never mail text)."""
    event = AccountEvent(
        account_id=account_id, tag=tag, consultation_id=consultation_id, additional=dict(ids)
    )
    session.add(event)
    return event
