"""Payments as they arrive: one batch for a contract's due instalments, all or nothing (funding.payment_batches)."""

from datetime import date
from decimal import Decimal

import pytest

from funding import services
from funding.models import Instalment, Payment
from funding.payment_batches import BatchRejected, PaymentLine, due_rows, payments_record_batch, where_of

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)


@pytest.fixture
def four_communities(make_contract, payer_user, pdf):
    contract = make_contract(communities=("牛沙路社区", "五福桥社区", "静居寺社区", "双桂路社区"))
    return services.contract_sign(contract=contract, actor=payer_user, document=pdf(), today=TODAY)


def _lines(contract, *, vouchers, paid_on=date(2026, 4, 2)):
    rows = due_rows(contract)
    return [
        PaymentLine(instalment_id=i.pk, amount=i.outstanding, paid_on=paid_on, voucher=v, where=where_of(i))
        for i, v in zip(rows, vouchers, strict=False)
    ]


def test_eight_payments_for_four_communities_are_recorded_in_one_batch(four_communities, payer_user, health):
    assert len(due_rows(four_communities)) == 8
    lines = _lines(four_communities, vouchers=[f"记-{n}" for n in range(8)])
    outcome = payments_record_batch(actor=payer_user, payer=health, lines=lines, today=TODAY)
    assert len(outcome.recorded) == 8 and outcome.total == Decimal("4800.00")
    assert "8" in outcome.summary() and "4,800.00" in outcome.summary()
    assert due_rows(four_communities) == []
    assert Payment.objects.filter(instalment__contract=four_communities).count() == 8


def test_one_wrong_line_records_nothing_and_names_its_community_and_field(four_communities, payer_user, health):
    lines = _lines(four_communities, vouchers=[f"记-{n}" for n in range(8)])
    lines[3].amount += Decimal("1")
    lines[5].paid_on = date(2027, 1, 5)
    with pytest.raises(BatchRejected) as excinfo:
        payments_record_batch(actor=payer_user, payer=health, lines=lines, today=TODAY)
    named = {(e.line.where, e.field) for e in excinfo.value.errors}
    assert named == {(lines[3].where, "amount"), (lines[5].where, "paid_on")}
    assert not Payment.objects.filter(instalment__contract=four_communities).exists()
    assert not Instalment.objects.filter(contract=four_communities, paid__gt=0).exists()


def test_a_look_alike_voucher_pays_once(four_communities, payer_user, health):
    lines = _lines(four_communities, vouchers=["V-100", "Ｖ－１００"])
    with pytest.raises(BatchRejected) as excinfo:  # two different instalments: one voucher cannot pay both
        payments_record_batch(actor=payer_user, payer=health, lines=lines, today=TODAY)
    assert [e.field for e in excinfo.value.errors] == ["voucher"]
    same = _lines(four_communities, vouchers=["V-100"]) + _lines(four_communities, vouchers=["Ｖ－１００"])
    outcome = payments_record_batch(actor=payer_user, payer=health, lines=same, today=TODAY)
    assert [line.outcome for line in outcome.lines] == ["recorded", "repeat"]
    replay = [PaymentLine(**{**vars(same[0]), "voucher": "v - 1\u200b00", "outcome": "", "instalment": None})]
    again = payments_record_batch(actor=payer_user, payer=health, lines=replay, today=TODAY)
    assert [line.outcome for line in again.lines] == ["already"] and again.total == 0
    assert Payment.objects.filter(payer=health).count() == 1


def test_a_dry_run_records_nothing(four_communities, payer_user, health):
    lines = _lines(four_communities, vouchers=["记-1", "记-2"])
    outcome = payments_record_batch(actor=payer_user, payer=health, lines=lines, today=TODAY, dry_run=True)
    assert len(outcome.recorded) == 2
    assert not Payment.objects.filter(payer=health).exists()
