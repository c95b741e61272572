"""Personal numbers are masked before a demand is kept (个人信息保护法: keep no more than the purpose needs).

A secretary often pastes the notice as it came, with the caller's mobile number, a resident's ID card number
(18 characters, the last one a digit or X) or a bank card number for a subsidy in it. None of that helps
learn how departments word their demands, so every run of seven or more digits, with or without spaces,
dashes, dots or brackets between them, in full-width or half-width digits, is replaced before the text is
stored. Seven digits is the shortest landline number without its area code; the longest is a 19-digit bank
card. A date written 2026-12-01 is the one digit run of that length that is kept.
"""

import re

from .text import normalise

MASK = "***"
MIN_DIGITS = 7
# A digit, then at least six more, each after at most three separators; an ID card may end in X.
_SEPARATORS = r"[ \-.()/_·,、]{0,3}"
_RUN = re.compile(rf"(?<![0-9])[0-9](?:{_SEPARATORS}[0-9]){{{MIN_DIGITS - 1},}}(?:{_SEPARATORS}[Xx])?(?![0-9])")
_DATE = re.compile(r"(?:19|20)[0-9]{2}([-./])[01]?[0-9]\1[0-3]?[0-9]")


def _mask(match: re.Match) -> str:
    return match.group() if _DATE.fullmatch(match.group()) else MASK


def mask_personal_numbers(text: str) -> str:
    """`text` normalised (catalog.text), with every ID card, phone or bank card number replaced by ***."""
    return _RUN.sub(_mask, normalise(text))
