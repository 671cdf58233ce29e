"""Find every code a question names: the candidates, the evidence for and against, the verdict.

Every code-shaped token is a candidate. Look-alike rules (``lookalikes``) say
why a candidate may be something else; evidence that it is a code comes from a
code label before it ("CPT", "HCPCS code"), what is written onto it (a
modifier, a unit count, the add-on ``+``), the code knowledge, and the list or
range it sits in. A strong look-alike reason always wins; a weak one yields to
any of that evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container

from consultant.extraction.addresses import StreetLines
from consultant.extraction.attachments import (
    COUNT_LAST_CHARACTERS,
    COUNT_LAST_PAIRS,
    read_attachments,
    short_range_end,
    units_before,
)
from consultant.extraction.candidates import Candidate, signature_start
from consultant.extraction.dates import read_date_of_service
from consultant.extraction.doses import find_doses, give_doses_to_drug_codes, names_a_drug_code
from consultant.extraction.icd10 import find_icd10
from consultant.extraction.lookalikes import LookAlike, look_alike
from consultant.extraction.mentions import (
    CodeMention,
    CodeRange,
    Extraction,
    SetAside,
    Span,
)
from consultant.extraction.neighbours import decide, ranges_and_lists
from consultant.extraction.preceding import Preceding
from consultant.extraction.shapes import CANDIDATE_FROM_SECOND_CHARACTER, code_system

KnownCodes = Callable[[str], bool] | Container[str]

_SHAPE_ONLY = ("code shape",)
_PLAIN_SPACES = frozenset("\r\xa0\u2007\u2009\u202f")
_AS_SPACE = {ord(character): " " for character in _PLAIN_SPACES}


def _known_predicate(known_codes: KnownCodes | None) -> Callable[[str], bool] | None:
    if known_codes is None:
        return None
    if callable(known_codes):
        return known_codes
    container = known_codes
    return lambda code: code in container


def _evidence(
    text: str,
    candidate: Candidate,
    before: Preceding,
    is_known: Callable[[str], bool] | None,
) -> None:
    start, _ = candidate.span
    reasons = candidate.reasons
    if before.may_label and before.code_label():
        reasons.append("code label")
    elif before.code_words():
        reasons.append("code context")
    mark = text[start - 1 : start] if start else ""
    if mark in ("+", "#") and (start < 2 or not text[start - 2].isalnum()):
        candidate.add_on_mark = mark == "+"
        reasons.append("add-on mark" if mark == "+" else "# mark")
    if candidate.attachments.modifiers:
        reasons.append("modifier written")
    if candidate.attachments.units is not None or candidate.units_before is not None:
        reasons.append("units written")
    if is_known is not None:
        candidate.known = is_known(candidate.code)
        if candidate.known:
            reasons.append("known code")


def _candidates(
    text: str,
    taken_spans: list[Span],
    is_known: Callable[[str], bool] | None,
    aside: list[SetAside],
) -> list[Candidate]:
    found: list[Candidate] = []
    streets = StreetLines(text)
    signature = signature_start(text)
    # Candidates and ICD-10 spans both come in text order: walk them together.
    spans = iter(taken_spans)
    taken = next(spans, None)
    for match in CANDIDATE_FROM_SECOND_CHARACTER.finditer(text):
        second, end = match.span()
        span = start, end = second - 1, end
        while taken is not None and taken[1] <= start:
            taken = next(spans, None)
        if taken is not None and taken[0] < end:
            continue  # part of an ICD-10 code
        written = text[start:end]
        code = written.upper()
        system = code_system(code)
        if system is None:
            aside.append(SetAside(written, span, "no code has this shape"))
            continue
        candidate = Candidate(code, written, system, span, read_attachments(text, end))
        # A count before the code stands after a blank ("2 units of 96372", "x2 96372"):
        # most codes follow another character or a word that ends no count. (The first
        # look is written out here: a call for each candidate cost 3% of the extraction.)
        if (
            candidate.attachments.units is None
            and start > 1
            and text[start - 1] in " \t"
            and (
                text[start - 2] in COUNT_LAST_CHARACTERS
                or text[start - 3 : start - 1] in COUNT_LAST_PAIRS
            )
        ):
            previous_end = found[-1].attachments.end if found else 0
            candidate.units_before = units_before(text, start, previous_end)
        before = Preceding(text, start)
        _evidence(text, candidate, before, is_known)
        candidate.against = look_alike(text, start, end, before, streets)
        if candidate.against is None and written != code and not candidate.reasons:
            # "j1885" alone may be anything; "billed j1885" or "g0439 and 99397" is a code.
            candidate.against = LookAlike("written in lower case", strong=False)
        if candidate.against is None and start >= signature and not candidate.reasons:
            # "Midtown Imaging\nAtlanta 30309" under "Thanks,": a signature holds no questions.
            candidate.against = LookAlike("in the signature", strong=False)
        found.append(candidate)
        attachments = candidate.attachments
        if not attachments.modifiers and attachments.units is None:
            short = short_range_end(text, end, code)
            if short is not None:
                end_code, end_start, end_end = short
                found.append(
                    Candidate(
                        end_code,
                        text[end_start:end_end],
                        system,
                        (end_start, end_end),
                        read_attachments(text, end_end),
                        short_end=True,
                    )
                )
                _evidence(text, found[-1], Preceding(text, end_start), is_known)
    return found


def _merge(text: str, candidates: list[Candidate], extraction: Extraction) -> None:
    mentions: dict[str, CodeMention] = {}
    counted_before: dict[str, list[int]] = {}
    for candidate in candidates:
        if not candidate.taken:
            reason = candidate.against.reason if candidate.against else "an unclosed range"
            extraction.set_aside.append(SetAside(candidate.written, candidate.span, reason))
            continue
        reasons = candidate.reasons or _SHAPE_ONLY
        mention = mentions.get(candidate.code)
        if mention is None:
            mention = CodeMention(
                candidate.code, candidate.system, candidate.span, known=candidate.known
            )
            mentions[candidate.code] = mention
            extraction.codes.append(mention)
        mention.spans.append(candidate.span)
        if candidate.add_on_mark:
            mention.add_on_mark = True
        attachments = candidate.attachments
        for modifier in attachments.modifiers:
            if modifier not in mention.modifiers:
                mention.modifiers.append(modifier)
        for reason in reasons:
            if reason not in mention.reasons:
                mention.reasons.append(reason)
        if candidate.attachments.units is not None:
            mention.units_written.append(candidate.attachments.units)
        elif candidate.units_before is not None:
            counted_before.setdefault(candidate.code, []).append(candidate.units_before)
        if candidate.range_end is not None:
            end = candidates[candidate.range_end]
            extraction.ranges.append(
                CodeRange(candidate.code, end.code, (candidate.span[0], end.span[1]))
            )
            end.reasons.append("range end")
    for mention in extraction.codes:
        if len(mention.reasons) > 1 and "code shape" in mention.reasons:
            mention.reasons.remove("code shape")
        # Repeats that disagree ("88305 x3 ... should it be 88305 x2?") leave the count open.
        # A count written after the code is the claim line's ("63082 x 2"); one written
        # before it is prose ("the payer paid one unit of 63082") and counts only alone.
        counts_before = counted_before.get(mention.code) if counted_before else None
        units = mention.units_written or counts_before
        if units and units.count(units[0]) == len(units):
            mention.units = units[0]
        if counts_before:
            mention.units_written.extend(counts_before)


def extract(
    text: str, known_codes: KnownCodes | None = None, reference_date: dt.date | None = None
) -> Extraction:
    """Every code, modifier, unit count, dose, range and ICD-10-CM code written in ``text``,
    and the date of service it names.

    ``known_codes`` is the code knowledge (a set of codes or a predicate). A known
    code overrules a weak look-alike reason; an unknown code in a code context is
    still reported, with ``known=False``. Without it, ``known`` is ``None``.
    ``reference_date`` is the day the question was written (its Date header),
    against which "yesterday" and "last Tuesday" are read; without it only
    written-out dates are.
    """
    extraction = Extraction()
    if not text:
        return extraction
    # Carriage returns and no-break spaces (Outlook writes "63057\xa059") read as plain
    # spaces; one character for one, so every span still points into the caller's text.
    if any(space in text for space in _PLAIN_SPACES):  # substring searches run in C
        text = text.translate(_AS_SPACE)
    is_known = _known_predicate(known_codes)
    extraction.icd10 = find_icd10(text, is_known)
    icd_spans = [mention.span for mention in extraction.icd10]
    candidates = _candidates(text, icd_spans, is_known, extraction.set_aside)
    decide(text, candidates, ranges_and_lists(text, candidates))
    _merge(text, candidates, extraction)
    # Doses are read for the drug codes that take them: most questions name none, and the
    # scan cost 6% of the extraction.
    if names_a_drug_code(extraction.codes):
        extraction.doses = find_doses(text)
        give_doses_to_drug_codes(text, extraction.codes, extraction.doses)
    extraction.date_of_service = read_date_of_service(text, reference_date)
    return extraction
