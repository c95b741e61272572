"""Journeys through the public catalogue, the check, the draft editor and the city views, in headless Chromium.

Assertions lean on data-testid hooks, URLs and the (stable) Chinese demo data rather than on interface copy,
which is still being translated.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from catalog.models import CatalogueItem, CatalogueVersion

from .test_journeys import assert_no_horizontal_overflow, log_in, url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390

# The demo catalogues of 锦江区 (catalog/demo_catalogue.py): items per list in each version.
JINJIANG_V1_COUNTS = {"duties": 10, "assistance": 5, "withdrawn": 12, "assessments": 2}
JINJIANG_V2_COUNTS = {"duties": 11, "assistance": 6, "withdrawn": 13, "assessments": 3}
JINJIANG_V1_TITLE = "锦江区社区工作目录清单（2015年版）"
JINJIANG_V2_TITLE = "锦江区社区工作目录清单（2021年修订）"
ADDED_IN_2021 = "组织社区志愿服务"  # a duty from 2021 on
DROPPED_IN_2021 = "路口交通执勤"  # withdrawn in 2015, no longer listed in 2021


def version_number(n: int) -> re.Pattern:
    """The version line mentions number n as a number of its own (not inside a date or a year)."""
    return re.compile(rf"(?<![\d-]){n}(?![\d-])")


def assert_counts(page: Page, counts: dict[str, int]) -> None:
    section = page.get_by_test_id("counts")
    for value, n in counts.items():
        expect(section.locator(f".count.list-{value} strong")).to_have_text(str(n))


def item_titles(scope: Locator) -> Locator:
    """The title of every item row under `scope` (a locator)."""
    return scope.locator("li.item > a > strong")


def show(page: Page) -> None:
    """Submit the catalogue's filter form (search box, list, type and date)."""
    page.locator("form[role=search] button[type=submit]").click()


# --- 1 and 2: the public catalogue ----------------------------------------------------------------------------


