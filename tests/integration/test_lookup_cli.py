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
    assert "Your question also names 63056, an acceptable primary for it." in text.output
    page = runner.invoke(main, ["draft", "--html"], input=question)
    assert page.output.startswith("<!DOCTYPE html>")
    facts = json.loads(runner.invoke(main, ["draft", "--json"], input=question).output)
    code = facts["codes"][0]
    assert code["add_on"]["primaries"] == ["63055", "63056"]
    assert code["add_on"]["primary_in_question"] is True
    assert set(facts) >= {"codes", "pair_edits", "unknown_codes", "releases"}
