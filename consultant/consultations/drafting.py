"""Draft the reply to a coding question: extract the codes, look them up, render the templates.

Python builds the facts (:mod:`consultant.consultations.reply_facts`) and
the templates under ``templates/email/<name>/`` word them; the templates read
nothing but the facts, the question and the greeting name, so a stored draft
can be re-rendered exactly and every sentence traces back to a fact.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from sqlalchemy.orm import Session

from consultant.codes.coding_notes import notes_in_force
from consultant.codes.facts import ReleaseRef
from consultant.codes.known import known_code_set
from consultant.codes.lookup import current_releases, look_up_codes
from consultant.consultations.findings import findings
from consultant.consultations.question_words import asks_about_both_sides, modifiers_asked_about
from consultant.consultations.release_periods import release_warnings
from consultant.consultations.reply_facts import QuestionCodes, WrittenCode, build_facts
from consultant.extraction import Extraction, extract
from consultant.shipped import shipped_folder

TEMPLATE_DIR = shipped_folder("consultant_templates") / "email"
ANSWER = "answer"
CLARIFICATION = "clarification"
#: The reply quotes the question up to this many lines; a pasted record needs no echo.
QUOTED_LINES = 60
_REPLY_PREFIX = re.compile(r"^(?:\s*re\s*:\s*)+", re.IGNORECASE)
_LINE_BREAKS = re.compile(r"[\r\n]")


class Addressee(Protocol):
    """Whoever the reply greets: an account, or anything with a name."""

    @property
    def name(self) -> str | None: ...


@dataclass(frozen=True)
class DraftReply:
    """A rendered reply and the facts it used (stored with the draft as JSON)."""

    subject: str
    text: str
    html: str
    template: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class CodeData:
    """The loaded code knowledge as one moment saw it, for drafting many replies in a row.

    A batch of ingests reads it once instead of once per reply; a release
    loaded meanwhile is used from the next batch on, as if those messages had
    arrived a moment earlier.
    """

    known_codes: frozenset[str]
    releases: dict[str, ReleaseRef]


def load_code_data(session: Session) -> CodeData:
    """The code knowledge now: every known code (cached per process) and the answering releases."""
    return CodeData(known_code_set(session), current_releases(session))


def draft_reply(
    session: Session,
    question_text: str,
    *,
    subject: str,
    earlier_messages: Sequence[str] = (),
    account: Addressee | None = None,
    release: str | None = None,
    code_data: CodeData | None = None,
    service_date: dt.date | None = None,
    service_date_source: str = "given",
) -> DraftReply:
    """The reply to ``question_text`` (new text only), ready for a reviewer.

    ``earlier_messages`` are the thread's earlier question texts, oldest first:
    when the new text names no code, the latest earlier message that does
    supplies them (a follow-up such as "and with modifier 59?"). ``code_data``
    (from :func:`load_code_data`) saves reading the code knowledge again.
    ``service_date`` picks the releases, edits and coding notes in force (default:
    today); ``service_date_source`` says where it came from ("question", "arrival",
    "given", "today"), and the reply states the date it used.
    """
    # The codes the data knows make the extractor surer of bare numbers; cached per process.
    known = code_data.known_codes if code_data is not None else known_code_set(session)
    question = question_codes(question_text, earlier_messages, known or None)
    on = service_date or dt.date.today()
    source = service_date_source if service_date is not None else "today"
    # The releases in force on the date of service (read once per session and date).
    releases = current_releases(session, release, on=on)
    named = [w.code for w in question.codes]
    # Modifiers written onto a code, and those the question names in words ("modifier 25").
    modifiers = {m for w in question.codes for m in w.modifiers}
    modifiers |= modifiers_asked_about(question_text)
    if not question.codes:
        facts = build_empty_facts(question)
        edits: list[tuple[str, str]] = []
    else:
        result = look_up_codes(session, named, release=release, releases=releases, today=on)
        facts = build_facts(question, result, on)
        facts["release_warnings"] = release_warnings(result.releases, on)
        edits = [(e.column_1, e.column_2) for e in result.pair_edits]
    notes = notes_in_force(
        session, named, modifiers, on=on, edits=edits, release=release, releases=releases
    )
    facts["notes"] = [note.to_json() for note in notes]
    facts["service_date"] = on.isoformat()
    facts["service_date_source"] = source
    facts["findings"] = findings(facts)
    name = account.name if account is not None else None
    return render_reply(facts, question_text=question_text, subject=subject, greeting_name=name)


def question_codes(
    question_text: str,
    earlier_messages: Sequence[str] = (),
    known_codes: Container[str] | None = None,
) -> QuestionCodes:
    """The codes written in the question, or failing that in the latest earlier message."""
    found = _written(extract(question_text, known_codes), question_text)
    if found.codes or not earlier_messages:
        return found
    for earlier in reversed(earlier_messages):
        before = _written(extract(earlier, known_codes), earlier)
        if before.codes:
            return QuestionCodes(before.codes, found.icd10, True, before.ranges, before.both_sides)
    return found


def _written(extraction: Extraction, text: str) -> QuestionCodes:
    return QuestionCodes(
        codes=[
            WrittenCode(
                m.code,
                tuple(m.modifiers),
                m.units,
                None if m.dose is None else (str(m.dose.amount), m.dose.unit),
            )
            for m in extraction.codes
        ],
        # Once each, in the order written: a diagnosis repeated in the question is one.
        icd10=list(dict.fromkeys(d.code for d in extraction.icd10)),
        ranges=[(r.start, r.end) for r in extraction.ranges],
        both_sides=asks_about_both_sides(text),
    )


def build_empty_facts(question: QuestionCodes) -> dict[str, Any]:
    """The facts of a question that names no code: nothing looked up."""
    return {
        "codes": [],
        "pair_edits": [],
        "pairs_without_edit": [],
        "unknown_codes": [],
        "ptp_release": None,
        "releases": [],
        "icd10": list(question.icd10),
        "ranges": [],
        "codes_from_earlier_message": False,
        "both_sides": question.both_sides,
        "release_warnings": [],
        "notes": [],
    }


def render_reply(
    facts: dict[str, Any],
    *,
    question_text: str,
    subject: str,
    greeting_name: str | None = None,
    reviewed: bool = False,
) -> DraftReply:
    """Render the answer (or, with no code, the clarification request) from stored facts.

    ``reviewed``: see :func:`render_email`.
    """
    template = ANSWER if facts["codes"] else CLARIFICATION
    lines = question_text.strip().splitlines()
    # Facts stored before findings existed get theirs now: computed from the same facts.
    found = facts["findings"] if "findings" in facts else findings(facts)
    ended = {c["code"] for c in facts["codes"] if c["status"] == "D"}
    context = {
        "facts": facts,
        "known_codes": in_order_of_findings([c for c in facts["codes"] if c["known"]], found),
        "in_short": [f for f in found if f["kind"] != "pair_no_edit"],
        "pairs_without_edit": [f["codes"] for f in found if f["kind"] == "pair_no_edit"],
        # An edit on a code that has ended answers nothing the asker can bill.
        "pair_edits": [
            e for e in facts["pair_edits"] if not ended & {e["column_1"], e["column_2"]}
        ],
        "original_subject": original_subject(subject),
        "greeting_name": (greeting_name or "").strip() or None,
        "question_lines": lines[:QUOTED_LINES],
        "question_cut": len(lines) > QUOTED_LINES,
    }
    subject_line, text, html = render_email(template, context, reviewed=reviewed)
    return DraftReply(subject=subject_line, text=text, html=html, template=template, facts=facts)


def in_order_of_findings(
    codes: list[dict[str, Any]], found: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``codes`` with those the findings concern first, in the findings' order."""
    rank: dict[str, int] = {}
    for f in found:
        for code in f["codes"]:
            rank.setdefault(code, len(rank))
    # sorted() is stable: codes no finding names keep the question's order, after the others.
    return sorted(codes, key=lambda c: rank.get(c["code"], len(rank)))


