"""Account use cases: create an account, find the account a sender's address belongs to.

Services take a session and add/flush; the caller's unit of work commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from consultant.accounts.events import ACCOUNT_CREATED, append_events
from consultant.accounts.models import Account, AccountAddress
from consultant.mail.addresses import normalise_address as normalise_address  # re-exported

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


def record_event(
    session: Session,
    account_id: int,
    tag: str,
    *,
    consultation_id: int | None = None,
    **ids: int,
) -> None:
    """Append one event to an account's history (ids only, never mail text)."""
    session.flush()  # the account row must exist before its event
    append_events(session.connection(), account_id, [(tag, ids)], consultation_id=consultation_id)


# --- who sent a message -----------------------------------------------------------------
# The one sender lookup. A batch of ingests (one Celery task) usually holds many
# messages from the same few people, so an account found is remembered for the
# rest of the batch, which lasts well under a second. An address not found is
# asked again each time: an account created a moment ago must not be missed.


@dataclass(frozen=True)
class KnownAccount:
    """The account of a known sender: its id, and the name a reply greets."""

    id: int
    name: str | None


_ACCOUNT_OF = (
    select(Account.__table__.c.id, Account.__table__.c.name)
    .join(AccountAddress.__table__, AccountAddress.__table__.c.account_id == Account.__table__.c.id)
    .where(AccountAddress.__table__.c.address == bindparam("address"))
)


def account_of(connection: Connection, address: str | None) -> KnownAccount | None:
    """The account that owns ``address``, or None for an unknown sender."""
    if not address:
        return None
    found = connection.execute(_ACCOUNT_OF, {"address": normalise_address(address)}).one_or_none()
    return None if found is None else KnownAccount(int(found.id), found.name)


@dataclass
class SenderAccounts:
    """Accounts found during one batch, by normalised address."""

    found: dict[str, KnownAccount] = field(default_factory=dict)

    def account_of(self, connection: Connection, address: str | None) -> KnownAccount | None:
        """The account of ``address``: remembered if found before in this batch."""
        if not address:
            return None
        key = normalise_address(address)
        known = self.found.get(key)
        if known is None:
            known = account_of(connection, key)
            if known is not None:
                self.found[key] = known
        return known
