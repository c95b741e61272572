"""Payments as they arrive, at the same moment: the same batch sent by several clients at once (its lines in
either order) pays once and never deadlocks; two proposals of one file applied at once record it once."""

import io
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.selectors import version_in_force
from funding import payment_imports, services
from funding.models import Instalment, Payment
from tests.security.test_concurrency import _api_clients, _health, _race

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def contract(world):
    payer = world.user("bumen")
    item = version_in_force(district_id=world.unit("锦江区").pk, on=TODAY).items.get(
        title="协助开展爱国卫生运动和健康教育"
    )
    contract = services.contract_create(
        actor=payer,
        payer=_health(world),
        number="WJ-并发-批",
        item=item,
        communities=[world.unit("牛沙路社区"), world.unit("五福桥社区")],
        amount_per_community=Decimal("1000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal(100))],
    )
    pdf = SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n%%EOF")
    return services.contract_sign(contract=contract, actor=payer, document=pdf, today=TODAY)


def test_the_same_batch_sent_at_once_pays_once(world, contract):
    first, second = contract.instalments.order_by("pk")
    lines = [
        {"instalment": first.pk, "amount": "400.00", "paid_on": "2026-07-01", "voucher": "批-1"},
        {"instalment": second.pk, "amount": "300.00", "paid_on": "2026-07-01", "voucher": "批-2"},
    ]
    clients = _api_clients(world.user("bumen"))[:8]
    url = f"/api/v1/contracts/{contract.pk}/payments/"

    def send(client):
        order = lines if clients.index(client) % 2 else lines[::-1]  # half the clients lock in the other order
        return client.post(url, {"payments": order}, format="json")

    responses = _race(clients, send)
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 7}
    assert sorted(r.json()["recorded"] for r in responses) == [0] * 7 + [2]
    assert Payment.objects.filter(instalment__contract=contract).count() == 2
    assert Instalment.objects.get(pk=first.pk).paid == Decimal("400.00")


def test_two_proposals_of_one_file_applied_at_once_record_it_once(world, contract):
    bumen = world.user("bumen")
    sheet = "合同编号,社区,期次,凭证号,付款日期,金额\nWJ-并发-批,牛沙路社区,1,导-1,2026-07-01,500\n".encode()
    proposals = [
        payment_imports.import_propose(actor=bumen, upload=io.BytesIO(sheet), filename=f"凭证{n}.csv") for n in (1, 2)
    ]
    clients = _api_clients(bumen)[:2]
    responses = _race(
        clients, lambda client: client.post(f"/api/v1/payment-imports/{proposals[clients.index(client)].pk}/apply/")
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert Payment.objects.filter(instalment__contract=contract).count() == 1
    assert Instalment.objects.filter(contract=contract).get(community__name="牛沙路社区").paid == Decimal("500.00")
