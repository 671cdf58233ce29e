"""Database errors never carry a statement's parameters, which can hold PHI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from consultant.codes.models import DataRelease, Descriptor
from consultant.db import unit_of_work


def test_an_integrity_error_does_not_show_the_values(database_url: str) -> None:
    secret = "Patient Jane Roe, DOB 1961-02-03, asked about 63057"
    with unit_of_work(database_url) as session:
        release = DataRelease(kind="summary", name="r", source_name="f", source_sha256="0" * 64)
        session.add(release)
        session.flush()
        session.add(Descriptor(release_id=release.id, code="63057", source="summary", text=secret))
    with pytest.raises(IntegrityError) as caught, unit_of_work(database_url) as session:
        session.execute(
            sa.insert(Descriptor).values(release_id=1, code="63057", source="summary", text=secret)
        )
    assert secret not in str(caught.value)
