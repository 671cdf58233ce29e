"""Numbers that only look like codes are set aside, each for its reason; codes beside them stay.

Every sentence names one real-looking code (``29826``) so a test also fails when
a look-alike rule swallows the code instead of the number beside it.
"""

from __future__ import annotations

import pytest

from consultant.extraction import extract


def assert_only_code_kept(text: str, look_alike: str, reason: str) -> None:
    extraction = extract(text)
    assert extraction.code_strings == ["29826"], text
    aside = {item.text: item.reason for item in extraction.set_aside}
    assert aside.get(look_alike) == reason, (text, aside)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Question on 29826. Clinic: Tampa, FL 33606", "33606"),
        ("Question on 29826. Clinic in Reno NV 89501.", "89501"),
        ("Question on 29826.\nMesa, AZ 85201\nThanks", "85201"),
        ("Question on 29826. Clinic in Pittsburgh, PA 15213.", "15213"),
        ("Question on 29826. Office: Baltimore, Maryland 21201", "21201"),
        ("Question on 29826. Sent from Trenton, New Jersey 08608.", "08608"),
        ("Question on 29826. Mail: Hartford, CT 06103", "06103"),
    ],
)
def test_zip_code_after_a_state(text: str, number: str) -> None:
    extraction = extract(text)
    assert extraction.code_strings == ["29826"]
    assert number in {item.text for item in extraction.set_aside} or number.startswith("0")


def test_zip_plus_four() -> None:
    assert_only_code_kept("About 29826. Austin, TX 78701-4211", "78701", "ZIP+4 code")


def test_zip_code_in_an_address_without_a_state() -> None:
    text = "About 29826, from our office at 500 Oak Ave, Springfield 62701."
    assert_only_code_kept(text, "62701", "zip code in an address")


def test_zip_code_at_the_end_of_an_address_line() -> None:
    text = "About 29826.\nOur office:\n3001 N Central, Fresno 93701\n"
    assert_only_code_kept(text, "93701", "zip code in an address")


def test_zip_code_on_the_line_after_a_street() -> None:
    text = "About 29826.\nThanks,\nRiverside Ortho\n940 Birch Lane\nSpringfield 62704\n"
    assert_only_code_kept(text, "62704", "zip code in an address")


