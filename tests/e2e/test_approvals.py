"""Journeys through the community work access gate (准入审批) in headless Chromium, against the live server.

One regular application goes all the way through its half-yearly batch (filing, consultation of the street and
the community, tally, office review, committee decision, catalogue draft); one urgent item is filed across the
National Day holiday and approved at once, and then covers the work in the public check.

"Today" is fixed by patching django.utils.timezone.localdate: the live server runs in a thread of this process.
Assertions lean on data-testid hooks, data-state attributes, form field ids, URLs and the (stable) Chinese demo
data rather than on interface copy, which is still being translated.
"""

import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from approvals.models import Application, CalendarDay
from catalog.models import Unit

from .test_journeys import assert_no_horizontal_overflow, log_in, url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
NIUSHALU = "双桂路街道 · 牛沙路社区"  # how the form labels a community: "street · community"


@pytest.fixture
def today(monkeypatch):
    """Set "today" for the services and views; call again to move time on."""

    def set_today(day: date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)

    return set_today


@pytest.fixture
def official_calendar(db):
    """The seeded holidays and 调休 days. A transactional test flushes the database after itself, and with it
    what the data migration seeded, so a later test seeds the calendar again from the same package."""
    from approvals.calendar import seed_from_package

    if not CalendarDay.objects.filter(date=date(2026, 10, 1)).exists():
        seed_from_package()
    assert not CalendarDay.objects.get(date=date(2026, 10, 1)).is_working_day  # National Day
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).is_working_day  # Saturday, 调休


def _jinjiang_unit(world, name: str) -> Unit:
    return Unit.objects.get(name=name, district=world.unit("锦江区"))


def fill_application(
    page: Page,
    *,
    title: str,
    payer: Unit,
    start: str,
    reason: str,
    workload: str,
    urgency: str | None = None,
) -> None:
    """Fill the 申请社区办理事项审批表 for the assistance list, on 牛沙路社区 only."""
    form = page.get_by_test_id("application-form")
    expect(form).to_be_visible()
    page.locator("#id_title").fill(title)
    page.locator("#id_reason").fill(reason)
    page.locator("#id_requested_list").select_option("assistance")
    page.locator("#id_scope").select_option("communities")
    form.get_by_label(NIUSHALU, exact=True).check()
    page.locator("#id_workload").fill(workload)
    page.locator("#id_start_date").fill(start)
    page.locator("#id_payer").select_option(str(payer.pk))
    page.locator("#id_amount_per_community").fill("1200")
    if urgency is not None:
        page.locator("#id_is_urgent").check()
        page.locator("#id_urgency_justification").fill(urgency)


def save_and_submit(page: Page) -> None:
    page.get_by_test_id("application-form").locator("button[type=submit][name=submit]").click()


def expect_state(page: Page, state: str) -> None:
    expect(page.get_by_test_id("state")).to_have_attribute("data-state", state)


