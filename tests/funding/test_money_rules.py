"""谁委托谁出钱 under use and abuse: one voucher however it is typed, reversed vouchers, dates and periods, the
state of contracts and payments recorded with who and why (issue 12, "Money")."""

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import StateEvent
from catalog.transitions import StateConflict
from funding import services
from funding.models import Instalment, Payment
from funding.states import CONTRACT, PAYMENT

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@pytest.fixture
def in_force(make_contract, payer_user, pdf):
    return services.contract_sign(contract=make_contract(), actor=payer_user, document=pdf(), today=TODAY)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def pay(instalment, actor, voucher, amount="100.00", paid_on=date(2026, 3, 1)):
    return services.payment_record(
        instalment=instalment, actor=actor, amount=Decimal(amount), paid_on=paid_on, voucher=voucher, today=TODAY
    )


# --- One voucher however it is typed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "v-100",
        "Ｖ－１００",
        "ｖ－１００",
        "V - 100",
        " V-100 ",
        "V-1\u200b00",
        "\ufeffV\u2060-100",
        "V\u3000-\u3000100",
    ],
)
def test_a_voucher_typed_another_way_is_the_same_voucher(in_force, payer_user, variant):
    instalment = in_force.instalments.first()
    first, created = pay(instalment, payer_user, "V-100")
    again, created_again = pay(instalment, payer_user, variant)
    assert created and not created_again and again == first
    assert Payment.objects.get().voucher == "V-100"  # stored as typed
    with pytest.raises(ValidationError) as excinfo:  # another payment under the same voucher, however typed
        pay(instalment, payer_user, variant, amount="50.00")
    assert "voucher" in excinfo.value.message_dict
    instalment.refresh_from_db()
    assert instalment.paid == Decimal("100.00")


def test_the_database_holds_one_voucher_per_payer_under_its_compared_form(in_force, payer_user):
    from django.db import IntegrityError

    instalment = in_force.instalments.first()
    pay(instalment, payer_user, "V-100")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            instalment=instalment,
            payer=in_force.payer,
            paid_on=date(2026, 3, 1),
            amount=Decimal("1"),
            voucher="Ｖ－１００",
            recorded_by=payer_user,
        )


def test_the_data_migration_keys_existing_vouchers_and_keeps_old_lookalikes_apart(in_force, payer_user):
    instalment = in_force.instalments.first()
    first, _ = pay(instalment, payer_user, "V-100")
    second, _ = pay(instalment, payer_user, "记-7")
    # Before the migration two look-alikes could both be recorded; the migration must still be able to hold
    # the constraint, and the first one keeps the voucher's key.
    Payment.objects.filter(pk=second.pk).update(voucher="ｖ－１００")
    migration = importlib.import_module("funding.migrations.0002_payment_voucher_key_and_state")
    migration.fill_voucher_keys(django_apps, None)
    assert Payment.objects.get(pk=first.pk).voucher_key == "v-100"
    assert Payment.objects.get(pk=second.pk).voucher_key.startswith("v-100#dup-")
    again, created = pay(instalment, payer_user, "Ｖ－１００")
    assert again == first and not created


# --- Reversed vouchers -----------------------------------------------------------------------------------


def test_a_replayed_voucher_of_a_reversed_payment_answers_that_it_was_reversed(in_force, payer_user):
    instalment = in_force.instalments.first()
    payment, _ = pay(instalment, payer_user, "记-0200", amount="200.00")
    services.payment_reverse(payment=payment, actor=payer_user, voucher="记-0200-冲", reason="金额录错")
    for replay in ("记-0200", "记－０２００", "记-0200-冲"):
        with pytest.raises(services.PaymentReversed) as excinfo, translation.override("en"):
            pay(instalment, payer_user, replay, amount="200.00")
        assert "reversed" in str(excinfo.value) and "记-0200-冲" in str(excinfo.value)
    instalment.refresh_from_db()
    assert instalment.paid == 0