@pytest.mark.parametrize(
    "text",
    [
        "About 29826. We moved to 12500 Preston Rd, Dallas.",
        "About 29826. Office at 20610 Lakeview Blvd Suite 4",
        "About 29826. Visit us: 10400 N Central Expy\n",
    ],
)
def test_street_numbers(text: str) -> None:
    extraction = extract(text)
    assert extraction.code_strings == ["29826"]
    assert "street number" in {item.reason for item in extraction.set_aside}


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("About 29826. We are in Suite 10400.", "10400"),
        ("About 29826. Ste. 20100, second floor.", "20100"),
        ("About 29826. Send it to PO Box 45012.", "45012"),
        ("About 29826. Send it to P.O. Box 27130.", "27130"),
        ("About 29826. Call 555-201-3344 ext 27447.", "27447"),
        ("About 29826. Call 214-555-0100, extension 33533.", "33533"),
        ("About 29826. Fax: 97255", "97255"),
        ("About 29826. Claim #58201 was denied.", "58201"),
        ("About 29826. Claim number 64483 was denied.", "64483"),
        ("About 29826. Acct 27130 belongs to the patient.", "27130"),
        ("About 29826. Account no. 11042 belongs to the patient.", "11042"),
        ("About 29826. Chart 45380 has the note.", "45380"),
        ("About 29826. MRN: 20550.", "20550"),
        ("About 29826. Invoice 45378 is attached.", "45378"),
        ("About 29826. Re ticket #22551.", "22551"),
        ("About 29826. Batch 36415 was rejected.", "36415"),
        ("About 29826. Member ID 90837 on the card.", "90837"),
        ("About 29826. Member 90834 on the card.", "90834"),
        ("About 29826. PTAN 55210 for the group.", "55210"),
        ("About 29826. NPI: 19283 (partial).", "19283"),
        ("About 29826. Our TIN 74-12345 was wrong.", "12345"),
        ("About 29826. Policy 87654 covers it.", "87654"),
        ("About 29826. Case # 43644 is open.", "43644"),
        ("About 29826. Reference #71045.", "71045"),
        ("About 29826. Order #45678 has shipped.", "45678"),
        ("About 29826. Contract H1234-001 applies.", "H1234"),
        ("About 29826. Room B2105.", "B2105"),
        ("About 29826. Model K1000 was used.", "K1000"),
        ("About 29826. Zip code 75201.", "75201"),
        ("About 29826. Group 45678 on the card.", "45678"),
        ("About 29826. Sent to payer 60054.", "60054"),
        ("About 29826. Provider #33412 billed it.", "33412"),
        ("About 29826. Auth # 98765 approved.", "98765"),
        ("About 29826. See CLM-48213 and PO-20610.", "48213"),
        ("About 29826. Medicare #31234 on file.", "31234"),
        ("About 29826. MR# 45123 and Unit #45124.", "45123"),
        ("About 29826. POB 45125.", "45125"),
        # Money, measurements and counts.
        ("About 29826, we were paid $12500 not more.", "12500"),
        ("About 29826, the charge was 20610.50 total.", "20610"),
        ("About 29826, we expect USD 25000 from them.", "25000"),
        ("About 29826, roughly 10000 dollars a year.", "10000"),
        ("About 29826, we gave 15000 units of heparin.", "15000"),
        ("About 29826, the dose was 25000 mg in total.", "25000"),
        ("About 29826, we infused 10000 mL overall.", "10000"),
        ("About 29826, the graft covered 12000 sq cm.", "12000"),
        ("About 29826, over 30000 minutes of therapy.", "30000"),
        ("About 29826, we file about 30000 claims a year.", "30000"),
        ("About 29826, we see 15000 patients per year.", "15000"),
    ],
)
def test_identifiers_money_measurements_and_counts_are_set_aside(text: str, number: str) -> None:
    extraction = extract(text)
    assert extraction.code_strings == ["29826"], text
    assert number in {item.text for item in extraction.set_aside}, text


def test_an_extension_glued_to_its_x_is_never_a_candidate() -> None:
    assert extract("About 29826. Call (214) 555-0100 x20610.").code_strings == ["29826"]


def test_an_identifier_label_covers_its_whole_enumeration() -> None:
    extraction = extract("Claims #51233, 51234 and 51235 were denied for 29826.")
    assert extraction.code_strings == ["29826"]


@pytest.mark.parametrize(
    "text",
    [
        "About 29826, done on 11/24/2026 at 10:45.",
        "About 29826, done 2026-11-24T14:30:00.",
        "About 29826, done on 24.11.2026 and billed Nov 24, 2026.",
        "About 29826, in 2025 and again in FY2026 (CY 2026).",
        "About 29826, patient born 04/12/1961, DOB 19610412.",
    ],
)
def test_dates_times_and_years_are_never_codes(text: str) -> None:
    assert extract(text).code_strings == ["29826"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("We read the Head CT 70450 ourselves.", "70450"),
        ("Chest PA 71046 was done twice.", "71046"),
        ("Our Humana MA 99214 visits are denied.", "99214"),
        ("Dr Jones MD 20610 was his line.", "20610"),
        ("In this case 99214 fits better.", "99214"),
        ("Our 99213 claims keep getting denied.", "99213"),
        ("New patient 99204 versus consult.", "99204"),
        ("A question about 93000 with a visit.", "93000"),
        ("For reference, 64483 is the first level.", "64483"),
        ("For reference 64484 is the add-on.", "64484"),
        ("Tracking codes 0714T need a note.", "0714T"),
        ("Brain MR 70551 without contrast.", "70551"),
        ("Seen for 1 unit 96366 only.", "96366"),
        ("Seen in Boston for 17110 twice.", "17110"),
    ],
)
def test_codes_next_to_words_that_also_mark_look_alikes_are_kept(text: str, code: str) -> None:
    assert extract(text).code_strings == [code]


