"""Every table of the service, imported in one place for Alembic and for tests."""

from consultant.codes.models import (
    AddOnEdit,
    Code,
    DataRelease,
    Descriptor,
    FeeScheduleIndicator,
    MedicallyUnlikelyEdit,
    PtpEdit,
)
from consultant.db import Base

__all__ = [
    "AddOnEdit",
    "Base",
    "Code",
    "DataRelease",
    "Descriptor",
    "FeeScheduleIndicator",
    "MedicallyUnlikelyEdit",
    "PtpEdit",
]
