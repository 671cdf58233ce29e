"""``consultant lookup`` and ``consultant draft`` on a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from consultant.cli import main
from consultant.config import get_settings
from tests.integration.test_lookup import insert_test_facts


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    insert_test_facts(database_url)
    monkeypatch.setenv("CONSULTANT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_lookup_json_and_text(runner: CliRunner) -> None:
    result = runner.invoke(main, ["lookup", "63047", "69990", "12345", "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["unknown_codes"] == ["12345"]
    (edit,) = facts["pair_edits"]
    assert (edit["column_1"], edit["column_2"], edit["modifier_indicator"]) == ("63047", "69990", 0)
    text = runner.invoke(main, ["lookup", "63057"])
    assert text.exit_code == 0, text.output
    assert "63057 [CPT-I] status A" in text.output
    assert "primaries: 63055 (type 1), 63056 (type 1)" in text.output


def test_lookup_names_a_missing_release(runner: CliRunner) -> None:
    result = runner.invoke(main, ["lookup", "63057", "--release", "nope"])
    assert result.exit_code == 1
    assert "no data release named 'nope'" in result.output


def test_draft_prints_text_html_and_facts(runner: CliRunner) -> None:
    question = "Can 63057 be billed with 63056 for the second level?"
    text = runner.invoke(main, ["draft", "--subject", "Levels"], input=question)
    assert text.exit_code == 0, text.output
    assert (
        "63057 is an add-on code, and 63056 in your question is one of its primary" in text.output
    )
    page = runner.invoke(main, ["draft", "--html"], input=question)
    assert page.output.startswith("<!DOCTYPE html>")
    facts = json.loads(runner.invoke(main, ["draft", "--json"], input=question).output)
    code = facts["codes"][0]
    assert code["add_on"]["primaries"] == ["63055", "63056"]
    assert code["add_on"]["primary_in_question"] is True
    assert set(facts) >= {"codes", "pair_edits", "unknown_codes", "releases", "findings"}
    assert facts["findings"][0] == {"kind": "addon_with_primary", "codes": ["63057", "63056"]}
    dated = runner.invoke(main, ["draft", "--json", "--date", "2024-08-02"], input=question)
    assert json.loads(dated.output)["service_date"] == "2024-08-02"
    assert json.loads(dated.output)["service_date_source"] == "arrival"
    bad = runner.invoke(main, ["draft", "--date", "02/08/2024"], input=question)
    assert bad.exit_code == 2 and "Traceback" not in bad.output
