"""``consultant review list`` and ``review show`` on a real database, as a reviewer uses them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from consultant.accounts.services import create_account
from consultant.cli import main
from consultant.config import Settings, get_settings
from consultant.db import unit_of_work
from consultant.inbound.ingest import run_ingest
from tests.integration.ledger_rows import store_inbound
from tests.integration.question_mail import question_bytes
from tests.integration.test_lookup import insert_test_facts

ASKER = "coder@clinic.example"
QUESTION = "Spine case: 63047 with 69990-59 for the microscope. Will it pay?"


@pytest.fixture
def draft_id(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """One pending answer draft, made by ingest from a question about a PTP pair."""
    insert_test_facts(database_url)
    with unit_of_work(database_url) as session:
        create_account(session, ASKER, name="Pat")
    settings = Settings(database_url=database_url, secret_key="s", reply_from="c@localhost")
    outcome = run_ingest(
        database_url, store_inbound(database_url, question_bytes(ASKER, QUESTION)), settings
    )
    assert outcome.draft_id is not None
    monkeypatch.setenv("CONSULTANT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield outcome.draft_id
    get_settings.cache_clear()


def test_review_show_prints_the_question_the_facts_with_their_releases_and_the_reply(
    draft_id: int,
) -> None:
    result = CliRunner().invoke(main, ["review", "show", str(draft_id)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Draft #{draft_id}  pending  answer" in out
    assert f"  > {QUESTION}" in out
    # Each code and pair with the release that answered it, as stored in draft.facts.
    assert "  63047  CPT-I" in out and "  69990-59  CPT-I" in out
    assert "pair 63047 (column 1) / 69990 (column 2): modifier indicator 0" in out
    assert "[ncci-ptp-practitioner-2024-07-01]" in out
    assert "[ncci-mue-practitioner-2024-07-01]" in out
    assert "releases used: " in out and "pfs-indicators-2024-07" in out
    assert "  Subject: Re: Coding question" in out
    assert "  Hello Pat," in out


def test_review_show_json_has_the_question_facts_and_body(draft_id: int) -> None:
    result = CliRunner().invoke(main, ["review", "show", str(draft_id), "--json"])
    assert result.exit_code == 0, result.output
    detail = json.loads(result.output)
    assert detail["id"] == draft_id and detail["status"] == "pending"
    assert QUESTION in detail["question"]
    assert detail["subject"] == "Re: Coding question"
    assert detail["body_text"] and detail["body_html"]
    facts = detail["facts"]
    assert "ncci-ptp-practitioner-2024-07-01" in facts["releases"]
    [edit] = facts["pair_edits"]
    assert edit["release"] == "ncci-ptp-practitioner-2024-07-01"
    assert [c["code"] for c in facts["codes"]] == ["63047", "69990"] == detail["codes"]


def test_review_show_of_an_unknown_draft_is_one_line_and_exit_1(draft_id: int) -> None:
    result = CliRunner().invoke(main, ["review", "show", str(draft_id + 1000)])
    assert result.exit_code == 1
    assert result.output == f"error: no draft #{draft_id + 1000}\n"


def test_review_list_refuses_an_unknown_status_naming_the_valid_ones(draft_id: int) -> None:
    result = CliRunner().invoke(main, ["review", "list", "--status", "bogus"])
    assert result.exit_code == 2
    assert "'bogus' is not one of" in result.output
    for status in ("pending", "stale", "approved", "rejected", "all"):
        assert status in result.output


def test_plain_listings_have_a_header_row(draft_id: int) -> None:
    runner = CliRunner()
    drafts = runner.invoke(main, ["review", "list"])
    assert drafts.exit_code == 0, drafts.output
    header, row = drafts.output.splitlines()
    assert header.split() == ["ID", "STATUS", "KIND", "TO", "CODES"]
    assert row.startswith(f"#{draft_id}") and "63047 69990" in row
    assert runner.invoke(main, ["review", "list", "--status", "approved"]).output == (
        "No approved drafts.\n"
    )

    inbound = runner.invoke(main, ["inbound", "list"])
    assert inbound.exit_code == 0, inbound.output
    header, row = inbound.output.splitlines()
    assert header.split()[:3] == ["ID", "STATUS", "DISPOSITION"]
    assert row.startswith("#") and "accepted" in row

    releases = runner.invoke(main, ["codes", "releases"])
    assert releases.exit_code == 0, releases.output
    header, *rows = releases.output.splitlines()
    assert header.split() == ["KIND", "NAME", "EFFECTIVE", "ROWS"]
    assert len(rows) == 6 and any("ncci-ptp-practitioner-2024-07-01" in r for r in rows)


def test_neither_a_preview_nor_a_stored_draft_says_a_coder_reviewed_it(draft_id: int) -> None:
    reviewed = "certified coder reviewed"
    runner = CliRunner()
    stored = json.loads(runner.invoke(main, ["review", "show", str(draft_id), "--json"]).output)
    assert reviewed not in stored["body_text"] and reviewed not in stored["body_html"]
    for option in ([], ["--html"]):
        preview = runner.invoke(main, ["draft", *option], input=QUESTION)
        assert preview.exit_code == 0, preview.output
        assert "63047" in preview.output and reviewed not in preview.output
