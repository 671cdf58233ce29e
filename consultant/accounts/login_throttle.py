"""Failed sign-ins, counted per address and per client within a window: too many, and the
sign-in is refused before the password is even checked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from consultant.accounts.staff import LoginAttempt
from consultant.clock import utc_now

_MAX_ADDRESS = 320
_MAX_CLIENT = 64


@dataclass(frozen=True)
class LoginLimits:
    """At most ``per_address`` failures for one address and ``per_client`` from one client
    within ``window``."""

    per_address: int
    per_client: int
    window: dt.timedelta


def _address_key(address: str) -> str:
    return address.strip().lower()[:_MAX_ADDRESS]


def login_refused(session: Session, address: str, client: str, limits: LoginLimits) -> bool:
    """Whether this address or this client has failed too often lately."""
    since = utc_now() - limits.window
    by_address = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.address == _address_key(address), LoginAttempt.attempted_at > since)
    )
    if (by_address or 0) >= limits.per_address:
        return True
    by_client = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.client == client[:_MAX_CLIENT], LoginAttempt.attempted_at > since)
    )
    return (by_client or 0) >= limits.per_client


def record_failed_login(session: Session, address: str, client: str, limits: LoginLimits) -> None:
    """Count one failure, and forget this address's and client's failures older than the window."""
    now = utc_now()
    address, client = _address_key(address), client[:_MAX_CLIENT]
    session.execute(
        delete(LoginAttempt).where(
            or_(LoginAttempt.address == address, LoginAttempt.client == client),
            LoginAttempt.attempted_at <= now - limits.window,
        )
    )
    session.add(LoginAttempt(address=address, client=client, attempted_at=now))
    session.flush()


def forget_failed_logins(session: Session, address: str) -> None:
    """After a successful sign-in: that address's failures no longer count (the client's do)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.address == _address_key(address)))
