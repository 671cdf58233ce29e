"""Coding notes as a release, on SQLite and PostgreSQL: import, load-sample, matching by date,
the draft quoting them with their source, and the command line showing them."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from consultant.cli import main
from consultant.codes.coding_notes import notes_in_force
from consultant.codes.commands import drafts_citing
from consultant.codes.importers import ImportFileError, import_file
from consultant.codes.importers.detection import NOTES_RELEASE_PREFIX
from consultant.codes.models import CodingNote, DataRelease
from consultant.codes.sample_data import load_sample_data, shipped_notes_path
from consultant.config import get_settings
from consultant.consultations.drafting import draft_reply
from consultant.consultations.models import Draft
from consultant.db import engine_for, unit_of_work
from tests.integration.review_fixtures import make_pending_draft

NOTES_FILE = Path(str(shipped_notes_path()))
CONSULTANT = Path(sys.executable).with_name("consultant")
HEADER = "id,kind,codes,effective_from,effective_to,text,source,url\n"
G2211_QUESTION = "Can I bill G2211 with 99214-25?"


def counts(url: str) -> tuple[int, int]:
    with engine_for(url).connect() as connection:
        releases = connection.execute(sa.text("SELECT count(*) FROM data_release")).scalar_one()
        notes = connection.execute(sa.text("SELECT count(*) FROM coding_note")).scalar_one()
    return int(releases), int(notes)


def shipped_note_count() -> int:
    return len(NOTES_FILE.read_text(encoding="utf-8").strip().splitlines()) - 1


def test_the_shipped_notes_import_as_a_release_once(database_url: str) -> None:
    first = import_file(database_url, NOTES_FILE, kind="notes")
    assert first.kind == "notes" and not first.already_imported
    assert first.release_name.startswith(NOTES_RELEASE_PREFIX)
    assert first.rows == shipped_note_count()
    assert counts(database_url) == (1, first.rows)
    again = import_file(database_url, NOTES_FILE, kind="notes")
    assert again.already_imported and again.release_name == first.release_name
    assert counts(database_url) == (1, first.rows)
    with unit_of_work(database_url) as session:
        release = session.scalars(sa.select(DataRelease)).one()
        assert (release.kind, release.effective_on) == ("notes", None)
        note = session.scalars(
            sa.select(CodingNote).where(CodingNote.note_id == "knee-scope-g0289-with-meniscectomy")
        ).one()
        assert note.codes == "29880+G0289 29881+G0289"
        assert note.effective_from == dt.date(2012, 1, 1) and note.effective_to is None
        assert note.citation.startswith("NCCI Policy Manual for Medicare Services, Chapter IV")
        assert note.citation_url and note.citation_url.startswith("https://www.cms.gov/")


def run_import(url: str, path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
    env.update(CONSULTANT_DATABASE_URL=url, CONSULTANT_VAR_DIR=str(path.parent / "var"))
    return subprocess.run(
        [str(CONSULTANT), "codes", "import", str(path), "--kind", "notes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_bad_line_is_named_in_one_line_with_exit_1_and_nothing_written(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "my-notes.csv"
    path.write_text(
        HEADER
        + "ok-note,modifier,G2211,2024-01-01,,A note.,A source,\n"
        + "no-source,modifier,99214,2024-01-01,,Another note.,,\n"
    )
    result = run_import(database_url, path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"error: {path}:3: note no-source: source is empty: every note cites its public source"
    ]
    assert counts(database_url) == (0, 0)
    with pytest.raises(ImportFileError, match=r":2: note late: effective_to 2023-01-01 is before"):
        path.write_text(HEADER + "late,bundling,29880,2024-01-01,2023-01-01,T.,S,\n")
        import_file(database_url, path, kind="notes")
    assert counts(database_url) == (0, 0)


def test_notes_match_by_date_codes_and_modifiers(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "dated-notes.csv"
    path.write_text(
        HEADER
        + "expired,modifier,G2211,2020-01-01,2023-12-31,Old.,Source A,\n"
        + "current,modifier,G2211,2024-01-01,2024-12-31,Now.,Source B,\n"
        + "future,modifier,G2211,2030-01-01,,Later.,Source C,\n"
        + "modifier-only,modifier,59,2015-01-01,,Fifty-nine.,Source D,\n"
    )
    import_file(database_url, path, kind="notes", release="dated-notes")

    def ids(codes: list[str], modifiers: set[str], on: dt.date) -> list[str]:
        with unit_of_work(database_url) as session:
            return [n.note_id for n in notes_in_force(session, codes, modifiers, on=on)]

    assert ids(["g2211"], set(), dt.date(2024, 12, 31)) == ["current"]
    assert ids(["G2211"], set(), dt.date(2023, 12, 31)) == ["expired"]
    assert ids(["G2211"], set(), dt.date(2025, 1, 1)) == []  # neither in force yet nor still
    assert ids(["G2211"], {"59"}, dt.date(2030, 1, 1)) == ["future", "modifier-only"]
    assert ids(["99214"], set(), dt.date(2024, 6, 1)) == []
    with unit_of_work(database_url) as session:
        (note,) = notes_in_force(session, ["G2211"], on=dt.date(2024, 6, 1))
    assert note.to_json() == {
        "id": "current",
        "kind": "modifier",
        "codes": ["G2211"],
        "effective_from": "2024-01-01",
        "effective_to": "2024-12-31",
        "text": "Now.",
        "citation": "Source B",
        "url": None,
        "release": "dated-notes",
    }


def test_load_sample_loads_the_shipped_notes_once_but_never_over_an_operators_own(
    database_url: str, tmp_path: Path
) -> None:
    own = tmp_path / "practice-notes.csv"
    own.write_text(HEADER + "ours,modifier,G2211,2024-01-01,,Ours.,Our source,\n")
    import_file(database_url, own, kind="notes", release="practice-notes-2025")
    results = load_sample_data(database_url)
    assert "notes" not in {r.kind for r in results}
    assert counts(database_url)[1] == 1


def test_load_sample_loads_the_shipped_notes(database_url: str) -> None:
    results = load_sample_data(database_url)
    notes = [r for r in results if r.kind == "notes"]
    assert len(notes) == 1 and notes[0].rows == shipped_note_count()
    assert not [r for r in load_sample_data(database_url) if r.kind == "notes"]
    # By hand, the same file is the same release.
    assert import_file(database_url, NOTES_FILE, kind="notes").already_imported


@pytest.fixture
def sample_url(database_url: str) -> str:
    load_sample_data(database_url)
    return database_url


def test_a_draft_quotes_the_g2211_note_of_its_date_with_its_source(sample_url: str) -> None:
    with unit_of_work(sample_url) as session:
        reply_2025 = draft_reply(
            session, G2211_QUESTION, subject="G2211", service_date=dt.date(2025, 3, 3)
        )
        reply_2024 = draft_reply(
            session, G2211_QUESTION, subject="G2211", service_date=dt.date(2024, 3, 4)
        )
    ids_2025 = [n["id"] for n in reply_2025.facts["notes"]]
    assert ids_2025 == ["g2211-modifier-25-2025", "em-same-day-minor-procedure-25"]
    assert reply_2024.facts["notes"][0]["id"] == "g2211-modifier-25-2024"
    assert (
        "Note (source: CY 2025 Medicare Physician Fee Schedule final rule (CMS-1807-F), "
        "89 FR 97710 (December 9, 2024)" in reply_2025.text
    )
    assert "From 1 January 2025 Medicare pays G2211 with an office or outpatient E/M visit" in (
        reply_2025.text
    )
    assert "88 FR 78818" in reply_2024.text and "89 FR 97710" not in reply_2024.text
    assert "Note (source: CY 2025 Medicare Physician Fee Schedule final rule" in reply_2025.html
    assert reply_2025.facts["notes"][0]["release"] in reply_2025.text  # the release is named


def test_a_stored_draft_that_quotes_a_note_cites_its_release(database_url: str) -> None:
    """Removing the notes release is then refused without --force, as for any release."""
    release = import_file(database_url, NOTES_FILE, kind="notes").release_name
    pending = make_pending_draft(database_url)  # 63047 with 69990-59: two notes match
    with unit_of_work(database_url) as session:
        facts = session.get_one(Draft, pending.draft_id).facts
        assert {n["id"] for n in facts["notes"]} == {
            "microscope-69990-payment-limit",
            "modifier-59-or-x",
        }
        assert [draft_id for draft_id, _status in drafts_citing(session, release)] == [
            pending.draft_id
        ]


def test_an_em_code_in_column_2_of_an_edit_brings_the_modifier_25_note(sample_url: str) -> None:
    with unit_of_work(sample_url) as session:
        with_edit = draft_reply(
            session, "29881 and 99214 the same day?", subject="", service_date=dt.date(2024, 8, 1)
        )
        without_edit = draft_reply(
            session, "G2211 and 99214 the same day?", subject="", service_date=dt.date(2024, 8, 1)
        )
    assert "em-column-2-modifier-25" in [n["id"] for n in with_edit.facts["notes"]]
    assert "em-column-2-modifier-25" not in [n["id"] for n in without_edit.facts["notes"]]


@pytest.fixture
def runner(sample_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CONSULTANT_DATABASE_URL", sample_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_draft_and_lookup_json_show_the_notes(runner: CliRunner) -> None:
    drafted = runner.invoke(main, ["draft", "--json"], input=G2211_QUESTION)
    assert drafted.exit_code == 0, drafted.output
    facts = json.loads(drafted.output)
    assert "g2211-modifier-25-2025" in [n["id"] for n in facts["notes"]]  # today is after 2025
    looked_up = runner.invoke(main, ["lookup", "G2211", "25", "--date", "2024-05-01", "--json"])
    assert looked_up.exit_code == 0, looked_up.output
    found = json.loads(looked_up.output)
    assert found["date_of_service"] == "2024-05-01"
    assert [n["id"] for n in found["notes"]] == [
        "g2211-modifier-25-2024",
        "em-same-day-minor-procedure-25",
    ]
    assert [c["code"] for c in found["codes"]] == ["G2211"]  # 25 is a modifier, not a code
    text = runner.invoke(main, ["lookup", "69990"])
    assert "[microscope-69990-payment-limit, 69990]" in text.output
    assert "Chapter 12, Section 20.4.5" in text.output
