"""Who is signed in: dependencies for routes.

* :data:`SignedInOrNone`: the session and user, or None (never refuses);
* :data:`CurrentStaff`: the signed-in user; a page redirects to ``/?next=...``, ``/api``
  answers 401 JSON;
* :func:`require_role` / :data:`AdminStaff`: the user must have the role. A reviewer on an
  admin page gets **403** (not 404): which pages exist is no secret, and a plain "your role
  cannot open this page" tells a reviewer to ask an admin instead of suspecting a broken link.

An admin may do whatever a reviewer may.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from consultant.accounts.roles import StaffRole
from consultant.accounts.web_sessions import SessionLimits, SignedIn, StaffIdentity, signed_in
from consultant.config import Settings
from consultant.web.cookies import SESSION_COOKIE
from consultant.web.database import AppSettings, DatabaseSession

#: Roles that may open what a role may: an admin is a reviewer too.
_INCLUDED_ROLES = {
    StaffRole.REVIEWER: {StaffRole.REVIEWER, StaffRole.ADMIN},
    StaffRole.ADMIN: {StaffRole.ADMIN},
}


class NotSignedIn(Exception):
    """The route needs a signed-in user and the request has none (see consultant.web.errors)."""


def session_limits(settings: Settings) -> SessionLimits:
    return SessionLimits(
        lifetime=dt.timedelta(hours=settings.web_session_hours),
        idle=dt.timedelta(minutes=settings.web_session_idle_minutes),
    )


def optional_signed_in(
    request: Request, db: DatabaseSession, settings: AppSettings
) -> SignedIn | None:
    """The session of the request's cookie, if it is valid; kept on ``request.state`` for pages."""
    found = signed_in(db, request.cookies.get(SESSION_COOKIE), session_limits(settings))
    request.state.signed_in = found
    return found


SignedInOrNone = Annotated[SignedIn | None, Depends(optional_signed_in)]


def current_signed_in(found: SignedInOrNone) -> SignedIn:
    """The signed-in session; raises :class:`NotSignedIn` when there is none."""
    if found is None:
        raise NotSignedIn()
    return found


CurrentSession = Annotated[SignedIn, Depends(current_signed_in)]


def current_staff(found: CurrentSession) -> StaffIdentity:
    """The signed-in staff user (any role)."""
    return found.user


CurrentStaff = Annotated[StaffIdentity, Depends(current_staff)]


def has_role(user: StaffIdentity, role: StaffRole) -> bool:
    """Whether ``user`` may do what ``role`` may."""
    return user.role in _INCLUDED_ROLES[role]


def require_role(role: StaffRole) -> Callable[[StaffIdentity], StaffIdentity]:
    """A dependency: the signed-in user, who must have ``role`` (else 403)."""

    def staff_with_role(user: CurrentStaff) -> StaffIdentity:
        if not has_role(user, role):
            raise HTTPException(403, "Your role cannot open this page; ask an admin.")
        return user

    staff_with_role.__name__ = f"staff_with_role_{role.value}"
    return staff_with_role


AdminStaff = Annotated[StaffIdentity, Depends(require_role(StaffRole.ADMIN))]
ReviewerStaff = Annotated[StaffIdentity, Depends(require_role(StaffRole.REVIEWER))]
