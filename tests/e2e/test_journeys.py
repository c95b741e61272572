"""User journeys through the real pages in headless Chromium, against Django's live server and the demo world."""

import re

import pytest
from playwright.sync_api import Page, expect

from catalog.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in and submit the real login form."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form:has(#id_password) button[type=submit]").click()


def log_out(page: Page) -> None:
    """Press the logout button in the header (a POST form), opening the phone's menu first."""
    menu = page.get_by_test_id("menu-button")
    if menu.is_visible():
        menu.click()
    page.locator("header.site-header form[action$='/logout/'] button[type=submit]").click()


def url(path: str) -> re.Pattern:
    """`path` on the live server (any host and port, no query string), for expect(page).to_have_url()."""
    return re.compile(r"^http://[^/]+" + re.escape(path) + r"$")


def assert_no_horizontal_overflow(page: Page, width: int) -> None:
    # On a phone the layout viewport must be the device width (no shrink-to-fit zoom-out) and nothing may stick out.
    metrics = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert metrics["inner"] == width, metrics
    assert metrics["scroll"] <= metrics["inner"] + 1, metrics


def _admin_home(page: Page) -> None:
    expect(page.get_by_test_id("unit")).to_have_count(0)  # an administrator belongs to no unit
    expect(page.get_by_test_id("heartbeat")).to_be_visible()
    cities = page.locator("ul.tiles a")
    expect(cities.filter(has_text="成都市")).to_be_visible()
    expect(cities.filter(has_text="青岛市")).to_be_visible()


def _overseer_home(page: Page) -> None:
    rows = page.get_by_test_id("districts").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="锦江区")).to_have_count(1)
    expect(rows.filter(has_text="金牛区")).to_have_count(1)
    expect(page.get_by_test_id("districts")).not_to_contain_text("市北区")


def _district_wide_home(can_edit: bool):
    def check(page: Page) -> None:
        expect(page.get_by_test_id("policy")).to_be_visible()
        expect(page.get_by_test_id("overview")).to_be_visible()
        expect(page.get_by_test_id("tasks")).to_be_visible()  # what waits for them leads the page
        expect(page.get_by_test_id("colleagues")).to_have_count(0)  # people belong on the organisation page
        link = "修改规则" if can_edit else "查看规则"
        expect(page.get_by_role("link", name=link, exact=True)).to_be_visible()
        expect(page.get_by_test_id("districts")).to_have_count(0)

    return check


