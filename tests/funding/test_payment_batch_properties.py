"""Properties of payments as they arrive, for generated contracts and generated batches and sheets (with
repeated vouchers, look-alike vouchers, over-payments and rows of another district's contract):

- no voucher, however it is typed, pays twice (a second batch or sheet of the same vouchers adds nothing);
- no instalment is paid past its amount;
- a batch is recorded exactly when every line can be (an oracle written from the rules says which), and a
  rejected batch or sheet leaves the database as it was.
"""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from catalog.io import ImportRejected
from catalog.models import Unit, User
from catalog.selectors import version_in_force
from catalog.text import comparison_key
from catalog.transitions import StateConflict
from funding import payment_imports, services
from funding.models import Instalment, Payment
from funding.payment_batches import BatchRejected, PaymentLine, payments_record_batch, where_of

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)
STREET = ("牛沙路社区", "五福桥社区", "静居寺社区", "双桂路社区")
ZERO_WIDTH = ("\u200b", "\u200c", "\u2060", "\ufeff")
PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _pdf():
    return SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n", content_type="application/pdf")


@pytest.fixture
def foreign(world):
    """A signed contract of 金牛区's 区卫生健康局: its rows are never the paying unit's to record."""
    district = world.unit("金牛区")
    payer = Unit.objects.departments().get(district=district, name="区卫生健康局")
    staff, _ = User.objects.get_or_create(username="t_jn_health", defaults={"role": "department_staff", "unit": payer})
    version = version_in_force(district_id=district.pk, on=TODAY)
    item = version.items.filter(list="assistance").order_by("code").first()
    contract = services.contract_create(
        actor=staff,
        payer=payer,
        number="WJ-2026-001",  # the same number as the payer's own: the number alone does not make it theirs
        item=item,
        communities=[Unit.objects.communities().filter(district=district).order_by("name").first()],
        amount_per_community=Decimal("1000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal(100))],
    )
    return services.contract_sign(contract=contract, actor=staff, document=_pdf(), today=TODAY)


def full_width(ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch


@st.composite
def variant_of(draw, voucher: str) -> str:
    """The same voucher as someone might type it: case changed, full-width, spaces and invisible characters."""
    out = [draw(st.sampled_from(["", " "]))]
    for ch in voucher:
        if draw(st.booleans()):
            ch = ch.swapcase()
        if draw(st.booleans()):
            ch = full_width(ch)
        out.append(ch + draw(st.sampled_from(["", "", " ", "\u3000", *ZERO_WIDTH])))
    return "".join(out)


base_vouchers = st.text(alphabet="ABVabv0123456789-记", min_size=1, max_size=6).filter(lambda v: v.strip("-"))


@st.composite
def contracts(draw):
    """A contract's shape: which communities, its schedule (1–3 instalments), the amount per community."""
    communities = draw(st.lists(st.sampled_from(STREET), min_size=1, max_size=4, unique=True))
    count = draw(st.integers(1, 3))
    months = sorted(draw(st.lists(st.integers(1, 12), min_size=count, max_size=count, unique=True)))
    shares = [Decimal(100 // count)] * (count - 1)
    shares.append(Decimal(100) - sum(shares, Decimal(0)))
    schedule = [(date(2026, m, 28), share) for m, share in zip(months, shares, strict=True)]
    amount = Decimal(draw(st.integers(100, 500_000))) / 100
    return communities, schedule, amount


@st.composite
def batches(draw):
    """Lines as people enter them: mostly new payments (an instalment by position, a fresh voucher typed any
    way, an amount near what is due, a day in the period), and now and then the same payment entered twice
    (its voucher typed another way), a voucher reused for a different payment, an over-payment, a day out of
    the period, or a row of the foreign contract."""
    lines, bases = [], []
    for n in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["new"] * 16 + ["repeat"] * 3 + ["clash", "foreign"]))
        if kind == "repeat" and lines:
            target, _voucher, amount, day = lines[draw(st.integers(0, len(lines) - 1))]
            base = bases[lines.index((target, _voucher, amount, day))]
            lines.append((target, draw(variant_of(base)), amount, day))
            bases.append(base)
            continue
        base = draw(st.sampled_from(bases)) if kind == "clash" and bases else draw(base_vouchers) + f"-{n}"
        target = "foreign" if kind == "foreign" else draw(st.integers(0, 11))
        amount = draw(
            st.one_of(
                st.sampled_from(["third", "third", "half", "due", "over"]),
                st.integers(1, 5_000).map(lambda n: Decimal(n) / 100),
                st.integers(1, 5_000).map(lambda n: Decimal(n) / 100),
            )
        )
        day = draw(st.dates(date(2026, 1, 1), TODAY))
        if draw(st.integers(0, 39)) == 0:
            day = draw(st.sampled_from([date(2025, 12, 31), TODAY + timedelta(1)]))
        lines.append((target, draw(variant_of(base)), amount, day))
        bases.append(base)
    return lines


def _contract(world, shape):
    communities, schedule, amount = shape
    payer = world.user("bumen")
    version = version_in_force(district_id=world.unit("锦江区").pk, on=TODAY)
    contract = services.contract_create(
        actor=payer,
        payer=payer.unit,
        number="WJ-2026-001",
        item=version.items.get(title="协助开展爱国卫生运动和健康教育"),
        communities=[world.unit(name) for name in communities],
        amount_per_community=amount,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=schedule,
    )
    return services.contract_sign(contract=contract, actor=payer, document=_pdf(), today=TODAY)


def _lines(contract, foreign, drawn) -> list[PaymentLine]:
    instalments = list(contract.instalments.select_related("community").order_by("pk"))
    lines = []
    for target, voucher, amount, day in drawn:
        instalment = foreign.instalments.select_related("community").get() if target == "foreign" else None
        instalment = instalment or instalments[target % len(instalments)]
        value = {
            "due": instalment.amount,
            "half": (instalment.amount / 2).quantize(Decimal("0.01")),
            "third": (instalment.amount / 3).quantize(Decimal("0.01")),
            "over": instalment.amount + Decimal("0.01"),
        }.get(amount, amount)
        lines.append(PaymentLine(instalment.pk, value, day, voucher, where=where_of(instalment), row=len(lines) + 2))
    return lines


def expected(contract, lines) -> tuple[bool, Decimal]:
    """The rules, written again without the code: whether the batch is recorded, and its total."""
    own = {i.pk: i for i in contract.instalments.all()}
    first: dict[str, PaymentLine] = {}
    due = {pk: i.amount - i.paid for pk, i in own.items()}
    total = Decimal(0)
    for line in lines:
        if line.instalment_id not in own or not (contract.starts_on <= line.paid_on <= min(contract.ends_on, TODAY)):
            return False, Decimal(0)
        key = comparison_key(line.voucher)
        if key in first:
            earlier = first[key]
            if (earlier.instalment_id, earlier.amount, earlier.paid_on) != (
                line.instalment_id,
                line.amount,
                line.paid_on,
            ):
                return False, Decimal(0)
            continue
        first[key] = line
        due[line.instalment_id] -= line.amount
        if due[line.instalment_id] < 0:
            return False, Decimal(0)
        total += line.amount
    return True, total


def _state():
    return (
        sorted(Payment.objects.values_list("pk", "voucher_key", "amount")),
        sorted(Instalment.objects.values_list("pk", "paid")),
    )


def _invariants(payer):
    keys = list(Payment.objects.filter(payer=payer).values_list("voucher_key", flat=True))
    assert len(keys) == len(set(keys)), "a voucher paid twice"
    for instalment in Instalment.objects.all():
        assert 0 <= instalment.paid <= instalment.amount, "an instalment paid past its amount"
        assert instalment.paid == sum(instalment.payments.values_list("amount", flat=True), Decimal(0))


@given(shape=contracts(), drawn=batches())
@PROPERTY_SETTINGS
def test_a_batch_is_recorded_whole_exactly_when_the_rules_allow_and_a_voucher_pays_once(world, foreign, shape, drawn):
    payer = world.user("bumen")
    with transaction.atomic():
        contract = _contract(world, shape)
        lines = _lines(contract, foreign, drawn)
        allowed, total = expected(contract, lines)
        before = _state()
        try:
            outcome = payments_record_batch(actor=payer, payer=payer.unit, lines=lines, today=TODAY)
        except BatchRejected as exc:
            event("batch refused")
            assert not allowed, f"refused a batch the rules allow: {[str(e) for e in exc.errors]}"
            assert exc.errors and all(e.line.where and e.field for e in exc.errors)
            assert _state() == before, "a rejected batch changed the database"
        else:
            event("batch recorded")
            assert allowed, "recorded a batch the rules refuse"
            assert outcome.total == total
            assert len(Payment.objects.filter(instalment__contract=contract)) == len(outcome.recorded)
            replay = [PaymentLine(x.instalment_id, x.amount, x.paid_on, x.voucher, where=x.where) for x in lines]
            again = payments_record_batch(actor=payer, payer=payer.unit, lines=replay, today=TODAY)
            assert again.recorded == [], "a voucher paid twice"
        _invariants(payer.unit)
        transaction.set_rollback(True)


DAY_FORMATS = ("{:%Y-%m-%d}", "{:%Y/%m/%d}", "{d.year}年{d.month}月{d.day}日", "{:%Y%m%d}")


def _sheet(lines, data, by_pk) -> bytes:
    rows = ["合同编号,社区,期次,凭证号,付款日期,金额"]
    for line, style in zip(
        lines, data.draw(st.lists(st.integers(0, 3), min_size=len(lines), max_size=len(lines))), strict=True
    ):
        instalment = by_pk[line.instalment_id]
        fmt = DAY_FORMATS[style]
        day = fmt.format(line.paid_on, d=line.paid_on)
        amount = f"{line.amount:,}" if style % 2 else "".join(full_width(c) for c in str(line.amount))
        number = instalment.contract.number.lower() if style == 3 else instalment.contract.number
        voucher = line.voucher.replace(",", "")
        rows.append(f'{number},{instalment.community.name},第{instalment.sequence}期,{voucher},{day},"{amount}"')
    return ("\n".join(rows) + "\n").encode()


@given(shape=contracts(), drawn=batches(), data=st.data())
@PROPERTY_SETTINGS
def test_a_sheet_records_whole_once_or_changes_nothing(world, foreign, shape, drawn, data):
    payer = world.user("bumen")
    with transaction.atomic():
        contract = _contract(world, shape)
        lines = _lines(contract, foreign, drawn)
        for line in lines:
            line.voucher = line.voucher.replace(",", "").strip() or "记"
        by_pk = {i.pk: i for i in Instalment.objects.select_related("contract", "community")}
        allowed, total = expected(contract, lines)
        sheet = _sheet(lines, data, by_pk)
        before = _state()
        try:
            record = payment_imports.import_propose(
                actor=payer, upload=io.BytesIO(sheet), filename="凭证.csv", today=TODAY
            )
        except ImportRejected as exc:
            event("sheet refused")
            assert not allowed, f"refused a sheet the rules allow: {[str(e) for e in exc.errors]}"
            assert all(e.row >= 2 and e.column for e in exc.errors)
            assert _state() == before
        else:
            event("sheet recorded")
            assert allowed, "proposed a sheet the rules refuse"
            assert _state() == before, "a proposal recorded something"
            record = payment_imports.import_apply(record=record, actor=payer, today=TODAY)
            assert record.total == total
            after = _state()
            with pytest.raises(StateConflict):
                payment_imports.import_apply(record=record, actor=payer, today=TODAY)
            with pytest.raises(ImportRejected):  # the same file again
                payment_imports.import_propose(actor=payer, upload=io.BytesIO(sheet), filename="又.csv", today=TODAY)
            assert _state() == after
        _invariants(payer.unit)
        transaction.set_rollback(True)
