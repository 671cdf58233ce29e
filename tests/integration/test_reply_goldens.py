"""Golden replies on the real CMS files: each question's findings and the whole reply.

The shared add-on, MUE, fee schedule and HCPCS files import whole, with the
notes file; the 2.5-million-row PTP file is cut to the rows between the codes
these questions name (``CODES``, checked below) and imported in its own form.
Every golden in tests/data/goldens/ was reviewed line by line against the CMS
files; regenerate with UPDATE_GOLDEN=1 only to review again.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from consultant.codes.importers import import_file
from consultant.consultations.drafting import DraftReply, draft_reply, question_codes
from consultant.db import unit_of_work
from consultant.extraction.dates import date_of_service_for_message
from consultant.mail.parsing import parse_message
from tests.databases import MigratedTemplate, drop_database

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "data" / "goldens"
REPLIES_DIR = Path(__file__).resolve().parents[1] / "data" / "replies"
NOTES_FILE = Path(__file__).resolve().parents[2] / "consultant" / "codes" / "notes" / "notes.csv"
PTP_NAME = "ncci-ptp-practitioner-2024-07-01"
WHOLE_FILES = (
    "ncci-addon-code-edits-2024q2.csv",
    "ncci-mue-practitioner-2024-07-01.csv",
    "pfs-indicators-2024-07.csv",
    "HCPC2025_OCT_ANWEB.xlsx",
)


@dataclass(frozen=True)
class Case:
    """A question (its text, or a stored reply email) and the day it arrived."""

    question: str = ""
    arrived: dt.date = dt.date(2024, 7, 15)
    eml: str | None = None


CASES = {
    "pair_indicator_0": Case(
        "Spine case: 63047 with 69990 for the microscope. Will Medicare pay both? DOS 08/05/2024"
    ),
    "em_with_procedure_same_day": Case(
        "Established patient seen for knee pain, 99213, and the doctor injected the knee, "
        "20610, the same day (07/22/2024). Do we need a modifier?"
    ),
    "em_decision_for_major_surgery": Case(
        "Hospital visit 99223 on 07/09/2024 where the surgeon decided on a knee "
        "replacement, 27447, done the next morning. Modifier on the visit?"
    ),
    "bilateral_as_rt_and_lt": Case(
        "We billed 20610-RT and 20610-LT for both knees on 08/01/2024. Is that right?"
    ),
    "drug_ended_before_its_last_day": Case(
        "Naloxone 0.4 mg IV, J2310, given 06/15/2025. How many units?", dt.date(2025, 6, 20)
    ),
    "drug_ended_after_its_last_day": Case(
        "Naloxone 0.4 mg IV, J2310, given 07/15/2025. How many units?", dt.date(2025, 7, 20)
    ),
    "drug_dose_to_units": Case(
        "Toradol 60 mg IM: J1885 and 96372 on 07/10/2024. How many units of J1885?"
    ),
    "units_over_mue_indicator_1": Case("A6460 x 3 dressings on 09/03/2024, all on one line?"),
    "units_over_mue_indicator_2": Case(
        "Facet injections 64483 x 2 on 07/30/2024, L4-5 and L5-S1. Any problem?"
    ),
    "units_over_mue_indicator_3": Case(
        "20610 x 3 on 08/12/2024: both knees and the right shoulder. Will it pay?"
    ),
    "addon_with_its_primary": Case(
        "Lumbar laminectomy 63047 with 63048 x 2 for two more levels on 07/08/2024."
    ),
    "addon_without_its_primary": Case("Can 63048 be billed by itself? Surgery was 07/08/2024."),
    "addon_contractor_defined": Case(
        "Our surgeon used 15777 on a breast reconstruction on 07/18/2024. Which primary?"
    ),
    "status_i": Case(
        "Medicare patient seen in consult on 07/16/2024, we billed 99242. Denied, why?"
    ),
    "unknown_code": Case("Is 0999T ok to bill with 20610? Seen 07/16/2024."),
    "bottom_posted_reply": Case(
        eml="thunderbird_bottom_posted_flowed.eml", arrived=dt.date(2025, 2, 19)
    ),
    "interleaved_reply": Case(
        eml="thunderbird_interleaved_flowed.eml", arrived=dt.date(2025, 2, 20)
    ),
    "no_date_of_service": Case(
        "Can 99214 be billed with G2211 for our established patients?", dt.date(2024, 8, 20)
    ),
    "modifier_question_without_code": Case(
        "When should we use modifier XS instead of 59?", dt.date(2024, 8, 20)
    ),
    "no_code_at_all": Case(
        "How do I code a visit where the patient only needed a refill?", dt.date(2024, 8, 20)
    ),
    "anesthesia_base_units": Case(
        "Anesthesia for a knee arthroscopy, 01382, on 07/25/2024: how many base units?"
    ),
    "anesthesia_with_a_block": Case(
        "Anesthesia 01402 for a knee replacement and a femoral nerve block 64447 the "
        "anesthesiologist placed for post-op pain, on 07/25/2024. Modifier?"
    ),
    "diagnosis_coverage": Case(
        "Is 20610 covered for M17.11? The note says M17.11 twice. DOS 07/25/2024."
    ),
    "ended_with_published_crosswalk": Case(
        "Can we still bill Q9993 for the extended-release triamcinolone on 03/01/2019?",
        dt.date(2019, 3, 4),
    ),
    "status_b_supply": Case("Surgical tray A4550 with 20610 on 07/25/2024: separately payable?"),
    "knee_scope_with_notes": Case(
        "29881 and G0289 in the same knee, loose body in another compartment, 07/29/2024."
    ),
    "identifiers_are_not_codes": Case(
        "Claim #45380 was denied: 99213-25 with 11042 on 07/22/2024. Ticket 12345, "
        "office at 1200 Main St, Madison WI 53703."
    ),
}

#: Every code the questions name: the PTP rows kept are those between two of them.
_CODES_NAMED = """
    63047 69990 99213 20610 99223 27447 J2310 J2312 J1885 96372 A6460 64483 63048 15777
    99242 0999T 29881 29877 G0289 99214 G2211 01382 Q9993 J3304 A4550 11042 01402 64447
