"""An auditor reads the audit trail in headless Chromium: on a desktop and on a phone, filtered by choices, with
each change readable and nothing wider than the screen."""

import os

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from .test_journeys import assert_no_horizontal_overflow, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("TRAIL_SCREENSHOTS")  # a folder to keep the screenshots in, to look at them


@pytest.mark.parametrize(("viewport", "width"), [("desktop", 1280), ("phone", 390)])
def test_an_auditor_filters_the_trail_by_choices_and_exports_what_they_see(world, open_page, viewport, width):
    from catalog.demo import load_demo

    load_demo()  # contracts, payments, applications, reports: a trail worth reading
    page = open_page(viewport)
    log_in(page, "shenji")
    page.goto("/supervision/trail/")
    entries = page.get_by_test_id("trail").locator("li.trail-entry")
    expect(entries.first).to_be_visible()
    assert_no_horizontal_overflow(page, width)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/trail-{width}.png", full_page=True)

    filters = page.get_by_test_id("trail-filters")
    filters.locator("select[name=object]").select_option(label="付款")
    filters.locator("button[type=submit]").click()
    expect(entries.first.locator(".trail-summary")).to_contain_text("记录付款")
    expect(entries.first.locator(".trail-summary")).to_contain_text("元，凭证号")
    assert_no_horizontal_overflow(page, width)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/trail-payments-{width}.png", full_page=True)
    shown = entries.count()

    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename.startswith("审计日志_")
    with open(download.value.path(), "rb") as handle:  # a download's path has no .xlsx for openpyxl to go by
        rows = list(load_workbook(handle).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == shown or shown == 50  # one page of 50 on the page, every entry in the file
    assert all(row[7].startswith(("记录付款", "冲销付款", "修改付款", "删除付款")) for row in rows)
