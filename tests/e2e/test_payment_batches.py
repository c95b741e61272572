"""Payments as they arrive, in headless Chromium: the department records four communities' instalments in one
form (asked first, then told what was recorded), and imports a sheet of vouchers; both read on a phone."""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Unit
from catalog.selectors import version_in_force
from funding import services
from funding.models import Payment

from .test_journeys import assert_no_horizontal_overflow, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = date(2026, 11, 23)
COMMUNITIES = ("牛沙路社区", "五福桥社区", "静居寺社区", "双桂路社区")
SHOTS = Path(os.environ.get("E2E_SHOTS", "/tmp"))


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def contract(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    bumen, district = world.user("bumen"), world.unit("锦江区")
    contract = services.contract_create(
        actor=bumen,
        payer=Unit.objects.get(name="区卫生健康局", district=district),
        number="WJ-2026-021",
        item=version_in_force(district_id=district.pk, on=TODAY).items.get(title="协助开展爱国卫生运动和健康教育"),
        communities=[world.unit(name) for name in COMMUNITIES],
        amount_per_community=Decimal("12000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal(50)), (date(2026, 12, 31), Decimal(50))],
    )
    pdf = SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    return services.contract_sign(contract=contract, actor=bumen, document=pdf, today=TODAY)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_four_communities_two_instalments_in_one_form(open_page, contract, viewport):
    page = open_page(viewport)
    log_in(page, "bumen")
    page.goto(f"/funding/contracts/{contract.pk}/")
    page.get_by_test_id("record-payments").click()
    rows = page.locator("[data-testid=payment-batch] tbody tr")
    expect(rows).to_have_count(8)
    if viewport == "phone":
        assert_no_horizontal_overflow(page, 390)
    for n, name in enumerate(COMMUNITIES[:3]):
        row = page.locator("tbody tr", has_text=name).first
        row.locator("input[name^=voucher_]").fill(f"记-{n + 1:03d}")
    page.locator("#paid_on").fill("2026-07-10")
    page.screenshot(path=str(SHOTS / f"payment-batch-{viewport}.png"), full_page=True)
    page.get_by_test_id("batch-check").click()
    expect(page.get_by_test_id("confirm-facts").locator("li")).to_have_count(4)
    expect(page.get_by_test_id("confirm-facts")).to_contain_text("18,000.00")
    page.screenshot(path=str(SHOTS / f"payment-batch-confirm-{viewport}.png"), full_page=True)
    assert not Payment.objects.exists()
    page.get_by_test_id("confirm").click()
    expect(page.locator(".messages, [role=status], .message").first).to_contain_text("3")
    page.screenshot(path=str(SHOTS / f"payment-batch-done-{viewport}.png"), full_page=True)
    assert Payment.objects.count() == 3


def test_a_sheet_of_vouchers_is_read_confirmed_and_recorded(open_page, contract, tmp_path):
    page = open_page("phone")
    log_in(page, "bumen")
    page.goto("/funding/payments/import/")
    sheet = tmp_path / "付款凭证.csv"
    sheet.write_text(
        "合同编号,社区,期次,凭证号,付款日期,金额\n"
        'WJ-2026-021,牛沙路社区,第1期,记-101,2026/7/10,"6,000.00"\n'
        "WJ-2026-021,五福桥社区,1,记-102,2026年7月10日,6000\n",
        encoding="utf-8",
    )
    page.locator("input[type=file]").set_input_files(str(sheet))
    page.locator("[data-testid=upload] button[type=submit]").click()
    expect(page.get_by_test_id("import-lines").locator("tbody tr")).to_have_count(2)
    assert_no_horizontal_overflow(page, 390)
    page.screenshot(path=str(SHOTS / "payment-import-proposal-phone.png"), full_page=True)
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("12,000.00")
    assert Payment.objects.count() == 2
    bad = tmp_path / "错误凭证.csv"
    bad.write_text("合同编号,社区,期次,凭证号,付款日期,金额\nWJ-2026-021,不存在社区,1,记-103,2026-07-10,600\n")
    page.goto("/funding/payments/import/")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.locator("[data-testid=upload] button[type=submit]").click()
    expect(page.get_by_test_id("import-errors")).to_contain_text("社区")
    page.screenshot(path=str(SHOTS / "payment-import-errors-phone.png"), full_page=True)