def test_the_api_answers_a_replayed_reversed_voucher_with_409_not_the_payment(api_client, world, in_force):
    payer = world.user("bumen")
    instalment = in_force.instalments.first()
    payment, _ = pay(instalment, payer, "记-9")
    services.payment_reverse(payment=payment, actor=payer, voucher="记-9-冲", reason="录错")
    api_client.force_authenticate(payer)
    body = {"instalment": instalment.pk, "amount": "100.00", "paid_on": "2026-03-01", "voucher": "记-9"}
    response = api_client.post("/api/v1/payments/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "reversed" in response.json()["detail"]


def test_a_reversal_is_recorded_with_who_and_why_and_happens_once(in_force, payer_user):
    payment, _ = pay(in_force.instalments.first(), payer_user, "记-1")
    services.payment_reverse(payment=payment, actor=payer_user, voucher="记-1-冲", reason="录错")
    payment.refresh_from_db()
    assert payment.state == "reversed" and PAYMENT.actions(payment) == []
    event = PAYMENT.history(payment).get()
    assert (event.action, event.actor, event.note) == ("reverse", payer_user, "录错")
    with pytest.raises(StateConflict):
        services.payment_reverse(payment=payment, actor=payer_user, voucher="记-1-冲2", reason="再冲")


def test_a_reversal_is_not_dated_in_the_future_nor_before_the_payment(in_force, payer_user):
    payment, _ = pay(in_force.instalments.first(), payer_user, "记-1", paid_on=date(2026, 3, 1))
    for on in (date.today() + timedelta(days=1), date(2026, 2, 1)):
        with pytest.raises(ValidationError) as excinfo:
            services.payment_reverse(payment=payment, actor=payer_user, voucher="记-1-冲", reason="录错", on=on)
        assert "on" in excinfo.value.message_dict
    assert Payment.objects.count() == 1


# --- Dates and periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize("paid_on", [date(2025, 12, 31), date(2027, 1, 1), TODAY + timedelta(days=1)])
def test_a_payment_is_dated_within_the_contract_period_and_not_in_the_future(in_force, payer_user, paid_on):
    with pytest.raises(ValidationError) as excinfo:
        pay(in_force.instalments.first(), payer_user, "记-1", paid_on=paid_on)
    assert "paid_on" in excinfo.value.message_dict
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (date(1, 1, 1), date(9999, 12, 31)),  # funded for ever
        (date(2026, 1, 1), date(2031, 1, 1)),  # more than five years
        (date(1999, 1, 1), date(2000, 6, 30)),  # before any budget in the system
        (date(2026, 1, 1), date(2025, 12, 31)),  # ends before it starts
    ],
)
def test_a_contract_period_is_bounded(world, health, payer_user, health_item, starts_on, ends_on):
    with pytest.raises(ValidationError) as excinfo:
        services.contract_create(
            actor=payer_user,
            payer=health,
            number="X-1",
            item=health_item,
            communities=[world.unit("牛沙路社区")],
            amount_per_community=Decimal("100"),
            starts_on=starts_on,
            ends_on=ends_on,
            schedule=[(starts_on, Decimal(100))],
        )
    assert "ends_on" in excinfo.value.message_dict


def test_a_five_year_contract_is_accepted_and_cannot_be_amended_past_the_bound(world, make_contract, payer_user):
    contract = make_contract()  # 2026
    services.contract_amend(contract=contract, actor=payer_user, reason="续签", ends_on=date(2030, 12, 31))
    with pytest.raises(ValidationError) as excinfo:
        services.contract_amend(contract=contract, actor=payer_user, reason="永久", ends_on=date(9999, 12, 31))
    assert "ends_on" in excinfo.value.message_dict
    contract.refresh_from_db()
    assert contract.ends_on == date(2030, 12, 31)


def test_duplicate_communities_in_a_contract_are_a_400_naming_them(api_client, world, health_item):
    api_client.force_authenticate(world.user("bumen"))
    community = world.unit("牛沙路社区")
    body = {
        "number": "X-2",
        "item": health_item.pk,
        "communities": [community.pk, community.pk],
        "amount_per_community": "100.00",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "schedule": [{"due_on": "2026-06-30", "share": "100"}],
    }
    response = api_client.post("/api/v1/contracts/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "牛沙路社区" in response.json()["communities"][0]


# --- 谁委托谁出钱 means money ---------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0.00", "0", "-1.00", "0.001"])
def test_a_contract_for_nothing_per_community_is_refused(make_contract, amount):
    with pytest.raises(ValidationError) as excinfo:
        make_contract(amount=amount)
    assert "amount_per_community" in excinfo.value.message_dict


# --- One way to change state ------------------------------------------------------------------------------


def test_signing_records_who_signed_and_the_activation(in_force, payer_user):
    events = list(CONTRACT.history(in_force))
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("sign", "draft", "signed"),
        ("activate", "signed", "in_force"),
    ]
    assert events[0].actor == payer_user


