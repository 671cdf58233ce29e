"""US states and the zip code prefixes that belong to each, to tell a zip code from a code.

A five-digit number after a state is a zip code only when its first three
digits are among that state's: "Houston, TX 77002" is a zip code, while in
"Humana MA 99213" the 992 is no Massachusetts prefix, so 99213 stays a code.
"""

from __future__ import annotations

# First three digits of the zip codes of each state (USPS sectional centers), as ranges.
_ZIP_PREFIXES: dict[str, tuple[tuple[int, int], ...]] = {
    "AL": ((350, 369),),
    "AK": ((995, 999),),
    "AZ": ((850, 865),),
    "AR": ((716, 729), (755, 755)),
    "CA": ((900, 961),),
    "CO": ((800, 816),),
    "CT": ((60, 69),),
    "DE": ((197, 199),),
    "DC": ((200, 205), (569, 569)),
    "FL": ((320, 349),),
    "GA": ((300, 319), (398, 399)),
    "HI": ((967, 968),),
    "ID": ((832, 838),),
    "IL": ((600, 629),),
    "IN": ((460, 479),),
    "IA": ((500, 528),),
    "KS": ((660, 679),),
    "KY": ((400, 427),),
    "LA": ((700, 714),),
    "ME": ((39, 49),),
    "MD": ((206, 219),),
    "MA": ((10, 27), (55, 55)),
    "MI": ((480, 499),),
    "MN": ((550, 567),),
    "MS": ((386, 397),),
    "MO": ((630, 658),),
    "MT": ((590, 599),),
    "NE": ((680, 693),),
    "NV": ((889, 898),),
    "NH": ((30, 38),),
    "NJ": ((70, 89),),
    "NM": ((870, 884),),
    "NY": ((100, 149), (5, 5), (63, 63)),
    "NC": ((270, 289),),
    "ND": ((580, 588),),
    "OH": ((430, 459),),
    "OK": ((730, 749),),
    "OR": ((970, 979),),
    "PA": ((150, 196),),
    "RI": ((28, 29),),
    "SC": ((290, 299),),
    "SD": ((570, 577),),
    "TN": ((370, 385),),
    "TX": ((750, 799), (885, 885)),
    "UT": ((840, 847),),
    "VT": ((50, 59),),
    "VA": ((201, 201), (220, 246)),
    "WA": ((980, 994),),
    "WV": ((247, 268),),
    "WI": ((530, 549),),
    "WY": ((820, 831),),
    "PR": ((6, 9),),
    "VI": ((8, 8),),
    "GU": ((969, 969),),
}

STATE_ABBREVIATIONS = frozenset(_ZIP_PREFIXES)

STATE_NAMES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "d.c.": "DC", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
    "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY",
    "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
    "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO",
    "montana": "MT", "nebraska": "NE", "nevada": "NV", "new hampshire": "NH",
    "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR",
    "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI",
    "wyoming": "WY", "puerto rico": "PR",
}  # fmt: skip

#: Abbreviations that are also clinical or coding words ("Head CT", "Chest PA", "Humana MA",
#: "Jones MD"): after one of these, a zip code needs a comma before the state or the line
#: to end after it.
CLINICAL_ABBREVIATIONS = frozenset(
    [
        "CT", "PA", "MD", "OR", "IN", "ME", "DE", "CO", "LA", "MA", "MS", "MO", "OK", "HI", "ID",
        "VA", "GA", "SC", "PR", "DC", "IA", "CA", "MI",
    ]
)  # fmt: skip


def zip_fits_state(number: str, state: str) -> bool:
    """Whether the five digits ``number`` can be a zip code of ``state`` (abbreviation)."""
    prefix = int(number[:3])
    return any(low <= prefix <= high for low, high in _ZIP_PREFIXES.get(state, ()))
