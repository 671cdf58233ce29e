"""The words written just before a code-shaped token, read once and asked many questions.

Reading the last few words into a list and looking them up in sets is several
times faster than running a dozen end-anchored regular expressions over the
same window, and the extractor asks for every candidate.
"""

from __future__ import annotations

import re

from consultant.extraction.places import (
    CLINICAL_ABBREVIATIONS,
    STATE_ABBREVIATIONS,
    STATE_NAMES,
    zip_fits_state,
)

_WINDOW = 40


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# ASCII classes: faster, and a non-ASCII digit or space is no part of a code's context anyway.
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*|\d+|\n|[^\sA-Za-z\d]", re.ASCII)
# Faster on lower case; possessive runs, since nothing after a run may give characters back.
_LOWER_TOKEN = re.compile(r"[a-z][a-z'’]*+|[0-9]++|\n|[^\sa-z0-9]", re.ASCII)
_TRADEMARKS = re.compile(r"\((?:R|TM)\)|[®™]", re.IGNORECASE)

#: Words between a label and its number: "claim # 12345", "account number is 12345".
_MARKERS = _words("# : - . no nos number num nbr n° id is was = ( )")
#: Markers that say "an identifier follows" when they follow a label.
_ID_MARKERS = _words("# no nos number num nbr n° id")

#: After these a number is an identifier whatever marker (if any) stands between.
IDENTIFIER_LABELS = _words(
    "acct account accounts mrn npi tin ein ptan dea invoice inv ticket tkt member subscriber "
    "policy zip zipcode suite ste apt apartment room rm bldg building floor box ext extension "
    "fax phone tel telephone cell mobile ph pager lot serial sn model sku catalog icn dcn "
    "confirmation conf tracking voucher eft routing license lic batch chart contract pbp ssn "
    "dob pin ref requisition accession specimen transmittal cr lcd error group grp clm "
    "payer payor pob"
)
#: After these a number is an identifier only with "#", "no.", "number" or "ID" between.
MARKED_LABELS = _words(
    "claim claims case order record provider plan check auth authorization part item request req "
    "patient pt encounter control document doc file job po trace transaction remit remittance "
    "appeal denial eob era visit pa medicare medicaid bcbs aetna cigna humana uhc tricare anthem "
    "optum insurance insurer carrier rec unit mr reference clinic location site dept department "
    "facility practice incident inc consult consultation"
)
#: Our own consultations and a practice's consult notes are numbered: "following up on
#: consultation 45380". Only the E/M family (992xx, where the consult codes live) may
#: follow one of these words as a code: "a consultation 99244 or a new visit 99204?".
_CONSULTATION_LABELS = _words("consult consults consultation consultations")
#: "<word> code" that names no procedure code: "zip code 75201", "area code 214".
_CODE_NOT_PROCEDURE = _words(
    "zip postal area access security promo confirmation verification error pass"
)
_CODE_LABELS = _words("cpt hcpcs hcpc code codes pla")
_CATEGORY = _words("i ii iii 1 2 3")
_QUANTIFIERS = _words("about approximately approx around roughly nearly almost over under some ~")
_QUANTIFIER_PAIRS = frozenset(("more than", "less than", "fewer than", "at least", "up to"))
_DETERMINERS = _words("our the my your their these those all any his her its")
_MONEY = _words("$ usd € £")
_EXTENSION = _words("x ext extension")
_CODE_WORDS = _words(
    "cpt hcpcs code codes coded coding bill billed billing bills report reported reporting "
    "reports add on modifier modifiers units unit primary append appended submit submitted "
    "charge charged charges denied paid payable"
)
_CLAUSE_START = frozenset(("\n", ".", ";", ":", "(", ",", "re"))
#: Labels that name an identifier when they open a clause: "(check 48291)", "Claim: 12345".
_CLAUSE_LABELS = _words("claim claims case order check plan group auth reference")
#: Labels of a place or unit of the practice that open a clause: "Clinic 33533 billed ...".
_PLACE_LABELS = _words("clinic location site dept department facility incident")
#: Words before a number that make it an amount of money: "budget 25000".
_MONEY_WORDS = _words("budget balance total cost costs price amount salary revenue")
#: Capitalised words that start sentences, not city names ("Our MD 20610").
_NOT_CITIES = _words(
    "the this that these those our my your their his her its a an and or but if when is are "
    "was were do does did can could should would will with for by from to in on at per dr "
    "seen billed coded each every any all both either not no yes also then so bill code "
    "report cpt hcpcs dx pt patient head chest see use used only new old"
)


