"""Identifiers in context are not codes: the question is whether a coder reading the
sentence would call the number a code.

Like ``test_extraction_lookalikes``, every sentence also names one real code
(``29826``), so a rule that swallows the code instead of the number fails too.
"""

from __future__ import annotations

import pytest

from consultant.extraction import extract


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # Our own consultations, tickets, claims and cases.
        ("Following up on consultation 45380: can 29826 be added?", "45380"),
        ("Re consultation #45380, is 29826 ok?", "45380"),
        ("Ref: consult 45380. Billed 29826.", "45380"),
        ("Our ticket 27447 is still open; about 29826.", "27447"),
        ("Case #48213: billed 29826 again.", "48213"),
        ("Claim no. 64483 denied 29826.", "64483"),
        # Medical record and account numbers.
        ("Patient MRN 20610, billed 29826.", "20610"),
        ("MRN#20610 billed 29826.", "20610"),
        ("Account number: 27130. Billed 29826.", "27130"),
        ("Pt acct 27130, billed 29826.", "27130"),
        # Clinic, location, NPI and tax ids.
        ("Our clinic ID is 33533. Billed 29826.", "33533"),
        ("Clinic #33533 billed 29826.", "33533"),
        ("Clinic 33533 billed 29826.", "33533"),
        ("Location: 33412. Billed 29826.", "33412"),
        ("Dept 33412 billed 29826.", "33412"),
        ("Group NPI 12345 on the claim for 29826.", "12345"),
        ("Tax ID: 45678. Billed 29826.", "45678"),
        ("EIN 45678. Billed 29826.", "45678"),
        # Numbers the writer says are something else.
        ("Ignore 12345, that's our ticket. Billed 29826.", "12345"),
        ("Billed 29826 (ignore 12345, that's our ticket number).", "12345"),
        ("Billed 29826. 45380 is just our internal reference, not a code.", "45380"),
        ("Billed 29826. Please disregard 45380, it is our case number.", "45380"),
        ("Billed 29826; 20610 is the patient's account, not a CPT.", "20610"),
        ("Billed 29826, ref 99213 (our ticket).", "99213"),
        # Addresses: a street number before a sentence ends, a zip code named as one.
        ("We are at 20610 Lakeview Blvd. Billed 29826.", "20610"),
        ("Billed 29826, patient lives in the 30309 zip code.", "30309"),
        ("Billed 29826 for the patient in zip 90210.", "90210"),
    ],
)
def test_identifiers_in_context_are_set_aside(text: str, number: str) -> None:
    extraction = extract(text)
    assert extraction.code_strings == ["29826"], text
    assert number in {item.text for item in extraction.set_aside}, text


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        # The consult codes themselves may follow "consultation".
        ("For Medicare, a consultation 99244 becomes a new visit 99204?", ["99244", "99204"]),
        # "the claim line", "the office visit": the noun does not end the phrase.
        ("99214 was the claim line that was denied.", ["99214"]),
        ("I billed 99214 (the office visit) and 20610.", ["99214", "20610"]),
        ("G2211 is an add-on code; is it payable with 99213?", ["G2211", "99213"]),
        # "Ignore" alone is no disclaimer: the writer asks about dropping a code.
        ("Should we ignore 99213 and bill only 99214?", ["99213", "99214"]),
        ("In this case 99214 fits better.", ["99214"]),
    ],
)
def test_codes_next_to_the_same_words_are_kept(text: str, codes: list[str]) -> None:
    assert extract(text).code_strings == codes


def test_a_bare_place_label_yields_to_code_knowledge_but_a_marked_one_does_not() -> None:
    # "Clinic 33533" opening a sentence is weak evidence: the code data may say otherwise.
    known = {"33533", "29826"}
    assert extract("Clinic 33533 billed 29826.", known).code_strings == ["33533", "29826"]
    assert extract("Clinic #33533 billed 29826.", known).code_strings == ["29826"]


def test_signature_and_address_blocks_yield_no_codes() -> None:
    text = (
        "Can 29826 go with 29827?\n\nJane Roe, CPC\nSouthside Clinic\n12500 Preston Rd\n"
        "Dallas, TX 75230\nNPI 1487654321 | Tax ID 45-6789012 | Clinic ID 33533\n"
    )
    assert extract(text).code_strings == ["29826", "29827"]