def test_a_weak_reason_yields_to_a_modifier_or_known_code() -> None:
    assert extract("We see about 12000 claims.").code_strings == []
    assert extract("Last year: 12000 claims.").code_strings == []
    assert extract("We process 12500 claims for 99214.").code_strings == ["99214"]
    assert extract("Denials on 99214-25 claims this month.").code_strings == ["99214"]
    known = extract("Our office 99291 minutes question.", known_codes={"99291"})
    assert known.code_strings == ["99291"]
    assert known.codes[0].known is True


def test_known_code_does_not_overrule_a_strong_reason() -> None:
    extraction = extract("Mail: Sacramento, CA 95816", known_codes={"95816"})
    assert extraction.code_strings == []


def test_unknown_code_in_code_context_is_reported_as_unknown() -> None:
    extraction = extract("Is CPT 99999 valid with 99213?", known_codes=lambda c: c == "99213")
    assert [(m.code, m.known) for m in extraction.codes] == [("99999", False), ("99213", True)]


def test_no_code_has_these_shapes() -> None:
    extraction = extract("Boston 02134 and 05012, 00012, 1500T, D1110 and W1234 are not codes.")
    assert extraction.code_strings == []


def test_bare_numbers_under_a_closing_line_are_the_signature() -> None:
    assert extract("Is 99213 ok?\nThanks,\nMidtown Imaging\nAtlanta 30309").code_strings == [
        "99213"
    ]
    assert extract("Hi,\nThanks!\nCan 99213 go with 20610?").code_strings == ["99213", "20610"]
    assert extract("Best,\nAl\nP.S. also 99214-25").code_strings == ["99214"]


def test_a_signature_block_yields_nothing() -> None:
    signature = (
        "Thanks,\n--\nKim Alvarez, CPC, CRC\nLakeshore Surgical Billing\n"
        "3300 Lakeshore Dr, Suite 12010\nChicago, IL 60657-2210\n"
        "P: 312-555-0147 x 20550 | F: 312-555-0148\nNPI 1487654321 | TIN 36-4567890\n"
        "Ticket #48213 | Member ID W918273645\n"
    )
    assert extract("Can 29826 go with 29827?\n" + signature).code_strings == ["29826", "29827"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Morning! We billed 29881-RT and 29877-59-RT on one knee; 29877 was denied. "
            "Should it be G0289?\n\nRegards,\nTom\nSummit Ortho\n"
            "7300 W 110th St, Overland Park, KS 66210\nO: (913) 555-0133 | F: (913) 555-0134",
            ["29881", "29877", "G0289"],
        ),
        (
            "Small practice in Asheville NC 28801. Wellness: G0438 or G0439 plus 99396?",
            ["G0438", "G0439", "99396"],
        ),
        (
            "Re: Case #48213\nFollowing up on 64635 and 64636 x 2. Claim ID 552019-88.",
            ["64635", "64636"],
        ),
        ("We charge 150.00 per 97110 unit and 45000 per year overall.", ["97110"]),
        ("FY 2025 budget 25000; we bill 99213 mostly.", ["99213"]),
        ("Member: XJH123456789, group 76412, plan 00512. Code 00812.", ["00812"]),
        ("See the EOB (check 48291) for 20610.", ["20610"]),
        ("Acct#20610 / Claim#99213 are ids. The code is 97110.", ["97110"]),
        ("Our office hours are 0800-1700; call about 99215.", ["99215"]),
        ("Records: P.O. Box 96372, Richmond, VA 23261.", []),
        ("Send to PO BOX 20550\nRichmond VA 23261", []),
        ("Clinic: 45 Elm Street\nSpringfield, MA 01103\nTel 413.555.0190", []),
        ("We saw 12 patients with 99213 and 4 with 99214 today.", ["99213", "99214"]),
        ("Chart #: 81003. Billed 81003 for the dipstick.", ["81003"]),
    ],
)
def test_whole_questions(text: str, expected: list[str]) -> None:
    assert extract(text).code_strings == expected
