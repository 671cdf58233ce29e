"""The date of service a question names, read against the day the message was written."""

from __future__ import annotations

import datetime as dt

import pytest

from consultant.extraction import extract
from consultant.extraction.dates import date_of_service_for_message, read_date_of_service

# A Wednesday.
WRITTEN = dt.date(2025, 2, 19)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DOS 02/18/2025, can 96372 go with 20610?", dt.date(2025, 2, 18)),
        ("Date of service: 2/18/25 for 99213.", dt.date(2025, 2, 18)),
        ("date of service 2025-02-18, 99214-25 and 20610", dt.date(2025, 2, 18)),
        ("The patient was seen on 11/04/2024 for 99213.", dt.date(2024, 11, 4)),
        ("Surgery on March 3, 2025: 29881 and 29877?", dt.date(2025, 3, 3)),
        ("Patient seen today for 99213 and G2211.", WRITTEN),
        ("The injection was given yesterday: 96372.", dt.date(2025, 2, 18)),
        ("The tracing was done at the hospital last Tuesday.", dt.date(2025, 2, 18)),
        ("Seen last Wednesday for the same knee.", dt.date(2025, 2, 12)),
        ("She was seen on Monday, 99214.", dt.date(2025, 2, 17)),
        ("DOS yesterday, 99213.", dt.date(2025, 2, 18)),
        ("Seen Feb 20 for the first visit.", dt.date(2024, 2, 20)),  # a February 20 to come
    ],
)
def test_the_date_of_service_the_question_names(text: str, expected: dt.date) -> None:
    assert read_date_of_service(text, WRITTEN) == expected
    assert extract(text, reference_date=WRITTEN).date_of_service == expected


@pytest.mark.parametrize(
    "text",
    [
        "The policy changed on 01/01/2025; can we bill 99213?",
        "Effective 01/01/2025 the edit applies to 20610.",
        "Patient DOB 04/12/1961, billed 99213.",
        "The claim was paid on 02/01/2025 at a lower rate.",
        "The payer changed its policy last Tuesday.",
        "I have one more question today about 99213.",
        "On 02/30/2025 we billed 99213.",  # no such day
        "We billed 99213 for 11 patients in 2025.",
    ],
)
def test_other_dates_are_not_the_date_of_service(text: str) -> None:
    assert read_date_of_service(text, WRITTEN) is None


def test_a_labelled_date_wins_over_an_earlier_one() -> None:
    text = "Seen on 02/03/2025 first; DOS 02/10/2025 is the one denied."
    assert read_date_of_service(text, WRITTEN) == dt.date(2025, 2, 10)


def test_relative_dates_need_the_day_the_message_was_written() -> None:
    assert read_date_of_service("Seen yesterday for 99213.") is None
    assert read_date_of_service("Seen Feb 3 for 99213.") is None  # which year?
    assert read_date_of_service("DOS 02/18/2025") == dt.date(2025, 2, 18)


def test_the_message_date_is_the_reference_and_the_arrival_date_the_fallback() -> None:
    # Written late on the 19th in Chicago; arrived on the 20th, UTC.
    sent = dt.datetime(2025, 2, 19, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    arrived = dt.datetime(2025, 2, 20, 5, 31, tzinfo=dt.UTC)
    named = date_of_service_for_message("Seen yesterday.", sent, arrived)
    assert (named.date, named.source) == (dt.date(2025, 2, 18), "question")
    fallback = date_of_service_for_message("Can 99213 go with G2211?", sent, arrived)
    assert (fallback.date, fallback.source) == (dt.date(2025, 2, 20), "arrival")
    no_header = date_of_service_for_message("Seen today.", None, arrived)
    assert (no_header.date, no_header.source) == (dt.date(2025, 2, 20), "question")