"""
CODES = frozenset(_CODES_NAMED.split())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def real_url(
    request: pytest.FixtureRequest,
    migrated_templates: dict[str, MigratedTemplate],
    cms_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A database holding the real CMS files (PTP cut to ``CODES``) and the notes, per backend."""
    folder = tmp_path_factory.mktemp(f"goldens-{request.param}")
    url = migrated_templates[str(request.param)].copy(folder)
    ptp = folder / f"{PTP_NAME}.csv"
    with (
        gzip.open(cms_dir / f"{PTP_NAME}.csv.gz", "rt", newline="") as source,
        ptp.open("w", newline="") as target,
    ):
        reader, writer = csv.reader(source), csv.writer(target)
        writer.writerow(next(reader))
        writer.writerows(row for row in reader if row[0] in CODES and row[1] in CODES)
    for name in WHOLE_FILES:
        import_file(url, cms_dir / name)
    import_file(url, ptp)
    import_file(url, NOTES_FILE, kind="notes")
    yield url
    drop_database(url)


def _question(case: Case) -> tuple[str, dt.datetime | None]:
    if case.eml is None:
        return case.question, None
    parsed = parse_message((REPLIES_DIR / case.eml).read_bytes())
    return parsed.new_text, parsed.date


def _draft(url: str, case: Case) -> DraftReply:
    text, sent = _question(case)
    arrived = dt.datetime.combine(case.arrived, dt.time(12), tzinfo=dt.UTC)
    service = date_of_service_for_message(text, sent, arrived)
    with unit_of_work(url) as session:
        return draft_reply(
            session,
            text,
            subject="Coding question",
            service_date=service.date,
            service_date_source=service.source,
        )


def _golden_text(reply: DraftReply) -> str:
    findings = "\n".join(json.dumps(f, sort_keys=True) for f in reply.facts["findings"])
    return f"Findings:\n{findings}\n\nSubject: {reply.subject}\n\n{reply.text}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_reply(real_url: str, name: str) -> None:
    reply = _draft(real_url, CASES[name])
    golden = GOLDEN_DIR / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        golden.write_text(_golden_text(reply))
    assert _golden_text(reply) == golden.read_text()


def test_every_code_named_is_kept_from_the_ptp_file() -> None:
    named = set()
    for case in CASES.values():
        text, _sent = _question(case)
        named |= {w.code for w in question_codes(text).codes}
    assert named <= CODES, sorted(named - CODES)


def test_the_goldens_cover_every_finding_kind() -> None:
    kinds = set()
    for golden in GOLDEN_DIR.glob("*.txt"):
        findings = golden.read_text().split("\n\n", 1)[0].splitlines()[1:]
        kinds |= {json.loads(line)["kind"] for line in findings}
    assert kinds >= {
        "addon_with_primary",
        "addon_without_primary",
        "pair_not_payable_together",
        "pair_bypass_modifier",
        "units_over_mue",
        "bilateral_one_line",
        "code_ended",
        "drug_units",
        "not_payable_medicare",
        "code_unknown",
        "data_cannot_answer",
        "pair_no_edit",
    }


