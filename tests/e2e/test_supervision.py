"""The supervision journey (监督) in headless Chromium, against the live server.

A community secretary reports, on her phone and anonymously, a demand from outside the rules; the district's
civil-affairs office asks the unit to explain, records a finding, and publishes a notice with a correction
deadline (全区通报并限期改正) that anyone can read; the unit reports its corrective actions; the office verifies
and closes the notice, which then shows on the unit's compliance record.

"Today" is fixed by patching django.utils.timezone.localdate: the live server runs in a thread of this process.
Assertions lean on data-testid hooks, data-state attributes, form field names and values, URLs and the (stable)
Chinese demo data rather than on interface copy, which is still being translated.
"""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audits.models import BurdenReport, Finding, Notice
from catalog.models import Unit, User

from .test_journeys import assert_no_horizontal_overflow, log_in, url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = date(2026, 11, 23)
PHONE_WIDTH = 390
UNIT_PASSWORD = "scjg-e2e-pass-2026"
DEMAND = "街道和市场监管局要求我们社区统计辖区企业并上报"
NOTICE_TITLE = "关于区市场监督管理局违规下派辖区企业登记统计的通报"


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def expect_state(page: Page, testid: str, state: str) -> None:
    expect(page.get_by_test_id(testid)).to_have_attribute("data-state", state)


def expect_no_error(page: Page) -> None:
    expect(page.locator(".messages li.error, .errors, p.error")).to_have_count(0)