def test_the_scheduled_job_brings_contracts_into_force_and_completes_them_through_the_table(
    make_contract, payer_user, pdf
):
    contract = services.contract_sign(
        contract=make_contract(), actor=payer_user, document=pdf(), today=date(2025, 12, 1)
    )
    assert contract.state == "signed"
    assert services.contracts_advance(today=date(2026, 1, 1)) == {"in_force": 1, "completed": 0}
    Instalment.objects.filter(contract=contract).update(paid=models_f("amount"))
    assert services.contracts_advance(today=date(2027, 1, 1)) == {"in_force": 0, "completed": 1}
    assert services.contracts_advance(today=date(2027, 1, 2)) == {"in_force": 0, "completed": 0}
    assert [e.action for e in CONTRACT.history(contract)] == ["sign", "activate", "complete"]
    assert StateEvent.objects.filter(action="complete").get().actor is None


def models_f(name):
    from django.db.models import F

    return F(name)


def test_a_wrong_state_is_409_in_the_funding_api(api_client, world, in_force, pdf):
    api_client.force_authenticate(world.user("bumen"))
    first = api_client.post(f"/api/v1/contracts/{in_force.pk}/terminate/", {"reason": "不再需要"})
    again = api_client.post(f"/api/v1/contracts/{in_force.pk}/terminate/", {"reason": "再一次"})
    sign = api_client.post(f"/api/v1/contracts/{in_force.pk}/sign/", {"document": pdf()}, format="multipart")
    amend = api_client.post(f"/api/v1/contracts/{in_force.pk}/amend/", {"reason": "x", "ends_on": "2026-12-30"})
    assert (first.status_code, again.status_code, sign.status_code, amend.status_code) == (200, 409, 409, 409)
    body = {"instalment": in_force.instalments.first().pk, "amount": "1.00", "paid_on": "2026-03-01", "voucher": "a"}
    assert api_client.post("/api/v1/payments/", body, format="json").status_code == 409


def test_the_contract_page_offers_what_the_state_allows(client, world, make_contract, payer_user, pdf):
    client.force_login(payer_user)
    draft = make_contract()
    page = client.get(f"/funding/contracts/{draft.pk}/").content.decode()
    assert 'data-testid="sign"' in page and 'data-testid="terminate"' in page
    services.contract_terminate(contract=draft, actor=payer_user, reason="作废")
    page = client.get(f"/funding/contracts/{draft.pk}/").content.decode()
    assert 'data-testid="sign"' not in page and 'data-testid="terminate"' not in page


