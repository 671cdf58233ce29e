"""``consultant codes releases remove`` and the row-count guard of ``codes import``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from consultant.accounts.services import create_account
from consultant.cli import main
from consultant.codes.importers import import_file
from consultant.codes.importers.loader import FewerRowsError
from consultant.codes.models import DataRelease, MedicallyUnlikelyEdit, PtpEdit
from consultant.codes.sample_data import shipped_notes_release
from consultant.config import Settings, get_settings
from consultant.consultations.models import Draft
from consultant.db import unit_of_work
from consultant.inbound.ingest import run_ingest
from tests.integration.ledger_rows import store_inbound
from tests.integration.question_mail import question_bytes
from tests.integration.test_lookup import insert_test_facts

MUE = "ncci-mue-practitioner-2024-07-01"
PTP = "ncci-ptp-practitioner-2024-07-01"
MUE_HEADER = "hcpcs_code,mue_value,mai,mue_rationale\n"


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CONSULTANT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _rows(database_url: str, table: type[MedicallyUnlikelyEdit] | type[PtpEdit]) -> int:
    with unit_of_work(database_url) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def _names(database_url: str) -> set[str]:
    with unit_of_work(database_url) as session:
        return set(session.scalars(select(DataRelease.name)))


def test_remove_asks_first_then_deletes_the_release_and_its_rows(
    database_url: str, runner: CliRunner
) -> None:
    insert_test_facts(database_url)
    ptp_rows = _rows(database_url, PtpEdit)
    assert _rows(database_url, MedicallyUnlikelyEdit) > 0

    declined = runner.invoke(main, ["codes", "releases", "remove", MUE], input="n\n")
    assert declined.exit_code == 1
    assert f"Remove the mue release '{MUE}'" in declined.output
    assert MUE in _names(database_url)

    done = runner.invoke(main, ["codes", "releases", "remove", MUE], input="y\n")
    assert done.exit_code == 0, done.output
    assert "rows deleted" in done.output
    assert MUE not in _names(database_url)
    assert _rows(database_url, MedicallyUnlikelyEdit) == 0
    assert _rows(database_url, PtpEdit) == ptp_rows  # other releases untouched
    assert len(_names(database_url)) == 5

    unknown = runner.invoke(main, ["codes", "releases", "remove", MUE, "--yes"])
    assert unknown.exit_code == 1
    assert unknown.output == f"error: no data release named '{MUE}'\n"


def test_remove_is_refused_while_a_draft_cites_the_release_unless_forced(
    database_url: str, runner: CliRunner
) -> None:
    insert_test_facts(database_url)
    with unit_of_work(database_url) as session:
        create_account(session, "coder@clinic.example")
    settings = Settings(database_url=database_url, secret_key="s", reply_from="c@localhost")
    raw = question_bytes("coder@clinic.example", "63047 with 69990 on the same day?")
    outcome = run_ingest(database_url, store_inbound(database_url, raw), settings)

    refused = runner.invoke(main, ["codes", "releases", "remove", PTP, "--yes"])
    assert refused.exit_code == 1
    assert f"1 draft(s) cite '{PTP}'" in refused.output
    assert f"#{outcome.draft_id} pending" in refused.output and "--force" in refused.output
    assert PTP in _names(database_url)

    # A release the draft does not cite goes without --force.
    with unit_of_work(database_url) as session:
        draft = session.get_one(Draft, outcome.draft_id)
        uncited = sorted(_names(database_url) - set(draft.facts["releases"]))[0]
    removed = runner.invoke(main, ["codes", "releases", "remove", uncited, "--yes"])
    assert removed.exit_code == 0, removed.output

    forced = runner.invoke(main, ["codes", "releases", "remove", PTP, "--yes", "--force"])
    assert forced.exit_code == 0, forced.output
    assert PTP not in _names(database_url)
    assert _rows(database_url, PtpEdit) == 0


def _mue_file(folder: Path, name: str, rows: int) -> Path:
    path = folder / name
    lines = [f"{63000 + n},1,2,Anatomic Consideration\n" for n in range(rows)]
    path.write_text(MUE_HEADER + "".join(lines))
    return path


def test_an_import_with_under_half_the_rows_of_the_previous_release_needs_yes(
    database_url: str, runner: CliRunner, tmp_path: Path
) -> None:
    import_file(database_url, _mue_file(tmp_path, "mue-2024-01-01.csv", 10), kind="mue")
    # Half is fine: only under half is suspicious.
    half = runner.invoke(
        main,
        ["codes", "import", "--kind", "mue", str(_mue_file(tmp_path, "mue-2024-04-01.csv", 5))],
    )
    assert half.exit_code == 0, half.output

    short = _mue_file(tmp_path, "mue-2024-07-01.csv", 2)
    refused = runner.invoke(main, ["codes", "import", "--kind", "mue", str(short)])
    assert refused.exit_code == 1
    assert "under half the 5 rows of the previous mue release 'mue-2024-04-01'" in refused.output
    assert "--yes" in refused.output
    assert "mue-2024-07-01" not in _names(database_url)
    with pytest.raises(FewerRowsError, match="has 2 mue rows"):
        import_file(database_url, short, kind="mue")

    accepted = runner.invoke(main, ["codes", "import", "--kind", "mue", "--yes", str(short)])
    assert accepted.exit_code == 0, accepted.output
    assert "warning: mue-2024-07-01 has 2 rows, under half the 5 rows" in accepted.output
    assert "mue-2024-07-01" in _names(database_url)


def test_load_sample_adds_the_summaries_next_to_a_cms_import_once(
    runner: CliRunner, cms_dir: Path
) -> None:
    for name in ("ncci-addon-code-edits-2024q2.csv", "ncci-mue-practitioner-2024-07-01.csv"):
        assert runner.invoke(main, ["codes", "import", str(cms_dir / name)]).exit_code == 0
    first = runner.invoke(main, ["codes", "load-sample"])
    assert first.exit_code == 0, first.output
    assert "sample-summaries: imported" in first.output
    assert "sample-ncci" not in first.output  # the sample's CMS facts stay out
    second = runner.invoke(main, ["codes", "load-sample"])
    assert second.exit_code == 0, second.output
    assert "imported" not in second.output and "nothing to do" in second.output
    listed = runner.invoke(main, ["codes", "releases"]).output.splitlines()
    assert [line.split()[1] for line in listed[1:]] == [
        "ncci-addon-code-edits-2024q2",
        "ncci-mue-practitioner-2024-07-01",
        shipped_notes_release(),  # the shipped coding notes load next to real data too
        "sample-summaries",
    ]


def test_load_sample_twice_on_an_empty_database_says_nothing_to_do(runner: CliRunner) -> None:
    assert runner.invoke(main, ["codes", "load-sample"]).exit_code == 0
    again = runner.invoke(main, ["codes", "load-sample"])
    assert again.exit_code == 0, again.output
    assert again.output == "The sample is already loaded: nothing to do.\n"