def test_a_regular_application_goes_through_its_batch_into_the_catalogue_draft(world, open_page, today):
    today(date(2026, 11, 23))  # the next intake closes on 2027-01-05: the January 2027 batch
    jinjiang = world.unit("锦江区")
    niushalu = world.unit("牛沙路社区")
    title = "协助开展老年人健康体检组织工作"

    # 区卫生健康局 files the application and submits it in one go.
    applicant = open_page("desktop")
    log_in(applicant, "bumen")
    expect(applicant).to_have_url(url("/home/"))
    applicant.goto("/applications/new/")
    fill_application(
        applicant,
        title=title,
        payer=_jinjiang_unit(world, "区卫生健康局"),
        start="2027-03-01",
        reason="国家基本公共卫生服务项目要求65岁以上老年人每年体检一次，需要社区通知和组织居民。",
        workload="每社区每年约5个工作日",
    )
    save_and_submit(applicant)

    application = Application.objects.get(title=title)
    expect(applicant).to_have_url(url(f"/applications/{application.pk}/"))
    expect_state(applicant, "submitted")
    expect(applicant.locator("p.lead")).to_contain_text(re.compile(r"2027(-|年)01"))  # the batch
    expect(applicant.get_by_test_id("application")).to_contain_text("牛沙路社区")
    batch = application.batch
    assert (batch.district_id, batch.year, batch.month) == (jinjiang.pk, 2027, 1)

    # The committee office closes intake: the street office and the community are consulted.
    office = open_page("desktop")
    log_in(office, "minzheng")
    expect(office).to_have_url(url("/home/"))
    office.goto("/batches/")
    office.get_by_test_id("batches").get_by_role("link").filter(has_text="2027").click()
    expect(office).to_have_url(url(f"/batches/{batch.pk}/"))
    expect(office.get_by_test_id("batch-state")).to_have_attribute("data-state", "intake")
    expect(office.get_by_test_id("progress").locator("tbody tr")).to_have_count(1)
    office.locator("form button[name=action][value=open_consultation]").click()
    expect(office.get_by_test_id("confirm-facts")).to_contain_text("2")  # asks first: two units get the form
    office.get_by_test_id("confirm").click()
    expect(office.get_by_test_id("batch-state")).to_have_attribute("data-state", "consulting")
    expect(office.locator("body")).to_contain_text(re.compile(r"1\D+2"))  # says what happened: 1 application, 2 units
    row = office.get_by_test_id("progress").locator("tbody tr").filter(has_text=title)
    expect(row).to_contain_text("0 / 2")  # 牛沙路社区 and its street, 双桂路街道

    # The secretary of 牛沙路社区 agrees, on a phone.
    secretary = open_page("phone")
    log_in(secretary, "shuji")
    expect(secretary).to_have_url(url("/home/"))
    secretary.goto("/ballots/")
    ballot = secretary.locator(f"[data-testid=ballot][data-application='{application.pk}']")
    expect(ballot).to_contain_text(title)
    expect(ballot.get_by_test_id("voted")).to_have_count(0)
    assert_no_horizontal_overflow(secretary, PHONE_WIDTH)
    ballot.locator("input[name=vote][value=agree]").check()
    ballot.locator("button[type=submit]").click()
    secretary.get_by_test_id("confirm").click()  # a ballot counts once: asked first
    expect(secretary).to_have_url(url("/ballots/"))
    ballot = secretary.locator(f"[data-testid=ballot][data-application='{application.pk}']")
    expect(ballot.get_by_test_id("voted")).to_be_visible()
    expect(ballot.locator("form")).to_have_count(0)  # a ballot counts once
    assert_no_horizontal_overflow(secretary, PHONE_WIDTH)

    # 双桂路街道 agrees too.
    street = open_page("desktop")
    log_in(street, "jiedao")
    expect(street).to_have_url(url("/home/"))
    street.goto("/ballots/")
    ballot = street.locator(f"[data-testid=ballot][data-application='{application.pk}']")
    ballot.locator("input[name=vote][value=agree]").check()
    ballot.locator("button[type=submit]").click()
    street.get_by_test_id("confirm").click()
    expect(street).to_have_url(url("/ballots/"))
    expect(
        street.locator(f"[data-testid=ballot][data-application='{application.pk}']").get_by_test_id("voted")
    ).to_be_visible()

    # The office closes consultation and tallies: 2 of 2 agree.
    office.reload()
    row = office.get_by_test_id("progress").locator("tbody tr").filter(has_text=title)
    expect(row).to_contain_text("2 / 2")
    office.locator("form button[name=action][value=tally]").click()
    office.get_by_test_id("confirm").click()  # everyone consulted has voted: no reason needed to tally early
    expect(office.get_by_test_id("batch-state")).to_have_attribute("data-state", "review")
    row = office.get_by_test_id("progress").locator("tbody tr").filter(has_text=title)
    expect(row).to_contain_text("2 / 2")
    expect(row).to_contain_text("100.00%")

    office.goto(f"/applications/{application.pk}/")
    expect_state(office, "under_review")
    expect(office.get_by_test_id("tally")).to_contain_text("100.00%")
    expect(office.get_by_test_id("tally")).to_contain_text(re.compile(r"2\D+2\D+2"))  # agreed, voted, consulted
    ballots = office.get_by_test_id("ballots").locator("tbody tr")
    expect(ballots).to_have_count(2)
    expect(ballots.filter(has_text="牛沙路社区")).to_have_count(1)
    expect(ballots.filter(has_text="双桂路街道")).to_have_count(1)
    application.refresh_from_db()
    assert (application.consulted_count, application.votes_cast, application.agree_count) == (2, 2, 2)
    assert str(application.pass_rate) == "100.00"

    # 综合评审, then the committee approves.
    actions = office.get_by_test_id("actions")
    actions.locator("#review-text").fill("符合准入条件，经费由区卫生健康局按每社区每年1200元保障，建议提交委员会审议。")
    actions.locator("form:has(#review-text) button[type=submit]").click()
    expect_state(office, "to_committee")
    expect(office.get_by_test_id("events")).to_contain_text("建议提交委员会审议")  # and the opinion card

    actions.locator("#minutes-text").fill("2026年第4次委员会会议审议通过，纳入协助清单。")
    actions.locator("form:has(#minutes-text) button[type=submit]:not([formaction])").click()
    expect_state(office, "approved")
    expect(office.get_by_test_id("events")).to_contain_text("2026年第4次委员会会议审议通过")
    expect(office.get_by_test_id("actions").locator("form")).to_have_count(0)

    # The approved item waits in the next catalogue draft of 锦江区.
    office.goto(f"/catalogue/{jinjiang.pk}/draft/")
    expect(office.get_by_test_id("draft-items")).to_contain_text(title)

    # The applicant sees the outcome on the detail page.
    applicant.reload()
    expect_state(applicant, "approved")
    assert niushalu.pk in application.scope_communities.values_list("pk", flat=True)


