"""费随事转 in the browser and the API: scope, idempotent payments, reports, exports, query budgets."""

import io
import json
import tracemalloc
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from funding import exports, services
from funding.models import ExportRecord, Instalment, Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(make_contract, payer_user, pdf):
    contract = make_contract()
    return services.contract_sign(contract=contract, actor=payer_user, document=pdf(), today=date(2026, 11, 23))


@pytest.fixture
def paid(contract, payer_user):
    instalment = contract.instalments.get(community__name="牛沙路社区", sequence=1)
    services.payment_record(
        instalment=instalment, actor=payer_user, amount=Decimal("600"), paid_on=date(2026, 3, 20), voucher="记-0001"
    )
    return contract


def test_a_payment_posted_twice_through_the_api_is_recorded_once(api_client, world, contract):
    instalment = contract.instalments.first()
    api_client.force_authenticate(world.user("bumen"))
    body = {"instalment": instalment.pk, "amount": "100.00", "paid_on": "2026-03-01", "voucher": "记-9"}
    first = api_client.post("/api/v1/payments/", body, format="json")
    again = api_client.post("/api/v1/payments/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Payment.objects.count() == 1
    too_much = api_client.post("/api/v1/payments/", body | {"voucher": "记-10", "amount": "999.00"}, format="json")
    assert too_much.status_code == 400 and "amount" in too_much.json()


def test_auditors_read_but_never_pay(api_client, world, contract):
    api_client.force_authenticate(world.user("shenji"))
    assert api_client.get(f"/api/v1/contracts/{contract.pk}/").status_code == 200
    body = {"instalment": contract.instalments.first().pk, "amount": "1.00", "paid_on": "2026-03-01", "voucher": "x"}
    assert api_client.post("/api/v1/payments/", body, format="json").status_code == 403
    assert api_client.post(f"/api/v1/contracts/{contract.pk}/terminate/", {"reason": "x"}).status_code == 403


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("minzheng_sb", 404),
        ("minzheng_jn", 404),
        ("shuji_sb", 404),
        ("jiedao", 404),
        ("shuji", 200),
        ("shiju", 200),
        ("minzheng", 200),
    ],
)
def test_contracts_are_seen_only_in_scope(client, world, contract, username, status):
    client.force_login(world.user(username))
    assert client.get(f"/funding/contracts/{contract.pk}/").status_code == status


def test_the_secretary_sees_only_their_communitys_instalments(client, world, paid):
    client.force_login(world.user("shuji"))
    page = client.get(f"/funding/contracts/{paid.pk}/")
    assert {i.community.name for i in page.context["instalments"]} == {"牛沙路社区"}
    rows = client.get("/funding/owed/").context["rows"]
    assert [(r["contract__item_title"], r["promised"], r["paid_total"]) for r in rows] == [
        ("协助开展爱国卫生运动和健康教育", Decimal("1200.00"), Decimal("600.00"))
    ]


def test_recording_a_payment_in_the_browser(client, world, contract):
    client.force_login(world.user("bumen"))
    instalment = contract.instalments.get(community__name="五福桥社区", sequence=1)
    form = {"instalment": instalment.pk, "amount": "600.00", "paid_on": "2026-03-01", "voucher": "记-0100"}
    client.post(f"/funding/contracts/{contract.pk}/pay/", form)
    response = client.post(f"/funding/contracts/{contract.pk}/pay/", form, follow=True)
    assert [m.level_tag for m in response.context["messages"]][-1] == "info"
    instalment.refresh_from_db()
    assert instalment.paid == Decimal("600.00") and Payment.objects.count() == 1


def test_the_report_adds_up_per_payer_community_and_item(client, world, paid, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2026, 6, 1))  # the first instalments are overdue
    client.force_login(world.user("shenji"))
    response = client.get("/funding/report/", {"start": "2026-01-01", "end": "2026-12-31", "group": "community"})
    rows = {r["community__name"]: r for r in response.context["rows"]}
    assert rows["牛沙路社区"]["promised"] == Decimal("1200.00") and rows["牛沙路社区"]["paid_total"] == Decimal(
        "600.00"
    )
    assert response.context["totals"]["promised"] == Decimal("2400.00")
    api = client.get("/api/v1/funding-report/", {"group": "payer", "start": "2026-01-01", "end": "2026-12-31"}).json()
    assert api == [
        {
            "group": "区卫生健康局",
            "promised": "2400.00",
            "paid": "600.00",
            "outstanding": "1800.00",
            "overdue": "600.00",
        }
    ]