_STATE_NAME_ENDINGS = frozenset(name.split()[-1] for name in STATE_NAMES)
_STATE_LOWER = frozenset(state.lower() for state in STATE_ABBREVIATIONS)
#: Every last token that one of the label checks below reads: a marker, a label, a state,
#: a money word. After any other token (an ordinary word, as before most codes) all of
#: them are False, so the extractor skips them. A new check on the last token adds here.
_LABEL_TOKENS = (
    _MARKERS
    | IDENTIFIER_LABELS
    | _CODE_LABELS
    | _CATEGORY
    | _MONEY
    | _MONEY_WORDS
    | _STATE_LOWER
    | _STATE_NAME_ENDINGS
    | _EXTENSION
    | _CLAUSE_LABELS
    | _PLACE_LABELS
    | _CONSULTATION_LABELS
    | frozenset((",", ".", ":", "#", "code", "codes"))
)


class Preceding:
    """The tokens before position ``start`` of ``text`` (words, numbers, punctuation, newlines)."""

    # One is made for every code-shaped token: slots make it and its reads cheaper.
    __slots__ = ("_last", "_window", "at_text_start", "lowered", "may_label")

    def __init__(self, text: str, start: int) -> None:
        window = text[start - _WINDOW : start] if start > _WINDOW else text[:start]
        self.at_text_start = start <= _WINDOW
        lowered = window.lower()
        marked = "(" in window and ("(r)" in lowered or "(tm)" in lowered)
        if marked or "®" in window or "™" in window:
            window = _TRADEMARKS.sub(" ", window)
            lowered = window.lower()
        self._window = window
        # Tokens as written are needed only for a state's capitals; most checks read lower case.
        tokens: list[str] = _LOWER_TOKEN.findall(lowered)
        self.lowered = tokens
        #: False when the last token is no label, marker, state or money word: then money(),
        #: money_word(), zip_after_state(), phone_extension(), identifier_label(),
        #: code_label(), bare_claim_label() and bare_place_label() are all False without asking.
        self.may_label = bool(tokens) and tokens[-1] in _LABEL_TOKENS
        self._last: tuple[int, set[str]] | None = None

    def _last_word(self) -> tuple[int, set[str]]:
        """Index of the last token that is not a marker, and the markers after it."""
        if self._last is None:
            seen: set[str] = set()
            index = len(self.lowered) - 1
            while index >= 0 and self.lowered[index] in _MARKERS:
                seen.add(self.lowered[index])
                index -= 1
            self._last = (index, seen)
        return self._last

    def identifier_label(self, number: str = "") -> bool:
        """Whether a label such as "Acct", "Suite", "claim #" or "ID" names ``number``."""
        index, markers = self._last_word()
        if "id" in markers:
            return True
        if index < 0:
            return False
        word = self.lowered[index]
        if word in _CONSULTATION_LABELS and not number.startswith("992"):
            return True
        if word in ("code", "codes"):
            return index > 0 and self.lowered[index - 1] in _CODE_NOT_PROCEDURE
        if word in IDENTIFIER_LABELS:
            return True
        return word in MARKED_LABELS and bool(markers & _ID_MARKERS)

    def code_label(self) -> bool:
        """Whether "CPT", "HCPCS code", "Cat II" and the like stand right before the number."""
        index, _ = self._last_word()
        if index < 0:
            return False
        word = self.lowered[index]
        not_procedure = index > 0 and self.lowered[index - 1] in _CODE_NOT_PROCEDURE
        if word in ("code", "codes") and not_procedure:
            return False
        if word in _CODE_LABELS:
            return True
        return word in _CATEGORY and index > 0 and self.lowered[index - 1] in ("cat", "category")

    def code_words(self) -> bool:
        """Whether a billing word ("billed", "CPT", "modifier") is among the last few words."""
        return not _CODE_WORDS.isdisjoint(self.lowered[-8:])

    def bare_claim_label(self, labels: frozenset[str] = _CLAUSE_LABELS) -> bool:
        """ "Claim: 12345" opening a line or clause (not "in this case 99214")."""
        index = len(self.lowered) - 1
        if index >= 0 and self.lowered[index] == ":":
            index -= 1
        if index < 0 or self.lowered[index] not in labels:
            return False
        return (index == 0 and self.at_text_start) or (
            index > 0 and self.lowered[index - 1] in _CLAUSE_START
        )

    def bare_place_label(self) -> bool:
        """ "Clinic 33533", "Dept: 20100" opening a line or clause."""
        return self.bare_claim_label(_PLACE_LABELS)

    def last(self, count: int = 1) -> str:
        """The last ``count`` tokens, lower case, joined by spaces."""
        return " ".join(self.lowered[-count:])

    def money(self) -> bool:
        return bool(self.lowered) and self.lowered[-1] in _MONEY

    def money_word(self) -> bool:
        return bool(self.lowered) and self.lowered[-1] in _MONEY_WORDS

    def quantifier(self) -> bool:
        return self.last() in _QUANTIFIERS or self.last(2) in _QUANTIFIER_PAIRS

    def determiner(self) -> bool:
        return self.last() in _DETERMINERS

    def phone_extension(self) -> bool:
        """Whether the number follows a phone number and "x" or "ext.": "555-0142 x12345"."""
        index = len(self.lowered) - 1
        while index >= 0 and self.lowered[index] in (".", ":", "#"):
            index -= 1
        if index < 1 or self.lowered[index] not in _EXTENSION:
            return False
        index -= 1
        if self.lowered[index] == ",":
            index -= 1
        return index >= 0 and self.lowered[index].isdigit() and len(self.lowered[index]) == 4

    def zip_after_state(self, number: str, ends_line: bool) -> bool:
        """Whether ``number`` is a zip code after a state: "Houston, TX 77002"."""
        if not number.isdigit():
            return False
        lowered, index = self.lowered, len(self.lowered) - 1
        while index >= 0 and lowered[index] in (",", "."):
            index -= 1
        if index < 1 or (
            lowered[index] not in _STATE_LOWER and lowered[index] not in _STATE_NAME_ENDINGS
        ):
            return False
        # The tokens as written line up with the lower-case ones from the end: lower-casing
        # may turn one character into two ("İ" into "i" and a combining dot) further back.
        as_written = _TOKEN.findall(self._window)
        offset = len(as_written) - len(lowered)

        def written(at: int) -> str:
            return as_written[at + offset] if 0 <= at + offset < len(as_written) else ""

        if lowered[index] in _STATE_NAME_ENDINGS:
            for size in (3, 2, 1):  # state names of one to three words: "District of Columbia"
                name = " ".join(lowered[max(0, index - size + 1) : index + 1])
                if name in STATE_NAMES and written(index - size + 1)[:1].isupper():
                    return zip_fits_state(number, STATE_NAMES[name])
        state = written(index)
        if state not in STATE_ABBREVIATIONS or not zip_fits_state(number, state):
            return False
        comma = written(index - 1) == ","
        city = written(index - 2) if comma and index >= 2 else written(index - 1)
        if not city[:1].isupper() or city.lower() in _NOT_CITIES:
            return False
        # "Hartford CT" is rare next to "Head CT 70450": ask for a comma or the line's end.
        return state not in CLINICAL_ABBREVIATIONS or comma or ends_line
