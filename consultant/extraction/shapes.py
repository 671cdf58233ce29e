"""The shapes of codes and modifiers: which tokens can be a code at all, and of which system.

Shape alone decides a lot: CPT Category I runs 00100-01999 (anesthesia) and
10004-99607, so a five-digit number from 02000 to 09999 (a New England zip
code, say) is never a CPT code; Category III and PLA codes always start with 0;
HCPCS Level II uses only the letters CMS has assigned.
"""

from __future__ import annotations

import re

from consultant.codes.kinds import CodeSystem

#: Every dash people type between a code and its modifier or range end: hyphen,
#: non-breaking hyphen, figure dash, en dash, em dash, minus sign, hyphen bullet.
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
DASH_CLASS = "[" + re.escape(DASHES) + "]"

#: First letters CMS uses for HCPCS Level II codes (D is the ADA's CDT, not shipped by CMS).
HCPCS_LETTERS = "ABCEGHJKLMPQRSTUV"

_FIRST_CHARACTER = "[" + HCPCS_LETTERS + HCPCS_LETTERS.lower() + r"\d]"
# "63048x2": a unit count may follow with no space; "how many 99213s" a plural s.
_CODE_END = r"(?:(?=[xX×][ \t]?\d)|(?=s(?![A-Za-z0-9_]))|(?![A-Za-z0-9_]))"
#: A code-shaped token: five digits, four digits and F/T/U, or a letter and four digits.
CANDIDATE = re.compile(
    r"\b" + _FIRST_CHARACTER + r"\d{3}[\dFfTtUu]" + _CODE_END,
    re.ASCII,  # codes are ASCII: a full-width or Arabic-Indic digit run is no code
)
#: The same tokens for a search through a whole text, matched from their second character
#: (a digit): the token starts one character before the match. A pattern that starts with
#: ``\b`` makes the engine try every position of the text; one that starts with a digit
#: lets it skip to the digits, and the first character is checked looking back. (Starting
#: from the first character would try most letters of the prose: they start codes too.)
CANDIDATE_FROM_SECOND_CHARACTER = re.compile(
    r"\d(?<=(?<![A-Za-z0-9_])" + _FIRST_CHARACTER + r"\d)\d{2}[\dFfTtUu]" + _CODE_END,
    re.ASCII,
)

#: CPT numeric modifiers and the Category II performance-measure exclusion modifiers.
_NUMERIC_MODIFIERS = (
    "22 23 24 25 26 27 32 33 47 50 51 52 53 54 55 56 57 58 59 62 63 66 73 74 76 77 78 79 "
    "80 81 82 90 91 92 93 95 96 97 99 1P 2P 3P 8P"
)
#: HCPCS Level II modifiers, as listed in the CMS HCPCS file (the rows padded with spaces).
_HCPCS_MODIFIERS = (
    "A1 A2 A3 A4 A5 A6 A7 A8 A9 AA AB AD AE AF AG AH AI AJ AK AM AO AP AQ AR AS AT AU AV AW "
    "AX AY AZ BA BL BO BP BR BU CA CB CC CD CE CF CG CH CI CJ CK CL CM CN CO CP CQ CR CS CT "
    "DA E1 E2 E3 E4 EA EB EC ED EE EJ EM EP ER ET EX EY F1 F2 F3 F4 F5 F6 F7 F8 F9 FA FB FC "
    "FP FQ FR FS FT FX FY G0 G1 G2 G3 G4 G5 G6 G7 G8 G9 GA GB GC GD GE GF GG GH GJ GK GL GM "
    "GN GO GP GQ GR GS GT GU GV GW GX GY GZ H9 HA HB HC HD HE HF HG HH HI HJ HK HL HM HN HO "
    "HP HQ HR HS HT HU HV HW HX HY HZ J1 J2 J3 J4 J5 JA JB JC JD JE JF JG JK JL JW JZ K0 K1 "
    "K2 K3 K4 KA KB KC KD KE KF KG KH KI KJ KK KL KM KN KO KP KQ KR KS KT KU KV KW KX KY KZ "
    "L1 LC LD LL LM LR LS LT LU M2 MA MB MC MD ME MF MG MH MS N1 N2 N3 NB NR NU P1 P2 P3 P4 "
    "P5 P6 PA PB PC PD PI PL PM PN PO PS PT Q0 Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8 Q9 QA QB QC QD QE QF "
    "QG QH QJ QK QL QM QN QP QQ QR QS QT QW QX QY QZ RA RB RC RD RE RI RR RT SA SB SC SD SE "
    "SF SG SH SJ SK SL SM SN SQ SS ST SU SV SW SY SZ T1 T2 T3 T4 T5 T6 T7 T8 T9 TA TB TC TD "
    "TE TF TG TH TJ TK TL TM TN TP TQ TR TS TT TU TV TW U1 U2 U3 U4 U5 U6 U7 U8 U9 UA UB UC "
    "UD UE UF UG UH UJ UK UN UP UQ UR US V1 V2 V3 V4 V5 V6 V7 V8 V9 VM VP X1 X2 X3 X4 X5 XE "
    "XP XS XU ZA ZB ZC"
)
MODIFIERS = frozenset(_NUMERIC_MODIFIERS.split()) | frozenset(_HCPCS_MODIFIERS.split())

#: Modifiers that are also English words or everyday abbreviations: written after a
#: code with only a space ("99213 AS needed", "97110 PT"), they are more likely words,
#: so they count only when a dash ties them to the code or another modifier precedes.
_WORDLIKE_WRITTEN = "AS AT BO CO ED EX GO HE HI MD ME PA PO PT SO UP US AM PM CT ER PI"
WORDLIKE_MODIFIERS = frozenset(_WORDLIKE_WRITTEN.split())
#: Of those, the ones coders do write after a code with a space ("98941 AT", "27447 AS"):
#: taken unless the text around is in capitals ("BILL 99213 AS SOON AS WE CAN").
SPACED_WORDLIKE_MODIFIERS = frozenset(("AS", "AT", "GO"))


# Plain strings: reading an enum member's value costs a descriptor call per candidate.
_CPT_I, _CPT_II, _CPT_III = (
    CodeSystem.CPT_I.value,
    CodeSystem.CPT_II.value,
    CodeSystem.CPT_III.value,
)
_PLA, _HCPCS_II = CodeSystem.PLA.value, CodeSystem.HCPCS_II.value


def code_system(token: str) -> str | None:
    """The system of a code-shaped ``token`` (upper case); ``None`` if no code has its shape."""
    last = token[-1]
    if token[0].isalpha():
        return _HCPCS_II if last.isdigit() and token[0] in HCPCS_LETTERS else None
    if last == "F":
        return _CPT_II
    if last == "T":
        return _CPT_III if token[0] == "0" else None
    if last == "U":
        return _PLA if token[0] == "0" else None
    if token[0] == "0":
        # Anesthesia codes 00100-01999 are the only CPT codes below 10000.
        return _CPT_I if token[1] in "01" and token[:3] != "000" else None
    return _CPT_I


def is_modifier(token: str) -> bool:
    """Whether ``token`` (as written) is a modifier; letters must be upper case."""
    return token in MODIFIERS