def test_every_export_is_recorded_and_reads_back(client, world, paid):
    client.force_login(world.user("shenji"))
    query = {"start": "2026-01-01", "end": "2026-12-31"}
    csv_body = b"".join(client.get("/funding/report/export.csv", query).streaming_content).decode("utf-8-sig")
    assert "凭证号" in csv_body and "记-0001" in csv_body
    xlsx = b"".join(client.get("/funding/report/export.xlsx", query).streaming_content)
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet["A2"].value == "记-0001"
    assert client.get("/funding/report/export.pdf", query).content.startswith(b"%PDF")
    ocds = json.loads(client.get(f"/funding/contracts/{paid.pk}/ocds.json").content)
    transaction = ocds["contracts"][0]["implementation"]["transactions"][0]
    assert (transaction["payer"]["name"], transaction["payee"]["name"], transaction["value"]["amount"]) == (
        "区卫生健康局",
        "牛沙路社区",
        "600.00",
    )
    assert len(ocds["contracts"][0]["milestones"]) == 4
    assert sorted(ExportRecord.objects.filter(user=world.user("shenji")).values_list("kind", flat=True)) == [
        "csv",
        "ocds",
        "pdf",
        "xlsx",
    ]


def test_the_csv_export_streams_in_constant_memory(contract, payer_user):
    instalment = contract.instalments.first()
    Instalment.objects.filter(pk=instalment.pk).update(amount=Decimal("100000000"))

    def add(n, start):
        Payment.objects.bulk_create(
            [
                Payment(
                    instalment=instalment,
                    payer=contract.payer,
                    paid_on=date(2026, 3, 1),
                    amount=Decimal("1.00"),
                    voucher=f"v{start + i}",
                    voucher_key=f"v{start + i}",  # bulk_create skips save(), which keys a typed voucher
                    recorded_by=payer_user,
                )
                for i in range(n)
            ]
        )

    def peak() -> int:
        tracemalloc.start()
        for _line in exports.csv_stream(Payment.objects.all()):
            pass
        _current, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    add(5_000, 0)
    small = peak()
    add(20_000, 5_000)
    large = peak()
    assert large < small * 1.2, (small, large)  # five times the rows, the same memory: one chunk at a time


# Formulas in exported cells: tests/security/test_bad_input.py, for every export at once.


@pytest.mark.parametrize("username", ["bumen", "shenji", "shuji", "minzheng", "shiju", "admin"])
def test_funding_pages_have_query_budgets(client, world, paid, username, django_assert_max_num_queries):
    client.force_login(world.user(username))
    for url in [
        "/funding/contracts/",
        f"/funding/contracts/{paid.pk}/",
        "/funding/owed/",
        "/funding/unfunded/",
        "/funding/report/",
        "/api/v1/contracts/",
        f"/api/v1/contracts/{paid.pk}/",
        "/api/v1/payments/",
        "/api/v1/funding-report/",
    ]:
        with django_assert_max_num_queries(14, info=url):
            assert client.get(url).status_code in (200, 403, 404), url


def test_a_reversed_payment_offers_no_second_reversal(client, world, paid, payer_user):
    payment = Payment.objects.get(voucher="记-0001")
    services.payment_reverse(payment=payment, actor=payer_user, voucher="记-0001-冲", reason="录错")
    client.force_login(payer_user)
    rows = {p.voucher: p for p in client.get(f"/funding/contracts/{paid.pk}/").context["payments"]}
    assert not rows["记-0001"].can_reverse and not rows["记-0001-冲"].can_reverse
    with pytest.raises(ValidationError):  # a counter-entry needs its own voucher
        services.payment_reverse(
            payment=Payment.objects.get(voucher="记-0001-冲"), actor=payer_user, voucher="", reason="x"
        )
