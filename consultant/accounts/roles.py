"""Roles of staff users, without the tables.

Kept apart from :mod:`consultant.accounts.staff` so that the command line can
offer them as choices without importing SQLAlchemy (``consultant --help`` stays fast).
"""

from __future__ import annotations

import enum


class StaffRole(enum.StrEnum):
    """Values of :attr:`StaffUser.role`."""

    REVIEWER = "reviewer"  # reviews drafts: the certified coders
    ADMIN = "admin"  # everything a reviewer does, and the staff list
