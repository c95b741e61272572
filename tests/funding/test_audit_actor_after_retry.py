"""Every audited write names who made it, whatever was rolled back before it in the request. A batch or an import
whose first line repeats a recorded voucher tries that line's INSERT first, in a savepoint the unique key rolls
back; when the actor was sent to the triggers once per request (set_config for the session), that rollback
undid it and every later write of the request went into the trail with no actor and no address. Each audited
statement now carries its actor (audits.middleware). (Found by a review; PostgreSQL only: the trail is written
by triggers there.)"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from audits.models import AuditEntry
from catalog.selectors import version_in_force
from funding import services
from funding.models import Payment

TODAY = date(2026, 11, 23)
pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trail's triggers are PostgreSQL's")


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_a_new_line_after_a_repeated_voucher_keeps_its_actor_in_the_trail(world, db):
    from tests.security.test_concurrency import _health

    payer = world.user("bumen")
    item = version_in_force(district_id=world.unit("锦江区").pk, on=TODAY).items.get(
        title="协助开展爱国卫生运动和健康教育"
    )
    contract = services.contract_create(
        actor=payer,
        payer=_health(world),
        number="WJ-审计",
        item=item,
        communities=[world.unit("牛沙路社区")],
        amount_per_community=Decimal("1000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal(100))],
    )
    contract = services.contract_sign(
        contract=contract, actor=payer, document=SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n%%EOF"), today=TODAY
    )
    instalment = contract.instalments.get()
    client = APIClient()
    client.force_authenticate(payer)
    first = {"instalment": instalment.pk, "amount": "100.00", "paid_on": "2026-07-01", "voucher": "审-1"}
    assert client.post("/api/v1/payments/", first, format="json").status_code == 201

    since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
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
    assert all(actor_id == payer.pk for _t, _a, actor_id, _n, _ip, _d in entries), entries
    assert (
        AuditEntry.objects.get(pk__gt=since, object_type="funding_payment", object_id=str(payment.pk)).actor_id
        == payer.pk
    )


def test_an_import_whose_first_row_was_recorded_keeps_the_actor_of_its_new_rows(world, db):
    import io

    from funding import payment_imports
    from tests.security.test_concurrency import _health

    payer = world.user("bumen")
    item = version_in_force(district_id=world.unit("锦江区").pk, on=TODAY).items.get(
        title="协助开展爱国卫生运动和健康教育"
    )
    contract = services.contract_create(
        actor=payer,
        payer=_health(world),
        number="WJ-审计-导",
        item=item,
        communities=[world.unit("牛沙路社区")],
        amount_per_community=Decimal("1000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal(100))],
    )
    services.contract_sign(
        contract=contract, actor=payer, document=SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n%%EOF"), today=TODAY
    )
    client = APIClient()
    client.force_authenticate(payer)
    instalment = contract.instalments.get()
    first = {"instalment": instalment.pk, "amount": "100.00", "paid_on": "2026-07-01", "voucher": "导-1"}
    assert client.post("/api/v1/payments/", first, format="json").status_code == 201
    sheet = (
        "合同编号,社区,期次,凭证号,付款日期,金额\n"
        "WJ-审计-导,牛沙路社区,1,导-1,2026-07-01,100\n"
        "WJ-审计-导,牛沙路社区,1,导-2,2026-07-01,50\n"
    ).encode()
    proposal = payment_imports.import_propose(actor=payer, upload=io.BytesIO(sheet), filename="凭证.csv")
    since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    response = client.post(f"/api/v1/payment-imports/{proposal.pk}/apply/")
    assert response.status_code == 200, response.content
    payment = Payment.objects.get(voucher="导-2")
    entries = list(AuditEntry.objects.filter(pk__gt=since).values_list("object_type", "action", "actor_id"))
    assert (
        AuditEntry.objects.get(pk__gt=since, object_type="funding_payment", object_id=str(payment.pk)).actor_id
        == payer.pk
    ), entries
