"""``consultant extract`` as a process, with and without code knowledge in a real database."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from consultant.codes.known import known_code_set
from consultant.codes.models import (
    AddOnEdit,
    Code,
    DataRelease,
    FeeScheduleIndicator,
    MedicallyUnlikelyEdit,
    PtpEdit,
)
from consultant.db import unit_of_work

CONSULTANT = Path(sys.executable).with_name("consultant")


def run_extract(
    stdin: bytes, env_overrides: dict[str, str], *args: str
) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
    env.update(env_overrides)
    return subprocess.run(
        [str(CONSULTANT), "extract", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def jsonl(*rows: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def add_release(url: str, name: str, codes: list[str]) -> None:
    """A release holding ``codes`` spread over the tables known_code_set reads."""
    with unit_of_work(url) as session:
        release = DataRelease(
            kind="mue", name=name, effective_on=dt.date(2024, 7, 1), source_name=name,
            source_sha256="0" * 64,
        )  # fmt: skip
        session.add(release)
        session.flush()
        first, *rest = codes
        session.add(Code(release_id=release.id, code=first, system="HCPCS-II"))
        session.add(AddOnEdit(release_id=release.id, add_on_code=first, edit_type=2))
        for code in rest:
            session.add(MedicallyUnlikelyEdit(
                release_id=release.id, code=code, value=1, adjudication_indicator=2
            ))  # fmt: skip
            session.add(FeeScheduleIndicator(release_id=release.id, code=code, status="A"))
        session.add(PtpEdit(
            release_id=release.id, column_1=rest[0], column_2="36591", modifier_indicator=1
        ))  # fmt: skip


def test_known_code_set_reads_every_table_and_notices_a_new_release(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        assert known_code_set(session) == frozenset()
    add_release(database_url, "first", ["G2211", "99213", "99214"])
    with unit_of_work(database_url) as session:
        # The PTP column 2 code 36591 is in no other table: PTP pairs are not read.
        assert known_code_set(session) == {"G2211", "99213", "99214"}
    add_release(database_url, "second", ["J1885", "20610"])
    with unit_of_work(database_url) as session:
        assert "J1885" in known_code_set(session)
        session.execute(delete(DataRelease).where(DataRelease.name == "second"))
    with unit_of_work(database_url) as session:
        assert "J1885" not in known_code_set(session)


def test_jsonl_with_code_knowledge_marks_known_and_unknown(database_url: str) -> None:
    add_release(database_url, "knowledge", ["G2211", "99213", "20610"])
    question = "Is G2211 payable with 99213-25, and is CPT 99999 real? Dx Z00.00"
    done = run_extract(
        jsonl({"id": "q1", "text": question}), {"CONSULTANT_DATABASE_URL": database_url}, "--jsonl"
    )
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert row["id"] == "q1"
    assert [(c["code"], c["known"], c["modifiers"]) for c in row["codes"]] == [
        ("G2211", True, []),
        ("99213", True, ["25"]),
        ("99999", False, []),
    ]
    assert row["icd10"] == ["Z00.00"]


def test_without_a_database_it_works_and_creates_none(tmp_path: Path) -> None:
    env = {"CONSULTANT_VAR_DIR": str(tmp_path / "var")}
    done = run_extract(b"Can 63047 go with 63048 x2? Ticket #10542\n", env)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert "63047" in out and "63048" in out and "units 2" in out
    assert "10542" not in out
    assert not (tmp_path / "var").exists()


def test_jsonl_output_shape_with_ranges_and_bad_lines(tmp_path: Path) -> None:
    lines = (
        jsonl({"id": 1, "text": "Visits 99202-99205 and 64483-50 x2."})
        + b"this is not json\n"
        + b'{"id": "bytes", "text": "Bill 20610\xff\xfe-RT please"}\n'
        + b"\n"
        + jsonl({"id": "no-text"}, ["not", "an", "object"], {"id": "empty", "text": ""})
        + jsonl({"id": "last", "text": "Only 93000 here."})
    )
    done = run_extract(lines, {"CONSULTANT_VAR_DIR": str(tmp_path)}, "--jsonl")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [row["id"] for row in rows] == [1, None, "bytes", "no-text", None, "empty", "last"]
    first = rows[0]
    assert [(c["code"], c["system"], c["modifiers"], c["units"]) for c in first["codes"]] == [
        ("99202", "CPT-I", [], None),
        ("99205", "CPT-I", [], None),
        ("64483", "CPT-I", ["50"], 2),
    ]
    assert first["ranges"] == [{"start": "99202", "end": "99205"}]
    assert first["codes"][0]["known"] is None
    assert "error" in rows[1] and "error" in rows[3] and "error" in rows[4]
    assert [c["code"] for c in rows[2]["codes"]] == ["20610"]
    assert rows[5]["codes"] == [] and rows[5]["icd10"] == []
    assert [c["code"] for c in rows[6]["codes"]] == ["93000"]
    assert b"not JSON" in done.stderr


def test_binary_junk_on_stdin(tmp_path: Path) -> None:
    junk = bytes(range(256)) * 400
    env = {"CONSULTANT_VAR_DIR": str(tmp_path)}
    done = run_extract(junk, env)
    assert done.returncode == 0, done.stderr
    done = run_extract(junk + b"\n" + junk, env, "--jsonl")
    assert done.returncode == 0, done.stderr
    assert all("error" in json.loads(line) for line in done.stdout.splitlines())


@pytest.mark.parametrize("url", ["postgresql+psycopg://nobody@127.0.0.1:1/none"])
def test_an_unreachable_database_is_reported_and_skipped(url: str) -> None:
    done = run_extract(b"Bill 99213.", {"CONSULTANT_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    assert b"99213" in done.stdout
    assert b"code knowledge unavailable" in done.stderr