def test_a_burden_report_becomes_a_public_notice_that_the_unit_corrects(world, open_page, today):
    jinjiang = world.unit("锦江区")
    market = Unit.objects.get(name="区市场监督管理局", district=jinjiang)
    unit_user = User(username="scjg", role="department_staff", unit=market, first_name="市场监管")
    unit_user.set_password(UNIT_PASSWORD)
    unit_user.save()
    yesterday = today - timedelta(days=1)
    correct_by = today + timedelta(days=10)

    # 1. The secretary of 牛沙路社区 reports on her phone, without letting the unit know who reported.
    secretary = open_page("phone")
    log_in(secretary, "shuji")
    expect(secretary).to_have_url(url("/home/"))
    secretary.goto("/supervision/reports/new/")
    form = secretary.get_by_test_id("report-form")
    expect(form).to_be_visible()
    assert_no_horizontal_overflow(secretary, PHONE_WIDTH)
    form.locator("select[name=demanding_unit]").select_option(str(market.pk))
    form.locator("textarea[name=demand]").fill(DEMAND)
    form.locator("input[name=demanded_on]").fill(yesterday.isoformat())
    expect(form.locator("input[name=reveal_reporter]")).not_to_be_checked()
    form.locator("button[type=submit]").click()

    expect(secretary).to_have_url(re.compile(r"/supervision/reports/\d+/$"))
    report = BurdenReport.objects.get()
    expect(secretary).to_have_url(url(f"/supervision/reports/{report.pk}/"))
    assert (report.community, report.demanding_unit, report.demanded_on) == (
        world.unit("牛沙路社区"),
        market,
        yesterday,
    )
    assert not report.reveal_reporter
    expect_state(secretary, "report-state", "new")
    check = secretary.get_by_test_id("report").locator("dd", has=secretary.locator("strong"))
    expect(check).to_contain_text("辖区企业登记统计")  # the withdrawn item the demand matched
    expect(secretary.get_by_test_id("reporter")).to_contain_text("牛沙路社区")  # she sees her own report
    assert_no_horizontal_overflow(secretary, PHONE_WIDTH)

    # 2. The district's civil-affairs office asks the unit to explain.
    office = open_page("desktop")
    log_in(office, "minzheng")
    expect(office).to_have_url(url("/home/"))
    office.goto(f"/supervision/reports/{report.pk}/")
    expect_state(office, "report-state", "new")
    expect(office.get_by_test_id("reporter")).to_contain_text("牛沙路社区")  # the office knows who reported
    triage = office.get_by_test_id("triage")
    triage.locator("textarea[name=note]").fill("辖区企业登记统计已列入退出清单，请说明为何仍要求社区办理")
    triage.locator("button[name=decision][value=ask]").click()
    expect(office).to_have_url(url(f"/supervision/reports/{report.pk}/"))
    expect_state(office, "report-state", "explanation_requested")
    expect(office.get_by_test_id("triage")).to_have_count(0)

    # 3. The unit reads the report without learning who reported it, and explains.
    unit = open_page("desktop")
    log_in(unit, "scjg", UNIT_PASSWORD)
    expect(unit).to_have_url(url("/home/"))
    unit.goto(f"/supervision/reports/{report.pk}/")
    expect_state(unit, "report-state", "explanation_requested")
    expect(unit.get_by_test_id("reporter")).to_be_visible()
    expect(unit.get_by_test_id("reporter")).not_to_contain_text("牛沙路社区")
    expect(unit.get_by_test_id("reporter")).not_to_contain_text("郭昕")
    expect(unit.locator("body")).not_to_contain_text("牛沙路社区")  # nowhere on the page: not in the check either
    expect(unit.locator("body")).not_to_contain_text("郭昕")
    expect(unit.get_by_test_id("triage")).to_have_count(0)
    explain = unit.get_by_test_id("explain")
    explain.locator("textarea[name=explanation]").fill("已停止向社区下派企业统计，由本局通过登记系统自行统计")
    explain.locator("button[type=submit]").click()
    expect(unit).to_have_url(url(f"/supervision/reports/{report.pk}/"))
    expect_state(unit, "report-state", "explained")
    expect(unit.get_by_test_id("explain")).to_have_count(0)
    expect(unit.get_by_test_id("reporter")).not_to_contain_text("牛沙路社区")

    # 4. The office records a finding from the report, and publishes a notice with a correction deadline.
    office.reload()
    expect_state(office, "report-state", "explained")
    expect(office.get_by_test_id("report")).to_contain_text("已停止向社区下派企业统计")
    office.locator(f"a[href='/supervision/findings/?report={report.pk}']").click()
    expect(office).to_have_url(re.compile(rf"/supervision/findings/\?report={report.pk}$"))
    finding_form = office.get_by_test_id("finding-form")
    expect(finding_form.locator("input[name=burden_report]")).to_have_value(str(report.pk))
    finding_form.locator("select[name=unit]").select_option(str(market.pk))
    finding_form.locator("select[name=kind]").select_option("withdrawn_assigned")
    finding_form.locator("textarea[name=description]").fill(
        "要求牛沙路社区开展辖区企业登记统计并上报，该事项已列入退出清单。"
    )
    finding_form.locator("button[type=submit]").click()

    expect(office).to_have_url(re.compile(r"/supervision/findings/\d+/$"))
    expect_no_error(office)
    finding = Finding.objects.get()
    expect(office).to_have_url(url(f"/supervision/findings/{finding.pk}/"))
    assert (finding.unit, finding.kind, finding.burden_report) == (market, "withdrawn_assigned", report)
    expect_state(office, "finding-state", "confirmed")
    expect(office.get_by_test_id("finding-state")).to_contain_text("区市场监督管理局")
    expect(office.locator(f"a[href='/supervision/reports/{report.pk}/']")).to_be_visible()

    notice_form = office.get_by_test_id("notice-form")
    notice_form.locator("input[name=title]").fill(NOTICE_TITLE)
    notice_form.locator("textarea[name=body]").fill("区市场监督管理局向社区下派已退出事项，责令限期改正。")
    notice_form.locator("input[name=correct_by]").fill(correct_by.isoformat())
    notice_form.locator("button[type=submit]").click()

    expect(office).to_have_url(re.compile(r"/notices/\d+/$"))
    notice = Notice.objects.get()
    expect(office).to_have_url(url(f"/notices/{notice.pk}/"))
    assert (notice.finding, notice.unit, notice.correct_by) == (finding, market, correct_by)
    expect_state(office, "notice-state", "published")
    expect(office.get_by_role("heading", level=1)).to_have_text(NOTICE_TITLE)
    expect(office.locator("dl.facts")).to_contain_text(correct_by.isoformat())
    expect(office.get_by_test_id("verify")).to_have_count(0)  # nothing to verify before the unit answers

    # Anyone, logged in or not, reads the published notice.
    visitor = open_page("desktop")
    visitor.goto("/notices/")
    notices = visitor.get_by_test_id("notices")
    expect(notices).to_contain_text(NOTICE_TITLE)
    expect(notices).to_contain_text("区市场监督管理局")
    expect(notices).to_contain_text(correct_by.isoformat())
    notices.locator(f"a[href='/notices/{notice.pk}/']").click()
    expect(visitor).to_have_url(url(f"/notices/{notice.pk}/"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text(NOTICE_TITLE)
    expect_state(visitor, "notice-state", "published")
    expect(visitor.get_by_test_id("answer")).to_have_count(0)
    expect(visitor.get_by_test_id("verify")).to_have_count(0)

    # 5. The unit reports its corrective actions; the office verifies them and closes the notice.
    unit.goto(f"/notices/{notice.pk}/")
    expect_state(unit, "notice-state", "published")
    answer = unit.get_by_test_id("answer")
    answer.locator("textarea[name=answer]").fill("已撤回全部企业统计报表要求，并向牛沙路社区致歉")
    answer.locator("button[type=submit]").click()
    expect(unit).to_have_url(url(f"/notices/{notice.pk}/"))
    expect_state(unit, "notice-state", "answered")
    expect(unit.get_by_test_id("answer")).to_have_count(0)
    expect(unit.get_by_test_id("verify")).to_have_count(0)

    office.reload()
    expect_state(office, "notice-state", "answered")
    expect(office.locator("dl.facts")).to_contain_text("已撤回全部企业统计报表要求")
    verify = office.get_by_test_id("verify")
    verify.locator("textarea[name=verification]").fill("回访牛沙路社区，确认已不再要求报送企业统计")
    verify.locator("button[name=action][value=close]").click()
    expect(office).to_have_url(url(f"/notices/{notice.pk}/"))
    expect_state(office, "notice-state", "closed")
    expect(office.get_by_test_id("verify")).to_have_count(0)
    notice.refresh_from_db()
    assert notice.state == "closed" and notice.closed_at is not None

    # The unit's compliance record lists the closed notice and the finding.
    office.goto(f"/supervision/units/{market.pk}/")
    counts = office.get_by_test_id("compliance").locator("strong")
    expect(counts.nth(0)).to_have_text("1")  # findings
    expect(counts.nth(1)).to_have_text("0")  # open notices
    expect(counts.nth(2)).to_have_text("0")  # overdue notices
    closed = office.locator(f"a[href='/notices/{notice.pk}/']")
    expect(closed).to_have_count(1)
    expect(closed).to_have_text(NOTICE_TITLE)
    expect(office.get_by_role("heading", level=1)).to_contain_text("区市场监督管理局")
    expect(office.locator("body")).to_contain_text("该事项已列入退出清单")  # the finding

    # The public still sees the notice, now closed.
    visitor.goto(f"/notices/{notice.pk}/")
    expect_state(visitor, "notice-state", "closed")