def test_public_catalogue_by_list_and_by_date_on_a_phone(world, open_page):
    jinjiang = world.unit("锦江区")
    page = open_page("phone")

    page.goto("/catalogue/")
    expect(page.get_by_test_id("who")).to_have_count(0)  # nobody is logged in
    assert_no_horizontal_overflow(page, PHONE_WIDTH)
    page.locator("ul.tiles a", has_text="锦江区").click()

    # Today (2026) the 2021 version is in force: counts, then the items grouped under the four lists.
    expect(page).to_have_url(url(f"/catalogue/{jinjiang.pk}/"))
    expect(page.get_by_test_id("version")).to_contain_text(JINJIANG_V2_TITLE)
    expect(page.get_by_test_id("version")).to_contain_text("2021-01-01")
    expect(page.get_by_test_id("version")).to_have_text(version_number(2))
    expect(page.get_by_test_id("counts")).to_be_visible()
    assert_counts(page, JINJIANG_V2_COUNTS)
    sections = page.locator("section.list-section")
    expect(sections).to_have_count(4)
    for value, n in JINJIANG_V2_COUNTS.items():
        expect(item_titles(page.locator(f"section.list-section.list-{value}").get_by_test_id("items"))).to_have_count(n)
    expect(item_titles(page.locator("section.list-duties"))).to_contain_text([ADDED_IN_2021])
    expect(item_titles(page.locator("section.list-withdrawn"))).to_contain_text(["协税护税"])
    assert_no_horizontal_overflow(page, PHONE_WIDTH)

    # Only the withdrawn list.
    page.locator("form[role=search] select[name=list]").select_option("withdrawn")
    show(page)
    expect(page).to_have_url(re.compile(r"[?&]list=withdrawn(&|$)"))
    expect(sections).to_have_count(1)
    expect(page.locator("section.list-section.list-withdrawn")).to_have_count(1)
    withdrawn = item_titles(page.get_by_test_id("items"))
    expect(withdrawn).to_have_count(JINJIANG_V2_COUNTS["withdrawn"])
    expect(withdrawn).to_contain_text(["协税护税", "辖区企业登记统计"])
    expect(withdrawn.filter(has_text=DROPPED_IN_2021)).to_have_count(0)
    expect(page.get_by_test_id("counts").locator(".count.list-withdrawn")).to_have_class(re.compile(r"\bcurrent\b"))
    assert_counts(page, JINJIANG_V2_COUNTS)  # the counts are of the whole version, not of the filter
    assert_no_horizontal_overflow(page, PHONE_WIDTH)

    # An earlier date: version 1 (2015) was in force, still filtered on the withdrawn list.
    page.locator("form[role=search] input[name=date]").fill("2016-01-01")
    show(page)
    expect(page).to_have_url(re.compile(r"[?&]date=2016-01-01(&|$)"))
    expect(page.get_by_test_id("version")).to_contain_text(JINJIANG_V1_TITLE)
    expect(page.get_by_test_id("version")).to_contain_text("2015-01-01")
    expect(page.get_by_test_id("version")).to_have_text(version_number(1))
    assert_counts(page, JINJIANG_V1_COUNTS)
    expect(withdrawn).to_have_count(JINJIANG_V1_COUNTS["withdrawn"])
    expect(withdrawn.filter(has_text=DROPPED_IN_2021)).to_have_count(1)
    assert_no_horizontal_overflow(page, PHONE_WIDTH)

    # All lists on that date: 2021's new duty is not there yet.
    page.locator("form[role=search] select[name=list]").select_option("")
    show(page)
    expect(page).to_have_url(re.compile(r"[?&]date=2016-01-01(&|$)"))
    expect(sections).to_have_count(4)
    expect(page.get_by_test_id("version")).to_contain_text(JINJIANG_V1_TITLE)
    duties = item_titles(page.locator("section.list-duties"))
    expect(duties).to_have_count(JINJIANG_V1_COUNTS["duties"])
    expect(duties).to_contain_text(["召开居民会议和居民代表会议"])
    expect(page.get_by_test_id("items").filter(has_text=ADDED_IN_2021)).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(ADDED_IN_2021)
    assert_no_horizontal_overflow(page, PHONE_WIDTH)


def test_public_search_puts_the_best_match_first_on_a_phone(world, open_page):
    jinjiang = world.unit("锦江区")
    page = open_page("phone")
    page.goto(f"/catalogue/{jinjiang.pk}/")
    expect(page.get_by_test_id("search-summary")).to_have_count(0)

    box = page.locator("form[role=search] input[name=q]")
    box.fill("协税")
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"[?&]q=%E5%8D%8F%E7%A8%8E(&|$)"))  # q=协税
    expect(page.get_by_test_id("search-summary")).to_be_visible()
    expect(page.get_by_test_id("search-summary")).to_contain_text("协税")
    results = item_titles(page.get_by_test_id("items"))
    expect(results.first).to_have_text("协税护税")
    expect(page.locator("section.list-section")).to_have_count(0)  # results are ranked, not grouped
    expect(box).to_have_value("协税")
    assert_no_horizontal_overflow(page, PHONE_WIDTH)


# --- 3 and 4: the check ----------------------------------------------------------------------------------------


def ask(page: Page, demand: str) -> None:
    """Describe a demand in the check form and submit it."""
    form = page.get_by_test_id("check-form")
    form.locator("textarea[name=q]").fill(demand)
    form.locator("button[type=submit]").click()


