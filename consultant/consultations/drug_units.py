"""A drug dose in billing units: the dose written in the question over the dose one unit of the
HCPCS drug code stands for, as its description ends ("per 15 mg", "up to 20 mg", "0.1 mg")."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from consultant.codes.kinds import is_drug_code

Finding = dict[str, Any]
Facts = dict[str, Any]

# The dose is the description's last clause, after a comma: "0.5 mg/0.5 ml" names no unit dose.
_DESCRIPTOR_DOSE = re.compile(
    r"(?:\A|,)\s*(?:per\s+|up\s+to\s+)?"
    r"(?P<amount>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>[a-zµ]+)\s*\Z",
    re.IGNORECASE,
)
_NOT_SPECIFIED_TAIL = re.compile(r",\s*not otherwise specified\s*\Z", re.IGNORECASE)
_UNIT_NAMES = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg", "mcg": "mcg", "microgram": "mcg",
    "micrograms": "mcg", "µg": "mcg", "g": "g", "gm": "g", "gram": "g", "grams": "g",
    "ml": "mL", "cc": "mL", "iu": "IU", "units": "units", "unit": "units", "meq": "mEq",
    "mci": "mCi", "mmol": "mmol",
}  # fmt: skip
# Masses convert into each other; any other unit only matches itself.
_IN_MICROGRAMS = {"mcg": Decimal(1), "mg": Decimal(1000), "g": Decimal(1_000_000)}


def drug_units(c: Facts) -> Finding | None:
    """The billing units of a drug dose: the dose over the descriptor's, rounded up."""
    dose = c.get("dose")
    if dose is None or not is_drug_code(c["code"]) or c.get("descriptor_source") != "hcpcs":
        return None
    per_unit = descriptor_dose(c.get("descriptor") or "")
    finding: Finding = {
        "kind": "drug_units",
        "codes": [c["code"]],
        "dose": f"{dose['amount']} {dose['unit']}",
        "per_unit": None if per_unit is None else f"{_plain(per_unit[0])} {per_unit[1]}",
        "units": None,
        "mue": None if c.get("mue") is None else c["mue"]["value"],
        "within_mue": None,
    }
    if per_unit is None:
        return finding
    ratio = _ratio(Decimal(dose["amount"]), dose["unit"], *per_unit)
    if ratio is None:
        return finding
    # CMS bills a drug in whole units of its descriptor's dose; a part of a unit counts as one.
    units = max(1, int(ratio.to_integral_value(rounding=ROUND_CEILING)))
    finding["units"] = units
    if finding["mue"] is not None:
        finding["within_mue"] = units <= finding["mue"]
    return finding


def descriptor_dose(description: str) -> tuple[Decimal, str] | None:
    """The dose one unit of a drug code stands for, from its HCPCS description's end."""
    plain = _NOT_SPECIFIED_TAIL.sub("", description.strip().rstrip("."))
    match = _DESCRIPTOR_DOSE.search(plain)
    if match is None:
        return None
    unit = _UNIT_NAMES.get(match.group("unit").lower())
    try:
        amount = Decimal(match.group("amount").replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None
    if unit is None or amount <= 0:
        return None
    return amount, unit


def _ratio(amount: Decimal, unit: str, per: Decimal, per_unit: str) -> Decimal | None:
    if unit == per_unit:
        return amount / per
    if unit in _IN_MICROGRAMS and per_unit in _IN_MICROGRAMS:
        return (amount * _IN_MICROGRAMS[unit]) / (per * _IN_MICROGRAMS[per_unit])
    return None


def _plain(amount: Decimal) -> str:
    """``15`` for 15, ``0.1`` for 0.1: no exponent, no trailing zeros."""
    return format(amount.normalize(), "f")
