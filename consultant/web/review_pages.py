"""``/review``: the review queue (a placeholder until the queue's pages replace this module)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from consultant.web.auth import ReviewerStaff
from consultant.web.rendering import render_page

router = APIRouter()


@router.get("/review")
def review_queue(request: Request, staff: ReviewerStaff) -> HTMLResponse:
    """The drafts waiting for review."""
    return render_page(request, "review_placeholder.html")