def test_anonymous_check_refuses_withdrawn_work_and_prints_a_slip_on_a_phone(world, open_page):
    jinjiang = world.unit("锦江区")
    niushalu = world.unit("牛沙路社区")
    page = open_page("phone")

    page.goto("/check/")
    chooser = page.get_by_test_id("choose-community")
    expect(page.get_by_test_id("check-form")).to_have_count(0)
    assert_no_horizontal_overflow(page, PHONE_WIDTH)
    chooser.locator("select#district").select_option(label="成都市 锦江区")
    chooser.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/check/\?district={jinjiang.pk}$"))
    expect(chooser.locator("select#community option", has_text="牛沙路社区")).to_have_count(1)
    expect(chooser.locator("select#community option", has_text="金沙公园北社区")).to_have_count(0)  # 金牛区
    assert_no_horizontal_overflow(page, PHONE_WIDTH)
    chooser.locator("select#community").select_option(label="牛沙路社区")
    chooser.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/check/\?district={jinjiang.pk}&community={niushalu.pk}$"))
    expect(page.get_by_test_id("community")).to_contain_text("牛沙路社区")
    assert_no_horizontal_overflow(page, PHONE_WIDTH)

    # Counting the district's enterprises was withdrawn from communities.
    ask(page, "街道让我们帮忙统计辖区企业")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-verdict", "refuse")
    candidates = page.get_by_test_id("candidates").locator("li")
    expect(candidates.first).to_have_attribute("data-verdict", "refuse")
    expect(candidates.filter(has_text="辖区企业登记统计")).to_have_count(1)
    expect(candidates.filter(has_text="辖区企业登记统计")).to_have_attribute("data-verdict", "refuse")
    assert_no_horizontal_overflow(page, PHONE_WIDTH)

    # Organising a square-dance contest is a cultural and sports activity: a duty.
    ask(page, "组织跳广场舞比赛")
    expect(verdict).to_have_attribute("data-verdict", "must_do")
    expect(page.get_by_test_id("candidates").locator("li").first).to_have_attribute("data-verdict", "must_do")
    expect(page.get_by_test_id("community")).to_contain_text("牛沙路社区")
    assert_no_horizontal_overflow(page, PHONE_WIDTH)

    # The reply slip is issued from this verdict (a form: issuing keeps it), as a PDF whose QR code opens its
    # verification page.
    form = page.get_by_test_id("slip-form")
    expect(form.get_by_test_id("slip")).to_be_visible()
    assert form.locator("input[name=community]").get_attribute("value") == str(niushalu.pk)
    fields = {
        name: form.locator(f"input[name={name}]").get_attribute("value")
        for name in ("csrfmiddlewaretoken", "community", "q")
    }
    response = page.request.post("/check/slip/", form={**fields, "demanding_unit": "双桂路街道办事处"})
    assert response.status == 200, (response.status, response.text()[:500])
    assert response.headers["content-type"] == "application/pdf", response.headers
    assert response.body().startswith(b"%PDF"), response.body()[:20]
    assert "/check/slips/" in response.url and response.url.endswith("/slip.pdf"), response.url
    page.goto(response.url.removesuffix("slip.pdf"))
    expect(page.get_by_test_id("verified")).to_contain_text("双桂路街道办事处")
    expect(page.get_by_test_id("serial")).to_have_text(re.compile(r"^锦江区-\d{4}-\d{6}$"))
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "must_do")
    assert_no_horizontal_overflow(page, PHONE_WIDTH)


def test_secretary_checks_against_their_own_community_on_a_phone(world, open_page):
    page = open_page("phone")
    log_in(page, "shuji")
    expect(page).to_have_url(url("/home/"))

    page.goto("/check/")
    expect(page.get_by_test_id("choose-community")).to_have_count(0)  # no district or community to choose
    expect(page.get_by_test_id("community")).to_contain_text("牛沙路社区")
    assert_no_horizontal_overflow(page, PHONE_WIDTH)

    ask(page, "低保入户调查")
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "assist_unfunded")
    best = page.get_by_test_id("candidates").locator("li").first
    expect(best).to_have_attribute("data-verdict", "assist_unfunded")
    expect(best).to_contain_text("协助做好最低生活保障对象的调查核实")
    expect(page.get_by_test_id("community")).to_contain_text("牛沙路社区")
    assert_no_horizontal_overflow(page, PHONE_WIDTH)


# --- 5: the draft editor -------------------------------------------------------------------------------------

NEW_ITEM = "协助开展老年人能力综合评估"