def _street_home(page: Page) -> None:
    communities = page.get_by_test_id("communities")
    for name in ("牛沙路社区", "五福桥社区", "静居寺社区", "双桂路社区"):
        expect(communities.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(communities.locator("li")).to_have_count(4)
    expect(communities).not_to_contain_text("和平街社区")  # another street's community
    expect(page.get_by_role("link", name="查看规则", exact=True)).to_be_visible()


def _read_only_home(page: Page) -> None:
    expect(page.get_by_test_id("policy")).to_be_visible()
    expect(page.get_by_role("link", name="查看规则", exact=True)).to_be_visible()
    expect(page.get_by_test_id("overview")).to_have_count(0)
    expect(page.get_by_test_id("communities")).to_have_count(0)


# username → (data-role, full name of the unit or None, header text, role-specific check)
ROLES = {
    "admin": ("admin", None, "系统管理员 · 系统管理员", _admin_home),
    "shiju": ("overseer", "成都市", "成都市民政局 江维 · 市级监督人员", _overseer_home),
    "minzheng": ("civil_affairs", "成都市 锦江区", "锦江区民政局 王敏 · 区民政工作人员", _district_wide_home(True)),
    "shenji": ("auditor", "成都市 锦江区", "锦江区审计局 陈刚 · 审计督查人员", _district_wide_home(False)),
    "jiedao": ("street_staff", "成都市 锦江区 双桂路街道", "双桂路街道 李强 · 街道工作人员", _street_home),
    "bumen": ("department_staff", "成都市 锦江区 区卫生健康局", "锦江区卫健局 张丽 · 部门工作人员", _read_only_home),
    "shuji": (
        "secretary",
        "成都市 锦江区 双桂路街道 牛沙路社区",
        "牛沙路社区书记 郭昕 · 社区书记",
        _read_only_home,
    ),
}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_logs_in_sees_its_home_and_logs_out(world, open_page, username, viewport):
    data_role, unit_name, who, check_home = ROLES[username]
    page = open_page(viewport)

    log_in(page, username)

    expect(page).to_have_url(url("/home/"))
    home = page.get_by_test_id("home")
    expect(home).to_have_attribute("data-role", data_role)
    expect(page.get_by_test_id("who")).to_have_text(who)
    if unit_name:
        expect(page.get_by_test_id("unit")).to_have_text(unit_name)
    check_home(page)
    if viewport == "phone":
        assert_no_horizontal_overflow(page, 390)

    log_out(page)

    expect(page).to_have_url(url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("社区工作准入系统")
    expect(page.get_by_test_id("who")).to_have_count(0)
    expect(page.get_by_role("link", name="工作人员登录")).to_be_visible()
    if viewport == "phone":
        assert_no_horizontal_overflow(page, 390)
    # Logged out for real: the workspace asks for a login again.
    page.goto("/home/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/home/$"))


def test_wrong_password_shows_the_error_and_stays_on_the_login_page(world, desktop_page):
    page = desktop_page

    log_in(page, "shuji", "not-the-password")

    expect(page).to_have_url(url("/accounts/login/"))
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误，两者均区分大小写。")
    expect(page.locator("#id_username")).to_have_value("shuji")
    expect(page.locator("#id_password")).to_have_value("")  # the password is never sent back
    expect(page.get_by_test_id("who")).to_have_count(0)


@pytest.mark.parametrize("locale", ["zh-CN", "fr-FR"])
def test_landing_page_is_chinese_by_default_and_english_on_request(world, open_page, locale):
    # A Chinese browser, and one asking for a language the site lacks, both get the default (Simplified Chinese).
    page = open_page("desktop", locale=locale)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("社区工作准入系统")
    expect(page.locator("form.lang button[value=zh-hans]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("ul.tiles")).to_contain_text("锦江区")

    page.locator("form.lang button[value=en]").click()

    expect(page).to_have_url(url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Community work access system")
    expect(page.locator("form.lang button[value=en]")).to_have_attribute("aria-pressed", "true")

    # The choice sticks: the next page is in English too.
    page.get_by_role("link", name="Staff log in").click()
    expect(page).to_have_url(url("/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_text("Username", exact=True)).to_be_visible()


def test_civil_affairs_changes_the_pass_threshold(world, desktop_page):
    page = desktop_page
    log_in(page, "minzheng")
    expect(page.get_by_test_id("policy")).to_contain_text("60%")

    page.get_by_role("link", name="修改规则", exact=True).click()

    district = world.unit("锦江区")
    expect(page).to_have_url(url(f"/districts/{district.pk}/policy/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("锦江区")
    threshold = page.get_by_label("征求意见通过率门槛（%）")
    expect(threshold).to_have_value("60.00")
    threshold.fill("65")
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page).to_have_url(url(f"/districts/{district.pk}/policy/"))
    expect(page.get_by_role("status")).to_have_text("区准入规则已保存。")
    expect(page.get_by_label("征求意见通过率门槛（%）")).to_have_value("65.00")

    page.get_by_role("link", name="我的工作台").click()
    expect(page).to_have_url(url("/home/"))
    expect(page.get_by_test_id("policy")).to_contain_text("65%")
    expect(page.locator("ul.messages")).to_have_count(0)  # the message was shown once


def test_secretary_gets_404_for_another_districts_policy(world, desktop_page):
    page = desktop_page
    other = world.unit("市北区")
    own = world.unit("锦江区")
    log_in(page, "shuji")
    expect(page.get_by_test_id("home")).to_have_attribute("data-role", "secretary")

    response = page.goto(f"/districts/{other.pk}/policy/")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")
    expect(page.locator("body")).not_to_contain_text("市北区")

    # Their own district's rules are readable, but not editable.
    response = page.goto(f"/districts/{own.pk}/policy/")
    assert response is not None and response.status == 200
    expect(page.get_by_test_id("policy")).to_contain_text("60%")
    expect(page.locator("form:has(button.primary)")).to_have_count(0)
