"""``/admin``: what only admins see (for now, the staff users)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from consultant.accounts.staff import staff_users
from consultant.web.auth import AdminStaff
from consultant.web.database import DatabaseSession
from consultant.web.rendering import render_page

router = APIRouter()


@router.get("/admin")
def admin_home(request: Request, db: DatabaseSession, admin: AdminStaff) -> HTMLResponse:
    """The staff users, their roles, and whether they may sign in."""
    return render_page(request, "admin_staff.html", {"users": staff_users(db)})
