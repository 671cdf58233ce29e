"""Every table of the service, imported in one place for Alembic and for tests."""

from consultant.accounts.models import Account, AccountAddress, AccountEvent
from consultant.accounts.staff import LoginAttempt, StaffUser, WebSession
from consultant.codes.models import (
    AddOnEdit,
    Code,
    DataRelease,
    Descriptor,
    FeeScheduleIndicator,
    MedicallyUnlikelyEdit,
    PtpEdit,
)
from consultant.consultations.models import Consultation, ConsultationMessage, Draft
from consultant.db import Base
from consultant.inbound.models import InboundMessage, MailboxState, PollerLease
from consultant.outbound.models import OutboundMessage
from consultant.review.models import DraftClaim, ReviewEvent

__all__ = [
    "Account",
    "AccountAddress",
    "AccountEvent",
    "AddOnEdit",
    "Base",
    "Code",
    "Consultation",
    "ConsultationMessage",
    "DataRelease",
    "Descriptor",
    "Draft",
    "DraftClaim",
    "FeeScheduleIndicator",
    "InboundMessage",
    "LoginAttempt",
    "MailboxState",
    "MedicallyUnlikelyEdit",
    "OutboundMessage",
    "PollerLease",
    "PtpEdit",
    "ReviewEvent",
    "StaffUser",
    "WebSession",
]
