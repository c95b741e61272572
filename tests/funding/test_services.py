"""费随事转: contracts, instalments, exact payments, reversals, amendments, unfunded obligations."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from catalog.check import check_demand
from catalog.transitions import StateConflict
from funding import selectors, services
from funding.models import ContractAmendment, FundingSnapshot, Instalment, Payment

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)


@pytest.fixture
def in_force(make_contract, payer_user, pdf):
    contract = make_contract()
    return services.contract_sign(contract=contract, actor=payer_user, document=pdf(), today=TODAY)


def test_a_contract_has_an_instalment_schedule_per_community(make_contract):
    contract = make_contract(
        amount="1000.01",
        schedule=(
            (date(2026, 3, 31), Decimal("33.33")),
            (date(2026, 6, 30), Decimal("33.33")),
            (date(2026, 9, 30), Decimal("33.34")),
        ),
    )
    amounts = list(contract.instalments.filter(community__name="牛沙路社区").values_list("amount", flat=True))
    assert amounts == [Decimal("333.30"), Decimal("333.30"), Decimal("333.41")]
    assert sum(amounts) == Decimal("1000.01")
    assert contract.instalments.count() == 6


def test_a_schedule_must_add_up_to_the_whole_and_fall_in_the_period(make_contract):
    with pytest.raises(ValidationError) as excinfo:
        make_contract(schedule=((date(2026, 3, 31), 50), (date(2027, 3, 31), 40)))
    assert "schedule" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        make_contract(amount="-5")


def test_only_the_paying_unit_makes_its_contracts(world, health, health_item):
    with pytest.raises(PermissionDenied):
        services.contract_create(
            actor=world.user("jiedao"),
            payer=health,
            number="X",
            item=health_item,
            communities=[world.unit("牛沙路社区")],
            amount_per_community=Decimal("1"),
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            schedule=[(date(2026, 6, 1), Decimal(100))],
        )


def test_signing_with_the_document_puts_a_contract_in_force(in_force):
    assert in_force.state == "in_force" and in_force.signed_document.name.endswith(".pdf")


def test_payments_are_exact_and_never_past_the_instalment(in_force, payer_user):
    instalment = in_force.instalments.filter(community__name="牛沙路社区").order_by("sequence").first()
    services.payment_record(
        instalment=instalment, actor=payer_user, amount=Decimal("599.99"), paid_on=date(2026, 3, 30), voucher="记-0001"
    )
    with pytest.raises(ValidationError) as excinfo:
        services.payment_record(
            instalment=instalment,
            actor=payer_user,
            amount=Decimal("0.02"),
            paid_on=date(2026, 3, 31),
            voucher="记-0002",
        )
    assert "0.01" in str(excinfo.value)
    services.payment_record(
        instalment=instalment, actor=payer_user, amount=Decimal("0.01"), paid_on=date(2026, 3, 31), voucher="记-0003"
    )
    instalment.refresh_from_db()
    assert instalment.paid == Decimal("600.00") and instalment.outstanding == 0


def test_a_voucher_submitted_twice_is_recorded_once(in_force, payer_user):
    instalment = in_force.instalments.first()
    first, created = services.payment_record(
        instalment=instalment, actor=payer_user, amount=Decimal("100"), paid_on=date(2026, 3, 1), voucher="记-0100"
    )
    again, created_again = services.payment_record(
        instalment=instalment, actor=payer_user, amount=Decimal("100"), paid_on=date(2026, 3, 1), voucher="记-0100"
    )
    assert created and not created_again and first == again
    with pytest.raises(ValidationError):
        services.payment_record(
            instalment=instalment, actor=payer_user, amount=Decimal("50"), paid_on=date(2026, 3, 1), voucher="记-0100"
        )
    instalment.refresh_from_db()
    assert instalment.paid == Decimal("100")


def test_a_mistaken_payment_is_reversed_by_a_counter_entry(in_force, payer_user):
    instalment = in_force.instalments.first()
    payment, _ = services.payment_record(
        instalment=instalment, actor=payer_user, amount=Decimal("200"), paid_on=date(2026, 3, 1), voucher="记-0200"
    )
    reversal = services.payment_reverse(payment=payment, actor=payer_user, voucher="记-0201", reason="金额录错")
    assert reversal.amount == Decimal("-200") and reversal.reverses == payment
    instalment.refresh_from_db()
    assert instalment.paid == 0
    assert Payment.objects.filter(instalment=instalment).count() == 2  # nothing deleted
    with pytest.raises(StateConflict):  # the API answers 409
        services.payment_reverse(payment=payment, actor=payer_user, voucher="记-0202", reason="再冲一次")


def test_the_database_refuses_overpayment_and_negative_payments(in_force):
    instalment = in_force.instalments.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Instalment.objects.filter(pk=instalment.pk).update(paid=instalment.amount + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            instalment=instalment,
            payer=in_force.payer,
            paid_on=TODAY,
            amount=Decimal("-1"),
            voucher="坏",
            recorded_by=in_force.created_by,
        )


def test_an_amendment_keeps_its_history_and_cannot_undercut_what_was_paid(in_force, payer_user):
    last = in_force.instalments.filter(community__name="牛沙路社区").order_by("-sequence").first()
    services.payment_record(
        instalment=last, actor=payer_user, amount=Decimal("600"), paid_on=date(2026, 9, 1), voucher="记-0300"
    )
    with pytest.raises(ValidationError):
        services.contract_amend(
            contract=in_force, actor=payer_user, reason="压缩经费", amount_per_community=Decimal("1000")
        )
    services.contract_amend(
        contract=in_force,
        actor=payer_user,
        reason="工作量增加",
        amount_per_community=Decimal("1500"),
        ends_on=date(2027, 3, 31),
    )
    last.refresh_from_db()
    assert last.amount == Decimal("900.00")
    amendment = ContractAmendment.objects.get(contract=in_force)
    assert amendment.changes == {"ends_on": ["2026-12-31", "2027-03-31"], "amount_per_community": ["1200.00", "1500"]}
    assert amendment.changed_by == payer_user


def test_assistance_is_funded_in_the_check_only_where_a_contract_is_in_force(world, make_contract, payer_user, pdf):
    community = world.unit("牛沙路社区")
    assert check_demand(community=community, on=TODAY, q="爱国卫生运动").verdict == "assist_unfunded"
    contract = make_contract()
    assert check_demand(community=community, on=TODAY, q="爱国卫生运动").verdict == "assist_unfunded"  # a draft
    services.contract_sign(contract=contract, actor=payer_user, document=pdf(), today=TODAY)
    assert check_demand(community=community, on=TODAY, q="爱国卫生运动").verdict == "assist_funded"
    assert check_demand(community=world.unit("静居寺社区"), on=TODAY, q="爱国卫生运动").verdict == "assist_unfunded"
    assert check_demand(community=community, on=date(2027, 2, 1), q="爱国卫生运动").verdict == "assist_unfunded"


def test_unfunded_obligations_list_each_item_and_community_without_a_contract(world, in_force, health):
    jinjiang = world.unit("锦江区")
    from catalog.models import Unit

    obligations = selectors.unfunded_obligations(districts=Unit.objects.filter(pk=jinjiang.pk), on=TODAY)
    pairs = {(o.item.title, o.community.name) for o in obligations}
    assert ("协助开展爱国卫生运动和健康教育", "牛沙路社区") not in pairs
    assert ("协助开展爱国卫生运动和健康教育", "静居寺社区") in pairs
    assert len(obligations) == 6 * 10 - 2  # six assistance items, ten communities, two covered
    mine = selectors.unfunded_obligations(districts=Unit.objects.filter(pk=jinjiang.pk), on=TODAY, payer=health)
    assert {o.item.delegating_unit for o in mine} == {"区卫生健康局"}


def test_scheduled_jobs_are_idempotent(world, make_contract, payer_user, pdf):
    contract = make_contract()
    contract = services.contract_sign(contract=contract, actor=payer_user, document=pdf(), today=date(2025, 12, 1))
    assert contract.state == "signed"
    assert services.contracts_advance(today=date(2026, 1, 1)) == {"in_force": 1, "completed": 0}
    assert services.contracts_advance(today=date(2026, 1, 2)) == {"in_force": 0, "completed": 0}
    first = services.instalments_remind(today=date(2026, 4, 2))
    assert first > 0 and services.instalments_remind(today=date(2026, 4, 3)) == 0
    assert services.snapshot_month(today=date(2026, 5, 1)) == 3
    assert services.snapshot_month(today=date(2026, 5, 1)) == 0
    snapshot = FundingSnapshot.objects.get(district=world.unit("锦江区"), month=date(2026, 5, 1))
    assert snapshot.promised == Decimal("2400.00") and snapshot.overdue == Decimal("1200.00")


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_payments_never_overpay_an_instalment(world, health, health_item):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.models import Unit

    payer_user = world.user("bumen")
    contract = services.contract_create(
        actor=payer_user,
        payer=health,
        number="WJ-P",
        item=health_item,
        communities=[world.unit("牛沙路社区")],
        amount_per_community=Decimal("1000"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal(100))],
    )
    services.contract_sign(
        contract=contract, actor=payer_user, today=TODAY, document=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF")
    )
    instalment = contract.instalments.get()
    outcomes, barrier = [], threading.Barrier(20)

    def pay(n, voucher):
        try:
            barrier.wait()
            services.payment_record(
                instalment=instalment, actor=payer_user, amount=Decimal("300"), paid_on=TODAY, voucher=voucher
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(n, f"并发-{n}")) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    instalment.refresh_from_db()
    assert outcomes.count("ok") == 3 and instalment.paid == Decimal("900")
    assert Payment.objects.filter(instalment=instalment).count() == 3
    assert Unit.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_submissions_make_one_payment(world, health, health_item):
    from django.core.files.uploadedfile import SimpleUploadedFile

    payer_user = world.user("bumen")
    contract = services.contract_create(
        actor=payer_user,
        payer=health,
        number="WJ-Q",
        item=health_item,
        communities=[world.unit("牛沙路社区")],
        amount_per_community=Decimal("1000"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal(100))],
    )
    services.contract_sign(
        contract=contract, actor=payer_user, today=TODAY, document=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF")
    )
    instalment = contract.instalments.get()
    created, barrier = [], threading.Barrier(20)

    def pay():
        try:
            barrier.wait()
            created.append(
                services.payment_record(
                    instalment=instalment, actor=payer_user, amount=Decimal("250"), paid_on=TODAY, voucher="记-同一张"
                )[1]
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    instalment.refresh_from_db()
    assert created.count(True) == 1 and len(created) == 20
    assert instalment.paid == Decimal("250") and Payment.objects.filter(instalment=instalment).count() == 1
