"""Payments as they arrive, through /api/v1/: a contract's payments in one request, a sheet of vouchers."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funding import services
from funding.api.serializers import PaymentSerializer
from funding.models import Payment, PaymentImport
from funding.payment_batches import due_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(make_contract, payer_user, pdf):
    contract = make_contract()
    return services.contract_sign(contract=contract, actor=payer_user, document=pdf(), today=date(2026, 11, 23))


@pytest.fixture
def api(api_client, world):
    api_client.force_authenticate(world.user("bumen"))
    return api_client


def _body(contract, vouchers, **extra):
    rows = due_rows(contract)
    payments = [
        {"instalment": i.pk, "amount": str(i.outstanding), "paid_on": "2026-04-02", "voucher": v}
        for i, v in zip(rows, vouchers, strict=False)
    ]
    return {"payments": payments, **extra}


def test_a_contracts_payments_in_one_request(api, contract):
    url = f"/api/v1/contracts/{contract.pk}/payments/"
    dry = api.post(url, _body(contract, ["记-1", "记-2", "记-3", "记-4"], dry_run=True), format="json")
    assert dry.status_code == 200 and dry.json()["recorded"] == 4 and not Payment.objects.exists()
    done = api.post(url, _body(contract, ["记-1", "记-2", "记-3", "记-4"]), format="json")
    assert done.status_code == 201
    assert (done.json()["recorded"], done.json()["total"]) == (4, "2400.00")
    assert Payment.objects.count() == 4


def test_a_refused_line_is_named_and_records_nothing(api, contract):
    body = _body(contract, ["记-1", "记-2"])
    body["payments"][1]["amount"] = "601.00"
    response = api.post(f"/api/v1/contracts/{contract.pk}/payments/", body, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["index"], error["field"], error["where"]) == (1, "amount", "牛沙路社区 · 第1期")
    assert not Payment.objects.exists()


def test_an_instalment_of_another_contract_is_refused(api, contract, make_contract, payer_user, pdf):
    other = services.contract_sign(
        contract=make_contract(number="WJ-2026-002"), actor=payer_user, document=pdf(), today=date(2026, 11, 23)
    )
    body = _body(other, ["记-1"])
    response = api.post(f"/api/v1/contracts/{contract.pk}/payments/", body, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "instalment"


def test_an_unsigned_contract_takes_no_payments(api, make_contract):
    draft = make_contract(number="WJ-2026-003")
    response = api.post(f"/api/v1/contracts/{draft.pk}/payments/", _body(draft, ["记-1"]), format="json")
    assert response.status_code == 409


def test_a_sheet_through_the_api_is_applied_once(api, contract):
    text = "合同编号,社区,期次,凭证号,付款日期,金额\nWJ-2026-001,牛沙路社区,1,Ｖ１,2026-04-02,600\n"
    upload = SimpleUploadedFile("凭证.csv", text.encode())
    proposed = api.post("/api/v1/payment-imports/", {"file": upload}, format="multipart")
    assert proposed.status_code == 201 and proposed.json()["count"] == 1
    record = proposed.json()["id"]
    assert api.get(f"/api/v1/payment-imports/{record}/").json()["state"] == "proposed"
    applied = api.post(f"/api/v1/payment-imports/{record}/apply/")
    assert applied.status_code == 200 and applied.json()["state"] == "applied"
    assert api.post(f"/api/v1/payment-imports/{record}/apply/").status_code == 409
    again = api.post(
        "/api/v1/payment-imports/", {"file": SimpleUploadedFile("又.csv", text.encode())}, format="multipart"
    )
    assert again.status_code == 400 and again.json()["errors"][0]["row"] == 0
    resaved = SimpleUploadedFile("另存.csv", text.replace("Ｖ１", "v 1").encode("gb18030"))  # other bytes, same voucher
    refused = api.post("/api/v1/payment-imports/", {"file": resaved}, format="multipart")
    assert refused.status_code == 400 and refused.json()["errors"][0]["row"] == 0
    assert Payment.objects.get().amount == Decimal("600.00")


def test_a_refused_sheet_answers_each_row_and_column(api, contract):
    text = "合同编号,社区,期次,凭证号,付款日期,金额\nWJ-2026-001,牛沙路社区,9,V1,2026-04-02,600\n"
    response = api.post(
        "/api/v1/payment-imports/", {"file": SimpleUploadedFile("错.csv", text.encode())}, format="multipart"
    )
    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(2, "期次")]
    assert response.json()["import"] is None and not PaymentImport.objects.exists()  # the API keeps no refusal


def test_other_units_do_not_see_an_import(api, api_client, world, contract):
    text = "合同编号,社区,期次,凭证号,付款日期,金额\nWJ-2026-001,牛沙路社区,1,V1,2026-04-02,600\n"
    record = api.post(
        "/api/v1/payment-imports/", {"file": SimpleUploadedFile("凭证.csv", text.encode())}, format="multipart"
    ).json()["id"]
    for username in ("jiedao", "shenji", "minzheng_jn"):
        api_client.force_authenticate(world.user(username))
        assert api_client.get(f"/api/v1/payment-imports/{record}/").status_code == 404
        assert api_client.post(f"/api/v1/payment-imports/{record}/apply/").status_code in (403, 404)
    assert not Payment.objects.exists()


def test_a_payment_with_a_token_authenticates_once_and_an_ended_token_keeps_its_reason(
    api_client, world, contract, settings
):
    """The audit middleware reads the token's user before the view, and the view authenticates again: one
    token query in all. A token that has ended is refused with its reason, though the first asking deleted it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from config.tokens import token_issue
    from funding.payment_batches import due_rows

    token = token_issue(user=world.user("bumen"))
    instalment = due_rows(contract)[0]
    body = {"instalment": instalment.pk, "amount": "1.00", "paid_on": "2026-04-02", "voucher": "记-令牌-1"}
    with CaptureQueriesContext(connection) as seen:
        answer = api_client.post("/api/v1/payments/", body, format="json", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert answer.status_code == 201, answer.content
    assert len([q for q in seen.captured_queries if 'FROM "authtoken_token"' in q["sql"]]) == 1
    from config.models import TokenUse

    TokenUse.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now() - timedelta(days=settings.API_TOKEN_IDLE_DAYS * 2)
    )
    refused = api_client.post(
        "/api/v1/payments/", {**body, "voucher": "记-令牌-2"}, format="json", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert refused.status_code in (401, 403), refused.content
    assert "Invalid token" not in refused.content.decode() and refused.json()["detail"]
    assert not Payment.objects.filter(voucher="记-令牌-2").exists()


class _BuiltEveryTime(PaymentSerializer):
    def get_fields(self):  # DRF's own: the fields built from the model for this instance
        from rest_framework import serializers

        return serializers.ModelSerializer.get_fields(self)


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=70),
    st.sampled_from(["2026-04-02", "2026-02-30", "0.01", "1e3", "12345678901234567.01", "-1", "记-1", " "]),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["instalment", "paid_on", "amount", "voucher", "note", "id"]), _values))
def test_a_payment_body_is_read_the_same_by_fields_built_once_as_by_fields_built_every_time(body):
    """PaymentSerializer builds its fields once per process (catalog.api.fields.FieldsBuiltOnce): for any body,
    the same fields, the same errors (words and codes) or the same values as DRF building them for each request,
    asked twice (a first use leaves nothing behind for the next)."""
    from rest_framework import exceptions

    def read(serializer_class):
        serializer = serializer_class(data=body)
        try:
            valid = serializer.is_valid()
        except exceptions.NotFound as missing:
            return repr(serializer.fields), "404", str(missing.detail)
        return repr(serializer.fields), valid, serializer.errors if not valid else serializer.validated_data

    assert read(PaymentSerializer) == read(_BuiltEveryTime) == read(PaymentSerializer)
