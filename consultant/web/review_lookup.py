"""What the review pages and the review API both look up: the draft (404) and the reviewer."""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy.orm import Session

from consultant.accounts.staff import StaffUser
from consultant.consultations.models import Draft


def draft_or_404(db: Session, draft_id: int) -> Draft:
    """The draft, or 404 (as for any page that does not exist)."""
    draft = db.get(Draft, draft_id)
    if draft is None:
        raise HTTPException(404, "There is no such draft.")
    return draft


def staff_user(db: Session, staff_id: int) -> StaffUser:
    """The signed-in reviewer's row, for the decisions that record who made them."""
    user = db.get(StaffUser, staff_id)
    if user is None:
        raise HTTPException(403, "Your staff account no longer exists.")
    return user
