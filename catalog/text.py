"""One text normalisation wherever text is compared: vouchers, titles, the check, search, the gate.

People type the same thing in many shapes: full-width letters and digits from a Chinese input method
(`Ｖ－１００`), ideographic spaces, zero-width characters pasted from a web page or a WeChat message
(`招​商引​资`), traditional characters from a forwarded notice (`協稅護稅`), and dashes that only look
alike. Compared raw, each shape is a different text: a second payment under the "same" voucher, a
withdrawn item accepted at filing. Text is stored as typed and compared through these functions.

Traditional → simplified uses OpenCC (the C++ project's own Python package, phrase-aware: 後臺 → 后台,
乾淨 → 干净), not a character table.
"""

import re
import unicodedata
from functools import cache, lru_cache

import opencc

# Dashes and minus signs that look like "-" (NFKC leaves most of them alone).
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u30fc\u2043"), "-")
_SPACES = re.compile(r"\s+")
# Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables for the letters vouchers and keys are
# made of), in their case-folded forms: an identifier retyped with "Р", "В" or "Ζ" from another keyboard layout is
# the same identifier once case is folded ("В" → "в" → "b"). Only identifiers are folded so (comparison_key); the
# words of titles and demands keep their letters. A letter O and a digit 0 stay apart: identifiers hold both.
_LOOKALIKES = str.maketrans(
    "авекмнорстухіјѕԁһӏαβεζηικμνορτυχ",
    "abekmhopctyxijsdhlabezhikmnoptyx",
)


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _is_invisible(char: str) -> bool:
    # Cf: zero-width space/joiners, BOM, soft hyphen, bidi marks; Cc: control characters other than
    # whitespace (NUL among them); Mn combining marks that NFKC could not fold into a letter.
    category = unicodedata.category(char)
    return category == "Cf" or (category == "Cc" and not char.isspace())


@lru_cache(maxsize=4096)
def normalise(text: str | None) -> str:
    """The comparable form of `text`: NFKC (full-width → half-width, compatibility forms folded), invisible
    and control characters removed, dashes folded to "-", whitespace runs folded to one space and trimmed,
    traditional → simplified Chinese. Idempotent: normalise(normalise(t)) == normalise(t)."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(c for c in folded if not _is_invisible(c)).translate(_DASHES)
    folded = _t2s().convert(folded)
    # OpenCC and NFKC can each produce what the other would fold again; a second pass settles it.
    folded = unicodedata.normalize("NFKC", folded)
    return _SPACES.sub(" ", folded).strip()


def comparison_key(text: str | None) -> str:
    """The form under which two identifiers are the same one (vouchers, item keys typed by hand): normalised,
    case-folded, with every space removed and look-alike letters folded ("V - 100", "ｖ－１００ ", "V-1​00" and
    Cyrillic "В-100" are all "v-100")."""
    key = _key_pass(text)
    for _ in range(3):  # removing a space can join a combining mark to its letter ("A´" → "a" + U+0301 → "á")
        again = _key_pass(key)
        if again == key:
            break
        key = again
    return key


def _key_pass(text: str | None) -> str:
    return _SPACES.sub("", normalise(text)).casefold().translate(_LOOKALIKES)