def test_civil_affairs_edits_imports_and_publishes_a_draft_on_a_desktop(world, open_page, tmp_path: Path):
    jinjiang = world.unit("锦江区")
    draft_path = f"/catalogue/{jinjiang.pk}/draft/"
    page = open_page("desktop")
    log_in(page, "minzheng")
    expect(page).to_have_url(url("/home/"))

    # No draft yet: start one, a copy of version 2.
    page.goto(draft_path)
    page.locator("form:has(input[name=action][value=start]) button[type=submit]").click()
    expect(page).to_have_url(url(draft_path))
    rows = page.get_by_test_id("draft-items").locator("tbody tr")
    start_count = sum(JINJIANG_V2_COUNTS.values())
    expect(rows).to_have_count(start_count)
    expect(page.get_by_test_id("draft-counts").locator(".count.list-assistance strong")).to_have_text(
        str(JINJIANG_V2_COUNTS["assistance"])
    )

    # An assistance item without the delegating department and the funding is refused, field by field.
    page.locator(f"a[href='{draft_path}items/new/']").click()
    expect(page).to_have_url(url(f"{draft_path}items/new/"))
    page.locator("#id_code").fill("XZ-07")
    page.locator("#id_list").select_option("assistance")
    page.locator("#id_type").select_option("work_task")
    page.locator("#id_title").fill(NEW_ITEM)
    page.locator("#id_description").fill("协助区民政局开展辖区老年人能力综合评估。")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(url(f"{draft_path}items/new/"))
    for field in ("delegating_unit", "standard_funding"):
        wrapper = page.locator(f"div.field:has(#id_{field})")
        expect(wrapper).to_have_class(re.compile(r"\binvalid\b"))
        expect(wrapper.locator("p.error[role=alert]")).to_have_count(1)
    expect(page.locator("div.field.invalid")).to_have_count(2)
    expect(page.locator("#id_title")).to_have_value(NEW_ITEM)  # what was typed is kept
    assert not CatalogueItem.objects.filter(title=NEW_ITEM).exists()

    # With them, it is saved into the draft.
    page.locator("#id_delegating_unit").fill("区民政局")
    page.locator("#id_standard_funding").fill("2000")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(url(draft_path))
    expect(rows).to_have_count(start_count + 1)
    expect(rows.filter(has_text=NEW_ITEM)).to_have_count(1)
    expect(page.get_by_test_id("draft-counts").locator(".count.list-assistance strong")).to_have_text(
        str(JINJIANG_V2_COUNTS["assistance"] + 1)
    )
    expect(page.get_by_test_id("diff").locator("li.added", has_text=NEW_ITEM)).to_have_count(1)

    # A broken spreadsheet is refused as a whole, with each problem's row and column.
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "序号,清单,类型,事项名称,委托单位,每社区每年经费（元）\n"
        "LZ-99,履职,工作事项,组织邻里节活动,,\n"
        "XZ-99,不存在,工作事项,协助开展某项调查,区统计局,三千元\n",
        encoding="utf-8",
    )
    page.locator("#id_file").set_input_files(str(broken))
    page.locator(f"form[action='{draft_path}import/'] button[type=submit]").click()

    expect(page).to_have_url(url(f"{draft_path}import/"))
    errors = page.get_by_test_id("import-errors").locator("tbody tr")
    for column in ("清单", "每社区每年经费（元）"):
        row = errors.filter(has=page.locator("td:nth-child(2)", has_text=column))
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_have_text("3")
        expect(row.locator("td").nth(1)).to_have_text(column)
    expect(errors.filter(has=page.locator("td:nth-child(1)", has_text=re.compile(r"^2$")))).to_have_count(0)

    page.goto(draft_path)
    expect(rows).to_have_count(start_count + 1)  # nothing was imported, not even the valid row
    expect(rows.filter(has_text="组织邻里节活动")).to_have_count(0)
    expect(rows.filter(has_text=NEW_ITEM)).to_have_count(1)

    # Publish, in force from 2099-01-01.
    publish = page.locator("form:has(input[name=action][value=publish])")
    publish.locator("#id_effective_from").fill("2099-01-01")
    publish.locator("button[type=submit]").click()
    expect(page.get_by_test_id("confirm-facts")).to_contain_text("2099-01-01")  # asks first, saying what
    page.get_by_test_id("confirm").click()
    expect(page).to_have_url(url(f"/catalogue/{jinjiang.pk}/"))
    published = CatalogueVersion.objects.get(district=jinjiang, effective_from="2099-01-01")
    assert (published.state, published.number) == ("published", 3)

    # Until then the 2021 version stays in force (today is long before 2099) ...
    expect(page.get_by_test_id("version")).to_contain_text("2021-01-01")
    expect(page.get_by_test_id("items").filter(has_text=NEW_ITEM)).to_have_count(0)

    # ... and from then on, version 3 with the new item. The public sees it without logging in.
    anon = open_page("desktop")  # a fresh browser context: nobody is logged in
    anon.goto(f"/catalogue/{jinjiang.pk}/?date=2099-01-02")
    expect(anon.get_by_test_id("who")).to_have_count(0)
    expect(anon.get_by_test_id("version")).to_contain_text("2099-01-01")
    expect(anon.get_by_test_id("version")).to_have_text(version_number(3))
    assistance = item_titles(anon.locator("section.list-assistance"))
    expect(assistance).to_have_count(JINJIANG_V2_COUNTS["assistance"] + 1)
    expect(assistance.filter(has_text=NEW_ITEM)).to_have_count(1)
    expect(anon.locator("section.list-assistance li.item", has_text=NEW_ITEM)).to_contain_text("区民政局")
    expect(anon.get_by_test_id("counts").locator(".count.list-assistance strong")).to_have_text(
        str(JINJIANG_V2_COUNTS["assistance"] + 1)
    )


