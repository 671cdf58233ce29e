"""Code lookup against facts copied from the shared CMS files, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from consultant.codes.lookup import UnknownReleaseError, look_up_codes, system_of
from consultant.codes.models import (
    AddOnEdit,
    Code,
    DataRelease,
    Descriptor,
    FeeScheduleIndicator,
    MedicallyUnlikelyEdit,
    PtpEdit,
)
from consultant.db import unit_of_work

FACTS_FILE = Path(__file__).resolve().parents[1] / "data" / "drafting" / "facts.json"
TODAY = dt.date(2024, 9, 1)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# Model, release kind and facts.json list of each table whose rows go in as they are.
_TABLES: tuple[tuple[type[Any], str, str], ...] = (
    (AddOnEdit, "addon", "addon"),
    (PtpEdit, "ptp", "ptp"),
    (MedicallyUnlikelyEdit, "mue", "mue"),
    (FeeScheduleIndicator, "pfs", "pfs"),
    (Code, "hcpcs", "hcpcs_codes"),
    (Descriptor, "hcpcs", "hcpcs_descriptors"),
)


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    """A facts.json row as model fields: the ``*_on`` values are dates."""
    return {name: _date(value) if name.endswith("_on") else value for name, value in row.items()}


def insert_test_facts(database_url: str) -> None:
    """Load tests/data/drafting/facts.json (rows copied from the shared CMS files) via the ORM."""
    data: dict[str, Any] = json.loads(FACTS_FILE.read_text())
    with unit_of_work(database_url) as session:
        ids: dict[str, int] = {}
        for r in data["releases"]:
            release = DataRelease(
                kind=r["kind"],
                name=r["name"],
                effective_on=_date(r["effective_on"]),
                source_name=r["name"],
                source_sha256="0" * 64,
            )
            session.add(release)
            session.flush()
            ids[r["kind"]] = release.id
        for model, kind, rows in _TABLES:
            session.add_all(model(release_id=ids[kind], **_fields(r)) for r in data[rows])
        session.add_all(
            Descriptor(release_id=ids["summary"], code=r["code"], source="summary", text=r["text"])
            for r in data["summaries"]
        )


@pytest.fixture
def facts_url(database_url: str) -> str:
    insert_test_facts(database_url)
    return database_url


def test_system_by_shape() -> None:
    assert system_of("63057") == "CPT-I"
    assert system_of("3074F") == "CPT-II"
    assert system_of("0213T") == "CPT-III"
    assert system_of("0001U") == "PLA"
    assert system_of("J1100") == "HCPCS-II"
    assert system_of("1234") is None


def test_type_1_add_on_names_its_primaries(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        result = look_up_codes(session, ["63057"], today=TODAY)
    (facts,) = result.codes
    assert facts.known and facts.system == "CPT-I" and facts.status == "A"
    assert facts.add_on is not None and facts.add_on.active
    assert set(facts.add_on.edit_types) == {1}
    assert [p.code for p in facts.add_on.primaries] == ["63055", "63056"]
    assert not facts.add_on.contractor_decides
    assert facts.add_on.release == "ncci-addon-code-edits-2024q2"
    assert facts.mue is not None and (facts.mue.value, facts.mue.per) == (3, "day")
    assert facts.fee_schedule is not None and facts.fee_schedule.global_days == "ZZZ"
    assert facts.best_descriptor is not None and facts.best_descriptor.source == "summary"


def test_pair_edit_with_indicator_0_in_both_directions(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        forward = look_up_codes(session, ["63047", "69990"], today=TODAY)
        backward = look_up_codes(session, ["69990", "63047"], today=TODAY)
    for result in (forward, backward):
        (edit,) = result.pair_edits
        assert (edit.column_1, edit.column_2, edit.modifier_indicator) == ("63047", "69990", 0)
        assert edit.rationale == "Misuse of Column Two code with Column One code"
        assert edit.release == "ncci-ptp-practitioner-2024-07-01"


def test_deleted_add_on_edits_of_99354(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        (facts,) = look_up_codes(session, ["99354"], today=TODAY).codes
    assert facts.known
    assert facts.status == "D" and facts.deleted_on is not None and facts.deleted_on.year == 2022
    add_on = facts.add_on
    assert add_on is not None and not add_on.active and add_on.primaries == ()
    assert add_on.edits_deleted_year == 2022 and add_on.add_on_deleted_year == 2022
    assert add_on.deleted_edit_count > 10


def test_type_2_and_type_3_add_ons(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        type_2, type_3 = look_up_codes(session, ["15777", "20701"], today=TODAY).codes
    assert type_2.add_on is not None and type_2.add_on.edit_types == (2,)
    assert type_2.add_on.contractor_decides and type_2.add_on.primaries == ()
    assert type_3.add_on is not None and set(type_3.add_on.edit_types) == {3}
    assert type_3.add_on.contractor_decides
    assert "11042" not in {p.code for p in type_3.add_on.primaries}
    assert "11010" in {p.code for p in type_3.add_on.primaries}
    # Before 2023 the same add-on had type 1 edits only (deleted at the end of 2022).
    with unit_of_work(facts_url) as session:
        (earlier,) = look_up_codes(session, ["20701"], today=dt.date(2021, 6, 1)).codes
    assert earlier.add_on is not None and set(earlier.add_on.edit_types) == {1}


def test_active_and_deleted_pair_edits_told_apart(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        result = look_up_codes(session, ["99213", "20610"], today=TODAY)
    assert [(e.column_1, e.column_2, e.modifier_indicator) for e in result.pair_edits] == [
        ("20610", "99213", 1)
    ]
    assert [e.deleted_on for e in result.past_pair_edits] == [dt.date(2019, 12, 31)]


def test_every_pair_of_ten_codes(facts_url: str) -> None:
    codes = ["63047", "69990", "20610", "99213", "11042"]
    codes += ["97597", "27447", "29881", "64483", "64484"]
    with unit_of_work(facts_url) as session:
        result = look_up_codes(session, codes, today=TODAY)
    pairs = {(e.column_1, e.column_2) for e in result.pair_edits}
    assert ("29881", "20610") in pairs and ("27447", "29881") in pairs
    assert ("63047", "69990") in pairs and ("11042", "97597") in pairs
    assert all(e.column_1 in codes and e.column_2 in codes for e in result.pair_edits)


def test_statuses_descriptors_and_unknown_codes(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        result = look_up_codes(session, ["99242", "J1100", "a4466", "12345", "63047"], today=TODAY)
    by_code = {c.code: c for c in result.codes}
    assert by_code["99242"].status == "I"
    j1100 = by_code["J1100"]
    assert j1100.status == "E" and j1100.best_descriptor is not None
    assert j1100.best_descriptor.source == "hcpcs_long"
    assert j1100.best_descriptor.text == "Injection, dexamethasone sodium phosphate, 1 mg"
    assert j1100.mue is not None and j1100.mue.value == 120
    a4466 = by_code["A4466"]
    assert a4466.deleted and a4466.replaced_by == "A4467"
    assert a4466.deleted_on == dt.date(2016, 12, 31)
    assert result.unknown_codes == ["12345"]
    assert not by_code["12345"].known and by_code["12345"].status is None
    names = {r.name for r in result.releases}
    assert names == {
        "HCPC2025_OCT_ANWEB",
        "ncci-ptp-practitioner-2024-07-01",
        "ncci-mue-practitioner-2024-07-01",
        "pfs-indicators-2024-07",
        "test-summaries",
    }
    assert result.as_json()["unknown_codes"] == ["12345"]


def test_two_releases_side_by_side(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        newer = DataRelease(
            kind="mue",
            name="mue-newer",
            effective_on=dt.date(2024, 10, 1),
            source_name="x",
            source_sha256="1" * 64,
        )
        session.add(newer)
        session.flush()
        session.add(
            MedicallyUnlikelyEdit(
                release_id=newer.id, code="63057", value=2, adjudication_indicator=1
            )
        )
    with unit_of_work(facts_url) as session:
        # The release in force on the date of service answers: the newer one only from its date.
        before_newer = look_up_codes(session, ["63057"], today=TODAY).codes[0].mue
        latest = look_up_codes(session, ["63057"], today=dt.date(2024, 10, 15)).codes[0].mue
        named = (
            look_up_codes(
                session, ["63057"], release="ncci-mue-practitioner-2024-07-01", today=TODAY
            )
            .codes[0]
            .mue
        )
        with pytest.raises(UnknownReleaseError):
            look_up_codes(session, ["63057"], release="no-such-release")
    assert latest is not None and (latest.value, latest.per, latest.release) == (
        2,
        "line",
        "mue-newer",
    )
    assert before_newer is not None
    assert before_newer.release == "ncci-mue-practitioner-2024-07-01"
    assert named is not None and (named.value, named.release) == (
        3,
        "ncci-mue-practitioner-2024-07-01",
    )


def test_empty_database_knows_nothing(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        result = look_up_codes(session, ["63057", " 63057 ", ""])
    assert [c.code for c in result.codes] == ["63057"]
    assert result.unknown_codes == ["63057"] and result.releases == ()


def test_edits_in_force_on_the_day_asked(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        before = look_up_codes(session, ["20610", "99213"], today=dt.date(2019, 12, 31))
        after = look_up_codes(session, ["20610", "99213"], today=dt.date(2020, 1, 1))
    # Its deletion date is the last day an edit is in force.
    assert {e.deleted_on for e in before.pair_edits} == {None, dt.date(2019, 12, 31)}
    assert [e.deleted_on for e in after.pair_edits] == [None]
    assert [e.deleted_on for e in after.past_pair_edits] == [dt.date(2019, 12, 31)]
