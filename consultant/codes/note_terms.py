"""The codes a coding note applies to: how the notes file writes them and when a question matches.

A note's ``codes`` cell holds terms separated by spaces; the note matches a
question when any one of them does:

- a code, ``G2211``: the question names it;
- a modifier, ``25``: the question writes it on any code;
- a range, ``99202-99499``: the question names a code of the same form inside it;
- a combination joined by ``+``, ``29880+G0289``: the question names every part, each part
  a different code; ``*`` stands for any code the question names besides the other parts;
- a PTP edit, column 1 ``>`` column 2: an NCCI procedure-to-procedure edit in force
  between two codes the question names has them in these columns
  (``*>99202-99499``: an E/M code in column 2 of an edit with any other code named).

Kept free of the database so the importer, the lookup and the tests share one reading.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

_CODE_SHAPES = (
    re.compile(r"\d{5}"),
    re.compile(r"\d{4}F"),
    re.compile(r"\d{4}T"),
    re.compile(r"\d{4}U"),
    re.compile(r"[A-Z]\d{4}"),
)
# CPT and HCPCS Level II modifiers: two characters, digits or capitals (25, 59, XS, RT, G7).
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
ANY_CODE = "*"


class BadNoteTerm(ValueError):
    """A term of a note's ``codes`` cell that is no code, modifier, range or combination."""


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a term: a code, a modifier, a range of codes, or any other code (``*``)."""

    kind: str  # "code", "modifier", "range" or "any"
    first: str = ""
    last: str = ""

    def __str__(self) -> str:
        if self.kind == "any":
            return ANY_CODE
        return f"{self.first}-{self.last}" if self.kind == "range" else self.first

    def matches_code(self, code: str) -> bool:
        if self.kind == "code":
            return code == self.first
        if self.kind == "range":
            return _shape(code) == _shape(self.first) and self.first <= code <= self.last
        return self.kind == "any"


def _shape(text: str) -> int | None:
    for number, pattern in enumerate(_CODE_SHAPES):
        if pattern.fullmatch(text):
            return number
    return None


def parse_part(text: str) -> Part:
    """One part of a term; raises BadNoteTerm saying what is wrong with it."""
    if text == ANY_CODE:
        return Part("any")
    if "-" in text:
        first, _, last = text.partition("-")
        if _shape(first) is None or _shape(first) != _shape(last):
            raise BadNoteTerm(f"range {text!r} must join two codes of the same form")
        if first > last:
            raise BadNoteTerm(f"range {text!r} ends before it starts")
        return Part("range", first, last)
    if _shape(text) is not None:
        return Part("code", text)
    if _MODIFIER.fullmatch(text):
        return Part("modifier", text)
    raise BadNoteTerm(f"{text!r} is not a code, a modifier, a range or *")


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a ``codes`` cell: its parts, and whether it is a PTP edit (column 1, 2)."""

    parts: tuple[Part, ...]
    edit: bool = False

    def __str__(self) -> str:
        return (">" if self.edit else "+").join(str(part) for part in self.parts)


def parse_terms(cell: str) -> tuple[Term, ...]:
    """Every term of a ``codes`` cell; at least one."""
    terms = []
    for word in cell.upper().split():
        edit = ">" in word
        parts = tuple(parse_part(piece) for piece in word.split(">" if edit else "+"))
        if not any(p.kind in ("code", "range", "modifier") for p in parts):
            raise BadNoteTerm(f"{word!r} names no code, range or modifier")
        if len(parts) > 1 and sum(p.kind == "any" for p in parts) > 1:
            raise BadNoteTerm(f"{word!r} has more than one *")
        if edit and (len(parts) != 2 or any(p.kind == "modifier" for p in parts)):
            raise BadNoteTerm(f"{word!r}: an edit term is two codes, column 1>column 2")
        terms.append(Term(parts, edit))
    if not terms:
        raise BadNoteTerm("no codes: give at least one code, modifier, range or pair")
    return tuple(terms)


def term_matches(
    term: Term,
    codes: Sequence[str],
    modifiers: Collection[str],
    edits: Collection[tuple[str, str]] = (),
) -> bool:
    """Whether the question satisfies every part of ``term``, each part with its own code.

    ``edits``: the (column 1, column 2) pairs of the PTP edits in force between its codes.
    """
    parts = term.parts
    if term.edit:
        first, second = parts
        return any(
            first.matches_code(one) and second.matches_code(two)
            for one, two in edits
            if one != two and one in codes and two in codes
        )
    if any(p.kind == "modifier" and p.first not in modifiers for p in parts):
        return False
    # "any" last, so a specific part never loses its code to it.
    wanted = sorted((p for p in parts if p.kind != "modifier"), key=lambda p: p.kind == "any")
    return _assign(wanted, list(codes))


def _assign(parts: list[Part], free: list[str]) -> bool:
    if not parts:
        return True
    first, rest = parts[0], parts[1:]
    for position, code in enumerate(free):
        if first.matches_code(code) and _assign(rest, free[:position] + free[position + 1 :]):
            return True
    return False


def written_terms(terms: Sequence[Term]) -> str:
    """The terms as the notes file writes them, upper-cased: ``G2211 29880+G0289``."""
    return " ".join(str(term) for term in terms)


def note_matches(
    terms: Sequence[Term],
    codes: Sequence[str],
    modifiers: Collection[str],
    edits: Collection[tuple[str, str]] = (),
) -> bool:
    """Whether any term of a note matches what the question names (and its PTP edits)."""
    return any(term_matches(term, codes, modifiers, edits) for term in terms)