# What a golden says, read back from its own sentences, to check against the raw files.
_HEADING = re.compile(r"^(?P<code>[0-9A-Z]{5}) \((?:CPT|HCPCS)[^)]*\)$")
_MUE = re.compile(r"MUE: at most (?P<value>\d+) units? per .*?\(adjudication indicator (?P<mai>\d)")
_STATUS = re.compile(r"^- Status (?P<status>[A-Z]) on the Medicare physician fee schedule")
_GLOBAL = re.compile(r"^- Global period (?P<days>\d{3}|[A-Z]{3}) ")
_EDIT = re.compile(
    r"column 1 is (?P<one>\w{5}), column 2 is (?P<two>\w{5}).*Modifier indicator (?P<mi>\d)"
)
_ENDED = re.compile(r"(?P<code>\w{5}) (?:ended on|can be reported for \S+: its last day is) "
                    r"(?P<day>\d{4}-\d{2}-\d{2})")  # fmt: skip
_PRIMARIES = re.compile(r"^- (?P<code>\w{5}) is an add-on code, and your question names none of "
                        r"its (?P<count>\d+) listed")  # fmt: skip


@pytest.fixture(scope="module")
def raw_cms(cms_dir: Path) -> dict[str, Any]:
    """The CMS files read with the csv module and openpyxl alone, never the importers."""

    def rows(name: str) -> list[dict[str, str]]:
        with (cms_dir / name).open(newline="") as handle:
            return list(csv.DictReader(handle))

    ptp: dict[tuple[str, str], str] = {}
    with gzip.open(cms_dir / f"{PTP_NAME}.csv.gz", "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["column_1"] in CODES and row["column_2"] in CODES and not row["deletion_date"]:
                ptp[(row["column_1"], row["column_2"])] = row["modifier_indicator"]
    workbook = openpyxl.load_workbook(cms_dir / "HCPC2025_OCT_ANWEB.xlsx", read_only=True)
    sheet = workbook.active
    assert sheet is not None
    lines = sheet.iter_rows(values_only=True)
    header = [str(cell) for cell in next(lines)]
    ended = {}
    for line in lines:
        record = dict(zip(header, line, strict=False))
        if record["TERM DT"] and record["SEQNUM"] == "0010":
            ended[str(record["HCPC"])] = str(record["TERM DT"])
    primaries: dict[str, int] = {}
    for row in rows("ncci-addon-code-edits-2024q2.csv"):
        if row["primary_code"] != "CCCCC" and not row["edit_deleted_year"]:
            primaries[row["add_on_code"]] = primaries.get(row["add_on_code"], 0) + 1
    return {
        "mue": {
            r["hcpcs_code"]: (r["mue_value"], r["mai"])
            for r in rows("ncci-mue-practitioner-2024-07-01.csv")
        },
        "pfs": {r["hcpcs_code"]: r for r in rows("pfs-indicators-2024-07.csv") if not r["mod"]},
        "ptp": ptp,
        "ended": ended,
        "primaries": primaries,
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_goldens_agree_with_the_cms_files(raw_cms: dict[str, Any], name: str) -> None:
    """Every MUE, status, global period, PTP edit, end date and primary count a golden states
    is the value of the CMS file itself."""
    checked = 0
    code = None
    for line in (GOLDEN_DIR / f"{name}.txt").read_text().splitlines():
        if heading := _HEADING.match(line):
            code = heading["code"]
        if code and (mue := _MUE.search(line)):
            assert raw_cms["mue"][code] == (mue["value"], mue["mai"]), (code, line)
            checked += 1
        if code and (status := _STATUS.match(line)):
            assert raw_cms["pfs"][code]["status"] == status["status"], (code, line)
            checked += 1
        if code and (days := _GLOBAL.match(line)):
            assert raw_cms["pfs"][code]["glob"] == days["days"], (code, line)
            checked += 1
        if edit := _EDIT.search(line):
            assert raw_cms["ptp"][(edit["one"], edit["two"])] == edit["mi"], line
            checked += 1
        if ended := _ENDED.search(line):
            assert raw_cms["ended"][ended["code"]] == ended["day"].replace("-", ""), line
            checked += 1
        if listed := _PRIMARIES.match(line):
            assert raw_cms["primaries"][listed["code"]] == int(listed["count"]), line
            checked += 1
    no_facts = {"modifier_question_without_code", "no_code_at_all", "unknown_code"}
    assert checked > 0 or name in no_facts
