"""Doses written in a question ("Toradol 60 mg", "J1885 60mg", "0.5 mg") and the drug code
each belongs to.

A dose is an amount and a unit of measure. It is given to the drug codes
(HCPCS J codes, Q drug and biosimilar codes, C9 pass-through drugs) written in
the same sentence, each taking the nearest dose: "Toradol 60 mg IM, billed
J1885 and 96372" gives J1885 its 60 mg and 96372 none. A question with one drug
code and one dose pairs them wherever each stands. Drafting turns a dose
into billing units against the code's descriptor ("per 15 mg").
"""

from __future__ import annotations

import bisect
import re
from decimal import Decimal, InvalidOperation

from consultant.extraction.mentions import CodeMention, Dose

# Found from its unit: a digit, maybe a blank, a unit word. Most digits in a question
# (codes, phone numbers) are followed by no unit, and a pattern that read an amount at every
# digit cost more than the rest of the extraction; the amount is read back from the unit.
# The unit's first letter is a character class, which the engine scans for quickly; the
# word is looked up after (an alternation of unit words here cost three times as much).
_UNIT_AFTER_DIGIT = re.compile(r"[0-9][ \t]?(?P<unit>[mMuUgGcCiIµ][a-zA-Zµ]*+)")
# The amount, read back from its last digit: "60", "0.5", ".25", "1,000" (bounded).
_AMOUNT = re.compile(r"(?:\d{1,3}(?:,\d{3})++|\d{1,6}(?:\.\d{1,4})?|\.\d{1,4})\Z")
_LONGEST_AMOUNT = 12
_NOT_BEFORE_AN_AMOUNT = frozenset(
    "0123456789.,_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_UNIT_NAMES = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg", "mcg": "mcg", "µg": "mcg", "ug": "mcg",
    "microgram": "mcg", "micrograms": "mcg", "g": "g", "gm": "g", "gram": "g", "grams": "g",
    "ml": "mL", "cc": "mL", "iu": "IU", "meq": "mEq", "mmol": "mmol", "mci": "mCi",
}  # fmt: skip
# A sentence (or a clause of a list: "0.5 mg of J2405; 0.25 mg of J1100") ends at ".", "!",
# "?" or ";" before a blank or the end, or at a blank line.
# One class first: the engine skips to those characters (an alternation of a class and a
# newline tried every position of the text).
_SENTENCE_END = re.compile(r"[.!?;\n](?:(?<=[.!?;])(?=\s|$)|(?<=\n)[ \t]*+\n)")


def find_doses(text: str) -> list[Dose]:
    """Every dose written in ``text``, in text order."""
    doses = []
    for match in _UNIT_AFTER_DIGIT.finditer(text):
        written_unit = match.group("unit")
        unit = _UNIT_NAMES.get(written_unit.lower())
        if unit is None or written_unit == "G":
            continue  # no unit ("99213 Code"), or "18 G", a needle's gauge
        digits_end = match.start() + 1
        amount = _AMOUNT.search(text, max(0, digits_end - _LONGEST_AMOUNT), digits_end)
        if amount is None:
            continue
        start = amount.start()
        if start and text[start - 1] in _NOT_BEFORE_AN_AMOUNT:
            continue  # part of a longer number or a word ("A1 mg")
        try:
            value = Decimal(amount.group(0).replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            continue
        doses.append(Dose(value, unit, (start, match.end())))
    return doses


def is_drug_code(code: str) -> bool:
    """Whether ``code`` is a HCPCS drug code: J, Q (drugs, biosimilars) or C9 (pass-through)."""
    return code[0] in "JQ" or code.startswith("C9")


def names_a_drug_code(mentions: list[CodeMention]) -> bool:
    """Whether one of ``mentions`` is a drug code."""
    # The first letter rules out most codes without a call (a call for each code cost 1%).
    return any(mention.code[0] in "JQC" and is_drug_code(mention.code) for mention in mentions)


def give_doses_to_drug_codes(text: str, mentions: list[CodeMention], doses: list[Dose]) -> None:
    """Give each dose to the nearest drug code written in its sentence (one dose a code)."""
    drugs = [mention for mention in mentions if is_drug_code(mention.code)]
    if not drugs or not doses:
        return
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]
    written = sorted(
        ((span, mention) for mention in drugs for span in mention.spans), key=lambda item: item[0]
    )
    starts = [span[0] for span, _ in written]
    # Only the drug codes right before and right after a dose can be the nearest: found by
    # bisection, so a sentence of many drug codes and doses is read in n log n, not n².
    for dose in doses:
        sentence = bisect.bisect_right(ends, dose.span[0])
        after = bisect.bisect_left(starts, dose.span[0])
        near = [
            (span, mention)
            for span, mention in written[max(0, after - 1) : after + 1]
            if bisect.bisect_right(ends, span[0]) == sentence
        ]
        if near:
            _, mention = min(
                near, key=lambda item: max(dose.span[0] - item[0][1], item[0][0] - dose.span[1])
            )
            if mention.dose is None:
                mention.dose = dose
    # "Toradol 60 mg IM today. We billed J1885 and 96372.": one drug code and one dose in
    # the whole question belong together, whatever sentence each stands in.
    if len(drugs) == 1 and len(doses) == 1 and drugs[0].dose is None:
        drugs[0].dose = doses[0]
