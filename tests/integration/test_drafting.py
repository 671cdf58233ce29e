"""Reply drafting: golden replies for every case of issue 4, on SQLite and PostgreSQL.

The golden files in tests/data/drafting/ were reviewed line by line against the
shared CMS data; regenerate them with UPDATE_GOLDEN=1 only to review again.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from consultant.codes.models import DataRelease, Descriptor, MedicallyUnlikelyEdit
from consultant.codes.sample_data import load_sample_data
from consultant.consultations.drafting import (
    DraftReply,
    draft_reply,
    render_email,
    render_reply,
    reply_subject,
)
from consultant.db import unit_of_work
from tests.integration.test_lookup import insert_test_facts

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "data" / "drafting"
REVIEWED = "A certified coder reviewed this reply before it was sent."

CASES = {
    "add_on_with_primary": "Hi, for the second level can we bill 63057 along with 63056?",
    "add_on_alone": "Is 63057 x 1 payable by itself for the extra level?",
    "add_on_type_2": "Our surgeon used 15777 on a breast case. Which primary does it go with?",
    "add_on_type_3": "We did a debridement and placed an antibiotic spacer, 20701. OK?",
    "pair_indicator_0": "Spine case: 63047 with 69990-59 for the microscope. Will it pay?",
    "pair_indicator_1_with_59": "Knee scope 29881 and an injection 20610-59 in the other knee?",
    "deleted_code": "Can we still use 99354 for prolonged time in the office?",
    "medicare_invalid": "Medicare patient seen in consult, we billed 99242. Denied, why?",
    "units_over_mue": "Facet injections: 64483 and 64484 x 6 on the same day.",
    "no_code": "How do I code a visit where the patient only needed a refill?",
    "unknown_code": "Is 12345 a valid code to use with 20610?",
    "hcpcs_and_bilateral": "Injection J1100 x 4 and 20610-50 for both knees; also A4466?",
}


@dataclass(frozen=True)
class Named:
    name: str | None


@pytest.fixture
def facts_url(database_url: str) -> str:
    insert_test_facts(database_url)
    return database_url


#: The day every question here arrived: in the quarter of the test releases, so the
#: goldens say the same thing whatever day they run.
ARRIVED = dt.date(2024, 7, 15)


def _draft(url: str, question: str, subject: str = "Coding question") -> DraftReply:
    with unit_of_work(url) as session:
        return draft_reply(
            session, question, subject=subject, service_date=ARRIVED, service_date_source="arrival"
        )


def _golden_text(reply: DraftReply) -> str:
    return f"Subject: {reply.subject}\nTemplate: {reply.template}\n\n{reply.text}"


def _words_of_html(body: str) -> str:
    text = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(text).split())


def _words_of_text(body: str) -> str:
    # Bullets and quote marks are the text part's layout, as <li> and <blockquote> are HTML's.
    lines = [re.sub(r"^(?:- |> ?)", "", line) for line in body.splitlines()]
    return " ".join(" ".join(lines).split())


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_reply(facts_url: str, case: str) -> None:
    reply = _draft(facts_url, CASES[case])
    golden = GOLDEN_DIR / f"{case}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(_golden_text(reply))
    assert _golden_text(reply) == golden.read_text()
    assert _words_of_html(reply.html) == _words_of_text(reply.text)
    # Nobody has reviewed a draft yet: only what is sent after approval says so.
    assert REVIEWED not in reply.text and REVIEWED not in reply.html


def test_add_on_alone_facts_in_the_json_shape(facts_url: str) -> None:
    facts = _draft(facts_url, CASES["add_on_alone"]).facts
    (code,) = facts["codes"]
    expected = {
        "code": "63057",
        "system": "CPT",
        "status": "A",
        "known": True,
        "descriptor_source": "summary",
        "mue": {"value": 3, "per": "day"},
        "global_days": "ZZZ",
        "modifiers": [],
        "units": 1,
    }
    assert {k: code[k] for k in expected if k != "mue"} == {
        k: v for k, v in expected.items() if k != "mue"
    }
    assert {k: code["mue"][k] for k in ("value", "per")} == expected["mue"]
    add_on = code["add_on"]
    assert (add_on["is_add_on"], add_on["edit_type"]) == (True, 1)
    assert (add_on["primaries"], add_on["primary_in_question"]) == (["63055", "63056"], False)
    assert facts["pair_edits"] == [] and facts["unknown_codes"] == []
    assert set(facts["releases"]) == {
        "ncci-addon-code-edits-2024q2",
        "ncci-mue-practitioner-2024-07-01",
        "pfs-indicators-2024-07",
        "test-summaries",
    }


def test_pair_edits_and_unknown_codes_in_the_facts(facts_url: str) -> None:
    facts = _draft(facts_url, CASES["pair_indicator_0"]).facts
    (edit,) = facts["pair_edits"]
    assert {k: edit[k] for k in ("column_1", "column_2", "modifier_indicator")} == {
        "column_1": "63047",
        "column_2": "69990",
        "modifier_indicator": 0,
    }
    assert edit["rationale"] == "Misuse of Column Two code with Column One code"
    assert edit["finding"] == "modifier_cannot_bypass"
    unknown = _draft(facts_url, CASES["unknown_code"]).facts
    assert unknown["unknown_codes"] == ["12345"]
    assert [c["known"] for c in unknown["codes"]] == [False, True]


def test_units_over_the_mue_and_deleted_code(facts_url: str) -> None:
    units = _draft(facts_url, CASES["units_over_mue"]).facts["codes"][1]
    assert (units["code"], units["units"], units["units_over_mue"]) == ("64484", 6, True)
    assert units["mue"]["value"] == 4
    deleted = _draft(facts_url, CASES["deleted_code"]).facts["codes"][0]
    assert (deleted["status"], deleted["deleted_year"]) == ("D", 2022)
    assert deleted["add_on"]["active"] is False and deleted["add_on"]["primaries"] == []


def test_everything_from_the_question_is_escaped_in_html(facts_url: str) -> None:
    question = 'Is 63057 ok? <script>alert("x")</script> & <b>bold</b>'
    with unit_of_work(facts_url) as session:
        reply = draft_reply(
            session, question, subject="<i>Help</i>", account=Named("Ann <Lee> & Co")
        )
    assert "<script>" not in reply.html and "<b>" not in reply.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold" in reply.html
    assert "Hello Ann &lt;Lee&gt; &amp; Co," in reply.html
    assert "Hello Ann <Lee> & Co," in reply.text
    assert "<i>" not in reply.html
    assert reply.subject == "Re: <i>Help</i>"
    assert _words_of_html(reply.html) == _words_of_text(reply.text)


@pytest.mark.parametrize("case", ["add_on_with_primary", "no_code"])
def test_only_a_reply_rendered_for_sending_says_a_coder_reviewed_it(
    facts_url: str, case: str
) -> None:
    draft = _draft(facts_url, CASES[case])
    sent = render_reply(
        draft.facts, question_text=CASES[case], subject="Coding question", reviewed=True
    )
    assert REVIEWED not in draft.text and REVIEWED not in draft.html
    assert REVIEWED in sent.text and REVIEWED in sent.html
    # The sentence is all that differs.
    assert sent.text.replace(f"{REVIEWED}\n", "").replace("\n\n\n", "\n\n") == draft.text
    assert _words_of_html(sent.html) == _words_of_text(sent.text)


@pytest.mark.parametrize(
    ("template", "context"),
    [
        ("too-large", {"original_subject": "s", "size_mb": "9.0", "limit_mb": "5"}),
        ("invitation", {"original_subject": "s", "address": "who@example.com"}),
    ],
)
def test_notices_say_a_coder_reviewed_them_only_when_sent(
    template: str, context: dict[str, str]
) -> None:
    _, text, page = render_email(template, context)
    assert REVIEWED not in text and REVIEWED not in page
    _, text, page = render_email(template, context, reviewed=True)
    assert REVIEWED in text and REVIEWED in page


def test_no_code_asks_for_clarification_and_uses_no_release(facts_url: str) -> None:
    reply = _draft(facts_url, CASES["no_code"], subject="Refill visit")
    assert reply.template == "clarification"
    assert reply.facts["codes"] == [] and reply.facts["releases"] == []
    assert "found no procedure or supply code" in reply.text


def test_follow_up_without_codes_answers_for_the_earlier_message(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        reply = draft_reply(
            session,
            "And if I put 59 on it?",
            subject="Re: 63047",
            earlier_messages=("Can 63047 go with 69990?", "Thanks, one more thing."),
        )
    assert reply.facts["codes_from_earlier_message"] is True
    assert [c["code"] for c in reply.facts["codes"]] == ["63047", "69990"]
    assert "names no code, so this reply covers the codes of your earlier message" in reply.text


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("Question about 63057", "Re: Question about 63057"),
        ("Re: Question", "Re: Question"),
        ("RE: re:  Question", "Re: Question"),
        ("Long\r\n folded subject", "Re: Long folded subject"),
        ("Line\nbreak\rhere", "Re: Linebreakhere"),
        ("", "Re: your coding question"),
    ],
)
def test_reply_subject(original: str, expected: str) -> None:
    assert reply_subject(original) == expected


def test_every_macro_call_in_html_goes_through_the_sentence_filter() -> None:
    # Jinja marks a macro's output safe when an HTML template calls it; the .txt macros
    # never escape, so printing one without `| sentence` would let raw text through.
    templates = Path(__file__).resolve().parents[2] / "templates" / "email"
    for page in templates.rglob("*.html"):
        for call in re.findall(r"\{\{[^}]*say\.[^}]*\}\}", page.read_text()):
            assert "| sentence" in call, f"{page}: {call}"


def test_licensed_descriptor_comes_first(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        release = DataRelease(
            kind="cpt", name="practice-cpt", source_name="x", source_sha256="2" * 64
        )
        session.add(release)
        session.flush()
        # A placeholder standing in for a practice's licensed text: never real AMA wording.
        session.add(
            Descriptor(release_id=release.id, code="63057", source="licensed", text="LICENSED-TEXT")
        )
    reply = _draft(facts_url, "63057?")
    (code,) = reply.facts["codes"]
    assert (code["descriptor_source"], code["descriptor"]) == ("licensed", "LICENSED-TEXT")
    assert "Descriptor (licensed CPT data, practice-cpt): LICENSED-TEXT" in reply.text
    assert "practice-cpt" in reply.facts["releases"]


def test_drafts_from_the_bundled_sample_data(database_url: str) -> None:
    load_sample_data(database_url)
    reply = _draft(database_url, "Can 63057 go with 63056? And 63047 with 69990?")
    codes = {c["code"]: c for c in reply.facts["codes"]}
    assert codes["63057"]["add_on"]["primaries"] == ["63055", "63056"]
    assert codes["63057"]["add_on"]["primary_in_question"] is True
    assert codes["63057"]["descriptor_source"] == "summary"
    pairs = {(e["column_1"], e["column_2"]): e for e in reply.facts["pair_edits"]}
    assert pairs[("63047", "69990")]["modifier_indicator"] == 0
    assert all(name.startswith("sample-") for name in reply.facts["releases"])


def test_only_unknown_codes_and_a_long_question(facts_url: str) -> None:
    question = "Is 12345 right?\n" + "\n".join(f"note line {n}" for n in range(100))
    reply = _draft(facts_url, question)
    assert reply.facts["releases"] == [] and reply.facts["unknown_codes"] == ["12345"]
    assert "12345 is in none of the loaded data releases" in reply.text
    assert "Data releases used" not in reply.text
    assert "Here is what the published coding data says" not in reply.text
    assert "> note line 58\n" in reply.text and "note line 59" not in reply.text
    assert "> [the rest of your question is not quoted here]" in reply.text
    assert _words_of_html(reply.html) == _words_of_text(reply.text)


def test_the_release_in_force_on_the_date_of_service_answers(facts_url: str) -> None:
    with unit_of_work(facts_url) as session:
        newer = DataRelease(
            kind="mue",
            name="mue-2024-10",
            effective_on=dt.date(2024, 10, 1),
            source_name="x",
            source_sha256="2" * 64,
        )
        session.add(newer)
        session.flush()
        session.add(
            MedicallyUnlikelyEdit(
                release_id=newer.id, code="63057", value=1, adjudication_indicator=2
            )
        )
    question = "Is 63057 x 2 payable with 63056?"
    with unit_of_work(facts_url) as session:
        summer = draft_reply(session, question, subject="Q", service_date=dt.date(2024, 7, 15))
        autumn = draft_reply(session, question, subject="Q", service_date=dt.date(2024, 10, 2))
    assert "ncci-mue-practitioner-2024-07-01" in summer.facts["releases"]
    assert "mue-2024-10" not in summer.facts["releases"]
    assert "Date of service used: 2024-07-15." in summer.text
    assert not any(f["kind"] == "units_over_mue" for f in summer.facts["findings"])
    assert "mue-2024-10" in autumn.facts["releases"]
    over = [f for f in autumn.facts["findings"] if f["kind"] == "units_over_mue"]
    assert over == [
        {"kind": "units_over_mue", "codes": ["63057"], "units": 2, "mue": 1,
         "adjudication_indicator": 2}
    ]  # fmt: skip
    assert "2 units of 63057 are more than its MUE of 1 per day" in autumn.text