# --- 6: the city views ---------------------------------------------------------------------------------------


def test_overseer_compares_districts_and_sees_the_burden_chart_on_a_desktop(world, desktop_page):
    page = desktop_page
    log_in(page, "shiju")
    expect(page).to_have_url(url("/home/"))

    page.goto("/catalogue/compare/")
    comparison = page.get_by_test_id("comparison").locator("tbody tr")
    expect(comparison).to_have_count(2)  # the overseer's city: 成都市 only
    jinjiang = comparison.filter(has=page.locator("td:first-child", has_text="锦江区"))
    jinniu = comparison.filter(has=page.locator("td:first-child", has_text="金牛区"))
    expect(jinjiang).to_have_count(1)
    expect(jinniu).to_have_count(1)
    expect(jinjiang.locator("td").nth(1)).to_have_text("第 2 版 (2021-01-01)")
    expect(jinniu.locator("td").nth(1)).to_have_text("第 1 版 (2015-01-01)")
    expect(page.get_by_test_id("comparison")).not_to_contain_text("市北区")

    conflicts = page.get_by_test_id("conflicts").locator("tbody tr")
    conflict = conflicts.filter(has_text="辖区企业登记统计").filter(
        has=page.locator("td:nth-child(1)", has_text="锦江区")
    )
    expect(conflict).to_have_count(1)
    expect(conflict.locator("td").nth(0)).to_have_text("锦江区")
    expect(conflict.locator("td").nth(1)).to_have_text("辖区企业登记统计")
    expect(conflict.locator("td").nth(2)).to_have_text("金牛区")
    expect(conflict.locator("td").nth(3)).to_contain_text("辖区企业登记统计")

    page.goto("/catalogue/dashboard/")
    chart = page.get_by_test_id("chart")
    expect(chart).to_be_visible()  # drawn by ECharts from the page's JSON block
    expect(chart.locator("canvas")).to_have_count(1)
    rows = page.get_by_test_id("given-per-version").locator("tbody tr")
    expect(rows).to_have_count(3)  # 锦江区 第 1 版 and 第 2 版, 金牛区 第 1 版
    v2 = rows.filter(has_text="锦江区 第 2 版")
    given = sum(n for lst, n in JINJIANG_V2_COUNTS.items() if lst != "withdrawn")
    # What communities are given, and beside it what was taken away: never added together.
    expect(v2.get_by_test_id("given")).to_have_text(str(given))
    expect(v2.get_by_test_id("withdrawn")).to_have_text(str(JINJIANG_V2_COUNTS["withdrawn"]))
    expect(page.get_by_test_id("given-per-version")).not_to_contain_text("市北区")


