"""Who sent a message: the account an address belongs to, looked up once per batch.

A known sender is an address in ``account_address``. A batch of ingests
(one Celery task) usually holds many messages from the same few people, so
an account found is remembered for the rest of the batch, which lasts well
under a second. An address not found is asked again each time: an account
created a moment ago must not be missed for a whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from consultant.accounts.models import Account, AccountAddress
from consultant.accounts.services import normalise_address


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
