"""Every audited write names who made it, whatever was rolled back before it in the request. A batch or an import
whose first line repeats a recorded voucher tries that line's INSERT first, in a savepoint the unique key rolls
back; when the actor was sent to the triggers once per request (set_config for the session), that rollback
undid it and every later write of the request went into the trail with no actor and no address. Each audited
statement now carries its actor (audits.middleware). (Found by a review; PostgreSQL only: the trail is written
by triggers there.)"""

import io
from datetime import date

import pytest
from django.db import connection
from rest_framework.test import APIClient

from audits.models import AuditEntry
from funding import payment_imports, services
from funding.models import Payment

TODAY = date(2026, 11, 23)
pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trail's triggers are PostgreSQL's")


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def recorded(make_contract, payer_user, pdf):
    """A signed contract of one instalment, a payment already recorded against it through the API, and the
    payer's client: `(contract, first payment's body, client)`."""

    def record(number: str, voucher: str):
        contract = make_contract(
            number=number, communities=("牛沙路社区",), amount="1000.00", schedule=((date(2026, 6, 30), 100),)
        )
        contract = services.contract_sign(contract=contract, actor=payer_user, document=pdf(), today=TODAY)
        client = APIClient()
        client.force_authenticate(payer_user)
        first = {"instalment": contract.instalments.get().pk, "amount": "100.00", "paid_on": "2026-07-01"}
        first["voucher"] = voucher
        assert client.post("/api/v1/payments/", first, format="json").status_code == 201
        return contract, first, client

    return record


def _entries_since() -> int | None:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()


def test_a_new_line_after_a_repeated_voucher_keeps_its_actor_in_the_trail(recorded, payer_user):
    contract, first, client = recorded("WJ-审计", "审-1")

    since = _entries_since()
    new = first | {"voucher": "审-2", "amount": "50.00"}
    response = client.post(f"/api/v1/contracts/{contract.pk}/payments/", {"payments": [first, new]}, format="json")
    assert response.status_code in (200, 201), response.content
    payment = Payment.objects.get(voucher="审-2")
    entries = list(
        AuditEntry.objects.filter(pk__gt=since).values_list(
            "object_type", "action", "actor_id", "actor", "source_ip", "district_id"
        )
    )
    assert entries, "no audit entry"
    assert all(actor_id == payer_user.pk for _t, _a, actor_id, _n, _ip, _d in entries), entries
    assert (
        AuditEntry.objects.get(pk__gt=since, object_type="funding_payment", object_id=str(payment.pk)).actor_id
        == payer_user.pk
    )


def test_an_import_whose_first_row_was_recorded_keeps_the_actor_of_its_new_rows(recorded, payer_user):
    _contract, _first, client = recorded("WJ-审计-导", "导-1")

    sheet = (
        "合同编号,社区,期次,凭证号,付款日期,金额\n"
        "WJ-审计-导,牛沙路社区,1,导-1,2026-07-01,100\n"
        "WJ-审计-导,牛沙路社区,1,导-2,2026-07-01,50\n"
    ).encode()
    proposal = payment_imports.import_propose(actor=payer_user, upload=io.BytesIO(sheet), filename="凭证.csv")
    since = _entries_since()
    response = client.post(f"/api/v1/payment-imports/{proposal.pk}/apply/")
    assert response.status_code == 200, response.content
    payment = Payment.objects.get(voucher="导-2")
    entries = list(AuditEntry.objects.filter(pk__gt=since).values_list("object_type", "action", "actor_id"))
    assert (
        AuditEntry.objects.get(pk__gt=since, object_type="funding_payment", object_id=str(payment.pk)).actor_id
        == payer_user.pk
    ), entries
