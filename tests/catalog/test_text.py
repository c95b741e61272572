"""The one normalisation: for any text, its look-alike variants compare equal (catalog.text)."""

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from catalog.search import query_tokens
from catalog.text import comparison_key, normalise

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
# Characters people actually type: ASCII letters and digits, common Han characters, punctuation.
typed = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x30, max_codepoint=0x7A),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
        st.sampled_from(list("，。、：；-（）()【】 ")),
    ),
    max_size=40,
)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


@st.composite
def with_zero_width(draw, text):
    out = []
    for ch in text:
        out.append(ch)
        if draw(st.booleans()):
            out.append(draw(st.sampled_from(ZERO_WIDTH)))
    return "".join(out)


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_normalise_is_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)


@given(st.text(max_size=60))
def test_normalised_text_has_no_invisible_or_control_characters(text):
    for ch in normalise(text):
        assert unicodedata.category(ch) not in ("Cf", "Cc") or ch == " "


@given(typed, st.data())
@settings(max_examples=200, deadline=None)
def test_zero_width_and_full_width_variants_compare_equal(text, data):
    variant = data.draw(with_zero_width(full_width(text)))
    assert normalise(variant) == normalise(text)
    assert comparison_key(variant) == comparison_key(text)


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20), st.data())
def test_a_voucher_is_one_voucher_however_it_is_typed(voucher, data):
    spaced = " ".join(voucher) if data.draw(st.booleans()) else voucher
    variant = data.draw(with_zero_width(full_width(spaced.swapcase())))
    assert comparison_key(variant) == comparison_key(voucher)


def test_traditional_characters_fold_to_simplified():
    assert normalise("協稅護稅") == "协税护税"
    assert normalise("招商引資") == "招商引资"
    assert normalise("後臺") == "后台"


def test_the_search_words_of_a_variant_are_the_words_of_the_text():
    for variant in ["招\u200b商引\u200b资", "招商引資", "招商\u3000引资", "ＡＰＰ注册"]:
        assert query_tokens(variant) == query_tokens(normalise(variant))
    assert query_tokens("招\u200b商引\u200b资") == query_tokens("招商引资")


# Latin letters and the Cyrillic or Greek letters drawn like them, capital and small.
LOOK_ALIKES = {
    "A": "АΑ", "B": "ВΒ", "E": "ЕΕ", "K": "КΚ", "M": "МΜ", "H": "НΗ", "O": "ОΟ", "P": "РΡ", "C": "С", "T": "ТΤ",
    "Y": "УΥ", "X": "ХΧ", "Z": "Ζ", "I": "ІΙ", "N": "Ν", "a": "а", "e": "е", "o": "оο", "p": "рρ", "c": "с",
    "x": "х", "y": "у",
}  # fmt: skip


@given(st.text(alphabet="ABEKMHOPCTYXZINaeopcxy0123456789-", min_size=1, max_size=16), st.data())
@settings(max_examples=200)
def test_a_voucher_retyped_with_look_alike_letters_is_the_same_voucher(voucher, data):
    retyped = "".join(data.draw(st.sampled_from([c, *LOOK_ALIKES[c]])) if c in LOOK_ALIKES else c for c in voucher)
    assert comparison_key(retyped) == comparison_key(voucher)


@given(st.text(max_size=40))
@example("A´")  # NFKC gives "A", a space and a combining acute: the space removed, the mark joins the letter
def test_comparison_key_is_idempotent(text):
    assert comparison_key(comparison_key(text)) == comparison_key(text)


def test_a_letter_o_and_a_digit_0_stay_two_identifiers():
    assert comparison_key("PZ-O01") != comparison_key("PZ-001")