def test_an_urgent_item_filed_across_national_day_is_approved_at_once_and_covers_the_work(
    world, open_page, today, official_calendar
):
    today(date(2026, 9, 29))  # Tuesday: 9-30, then the holiday 10-01..07, then 10-08 and 10-09
    niushalu = world.unit("牛沙路社区")
    title = "国庆节后登革热蚊媒应急消杀"

    applicant = open_page("desktop")
    log_in(applicant, "bumen")
    expect(applicant).to_have_url(url("/home/"))
    applicant.goto("/applications/new/")
    fill_application(
        applicant,
        title=title,
        payer=_jinjiang_unit(world, "区卫生健康局"),
        start="2026-10-08",
        reason="输入性登革热病例出现，需要在居民小区开展积水清理和蚊媒消杀。",
        workload="每社区约3个工作日",
        urgency="疫情防控时间紧迫，无法等待2027年1月批次。",
    )
    save_and_submit(applicant)

    # Refused: three working days after 2026-09-29 is 2026-10-09, the holiday does not count.
    application = Application.objects.get(title=title)
    expect(applicant).to_have_url(url(f"/applications/{application.pk}/edit/"))
    error = applicant.locator("ul.messages li.error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("2026-10-09")
    application.refresh_from_db()
    assert application.state == "draft"
    assert application.submitted_at is None

    applicant.goto(f"/applications/{application.pk}/")
    expect_state(applicant, "draft")
    applicant.get_by_test_id("actions").locator(f"a[href='/applications/{application.pk}/edit/']").click()
    expect(applicant).to_have_url(url(f"/applications/{application.pk}/edit/"))
    expect(applicant.locator("#id_title")).to_have_value(title)
    expect(applicant.locator("#id_is_urgent")).to_be_checked()
    start = applicant.locator("#id_start_date")
    expect(start).to_have_value("2026-10-08")  # the date input shows the date the draft has
    start.fill("2026-10-09")
    save_and_submit(applicant)

    expect(applicant).to_have_url(url(f"/applications/{application.pk}/"))
    expect_state(applicant, "submitted")
    expect(applicant.locator("ul.messages li.success")).to_contain_text(f"#{application.pk}")
    application.refresh_from_db()
    assert (application.state, application.start_date, application.batch_id) == ("submitted", date(2026, 10, 9), None)

    # The committee office finds it in its queue and approves it at once.
    office = open_page("desktop")
    log_in(office, "minzheng")
    expect(office).to_have_url(url("/home/"))
    office.goto("/review/")
    rows = office.get_by_test_id("applications").locator("tbody tr")
    expect(rows.filter(has_text=title)).to_have_count(1)
    rows.filter(has_text=title).get_by_role("link", name=title).click()
    expect(office).to_have_url(url(f"/applications/{application.pk}/"))
    expect_state(office, "submitted")
    decision = office.get_by_test_id("urgent-decision")
    decision.locator("#urgent-text").fill("同意先行实施，请于下一批次补办准入手续。")
    decision.locator("button[type=submit]:not([formaction])").click()

    expect_state(office, "approved")
    expect(office.get_by_test_id("application")).to_contain_text("2026-12-31")  # lapses at the half-year's end
    expect(office.get_by_test_id("urgent-decision")).to_have_count(0)
    application.refresh_from_db()
    assert application.lapses_on == date(2026, 12, 31)

    # On 2026-10-12 the public check says: not in the catalogue, but this urgent item covers it.
    today(date(2026, 10, 12))
    visitor = open_page("desktop")
    visitor.goto(f"/check/?community={niushalu.pk}&q={title}")
    verdict = visitor.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-verdict", "urgent_covered")
    expect(verdict).to_contain_text(f"#{application.pk}")
    expect(verdict).to_contain_text(title)
    expect(visitor.get_by_test_id("candidates")).to_have_count(0)
