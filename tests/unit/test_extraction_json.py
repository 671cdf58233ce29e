"""``consultant extract --jsonl``: the JSON lines keep their keys and gain "dose" and
"date_of_service"."""

from __future__ import annotations

import io
import json

from consultant.extraction.commands import run_jsonl


def _rows(*requests: object) -> list[dict[str, object]]:
    out = io.StringIO()
    run_jsonl([json.dumps(request).encode() for request in requests], out, None)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_code_has_a_dose_or_null_and_the_row_a_date_of_service_or_null() -> None:
    [row] = _rows({"id": "q1", "text": "Toradol 60 mg: J1885 and 2 units of 96372?"})
    assert set(row) == {"id", "codes", "ranges", "icd10", "date_of_service"}
    j1885, injection = row["codes"]  # type: ignore[misc]
    assert set(j1885) == {
        "code", "system", "modifiers", "units", "add_on_mark", "known", "reasons", "dose"
    }  # fmt: skip
    assert (j1885["code"], j1885["dose"]) == ("J1885", {"amount": 60, "unit": "mg"})
    assert (injection["code"], injection["units"], injection["dose"]) == ("96372", 2, None)
    assert row["date_of_service"] is None


def test_a_date_in_the_request_is_the_reference_for_relative_dates() -> None:
    seen, labelled, fractional = _rows(
        {"id": 1, "text": "Seen yesterday: 99213.", "date": "2025-02-19T08:31:07-06:00"},
        {"id": 2, "text": "DOS 02/18/2025: 99213."},
        {"id": 3, "text": "Dexamethasone 0.5 mg, J1100."},
    )
    assert seen["date_of_service"] == labelled["date_of_service"] == "2025-02-18"
    assert fractional["codes"][0]["dose"] == {"amount": 0.5, "unit": "mg"}  # type: ignore[index]


def test_a_bad_date_is_an_error_line_and_the_next_line_is_answered() -> None:
    bad, good = _rows({"id": 1, "text": "99213", "date": "soon"}, {"id": 2, "text": "99213"})
    assert bad == {"id": 1, "error": '"date" is not an ISO date such as 2025-02-19'}
    assert good["codes"][0]["code"] == "99213"  # type: ignore[index]
