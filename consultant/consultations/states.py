"""What a draft is and where it stands in review, without the tables.

Kept apart from :mod:`consultant.consultations.models` so that the command line
can offer them as choices without importing SQLAlchemy.
"""

from __future__ import annotations

import enum


class DraftStatus(enum.StrEnum):
    """Where a draft is in review; only ``pending`` drafts are in the reviewers' queue."""

    PENDING = "pending"
    STALE = "stale"  # a newer message arrived on the thread before review
    APPROVED = "approved"
    REJECTED = "rejected"


class DraftKind(enum.StrEnum):
    """What a draft answers."""

    ANSWER = "answer"  # a reply to a coding question
    TOO_LARGE = "too_large"  # asks the sender to send a smaller message
    INVITATION = "invitation"  # invites an unknown sender to register
    REJECTION_NOTICE = "rejection_notice"  # tells the asker a reviewer declined to answer
    MORE_INFORMATION = "more_information"  # a reviewer's question back to the asker
