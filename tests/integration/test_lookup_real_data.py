"""Lookups and drafts on the shared CMS files as the importers load them (SQLite and PostgreSQL).

The add-on, MUE, PFS and HCPCS files import whole; the 2.5-million-row PTP file
is cut to the rows between the codes these tests name, written in its own
shared form and imported the same way.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from consultant.codes.importers import import_file
from consultant.codes.lookup import look_up_codes
from consultant.consultations.drafting import draft_reply
from consultant.db import unit_of_work

PTP_NAME = "ncci-ptp-practitioner-2024-07-01"
CODES = {"63047", "63048", "63055", "63056", "63057", "69990", "99354", "20610", "29881", "99213"}


@pytest.fixture(scope="module")
def ptp_excerpt(cms_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ptp") / f"{PTP_NAME}.csv"
    with (
        gzip.open(cms_dir / f"{PTP_NAME}.csv.gz", "rt", newline="") as source,
        path.open("w", newline="") as target,
    ):
        reader = csv.reader(source)
        writer = csv.writer(target)
        writer.writerow(next(reader))
        writer.writerows(row for row in reader if row[0] in CODES and row[1] in CODES)
    return path


@pytest.fixture
def real_url(database_url: str, cms_dir: Path, ptp_excerpt: Path) -> str:
    for name in (
        "ncci-addon-code-edits-2024q2.csv",
        "ncci-mue-practitioner-2024-07-01.csv",
        "pfs-indicators-2024-07.csv",
        "HCPC2025_OCT_ANWEB.xlsx",
    ):
        import_file(database_url, cms_dir / name)
    import_file(database_url, ptp_excerpt)
    return database_url


def test_lookups_match_the_shared_files(real_url: str) -> None:
    with unit_of_work(real_url) as session:
        result = look_up_codes(session, ["63057", "63047", "69990", "99354", "J1100"])
    by_code = {c.code: c for c in result.codes}
    add_on = by_code["63057"].add_on
    assert add_on is not None and set(add_on.edit_types) == {1}
    assert [p.code for p in add_on.primaries] == ["63055", "63056"]
    edits = {(e.column_1, e.column_2): e.modifier_indicator for e in result.pair_edits}
    assert edits[("63047", "69990")] == 0
    old = by_code["99354"]
    assert old.add_on is not None and not old.add_on.active
    assert old.add_on.edits_deleted_year == 2022 and old.deleted_on is not None
    assert old.deleted_on.year == 2022
    j1100 = by_code["J1100"]
    assert j1100.best_descriptor is not None
    assert j1100.best_descriptor.text == "Injection, dexamethasone sodium phosphate, 1 mg"
    assert by_code["69990"].fee_schedule is not None
    assert by_code["69990"].fee_schedule.global_days == "ZZZ"
    assert {r.kind for r in result.releases} == {"addon", "ptp", "mue", "pfs", "hcpcs"}


def test_draft_on_the_shared_files(real_url: str) -> None:
    with unit_of_work(real_url) as session:
        reply = draft_reply(session, "Knee: 29881 with 20610-59, and 63057 x 4?", subject="Q")
    facts = reply.facts
    pairs = {(e["column_1"], e["column_2"]): e for e in facts["pair_edits"]}
    assert pairs[("29881", "20610")]["modifier_indicator"] == 1
    assert pairs[("29881", "20610")]["finding"] == "bypass_modifier_written"
    add_on = next(c for c in facts["codes"] if c["code"] == "63057")
    assert add_on["add_on"]["primary_in_question"] is False
    assert add_on["units_over_mue"] is True  # MUE 3 per day
    assert PTP_NAME in facts["releases"]
    assert "it is paid only with one of them (63055, 63056)" in reply.text
