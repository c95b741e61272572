"""axe-core over every page of the URL configuration, in both languages, in Chromium: no serious or critical
violation. Each page is opened by the user its query budget names (tests/test_page_budgets.py: one who may see
it), and every role's home page by that role."""

from collections import defaultdict

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from catalog.demo import DEMO_PASSWORD
from tests.approvals.conftest import applicant, file_application  # noqa: F401 (fixtures)
from tests.test_page_budgets import BUDGETS, IMPORT_SHEET, _objects

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROLE_HOMES = ["admin", "shiju", "minzheng", "shenji", "jiedao", "bumen", "shuji"]
NOT_HTML = {"catalogue-template", "healthz"}  # a spreadsheet, a health answer
SEVERE = {"serious", "critical"}
ENGLISH_PAGES = {"/home/", "/", "/check/", "/catalogue/", "/notices/", "/api/v1/docs/"}
AXE = Axe()


def _pages(world) -> dict[str | None, list[str]]:
    """username (None: anonymous) → the URLs that user opens."""
    objects = _objects(world)
    extra = {"check": f"?community={world.unit('牛沙路社区').pk}&q=协税"}
    pages: dict[str | None, list[str]] = defaultdict(list)
    for name, (_budget, username, needs) in BUDGETS.items():
        if name in NOT_HTML:
            continue
        pages[username].append(reverse(name, kwargs=objects.get(needs) or {}) + extra.get(needs, ""))
    pages[None] += ["/check/", "/api/v1/docs/"]
    for username in ROLE_HOMES:
        if "/home/" not in pages[username]:
            pages[username].append("/home/")
    return pages


def _log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form:has(#id_password) button[type=submit]").click()
    page.wait_for_url("**/home/")


def _severe(page) -> list[str]:
    results = AXE.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in SEVERE:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            found.append(f"{page.url}: {violation['id']} ({violation['impact']}) {violation['help']} at {targets}")
    return found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_has_no_serious_accessibility_violation(world, new_context, live_server, request, language):
    from catalog import services as catalog
    from catalog.demo import load_demo

    load_demo()
    from io import BytesIO

    from catalog.imports import import_propose

    draft = catalog.draft_start(district=world.unit("锦江区"), actor=world.user("minzheng"))
    # A proposal waiting for a decision: its preview page is checked too.
    import_propose(draft=draft, actor=world.user("minzheng"), upload=BytesIO(IMPORT_SHEET), filename="清单.csv")
    request.getfixturevalue("file_application")()  # a draft the department can still edit
    found, visited = [], 0
    pages = _pages(world)
    if language == "en":
        # The same templates in the other language: its own words can break labels and contrast only where its
        # text differs in length, so English is checked on every role's home and the public pages (CI time).
        pages = {u: [p for p in urls if p in ENGLISH_PAGES] for u, urls in pages.items()}
    for username, urls in pages.items():
        context = new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        if username:
            _log_in(page, username)
        for path in urls:
            response = page.goto(path)
            assert response.status == 200, (username, path, response.status)
            found += _severe(page)
            visited += 1
        context.close()
    assert visited >= (len(BUDGETS) if language == "zh-hans" else len(ROLE_HOMES)), visited
    assert not found, "\n".join(found)
