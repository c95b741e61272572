"""A kept check holds no ID card, phone or bank card number (个人信息保护法), however it was typed."""

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from catalog.demands import check_record
from catalog.models import CheckRecord, Unit
from catalog.privacy import mask_personal_numbers
from catalog.text import normalise

FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９ＸＸ")
digit = st.sampled_from("0123456789")


def digits(n):
    return st.lists(digit, min_size=n, max_size=n).map("".join)


id_card = st.tuples(digits(17), st.sampled_from("0123456789Xx")).map("".join)
mobile = st.tuples(st.just("1"), st.sampled_from("3456789"), digits(9)).map("".join)
landline = st.tuples(st.just("0"), digits(2) | digits(3), digits(7) | digits(8)).map("".join)
local_line = digits(7) | digits(8)
bank_card = st.integers(16, 19).flatmap(digits)
numbers = id_card | mobile | landline | local_line | bank_card


@st.composite
def typed(draw, number):
    """The number as people type it: groups split by spaces or dashes, some digits full-width."""
    out = []
    for char in number:
        if out and draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from([" ", "-", "　", " - ", "．"])))
        out.append(char.translate(FULL_WIDTH) if draw(st.booleans()) else char)
    return "".join(out)


# Text around the number: anything that does not itself become a digit or an X when normalised.
around = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]).filter(
        lambda c: not re.search(r"[0-9Xx]", normalise(c)) and not re.search(r"[0-9Xx]", normalise(f"a{c}b"))
    )
    | st.sampled_from("社区要求居民报送材料电话：身份证号银行卡"),
    max_size=30,
)


def _digits_only(text):
    return re.sub(r"[^0-9]", "", normalise(text))


class TestNoPersonalNumberIsKept(TestCase):
    @classmethod
    def setUpTestData(cls):
        city = Unit.objects.create(kind="city", name="测试市")
        district = Unit.objects.create(kind="district", name="测试区", parent=city)
        street = Unit.objects.create(kind="street", name="测试街道", parent=district)
        cls.community = Unit.objects.create(kind="community", name="测试社区", parent=street)

    @given(before=around, after=around, number=numbers.flatmap(lambda n: st.tuples(st.just(n), typed(n))))
    @settings(max_examples=40, deadline=None)
    def test_no_digit_run_of_an_embedded_number_survives_in_the_stored_record(self, before, after, number):
        plain, as_typed = number
        record = check_record(
            community_id=self.community.pk,
            district_id=self.community.district_id,
            on=date(2026, 12, 1),
            text=f"{before}{as_typed}{after}",
            verdict="not_listed",
        )
        stored = CheckRecord.objects.get(pk=record.pk).text
        digits = _digits_only(plain)
        assert digits not in _digits_only(stored), (stored, plain)
        assert not re.search(r"[0-9](?:\D{0,3}[0-9]){6}", stored), stored  # no run of seven digits at all

    @given(text=around)
    @settings(max_examples=40, deadline=None)
    def test_a_text_without_such_numbers_is_kept_as_written_normalised(self, text):
        record = check_record(
            community_id=self.community.pk,
            district_id=self.community.district_id,
            on=date(2026, 12, 1),
            text=text,
            verdict="must_do",
        )
        assert CheckRecord.objects.get(pk=record.pk).text == normalise(text)[:500]


def test_dates_and_short_numbers_stay_phones_and_id_cards_go():
    text = "2026-12-01前报送3份材料，联系人电话 138 0013 8000，座机(028)8765-4321，身份证11010519491231002X"
    masked = mask_personal_numbers(text)
    assert "2026-12-01" in masked and "3份" in masked
    assert "138" not in masked and "8765" not in masked and "1101" not in masked
    assert masked.count("***") == 3
