"""Extraction speed on one core: questions per second and MB/s.

The questions are generated here, in the project's own words: 1-3 KB coding
questions as people mail them, with a greeting, the case, the codes (with
modifiers, units, ranges and diagnoses written the usual ways), and a
signature with an address, phone, fax and a confidentiality notice. Time is
CPU time of this process (``time.process_time``), so other work on the machine
does not count against it. Prints figures; asserts nothing.

    .venv/bin/python bench/extraction.py [--questions N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import re
import time

from consultant.extraction import extract

_CODES_WRITTEN = (
    "99202 99203 99204 99205 99212 99213 99214 99215 99417 G2211 20610 20611 36415 96372 "
    "63030 63035 63047 63048 22551 22552 22853 22633 22634 22840 20936 27447 27130 29881 "
    "64483 64484 62323 93000 93010 71046 72148 70450 88305 88342 11042 11045 97110 97140 "
    "97597 45380 43239 J1885 J3301 J1100 E0601 A7030 L3000 C1713 0275T 3074F 3078F 0001U"
)
CODES = _CODES_WRITTEN.split()
MODIFIERS = ["25", "59", "RT", "LT", "50", "26", "XS", "XU", "GA", "KX"]
DIAGNOSES = ["M51.16", "M54.50", "G89.29", "Z12.11", "E11.9", "I10", "M17.11", "S83.241A"]
FIRST = ["Dana", "Lee", "Priya", "Marcus", "Elena", "Sam", "Tomas", "Grace"]
LAST = ["Whitfield", "Okafor", "Nguyen", "Brennan", "Salazar", "Kowalski", "Adeyemi"]
CITIES = [("Houston", "TX", "77030"), ("Tampa", "FL", "33606"), ("Columbus", "OH", "43215")]
OPENINGS = [
    "Hi team,\n\nI hope your week is going well. I have a question that came up in our "
    "coding review this morning and the providers would like an answer before we resubmit.",
    "Hello,\n\nWe had a back-and-forth with a commercial payer about the following case "
    "and I would appreciate a second opinion before we send our appeal letter.",
    "Good afternoon,\n\nOne of our surgeons asked me to double check how we report a case "
    "from last Tuesday. The operative note is long, so here is the short version.",
]
CASE_LINES = [
    "The surgeon reported {a} together with {b} and the payer bundled the second line.",
    "We billed {a}-{m} with {b} x{n} and received a denial on the second code.",
    "Our coder picked {a} but the physician thinks {b} fits the documentation better.",
    "Is it acceptable to report {a} and {b} on the same date of service for Medicare?",
    "The visit levels in question are {a} through {b}; the time was about 45 minutes.",
    "For the add-on, should it be +{b} once or {b} x {n} when two levels were treated?",
    "Diagnosis codes on the claim are {d1} and {d2}, with {a} as the primary procedure.",
    "The note lists {a}, {b} and {c}; which of these need modifier {m} to be paid?",
    "We also supplied {c} in the office, so the drug line should carry the right units.",
]
# Lines about the case that name no code: most of a real question is prose.
PROSE = [
    "The patient is a 67 year old seen in clinic after a fall at home two weeks ago.",
    "Imaging showed moderate narrowing at two levels, and conservative care had not helped.",
    "The procedure took a little under three hours and there were no complications.",
    "Our documentation lists the approach, the levels treated and the implants used.",
    "The payer's policy page was updated last quarter, which is part of our confusion.",
    "We checked the edit tables ourselves but could not tell whether the edit applies here.",
    "Prior authorization was approved on the 3rd, and the case was done the following week.",
    "Our billing system flags the combination, so we held the claim until we hear back.",
    "The physician's note mentions a separate incision and a different session that day.",
]
QUESTIONS = [
    "Can you tell us whether the modifier is appropriate here, and if so which one?",
    "Do we need to split these onto separate claim lines, or is one line with units fine?",
    "Would you recommend an appeal, or should we correct and resubmit the claim instead?",
]
DISCLAIMER = (
    "CONFIDENTIALITY NOTICE: This message and any attachments are intended only for the "
    "person or entity to which they are addressed and may contain information that is "
    "privileged or confidential. If you received this message in error, please notify the "
    "sender right away and delete it from your system. Thank you."
)


def question(rng: random.Random) -> str:
    """One generated question of roughly 1-3 KB, signature included."""
    parts = [rng.choice(OPENINGS), ""]
    for _ in range(rng.randint(6, 24)):
        if rng.random() < 0.6:
            parts.append(rng.choice(PROSE))
            continue
        a, b, c = rng.sample(CODES, 3)
        d1, d2 = rng.sample(DIAGNOSES, 2)
        line = rng.choice(CASE_LINES)
        parts.append(line.format(a=a, b=b, c=c, m=rng.choice(MODIFIERS), n=rng.randint(1, 4),
                                 d1=d1, d2=d2))  # fmt: skip
    parts += ["", rng.choice(QUESTIONS), "", "Thanks so much,", ""]
    city, state, zip_code = rng.choice(CITIES)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    parts += [
        f"{name}, CPC, CPMA",
        "Revenue Cycle Coding Lead",
        f"{rng.randint(100, 24000)} Commerce Street, Suite {rng.randint(100, 2400)}",
        f"{city}, {state} {zip_code}",
        f"Phone {rng.randint(200, 989)}-555-{rng.randint(1000, 9999)} ext {rng.randint(10, 99999)}"
        f" | Fax {rng.randint(200, 989)}-555-{rng.randint(1000, 9999)}",
        f"NPI {rng.randint(10**9, 10**10 - 1)} | Ticket #{rng.randint(10000, 99999)}",
    ]
    if rng.random() < 0.6:
        parts += ["", DISCLAIMER]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    questions = [question(rng) for _ in range(options.questions)]
    size = sum(len(q.encode("utf-8")) for q in questions)
    extract(questions[0])  # warm the regular expression caches
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        codes = sum(len(extract(q).codes) for q in questions)
        best = min(best, time.process_time() - started)
    print(f"questions      {len(questions)} ({size / len(questions) / 1024:.1f} KB on average)")
    print(f"codes found    {codes} ({codes / len(questions):.1f} a question)")
    print(f"questions/s    {len(questions) / best:,.0f}")
    print(f"MB/s           {size / best / 1e6:.1f}  (one core, CPU time, best of 3)")
    # For scale: the machine's speed right now, on the same text (the issue quotes ~100 MB/s).
    bare = re.compile(r"\b\d{5}\b")
    reference = float("inf")
    for _ in range(3):
        started = time.process_time()
        for q in questions:
            bare.findall(q)
        reference = min(reference, time.process_time() - started)
    print(f"bare \\d{{5}}    {size / reference / 1e6:.1f} MB/s on the same questions (for scale)")


if __name__ == "__main__":
    main()
