"""``/api/me``: who is signed in, as JSON (401 JSON when nobody is)."""

from __future__ import annotations

from fastapi import APIRouter

from consultant.web.auth import CurrentSession

router = APIRouter(prefix="/api")


@router.get("/me")
def who_am_i(found: CurrentSession) -> dict[str, str | int]:
    """The signed-in user, and the CSRF token the API's unsafe calls send as ``X-CSRF-Token``."""
    return {
        "id": found.user.id,
        "email": found.user.email,
        "role": found.user.role,
        "csrf_token": found.csrf_token,
    }