def test_termination_on_the_page_asks_first_and_then_says_what_happened(client, world, in_force, payer_user):
    client.force_login(payer_user)
    client.cookies["django_language"] = "en"  # pages follow the chosen language
    url = f"/funding/contracts/{in_force.pk}/terminate/"
    response = client.post(url, {"reason": "不再需要"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    in_force.refresh_from_db()
    assert in_force.state == "in_force" and "Tick the box to confirm" in response.content.decode()
    response = client.post(url, {"reason": "不再需要", "confirm": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    in_force.refresh_from_db()
    assert in_force.state == "terminated"
    assert f"Contract {in_force.number} terminated" in response.content.decode()


# --- Properties over any voucher variant ------------------------------------------------------------------

base_vouchers = st.text(alphabet="ABCVabcv0123456789-记付", min_size=1, max_size=8).filter(lambda v: v.strip("-"))


@st.composite
def variant_of(draw, voucher: str) -> str:
    """The same voucher as someone might type it: case changed, full-width, spaces and invisible characters."""
    out = []
    for ch in voucher:
        if draw(st.booleans()):
            ch = ch.swapcase()
        if draw(st.booleans()):
            ch = full_width(ch)
        out.append(ch)
        extra = draw(st.sampled_from(["", "", " ", "\u3000", *ZERO_WIDTH]))
        out.append(extra)
    return draw(st.sampled_from(["", " "])) + "".join(out)


@st.composite
def operations(draw):
    vouchers = draw(st.lists(base_vouchers, min_size=1, max_size=3, unique_by=lambda v: v.casefold()))
    steps = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        kind = draw(st.integers(0, 9))
        if kind <= 1:
            steps.append(("reverse", draw(st.integers(0, 10)), draw(variant_of(draw(st.sampled_from(vouchers))))))
        elif kind == 2:
            steps.append(("terminate",))
        elif kind <= 4:  # a retry: the voucher's first payment submitted again, typed another way
            steps.append(("replay", draw(variant_of(draw(st.sampled_from(vouchers))))))
        else:
            voucher = draw(st.sampled_from(vouchers))
            amount = Decimal(draw(st.integers(min_value=1, max_value=70_000))) / 100
            steps.append(("pay", draw(st.integers(0, 3)), draw(variant_of(voucher)), amount))
    return steps


@given(steps=operations())
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_no_payment_makes_paid_exceed_due_and_no_voucher_variant_pays_twice(in_force, payer_user, steps):
    """Whatever happened since (other payments filling the instalment, a reversal, the contract terminated), a
    voucher recorded before is answered with its first payment when submitted again with the same instalment,
    amount and date; as reversed (409) once reversed; as already used when anything else differs. Never twice."""
    from catalog.text import comparison_key

    with transaction.atomic():
        instalments = list(in_force.instalments.order_by("pk"))
        first: dict[str, tuple] = {}  # a voucher's key → (its payment's pk, instalment, amount, paid_on)
        for step in steps:
            if step[0] == "replay":
                known = first.get(comparison_key(step[1]))
                if known is None:
                    continue
                _pk, instalment, amount, _paid_on = known  # a reversal's voucher: no instalment, no amount
                step = ("pay", instalments.index(instalment) if instalment else 0, step[1], amount or Decimal(1))
            try:
                with transaction.atomic():
                    if step[0] == "pay":
                        _op, n, voucher, amount = step
                        instalment = instalments[n % len(instalments)]
                        known = first.get(comparison_key(voucher))
                        if known is None:
                            expected = "new"
                        elif Payment.objects.get(pk=known[0]).state != "recorded":
                            expected = "reversed"
                        elif known[1:3] == (instalment, Decimal(str(amount))):
                            expected = "the first payment"
                        else:
                            expected = "already used"
                        try:
                            payment, created = pay(instalment, payer_user, voucher, str(amount))
                        except services.PaymentReversed:
                            assert expected == "reversed", step
                            raise
                        except (ValidationError, services.FundingError, StateConflict) as refusal:
                            assert expected in ("new", "already used"), (step, expected, refusal)
                            if expected == "already used":
                                assert "voucher" in refusal.message_dict, refusal
                            raise
                        assert expected in ("new", "the first payment"), (step, expected)
                        if expected == "new":
                            assert created, "a new voucher was answered as a replay"
                            first[comparison_key(voucher)] = (payment.pk, instalment, payment.amount, payment.paid_on)
                        else:
                            assert (payment.pk, created) == (known[0], False), "a voucher variant paid twice"
                    elif step[0] == "terminate":
                        services.contract_terminate(contract=in_force, actor=payer_user, reason="提前终止")
                    else:
                        _op, n, voucher = step
                        recorded = list(Payment.objects.filter(state="recorded").order_by("pk"))
                        if recorded:
                            reversal = services.payment_reverse(
                                payment=recorded[n % len(recorded)], actor=payer_user, voucher=voucher, reason="录错"
                            )
                            first.setdefault(comparison_key(voucher), (reversal.pk, None, None, None))
            except (ValidationError, services.FundingError, StateConflict):
                pass
            for instalment in Instalment.objects.filter(contract=in_force):
                entries = sum(instalment.payments.values_list("amount", flat=True), Decimal("0"))
                assert 0 <= instalment.paid <= instalment.amount
                assert instalment.paid == entries
            keys = list(Payment.objects.values_list("voucher_key", flat=True))
            assert len(keys) == len(set(keys))
            assert all(p.voucher_key == comparison_key(p.voucher) for p in Payment.objects.all())
        transaction.set_rollback(True)


def test_the_payments_api_finds_a_voucher_however_it_is_typed(api_client, world, in_force):
    payer = world.user("bumen")
    payment, _ = pay(in_force.instalments.first(), payer, "V-100")
    api_client.force_authenticate(payer)
    found = api_client.get("/api/v1/payments/", {"voucher": "ｖ－１００"}).json()["results"]
    assert [row["id"] for row in found] == [payment.pk]
    assert api_client.get("/api/v1/payments/", {"voucher": "V-101"}).json()["results"] == []
