"""Numbers that only look like codes: zip codes, street and suite numbers, phone extensions,
claim and account numbers, money, measurements and counts.

Each rule reads a short window around a code-shaped token and returns why the
token is not a code. A *strong* reason sets the token aside whatever else is
written around it; a *weak* one ("the number is followed by 'claims'") yields
to evidence that it is a code after all (a modifier written onto it, a code
label, a known code, a list of codes it belongs to).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consultant.extraction.shapes import CANDIDATE, DASH_CLASS

_BEFORE = 70
_AFTER = 48


@dataclass(frozen=True)
class LookAlike:
    """Why a token is not a code, and whether other evidence may overrule that."""

    reason: str
    strong: bool


# --- words before the number -------------------------------------------------------------

_STATES_WRITTEN = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU"
)
_STATE_ABBREVIATIONS = _STATES_WRITTEN.split()
# Abbreviations that are also clinical or coding words ("Head CT 70450", "Chest PA 71046",
# "Humana MA 99213"): after one of these a zip code needs a comma before the state.
_CLINICAL_WRITTEN = (
    "CT PA MD OR IN ME DE CO LA MA MS MO OK HI ID AL VA GA SC PR DC IA CA MI NC ND SD MT UT NE "
    "AR VI"
)
_CLINICAL_ABBREVIATIONS = frozenset(_CLINICAL_WRITTEN.split())
_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    "Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    "New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming|Puerto Rico|District of Columbia|D\\.C\\."
)
_CITY_STATE = re.compile(
    r"([A-Za-z][A-Za-z.'\-]*)(,?)[ \t]+(" + "|".join(_STATE_ABBREVIATIONS) + r")\.?,?[ \t]*$"
)
_STATE_NAME = re.compile(r"(?:^|[^A-Za-z])(?:" + _STATE_NAMES + r"),?[ \t]*$")
# Capitalised words that start sentences, not city names ("Our MD 99213").
_SENTENCE_WORDS = (
    "the this that these those our my your their his her its a an and or but if when is are was "
    "were do does did can could should would will with for by from to in on at per dr seen billed "
    "coded each every any all both either not no yes also then so bill code report cpt hcpcs dx "
    "pt patient head chest see use used only new old"
)
_NOT_CITIES = frozenset(_SENTENCE_WORDS.split())

_MARKER = r"(?:#|no\.?|nos\.?|number|num\.?|nbr|n°|id|is|was|:|-)"
# Labels after which a number is an identifier, written with or without "#" or "number".
_STRONG_LABEL = re.compile(
    r"\b(?:acct|acc't|account|mrn|npi|tin|ein|ptan|dea|invoice|inv|ticket|tkt|member|"
    r"subscriber|policy|zip|zipcode|zip code|postal code|area code|access code|security code|"
    r"promo code|confirmation code|verification code|tracking code|error code|passcode|suite|"
    r"ste|apt|apartment|room|rm|bldg|building|floor|box|ext|extension|fax|phone|tel|telephone|"
    r"cell|mobile|ph|pager|lot|serial|s/n|icn|dcn|confirmation|conf|tracking|voucher|eft|routing|"
    r"license|lic|batch|chart|tax id|payer id|payor id|medical record|id|contract|pbp|"
    r"ssn|dob|pin|ref|reference|requisition|accession|specimen|npi/tin)s?\.?[ \t]*(?:"
    + _MARKER
    + r"[ \t]*)*$",
    re.IGNORECASE,
)
# Labels that make a number an identifier only with a marker: "claim # 12345", "case no. 12345"
# ("in that case 99214 fits" and "the claim 99213 was denied" name codes).
_MARKED_LABEL = re.compile(
    r"\b(?:claim|case|order|record|group|grp|check|auth|authorization|model|part|item|request|"
    r"req|patient|pt|encounter|control|document|doc|file|job|po|trace|transaction|remit|"
    r"remittance|appeal|denial|eob|era|visit|account)s?\.?[ \t]*"
    r"(?:#|no\.|nos\.|number|num\.?|nbr|n°|id)[ \t]*(?:" + _MARKER + r"[ \t]*)*$",
    re.IGNORECASE,
)
_BARE_CLAIM = re.compile(r"\b(?:claims?|case|order|ref)[ \t]*:?[ \t]*$", re.IGNORECASE)
_PHONE_EXTENSION = re.compile(
    r"\d[ \t]*,?[ \t]*(?:x|ext\.?|extension)[ \t]*[.:#]?[ \t]*$", re.IGNORECASE
)
_MONEY_BEFORE = re.compile(r"(?:\$|usd|us\$|€|£)[ \t]*$", re.IGNORECASE)
_QUANTIFIER = re.compile(
    r"\b(?:about|approximately|approx\.?|around|roughly|nearly|almost|over|under|more than|"
    r"less than|fewer than|at least|up to|some|~)[ \t]*$",
    re.IGNORECASE,
)

# --- words after the number --------------------------------------------------------------

_STREET_SUFFIX = (
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|"
    r"Pkwy|Parkway|Hwy|Highway|Fwy|Freeway|Expy|Expressway|Ter|Terrace|Trl|Trail|Cir|Circle|"
    r"Sq|Square|Plaza|Pike|Loop|Row|Turnpike|Tpke|ST|STREET|AVE|RD|BLVD|DR|LN|HWY|PKWY)\b"
)
# A street name word: capitalised or an ordinal ("5th"), never another code-shaped number.
_NAME_WORD = r"(?:(?!\d{5}\b)[A-Z0-9][A-Za-z0-9.'\-]*|[NSEW]\.?)"
# What follows a street suffix in an address: a comma, the line end, a suite, a direction.
_AFTER_SUFFIX = r"\.?(?=[ \t]*(?:[,#\n]|$|Suite\b|Ste\b|Apt\b|Unit\b|Bldg\b|Fl\b|Floor\b|[NSEW]\b))"
_STREET_AFTER = re.compile(
    r"[ \t]+(?:" + _NAME_WORD + r"[ \t]+){1,3}" + _STREET_SUFFIX + _AFTER_SUFFIX
)
_STREET_IN_LINE = re.compile(
    r"\b\d{1,6}[ \t]+(?:"
    + _NAME_WORD
    + r"[ \t]+){1,3}"
    + _STREET_SUFFIX
    + _AFTER_SUFFIX
    + r"|\b[Pp]\.?[ \t]*[Oo]\.?[ \t]*[Bb][Oo][Xx][ \t]+\d+"
)
_ADDRESS_TAIL = re.compile(r"[\w .,#'\-]{0,60}$")
_SENTENCE_BREAK = re.compile(r"[.!?][ \t]+[A-Z][a-z]")
_ZIP_PLUS_FOUR = re.compile(DASH_CLASS + r"\d{4}(?![\w])")
_CHAINED_NUMBER_AFTER = re.compile(r"(?:" + DASH_CLASS + r"|/)([A-Za-z0-9]+)")
_CHAINED_NUMBER_BEFORE = re.compile(r"([A-Za-z0-9]+)(?:" + DASH_CLASS + r"|/)$")

_STRONG_MEASURE = re.compile(
    r"[ \t]*(?:mg|mcg|µg|ug|gm|grams?|kg|lbs?|pounds?|oz|ml|cc|liters?|litres?|iu|meq|mmol|"
    r"sq\.?[ \t]*(?:cm|mm|in|ft)|cm2|cm|mm|inch(?:es)?|ft|feet|foot|meters?|km|miles?|%|"
    r"percent|kcal|calories|dollars|bucks|usd|units?[ \t]+of)\b|[ \t]*%",
    re.IGNORECASE,
)
_WEAK_MEASURE = re.compile(
    r"[ \t]*(?:units?|u|minutes?|mins?|hours?|hrs?|seconds?|secs?|days?|weeks?|months?|years?|"
    r"yrs?|claims?|patients?|pts|visits?|encounters?|charts?|providers?|physicians?|doctors?|"
    r"members?|lives|employees|people|persons|times|calls|cases|reviews|procedures|lines|"
    r"accounts|records|emails|questions|steps|beds|rvus?)\b",
    re.IGNORECASE,
)
_RATE_AFTER = re.compile(
    r"[ \t]*\w+[ \t]+(?:a|per|each|every)[ \t]+(?:year|month|week|day|quarter)\b|"
    r"[ \t]*\w+[ \t]+(?:annually|monthly|weekly|daily|yearly)\b",
    re.IGNORECASE,
)


def _zip_after_state(before: str, after: str) -> bool:
    if _STATE_NAME.search(before):
        return True
    match = _CITY_STATE.search(before)
    if match is None:
        return False
    city, comma, state = match.group(1), match.group(2), match.group(3)
    if not city[0].isupper() or city.lower() in _NOT_CITIES:
        return False
    if state in _CLINICAL_ABBREVIATIONS and not comma:
        # "Hartford CT 06103" is rare next to "Head CT 70450"; ask for the end of a line.
        return re.match(r"[ \t]*(?:$|\n|,|" + DASH_CLASS + r"\d{4})", after) is not None
    return True


def _in_address_line(text: str, start: int) -> bool:
    line_start = text.rfind("\n", max(0, start - 160), start) + 1
    line = text[max(line_start, start - 160) : start]
    for street in _STREET_IN_LINE.finditer(line):
        tail = line[street.end() :]
        if _ADDRESS_TAIL.fullmatch(tail) and not _SENTENCE_BREAK.search(tail):
            return True
    return False


def _chained(text: str, start: int, end: int) -> LookAlike | None:
    """A number glued to others by a dash or slash: TIN 74-12345, NDC 12345-678-90, ZIP+4."""
    after = _CHAINED_NUMBER_AFTER.match(text, end)
    if after is not None:
        neighbour = after.group(1)
        if neighbour.isdigit() and len(neighbour) == 4:
            return LookAlike("ZIP+4 code", strong=True)
        glued = any(c.isdigit() for c in neighbour) and len(neighbour) not in (1, 2)
        if glued and not CANDIDATE.fullmatch(neighbour):
            return LookAlike("part of a longer number", strong=True)
    before = _CHAINED_NUMBER_BEFORE.search(text, max(0, start - 24), start)
    if before is not None:
        neighbour = before.group(1)
        if any(c.isdigit() for c in neighbour) and not CANDIDATE.fullmatch(neighbour):
            return LookAlike("part of a longer number", strong=True)
    return None


def look_alike(text: str, start: int, end: int) -> LookAlike | None:
    """Why the code-shaped token at ``text[start:end]`` is something else, or ``None``."""
    before = text[max(0, start - _BEFORE) : start]
    after = text[end : end + _AFTER]
    if _MONEY_BEFORE.search(before) or re.match(r"\.\d", after) or re.search(r"\d\.$", before):
        return LookAlike("money or a decimal number", strong=True)
    chained = _chained(text, start, end)
    if chained is not None:
        return chained
    if _zip_after_state(before, after):
        return LookAlike("zip code after a state", strong=True)
    if _PHONE_EXTENSION.search(before):
        return LookAlike("phone extension", strong=True)
    if _STRONG_LABEL.search(before) or _MARKED_LABEL.search(before):
        return LookAlike("identifier after a label", strong=True)
    if _STREET_AFTER.match(after):
        return LookAlike("street number", strong=True)
    if _in_address_line(text, start):
        return LookAlike("zip code in an address", strong=True)
    if _STRONG_MEASURE.match(after):
        return LookAlike("a measurement", strong=True)
    if _WEAK_MEASURE.match(after):
        if _QUANTIFIER.search(before) or _RATE_AFTER.match(after):
            return LookAlike("a count", strong=True)
        return LookAlike("a count or a measurement", strong=False)
    if _BARE_CLAIM.search(before):
        return LookAlike("may be a claim or case number", strong=False)
    return None