def render_email(
    template: str, context: dict[str, Any], *, reviewed: bool = False
) -> tuple[str, str, str]:
    """The subject, text and HTML parts of ``templates/email/<template>/``.

    Only mail being sent after a certified coder approved it says that a coder
    reviewed it (``reviewed=True``); a preview (``consultant draft``) and a draft
    stored for review never do, since nobody has reviewed them yet.
    """
    context = {**context, "reviewed": reviewed}
    rendered_subject = _template(f"{template}/subject.txt").render(context)
    # One line whatever the template does: a subject must never inject a header.
    subject = _LINE_BREAKS.sub("", rendered_subject).strip()
    return (
        subject,
        _template(f"{template}/body.txt").render(context),
        _template(f"{template}/body.html").render(context),
    )


def reply_subject(original: str) -> str:
    """``Re: `` plus the original subject on one line, never ``Re: Re:``."""
    return f"Re: {original_subject(original)}"


def original_subject(subject: str | None, default: str = "your coding question") -> str:
    """The subject without CR/LF (which unfolds a folded header) or its reply prefixes."""
    one_line = _LINE_BREAKS.sub("", subject or "").strip()
    return _REPLY_PREFIX.sub("", one_line).strip() or default


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Autoescape by file name: body.html escapes everything it prints, including
    # the sentences of the .txt macros (through the ``sentence`` filter).
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["sentence"] = as_sentence
    return env


@lru_cache(maxsize=16)
def _template(name: str) -> Template:
    # Compiled once per process: loading the environment and compiling a reply's
    # templates costs 13 ms, several times the rest of a draft.
    return _environment().get_template(name)


def as_sentence(value: object) -> str:
    """A macro's output on one line, as a plain ``str``.

    Jinja marks a macro's output safe when an autoescaping template calls it,
    even though the .txt macros never escaped what they inserted; turning it
    back into ``str`` lets body.html escape it once, as it must.
    """
    return " ".join(str(value).split())
