"""Payments as they arrive, in the browser: one form for a contract's due instalments, and a sheet of vouchers."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from funding import services
from funding.models import Instalment, Payment, PaymentImport
from funding.payment_batches import due_rows

pytestmark = pytest.mark.django_db
COMMUNITIES = ("牛沙路社区", "五福桥社区", "静居寺社区", "双桂路社区")


@pytest.fixture
def contract(make_contract, payer_user, pdf):
    contract = make_contract(communities=COMMUNITIES)
    return services.contract_sign(contract=contract, actor=payer_user, document=pdf(), today=date(2026, 11, 23))


@pytest.fixture
def bumen(client, world):
    client.force_login(world.user("bumen"))
    client.cookies["django_language"] = "en"
    return client


def _form(contract, vouchers: dict, **extra):
    form = {"paid_on": "2026-04-02", **extra}
    for instalment in due_rows(contract):
        key = (instalment.community.name, instalment.sequence)
        if key in vouchers:
            form[f"voucher_{instalment.pk}"] = vouchers[key]
        form[f"amount_{instalment.pk}"] = str(instalment.outstanding)
    return form


def test_the_form_has_one_row_per_community_and_instalment_due(bumen, contract):
    response = bumen.get(f"/funding/contracts/{contract.pk}/payments/")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 8
    assert [r["amount"] for r in response.context["rows"]] == [Decimal("600.00")] * 8


def test_eight_payments_in_one_form_ask_first_then_say_what_was_recorded(bumen, contract):
    vouchers = {(name, n): f"记-{name[:2]}-{n}" for name in COMMUNITIES for n in (1, 2)}
    form = _form(contract, vouchers)
    asked = bumen.post(f"/funding/contracts/{contract.pk}/payments/", form)
    assert asked.status_code == 200
    assert b'data-testid="confirm-step"' in asked.content
    assert "4,800.00" in asked.content.decode()
    assert not Payment.objects.exists()  # asked first: nothing recorded yet
    done = bumen.post(f"/funding/contracts/{contract.pk}/payments/", form | {"confirm": "yes"}, follow=True)
    messages = [str(m) for m in done.context["messages"]]
    assert messages == ["8 payments recorded, 4,800.00 yuan in all."]
    assert Payment.objects.filter(instalment__contract=contract).count() == 8
    assert not Instalment.objects.filter(contract=contract, paid__lt=Decimal("600.00")).exists()


def test_blank_rows_are_payments_not_yet_arrived(bumen, contract):
    form = _form(contract, {("牛沙路社区", 1): "记-1", ("五福桥社区", 1): "记-2"})
    bumen.post(f"/funding/contracts/{contract.pk}/payments/", form | {"confirm": "yes"})
    assert sorted(Payment.objects.values_list("voucher", flat=True)) == ["记-1", "记-2"]


def test_a_wrong_row_is_named_and_nothing_is_saved(bumen, contract):
    form = _form(contract, {("牛沙路社区", 1): "记-1", ("五福桥社区", 2): "记-2"})
    wufu = contract.instalments.get(community__name="五福桥社区", sequence=2)
    form[f"amount_{wufu.pk}"] = "700"
    response = bumen.post(f"/funding/contracts/{contract.pk}/payments/", form | {"confirm": "yes"})
    assert response.status_code == 400
    assert response.context["errors"] == [
        "五福桥社区 · instalment 2, amount: Only 600.00 yuan is still due on this instalment; "
        "paying more needs an amendment first."
    ]
    assert not Payment.objects.exists()


def test_only_the_paying_unit_sees_the_form(client, world, contract):
    client.force_login(world.user("shenji"))
    assert client.get(f"/funding/contracts/{contract.pk}/payments/").status_code == 403
    client.force_login(world.user("jiedao"))
    assert client.get(f"/funding/contracts/{contract.pk}/payments/").status_code == 404


# --- A sheet of vouchers -------------------------------------------------------------------------------------


def _xlsx(rows, header=("合同编号", "社区", "期次", "凭证号", "付款日期", "金额")) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2026年第二季度付款凭证"])  # a title row above the header
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, data: bytes, name="付款凭证.xlsx"):
    return client.post("/funding/payments/import/", {"file": SimpleUploadedFile(name, data)})


def test_a_sheet_is_proposed_confirmed_and_recorded_once(bumen, contract):
    data = _xlsx(
        [
            ("WJ-2026-001", "牛沙路社区", "第1期", "Ｖ－１００", "2026/4/2", "600"),
            ("wj-2026-001", "五福桥社区", "1", "V-101", date(2026, 4, 2), "６００.００元"),
            ("WJ-2026-001", "牛沙路社区", "一", "v-100", "2026年4月2日", "600.00"),  # the first row again
        ]
    )
    response = _upload(bumen, data)
    record = PaymentImport.objects.get()
    assert response.status_code == 302 and record.state == "proposed" and not Payment.objects.exists()
    page = bumen.get(f"/funding/payments/imports/{record.pk}/")
    assert page.context["count"] == 2 and page.context["total"] == "1,200.00"
    done = bumen.post(f"/funding/payments/imports/{record.pk}/", {"action": "apply", "confirm": "yes"}, follow=True)
    assert [str(m) for m in done.context["messages"]] == [
        "“付款凭证.xlsx” is recorded: 2 payments, 1,200.00 yuan in all."
    ]
    assert Payment.objects.count() == 2
    again = bumen.post(f"/funding/payments/imports/{record.pk}/", {"action": "apply", "confirm": "yes"})
    assert again.status_code == 409 and Payment.objects.count() == 2
    second = _upload(bumen, data)  # the same file uploaded again
    assert second.status_code == 400 and "already recorded" in second.context["errors"][0].message
    assert Payment.objects.count() == 2


def test_a_sheet_with_errors_names_rows_and_columns_and_marks_the_file(bumen, contract):
    data = _xlsx(
        [
            ("WJ-2026-001", "牛沙路社区", "1", "V-1", "2026-04-02", "600"),
            ("WJ-2026-001", "不存在社区", "1", "V-2", "2026-04-02", "600"),
            ("WJ-2026-001", "五福桥社区", "3", "V-3", "2026-04-02", "600"),
            ("TEST-OTHER", "牛沙路社区", "1", "V-4", "2026-04-02", "600"),
            ("WJ-2026-001", "静居寺社区", "1", "V-5", "4月2日", "六百"),
        ]
    )
    response = _upload(bumen, data, "错.xlsx")
    assert response.status_code == 302  # to the refused import's page: its errors and the marked file
    response = bumen.get(response["Location"])
    cells = {(e.row, e.column) for e in response.context["errors"]}
    assert cells == {(4, "社区"), (5, "期次"), (6, "合同编号"), (7, "付款日期"), (7, "金额")}
    record = PaymentImport.objects.get(state="refused")
    marked = load_workbook(io.BytesIO(bumen.get(f"/funding/payments/imports/{record.pk}/errors.xlsx").content))
    assert marked.active["B4"].comment is not None and marked.active["E7"].comment is not None
    assert not Payment.objects.exists()


def test_over_payment_across_rows_refuses_the_whole_sheet(bumen, contract):
    data = _xlsx(
        [
            ("WJ-2026-001", "牛沙路社区", "1", "V-1", "2026-04-02", "400"),
            ("WJ-2026-001", "牛沙路社区", "1", "V-2", "2026-04-03", "400"),
        ]
    )
    response = bumen.get(_upload(bumen, data, "超.xlsx")["Location"])
    assert [(e.row, e.column) for e in response.context["errors"]] == [(4, "金额")]
    assert not Payment.objects.exists()


def test_the_template_has_the_columns_and_the_units_instalments_due(bumen, contract):
    response = bumen.get("/funding/payments/import/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]] == ["合同编号", "社区", "期次", "凭证号", "付款日期", "金额", "备注"]
    rows = [tuple(c.value for c in row[:3]) for row in sheet.iter_rows(min_row=3) if row[0].value]
    assert ("WJ-2026-001", "牛沙路社区", 1) in rows and len([r for r in rows if r[0] == "WJ-2026-001"]) == 8
    assert ".xlsx" in response["Content-Disposition"]


def test_a_csv_in_gbk_with_other_headers_reads_the_same(bumen, contract):
    text = '协议编号,收款社区,期数,凭证编号,支付日期,付款金额\nWJ-2026-001,牛沙路社区,1,记-9,2026-04-02,"600.00"\n'
    response = _upload(bumen, text.encode("gb18030"), "凭证.csv")
    assert response.status_code == 302
    assert PaymentImport.objects.get().lines[0]["voucher"] == "记-9"