# --- The spreadsheet round trip (issue 16) ----------------------------------------------------------------------


def _upload(page: Page, draft_path: str, path: Path) -> None:
    page.goto(draft_path)
    page.locator(f"form[action='{draft_path}import/'] #id_file").set_input_files(str(path))
    page.locator(f"form[action='{draft_path}import/'] button[type=submit]").click()


def test_an_excel_round_trip_proposes_then_applies_and_a_destructive_sheet_changes_nothing_until_confirmed(
    world, open_page, tmp_path: Path
):
    from openpyxl import Workbook, load_workbook

    jinjiang = world.unit("锦江区")
    draft_path = f"/catalogue/{jinjiang.pk}/draft/"
    page = open_page("desktop")
    log_in(page, "minzheng")
    page.goto(draft_path)
    page.locator("form:has(input[name=action][value=start]) button[type=submit]").click()
    draft = CatalogueVersion.objects.get(district=jinjiang, state="draft")
    descriptions = dict(draft.items.values_list("key", "description"))

    # A destructive sheet: two columns only, and 7 of the 13 withdrawn items.
    kept = list(draft.items.filter(list="withdrawn").order_by("code").values_list("title", flat=True))[:7]
    workbook = Workbook()
    workbook.active.append(["清单", "事项名称"])
    for title in kept:
        workbook.active.append(["退出", title])
    destructive = tmp_path / "退出清单.xlsx"
    workbook.save(destructive)
    _upload(page, draft_path, destructive)

    expect(page).to_have_url(re.compile(rf"{re.escape(draft_path)}imports/\d+/$"))
    expect(page.get_by_test_id("import-warnings")).to_contain_text("13")
    expect(page.get_by_test_id("import-list-withdrawn").get_by_test_id("missing")).to_have_count(6)
    assert draft.items.filter(list="withdrawn").count() == 13  # nothing has changed yet
    assert dict(draft.items.values_list("key", "description")) == descriptions

    # Applied without "the sheet is the whole list": the columns it lacks and the items it omits stay.
    page.get_by_test_id("decide").locator("button[value=apply]").click()
    expect(page).to_have_url(url(draft_path))
    assert draft.items.filter(list="withdrawn").count() == 13
    assert dict(draft.items.values_list("key", "description")) == descriptions

    # The round trip: export the draft (its own name and first row say what it is) ...
    with page.expect_download() as download:
        page.get_by_test_id("export-draft").click()
    assert download.value.suggested_filename.startswith("锦江区_社区工作事项清单_草稿_")
    exported = tmp_path / "草稿.xlsx"
    download.value.save_as(exported)

    # ... edit it as a district would: a title row above everything, "9月", a new duty without key or number.
    workbook = load_workbook(exported)
    sheet = workbook.worksheets[0]
    assert "草稿" in sheet["A1"].value
    sheet.insert_rows(1)
    sheet["A1"] = "锦江区民政局 社区工作事项清单修订稿"
    header = [cell.value for cell in sheet[3]]
    column = {name: index + 1 for index, name in enumerate(header)}
    for row in sheet.iter_rows(min_row=4):
        if row[column["事项名称"] - 1].value == "省级文明社区测评":
            row[column["允许月份"] - 1].value = "9月"
    new = ["" for _ in header]
    new[column["清单"] - 1], new[column["类型"] - 1], new[column["事项名称"] - 1] = "履职", "工作事项", "组织邻里节活动"
    sheet.append(new)
    edited = tmp_path / "修订稿.xlsx"
    workbook.save(edited)

    # ... import it: the preview reads 9月 and names the new item, and nothing has changed yet ...
    _upload(page, draft_path, edited)
    expect(page).to_have_url(re.compile(rf"{re.escape(draft_path)}imports/\d+/$"))
    assessments = page.get_by_test_id("import-list-assessments")
    changed = assessments.get_by_test_id("changed").filter(has_text="省级文明社区测评")
    expect(changed).to_contain_text("11月")
    expect(changed).to_contain_text("9月")
    expect(page.get_by_test_id("import-list-duties").get_by_test_id("added")).to_contain_text("组织邻里节活动")
    expect(page.get_by_test_id("import-list-duties").get_by_test_id("added")).to_contain_text("LZ-")
    expect(page.get_by_test_id("import-summary").locator("tr[data-list=withdrawn] td").nth(2)).to_have_text("0")
    assert draft.items.get(title="省级文明社区测评").allowed_months == [11]

    # ... confirm, and publish.
    page.get_by_test_id("decide").locator("button[value=apply]").click()
    expect(page).to_have_url(url(draft_path))
    assert draft.items.get(title="省级文明社区测评").allowed_months == [9]
    expect(page.get_by_test_id("draft-items").locator("tbody tr").filter(has_text="组织邻里节活动")).to_have_count(1)
    publish = page.locator("form:has(input[name=action][value=publish])")
    expect(publish.locator("#id_title")).to_have_value(re.compile(r"^锦江区社区工作事项清单（\d{4}年\d{1,2}月修订）$"))
    publish.locator("#id_effective_from").fill("2099-01-01")
    publish.locator("button[type=submit]").click()
    page.get_by_test_id("confirm").click()  # publishing asks first
    expect(page).to_have_url(url(f"/catalogue/{jinjiang.pk}/"))
    published = CatalogueVersion.objects.get(district=jinjiang, effective_from="2099-01-01")
    assert published.items.get(title="省级文明社区测评").allowed_months == [9]
    assert published.items.filter(title="组织邻里节活动", list="duties").exists()
    assert published.items.filter(list="withdrawn").count() == 13


