"""费随事转 in the browser and the API: scope, idempotent payments, reports, exports, query budgets."""

import csv
import io
import json
import subprocess
import tempfile
import tracemalloc
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from catalog.models import Unit
from funding import exports, selectors, services
from funding.models import ExportRecord, Instalment, Payment
from tests.conftest import trail_queries

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
    rows = {r["group"]: r for r in response.context["rows"]}
    assert (rows["牛沙路社区"]["due"], rows["牛沙路社区"]["paid"]) == (Decimal("1200.00"), Decimal("600.00"))
    assert response.context["totals"]["due"] == Decimal("2400.00")
    assert "2,400.00" in response.content.decode()  # thousands separators on the page
    api = client.get("/api/v1/funding-report/", {"group": "payer", "start": "2026-01-01", "end": "2026-12-31"}).json()
    figures = {"due": "2400.00", "paid": "600.00", "settled": "600.00", "outstanding": "1800.00", "overdue": "600.00"}
    assert api["rows"] == [{"group": "区卫生健康局", **figures}]
    assert api["totals"] == figures and api["as_of"] == "2026-06-01" and len(api["basis"]) == 4


def test_a_period_shows_what_fell_due_in_it_and_what_was_paid_in_it(client, world, contract, payer_user, monkeypatch):
    """The issue's case: a half-year of 区卫生健康局 where the payments made pay earlier instalments, and one is
    reversed. 已付 counts the payments of the period by payment date (as the exports); 未付 and 逾期 what fell due."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2026, 10, 15))

    def pay(community, sequence, amount, on, voucher):
        instalment = contract.instalments.get(community__name=community, sequence=sequence)
        return services.payment_record(
            instalment=instalment, actor=payer_user, amount=Decimal(amount), paid_on=on, voucher=voucher
        )[0]

    pay("五福桥社区", 1, "600.00", date(2026, 7, 10), "记-1")  # March's instalment, paid late in July
    wrong = pay("牛沙路社区", 2, "600.00", date(2026, 9, 1), "记-2")
    services.payment_reverse(payment=wrong, actor=payer_user, voucher="记-2-冲", reason="录错", on=date(2026, 9, 5))
    pay("牛沙路社区", 2, "500.00", date(2026, 9, 6), "记-3")
    client.force_login(world.user("shenji"))
    query = {"start": "2026-07-01", "end": "2026-12-31"}
    totals = client.get("/funding/report/", query).context["totals"]
    assert totals == {
        "due": Decimal("1200.00"),  # the two September instalments
        "paid": Decimal("1100.00"),  # 600 + 600 − 600 + 500, paid from July to December
        "settled": Decimal("500.00"),  # towards September's instalments
        "outstanding": Decimal("700.00"),
        "overdue": Decimal("700.00"),  # both were due on 09-30, before 10-15
    }
    body = b"".join(client.get("/funding/report/export.csv", query).streaming_content).decode("utf-8-sig")
    assert body.splitlines()[-1].startswith("合计,,1100.00")
    assert [row[:3] for row in csv.reader(io.StringIO(body))][1:5] == [
        ["记-1", "2026-07-10", "600.00"],
        ["记-2", "2026-09-01", "600.00"],
        ["记-2-冲", "2026-09-05", "-600.00"],
        ["记-3", "2026-09-06", "500.00"],
    ]
    chart = client.get("/funding/report/", query).context["months_chart"]  # due by due month, paid by payment month
    assert chart["categories"] == ["2026-07", "2026-09"] and chart["money"]  # the tooltip formats 元 (charts.js)
    assert [series["data"] for series in chart["series"]] == [[0.0, 1200.0], [600.0, 500.0]]  # to the fen
    page = client.get("/funding/report/", query).content.decode()
    assert "1,100.00" in page
    assert "截至 2026-10-15" in page and "按付款日" in page and "按到期日" in page  # each figure says its basis


def test_every_export_is_recorded_and_reads_back(client, world, paid):
    client.force_login(world.user("shenji"))
    query = {"start": "2026-01-01", "end": "2026-12-31"}
    response = client.get("/funding/report/export.csv", query)
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote(
        "锦江区经费报表_2026-01-01至2026-12-31_付款明细.csv"
    )
    csv_body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "凭证号" in csv_body and "记-0001" in csv_body
    summary = client.get("/funding/report/export.summary.csv", query)
    assert (
        "filename*=utf-8''" + quote("锦江区经费报表_2026-01-01至2026-12-31_汇总.csv") in summary["Content-Disposition"]
    )
    assert "合计,2400.00,600.00,600.00,1800.00," in b"".join(summary.streaming_content).decode("utf-8-sig")
    response = client.get("/funding/report/export.xlsx", query)
    assert quote("锦江区经费报表_2026-01-01至2026-12-31.xlsx") in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["汇总", "付款明细"]
    sheet = book["汇总"]
    assert sheet["A1"].value == "锦江区经费报表_2026-01-01至2026-12-31"
    assert [sheet.cell(3, n).value for n in (1, 2, 3)] == ["区卫生健康局", 2400, 600]
    assert sheet["B3"].number_format == "#,##0.00" and sheet.freeze_panes == "B3" and sheet.auto_filter.ref == "A2:F3"
    assert sheet["A4"].value == "合计" and sheet["B4"].value == 2400
    lines = book["付款明细"]
    assert lines["A2"].value == "记-0001" and lines["B2"].value.date() == date(2026, 3, 20)  # a date, not text
    assert lines["B2"].number_format == "yyyy-mm-dd" and lines["C2"].number_format == "#,##0.00"
    assert lines.freeze_panes == "A2" and lines.auto_filter.ref == "A1:J2"
    assert (lines["A4"].value, lines["C4"].value) == ("合计", 600)
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
        "csv",
        "ocds",
        "pdf",
        "xlsx",
    ]


def _pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        return subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True).stdout


def test_a_departments_pdf_counts_only_its_own_unfunded_obligations(client, world, paid, health):
    from django.utils import timezone

    today = timezone.localdate()
    districts = Unit.objects.filter(pk=world.unit("锦江区").pk)
    own = len(selectors.unfunded_obligations(districts=districts, on=today, payer=health))
    everyone = len(selectors.unfunded_obligations(districts=districts, on=today))
    assert 0 < own < everyone
    client.force_login(world.user("bumen"))
    text = _pdf_text(client.get("/funding/report/export.pdf", {"start": "2026-01-01", "end": "2026-12-31"}).content)
    assert f"未落实经费的事项：{own} 项" in text
    assert "编制单位" in text and "审核人" in text and "盖章" in text and "区卫生健康局" in text  # to sign and seal
    client.force_login(world.user("shenji"))
    text = _pdf_text(client.get("/funding/report/export.pdf", {"start": "2026-01-01", "end": "2026-12-31"}).content)
    assert f"未落实经费的事项：{everyone} 项" in text


def test_the_unfunded_obligations_export_as_the_page_lists_them(client, world, paid):
    from django.utils import timezone

    client.force_login(world.user("shenji"))
    page = client.get("/funding/unfunded/")
    total = page.context["total"]
    on = f"{timezone.localdate():%Y-%m-%d}"
    response = client.get("/funding/unfunded/export.xlsx")
    assert quote(f"锦江区未落实经费事项_截至{on}.xlsx") in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == total + 2 and rows[-1][0] == "合计" and rows[-1][2] == f"{total}项"
    assert sum(Decimal(str(r[5])) for r in rows[:total]) == Decimal(str(rows[-1][5]))
    assert sheet["F3"].number_format == "#,##0.00" and sheet.freeze_panes == "A3"
    body = b"".join(client.get("/funding/unfunded/export.csv").streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[1][0] == "区" and len(lines) == total + 4
    assert sorted(ExportRecord.objects.values_list("kind", "rows")) == [("csv", total), ("xlsx", total)]
    client.force_login(world.user("shuji"))  # a secretary has no unfunded list
    assert client.get("/funding/unfunded/export.csv").status_code == 403


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
        "/funding/report/?group=community",
        "/funding/report/export.xlsx",
        "/funding/unfunded/export.xlsx",
        "/api/v1/contracts/",
        f"/api/v1/contracts/{paid.pk}/",
        "/api/v1/payments/",
        "/api/v1/funding-report/",
    ]:
        # An export is recorded: on SQLite its audit entry costs queries in the request.
        with django_assert_max_num_queries(14 + (trail_queries(3) if "export" in url else 0), info=url):
            assert client.get(url).status_code in (200, 403, 404), url
    # Three groupings, the unfunded count, the record.
    with django_assert_max_num_queries(22 + trail_queries(4), info="pdf"):
        assert client.get("/funding/report/export.pdf").status_code in (200, 403)


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
