"""The workbench in Chromium, role by role: the counts on the home page are the data's, each link opens the list
of exactly those rows, more data moves the counts; screenshots of every home page at 1280 and 390 px go to
var/screenshots/ (for people to look at; nothing is compared against them)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.catalog.test_workbench import _double_everything
from tests.e2e.test_journeys import assert_no_horizontal_overflow, log_in, url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
ROLES = ["admin", "shiju", "minzheng", "shenji", "jiedao", "bumen", "shuji"]
# The rows a list page shows: table rows (not the "nothing here" row), ballots, notices.
ROWS = (
    "() => document.querySelectorAll('main table.list[data-testid] tbody tr:not(:has(td[colspan])),"
    " main [data-testid=ballot], main [data-testid=notices] li.item').length"
)


def _tasks(page: Page) -> list[tuple[str, int, str]]:
    """(label, count, link) of each task on the home page."""
    tasks = page.get_by_test_id("task")
    return [
        (
            tasks.nth(i).locator(".task-label").inner_text(),
            int(tasks.nth(i).get_by_test_id("task-count").inner_text()),
            tasks.nth(i).locator("a").get_attribute("href"),
        )
        for i in range(tasks.count())
    ]


@pytest.fixture
def demo(world):
    from catalog.demo import load_demo

    load_demo()
    return world


@pytest.mark.parametrize("username", ROLES)
def test_each_roles_counts_match_the_lists_they_open_and_follow_the_data(demo, open_page, username):
    page = open_page("desktop")
    log_in(page, username)
    expect(page).to_have_url(url("/home/"))
    before = _tasks(page)
    assert before, f"{username}: nothing on the workbench"
    assert any(count for _label, count, _href in before), f"{username}: the demo gives them nothing to do"
    for label, count, href in before:
        page.goto(href)
        assert page.evaluate(ROWS) == count, (username, label, href)

    _double_everything()  # twice the applications, ballots, contracts, reports, notices…
    page.goto("/home/")
    after = _tasks(page)
    assert [(label, 2 * count) for label, count, _href in before] == [(label, n) for label, n, _href in after]


@pytest.mark.parametrize("username", ROLES)
def test_every_home_page_screenshot_at_1280_and_390(demo, open_page, username):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for viewport, width in (("desktop", 1280), ("phone", 390)):
        page = open_page(viewport)
        log_in(page, username)
        expect(page).to_have_url(url("/home/"))
        expect(page.get_by_test_id("tasks")).to_be_visible()
        if viewport == "phone":
            assert_no_horizontal_overflow(page, 390)
            header = page.locator("header.site-header").bounding_box()
            assert header["height"] < 60, header  # one line: brand, menu, language
            expect(page.locator("header.site-header nav")).to_be_hidden()  # the menu is collapsed
        page.screenshot(path=str(SHOTS / f"home-{username}-{width}.png"), full_page=True)
        page.context.close()


def test_the_phone_menu_opens_without_javascript(demo, new_context, live_server):
    from tests.e2e.conftest import PHONE

    context = new_context(base_url=live_server.url, java_script_enabled=False, **PHONE)
    page = context.new_page()
    log_in(page, "shuji")
    expect(page).to_have_url(url("/home/"))
    nav = page.locator("header.site-header nav")
    expect(nav).to_be_hidden()
    page.get_by_test_id("menu-button").click()
    expect(nav).to_be_visible()
    nav.get_by_role("link", name="工作清单").click()
    expect(page).to_have_url(re.compile(r"/catalogue/$"))


def test_the_skip_link_is_the_first_stop_and_jumps_to_the_content(demo, desktop_page):
    page = desktop_page
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))


def test_an_english_browser_gets_chinese_until_english_is_chosen(demo, open_page):
    page = open_page("desktop", locale="en-US")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.locator("form.lang button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/catalogue/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