def test_a_sheet_taken_as_the_whole_list_removes_only_after_the_choice_and_a_draft_can_be_discarded(
    world, open_page, tmp_path: Path
):
    from openpyxl import Workbook

    jinjiang = world.unit("锦江区")
    draft_path = f"/catalogue/{jinjiang.pk}/draft/"
    page = open_page("desktop")
    log_in(page, "minzheng")
    page.goto(draft_path)
    page.locator("form:has(input[name=action][value=start]) button[type=submit]").click()
    draft = CatalogueVersion.objects.get(district=jinjiang, state="draft")
    kept = list(draft.items.filter(list="withdrawn").order_by("code").values_list("title", flat=True))[:7]
    workbook = Workbook()
    workbook.active.append(["清单", "事项名称"])
    for title in kept:
        workbook.active.append(["退出", title])
    sheet = tmp_path / "退出清单.xlsx"
    workbook.save(sheet)
    _upload(page, draft_path, sheet)

    whole = page.get_by_test_id("whole-withdrawn")
    expect(whole.locator("xpath=..")).to_contain_text("13")
    assert draft.items.filter(list="withdrawn").count() == 13
    whole.check()
    page.get_by_test_id("decide").locator("button[value=apply]").click()
    expect(page).to_have_url(url(draft_path))
    assert draft.items.filter(list="withdrawn").count() == 7

    # Discarding asks first, then the draft is version 2 again.
    page.get_by_test_id("discard").click()
    expect(page.get_by_test_id("confirm")).to_be_visible()
    assert draft.items.filter(list="withdrawn").count() == 7
    page.get_by_test_id("confirm").locator("button[type=submit]").click()
    expect(page).to_have_url(url(draft_path))
    assert draft.items.filter(list="withdrawn").count() == JINJIANG_V2_COUNTS["withdrawn"]
