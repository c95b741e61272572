"""Journeys through 费随事转 (funds follow the task) in headless Chromium, against the live server.

The paying department makes a contract on the page, signs it with a scanned agreement, records, repeats, refuses
and reverses payments; a community secretary sees on a phone what it is owed; the district's auditor reads the
report and its charts, exports it as CSV, XLSX and PDF, and lists unfunded obligations; another district's staff
cannot see the contract at all.

"Today" is fixed by patching django.utils.timezone.localdate (the live server runs in a thread of this process).
The funding pages' copy is not translated yet, so assertions lean on data-testid hooks, data-state attributes,
form field names, message classes, URLs and the (stable) Chinese demo data.
"""

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from catalog.choices import ItemList
from catalog.models import Unit
from catalog.selectors import version_in_force
from funding import services
from funding.models import Contract, ExportRecord, Instalment, Payment

from .test_journeys import assert_no_horizontal_overflow, log_in, url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = date(2026, 11, 23)
ITEM = "协助开展爱国卫生运动和健康教育"  # 锦江区's assistance item delegated by 区卫生健康局
PAYER = "区卫生健康局"
NIUSHALU, WUFUQIAO = "牛沙路社区", "五福桥社区"
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PHONE_WIDTH = 390


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def contract_in_force(world):
    """The health bureau's contract for 牛沙路社区 and 五福桥社区, signed, with 600 paid to 牛沙路社区 (记-001)."""
    bumen = world.user("bumen")
    district = world.unit("锦江区")
    item = version_in_force(district_id=district.pk, on=TODAY).items.get(title=ITEM)
    contract = services.contract_create(
        actor=bumen,
        payer=Unit.objects.get(name=PAYER, district=district),
        number="WJ-2026-007",
        item=item,
        communities=[world.unit(NIUSHALU), world.unit(WUFUQIAO)],
        amount_per_community=Decimal("1200.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal(50)), (date(2026, 12, 31), Decimal(50))],
    )
    contract = services.contract_sign(
        contract=contract,
        actor=bumen,
        document=SimpleUploadedFile("协议.pdf", PDF_BYTES, content_type="application/pdf"),
        today=TODAY,
    )
    first = contract.instalments.get(community__name=NIUSHALU, sequence=1)
    services.payment_record(
        instalment=first, actor=bumen, amount=Decimal("600"), paid_on=date(2026, 7, 10), voucher="记-001"
    )
    return contract


def money(amount: str) -> re.Pattern:
    """A summed amount as a page shows it. To the fen ("600.00") is right; on SQLite sums come back without their
    trailing zeros ("600"), a known bug pinned down by test_summed_amounts_are_shown_to_the_fen."""
    short = format(Decimal(amount).normalize(), "f")
    return re.compile(rf"^({re.escape(amount)}|{re.escape(short)})$")


def _cells(row):
    return row.locator("td")


def _open_pay_form(page: Page, instalment: Instalment):
    row = page.locator(f'[data-testid=instalments] tr[data-instalment="{instalment.pk}"]')
    row.locator("summary").click()
    form = row.locator("form.pay")
    expect(form).to_be_visible()
    return form


def test_department_makes_signs_pays_and_reverses_a_contract_on_a_desktop(world, open_page, tmp_path: Path):
    page = open_page("desktop")
    log_in(page, "bumen")
    expect(page).to_have_url(url("/home/"))

    # A new contract: two communities, 1200 each, half due at mid-year and half at the year's end.
    page.goto("/funding/contracts/new/")
    form = page.get_by_test_id("contract-form")
    form.locator("#id_number").fill("WJ-2026-001")
    form.locator("#id_item").select_option(label=ITEM)
    form.get_by_label(f"双桂路街道 · {NIUSHALU}", exact=True).check()
    form.get_by_label(f"双桂路街道 · {WUFUQIAO}", exact=True).check()
    form.locator("#id_amount_per_community").fill("1200")
    form.locator("#id_starts_on").fill("2026-01-01")
    form.locator("#id_ends_on").fill("2026-12-31")
    form.locator("#id_due_1").fill("2026-06-30")
    form.locator("#id_share_1").fill("50")
    form.locator("#id_due_2").fill("2026-12-31")
    form.locator("#id_share_2").fill("50")
    form.locator("button[type=submit]").click()

    contract = Contract.objects.get(number="WJ-2026-001")
    expect(page).to_have_url(url(f"/funding/contracts/{contract.pk}/"))
    expect(page.locator("ul.messages li.success")).to_have_count(1)
    expect(page.get_by_test_id("contract-state")).to_have_attribute("data-state", "draft")
    instalments = page.get_by_test_id("instalments").locator("tbody tr[data-instalment]")
    expect(instalments).to_have_count(4)
    assert contract.item_title == ITEM and contract.payer.name == PAYER
    assert sorted(contract.communities.values_list("name", flat=True)) == sorted([NIUSHALU, WUFUQIAO])
    assert (
        list(contract.instalments.order_by("community__name", "sequence").values_list("due_on", "amount"))
        == [
            (date(2026, 6, 30), Decimal("600.00")),
            (date(2026, 12, 31), Decimal("600.00")),
        ]
        * 2
    )
    expect(page.locator("form.pay")).to_have_count(0)  # no payment on a draft

    # Signing needs the scanned agreement; the period has begun, so the contract is in force at once.
    scan = tmp_path / "signed-agreement.pdf"
    scan.write_bytes(PDF_BYTES)
    sign = page.get_by_test_id("sign")
    sign.locator("input[type=file]").set_input_files(str(scan))
    sign.locator("button[type=submit]").click()

    expect(page).to_have_url(url(f"/funding/contracts/{contract.pk}/"))
    expect(page.get_by_test_id("contract-state")).to_have_attribute("data-state", "in_force")
    expect(page.get_by_test_id("sign")).to_have_count(0)
    expect(page.locator("ul.messages li.success")).to_have_count(1)
    expect(page.locator(f'a[href="/funding/contracts/{contract.pk}/document/"]')).to_be_visible()

    first = Instalment.objects.get(contract=contract, community__name=NIUSHALU, sequence=1)
    second = Instalment.objects.get(contract=contract, community__name=NIUSHALU, sequence=2)
    first_row = page.locator(f'[data-testid=instalments] tr[data-instalment="{first.pk}"]')
    second_row = page.locator(f'[data-testid=instalments] tr[data-instalment="{second.pk}"]')
    payments = page.get_by_test_id("payments").locator("tbody tr")

    # A second tab with the same payment filled in, as if the clerk submitted it twice.
    twin = page.context.new_page()
    twin.goto(f"/funding/contracts/{contract.pk}/")
    twin_form = _open_pay_form(twin, first)
    twin_form.locator("input[name=amount]").fill("600")
    twin_form.locator("input[name=voucher]").fill("记-001")

    # 600 on the first instalment of 牛沙路社区, voucher 记-001.
    pay = _open_pay_form(page, first)
    expect(pay.locator("input[name=amount]")).to_have_value("600.00")  # pre-filled with what is outstanding
    expect(pay.locator("input[name=paid_on]")).to_have_value("2026-11-23")
    pay.locator("input[name=amount]").fill("600")
    pay.locator("input[name=voucher]").fill("记-001")
    pay.locator("button[type=submit]").click()

    expect(page.locator("ul.messages li.success")).to_have_count(1)
    expect(payments).to_have_count(1)
    expect(_cells(payments.first).nth(0)).to_have_text("记-001")
    expect(_cells(payments.first).nth(2)).to_have_text(NIUSHALU)
    expect(_cells(payments.first).nth(3)).to_have_text("600.00")
    expect(_cells(first_row).nth(4)).to_have_text("600.00")
    expect(_cells(first_row).nth(5)).to_have_text("0.00")
    expect(first_row.locator("form.pay")).to_have_count(0)  # nothing left to pay on it

    # The same voucher again (from the other tab): recorded once, with a note saying so.
    twin_form.locator("button[type=submit]").click()
    expect(twin.locator("ul.messages li.info")).to_have_count(1)
    expect(twin.locator("ul.messages li.error")).to_have_count(0)
    expect(twin.get_by_test_id("payments").locator("tbody tr")).to_have_count(1)
    expect(_cells(twin.locator(f'[data-testid=instalments] tr[data-instalment="{first.pk}"]')).nth(4)).to_have_text(
        "600.00"
    )
    twin.close()

    # More than is outstanding on the second instalment: refused, nothing recorded.
    page.reload()
    pay = _open_pay_form(page, second)
    pay.locator("input[name=amount]").fill("600.01")
    pay.locator("input[name=voucher]").fill("记-002")
    pay.locator("button[type=submit]").click()

    expect(page.locator("ul.messages li.error")).to_have_count(1)
    expect(page.locator("ul.messages li.error")).to_contain_text("600.00")  # says how much is still due
    expect(page.locator("ul.messages li.success")).to_have_count(0)
    expect(payments).to_have_count(1)
    expect(_cells(second_row).nth(4)).to_have_text("0.00")
    expect(_cells(second_row).nth(5)).to_have_text("600.00")
    assert Payment.objects.filter(instalment__contract=contract).count() == 1

    # Reverse the payment with a counter-entry: both entries stay, the instalment is owed again.
    original = payments.filter(has=page.locator("td:first-child", has_text="记-001"))
    original.locator("summary").click()
    original.locator("input[name=voucher]").fill("记-001-冲")
    original.locator("input[name=reason]").fill("付错账户")
    original.locator("input[name=confirm]").check()  # an irreversible step asks first
    original.locator("form button[type=submit]").click()

    expect(page.locator("ul.messages li.success")).to_have_count(1)
    expect(page.locator("ul.messages li.success")).to_contain_text("记-001-冲")  # says exactly what happened
    expect(payments).to_have_count(2)
    vouchers = payments.locator("td:first-child")
    expect(vouchers).to_have_text(["记-001-冲", "记-001"])  # newest first
    expect(_cells(payments.nth(0)).nth(3)).to_have_text("-600.00")
    expect(_cells(payments.nth(0)).nth(4)).to_contain_text("记-001")  # says which payment it reverses
    expect(_cells(payments.nth(1)).nth(3)).to_have_text("600.00")
    expect(_cells(first_row).nth(4)).to_have_text("0.00")
    expect(_cells(first_row).nth(5)).to_have_text("600.00")
    expect(first_row.locator("summary")).to_have_count(1)  # payable again
    first.refresh_from_db()
    assert first.paid == 0
    assert Payment.objects.get(voucher="记-001-冲").reverses.voucher == "记-001"


def test_secretary_sees_what_the_community_is_owed_on_a_phone(world, open_page, contract_in_force):
    page = open_page("phone")
    log_in(page, "shuji")
    expect(page).to_have_url(url("/home/"))

    page.goto("/funding/owed/")

    rows = page.get_by_test_id("owed").locator("tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row.get_by_role("link", name=ITEM)).to_have_attribute("href", f"/funding/contracts/{contract_in_force.pk}/")
    expect(row).to_contain_text("WJ-2026-007")
    cells = _cells(row)
    expect(cells.nth(1)).to_have_text(PAYER)
    expect(cells.nth(2)).to_have_text(money("1200.00"))  # promised to 牛沙路社区 (not to 五福桥社区 as well)
    expect(cells.nth(3)).to_have_text(money("600.00"))  # paid
    expect(cells.nth(4)).to_have_text(money("600.00"))  # still due
    assert_no_horizontal_overflow(page, PHONE_WIDTH)

    # The contract itself shows only this community's instalments and payments.
    row.get_by_role("link", name=ITEM).click()
    expect(page).to_have_url(url(f"/funding/contracts/{contract_in_force.pk}/"))
    expect(page.get_by_test_id("instalments").locator("tbody tr[data-instalment]")).to_have_count(2)
    expect(page.get_by_test_id("instalments")).not_to_contain_text(WUFUQIAO)
    expect(page.locator("form.pay")).to_have_count(0)
    assert_no_horizontal_overflow(page, PHONE_WIDTH)


# The health bureau's line in this year's report: due, paid, of it paid, outstanding, overdue (on 11-23).
SUMS = ["2,400.00", "600.00", "600.00", "1,800.00", "600.00"]


def test_auditor_reads_and_exports_the_report_and_other_districts_get_404(world, open_page, contract_in_force):
    page = open_page("desktop")
    log_in(page, "shenji")
    expect(page).to_have_url(url("/home/"))

    page.goto("/funding/report/")

    # This year by paying unit: 2 × 1200 promised, 600 paid, 五福桥社区's mid-year 600 overdue.
    report = page.get_by_test_id("report")
    rows = report.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(_cells(rows.first)).to_have_text([PAYER, *SUMS])
    expect(report.locator("tfoot td")).to_have_text(SUMS)
    payers = page.get_by_test_id("chart-payers")
    expect(payers.locator(".bar-row")).to_have_count(1)
    expect(payers.locator(".bar-label")).to_have_text(PAYER)
    expect(payers.locator(".bar .seg")).to_have_text("2,400.00 元")
    months = page.get_by_test_id("chart-months")
    expect(months.locator(".bar-label")).to_have_text(["2026-06", "2026-07", "2026-12"])
    expect(months.locator(".bar-row").nth(1).locator(".seg.list-duties")).to_have_text("600.00 元")  # paid in July

    # CSV: the payments, with their vouchers and their total (the page's 已付).
    with page.expect_download() as info:
        page.locator("a[href*='/funding/report/export.csv']").click()
    download = info.value
    assert download.suggested_filename == "锦江区经费报表_2026-01-01至2026-12-31_付款明细.csv"  # a name a person reads
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][0] == "凭证号"
    assert len(lines) == 4
    assert lines[1][:7] == ["记-001", "2026-07-10", "600.00", PAYER, NIUSHALU, "WJ-2026-007", ITEM]
    assert lines[3][:3] == ["合计", "", "600.00"]

    # Another period: the auditor filters the second half-year and opens the workbook beside the page.
    page.goto("/funding/report/?start=2026-07-01&end=2026-12-31")
    half = ["1,200.00", "600.00", "0.00", "1,200.00", "0.00"]  # December's instalments; July's payment paid June's
    expect(page.get_by_test_id("report").locator("tfoot td")).to_have_text(half)
    with page.expect_download() as info:
        page.locator("a[href*='/funding/report/export.xlsx']").click()
    assert info.value.suggested_filename == "锦江区经费报表_2026-07-01至2026-12-31.xlsx"
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    totals = next(row for row in book["汇总"].iter_rows(values_only=True) if row[0] == "合计")
    assert [f"{Decimal(str(v)):,.2f}" for v in totals[1:6]] == half
    payment_lines = list(book["付款明细"].iter_rows(values_only=True))
    assert payment_lines[1][:3] == ("记-001", datetime(2026, 7, 10), 600)
    with page.expect_download() as info:
        page.locator("a[href*='/funding/report/export.pdf']").click()
    assert Path(info.value.path()).read_bytes()[:5] == b"%PDF-"

    shenji = world.user("shenji")
    assert sorted(ExportRecord.objects.filter(user=shenji).values_list("kind", flat=True)) == ["csv", "pdf", "xlsx"]

    # Unfunded obligations: every assistance item in every community, but the two the contract covers.
    district = world.unit("锦江区")
    items = version_in_force(district_id=district.pk, on=TODAY).items.filter(list=ItemList.ASSISTANCE).count()
    communities = Unit.objects.communities().filter(district=district).count()
    page.goto("/funding/unfunded/")
    obligations = page.get_by_test_id("unfunded").locator("tbody tr")
    expect(obligations).to_have_count(items * communities - 2)
    item_rows = obligations.filter(has=page.locator("td", has_text=ITEM))
    expect(item_rows).to_have_count(communities - 2)
    expect(item_rows.filter(has_text=NIUSHALU)).to_have_count(0)
    expect(item_rows.filter(has_text=WUFUQIAO)).to_have_count(0)
    expect(item_rows.filter(has_text="静居寺社区")).to_have_count(1)
    expect(_cells(item_rows.filter(has_text="静居寺社区")).nth(3)).to_have_text(PAYER)

    # Another district's civil-affairs staff cannot even learn the contract exists.
    other = open_page("desktop")
    log_in(other, "minzheng_sb")
    expect(other).to_have_url(url("/home/"))
    response = other.goto(f"/funding/contracts/{contract_in_force.pk}/")
    assert response is not None and response.status == 404
    expect(other.locator("body")).not_to_contain_text("WJ-2026-007")


def test_summed_amounts_are_shown_to_the_fen(world, open_page, contract_in_force):
    page = open_page("desktop")
    log_in(page, "shenji")
    expect(page).to_have_url(url("/home/"))
    page.goto("/funding/report/")
    expect(page.get_by_test_id("report").locator("tfoot td")).to_have_text(SUMS, timeout=2_000)

    secretary = open_page("desktop")
    log_in(secretary, "shuji")
    expect(secretary).to_have_url(url("/home/"))
    secretary.goto("/funding/owed/")
    expect(_cells(secretary.get_by_test_id("owed").locator("tbody tr").first).nth(2)).to_have_text(
        "1200.00", timeout=2_000
    )
