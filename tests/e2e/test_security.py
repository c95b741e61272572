"""The Content Security Policy in a real browser: the main pages, charts, forms, the API documentation and the
admin run under it without a single violation, and the two-factor login works through the pages."""

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from catalog.models import Unit
from tests.e2e.test_journeys import log_in, url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Registered before any page script runs (through the DevTools protocol, so the policy does not apply to it).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _watch(page: Page) -> list[str]:
    console = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    return console


def _violations(page: Page, console: list[str]) -> list[str]:
    return page.evaluate("window.__csp") + console


def test_main_pages_run_under_the_policy_without_violations(world, desktop_page):
    page = desktop_page
    console = _watch(page)
    district = Unit.objects.get(name="锦江区").pk
    community = Unit.objects.get(name="牛沙路社区").pk
    log_in(page, "admin")
    expect(page).to_have_url(url("/home/"))
    pages = [
        "/",
        "/home/",
        "/catalogue/",
        "/catalogue/dashboard/",  # bar chart
        f"/catalogue/{district}/",  # print link (a script)
        "/check/",
        f"/check/?community={community}&q=协税护税",  # htmx: the answer as one types
        f"/catalogue/{district}/?q=低保",  # htmx: the search as one types
        f"/catalogue/{district}/draft/",  # htmx: confirmation dialogs, the busy note of an upload
        "/applications/",
        "/funding/report/",  # bar chart
        "/supervision/findings/",  # forms
        "/accounts/two-factor/",  # the inline SVG QR code
        "/api/v1/docs/",  # Swagger UI: script from a file, nonce on its style
        "/admin/",
        "/admin/catalog/user/",
        "/admin/catalog/user/add/",
    ]
    seen = {}
    for path in pages:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        seen[path] = _violations(page, console)
        console.clear()
    assert {path: found for path, found in seen.items() if found} == {}


def test_swagger_ui_draws_the_api_under_the_policy(world, desktop_page):
    page = desktop_page
    console = _watch(page)
    log_in(page, "minzheng")
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Community work access API")
    assert _violations(page, console) == []


def test_an_inline_script_would_be_blocked(world, desktop_page):
    # The check above must be able to fail: a script injected into the page is refused and reported.
    page = desktop_page
    console = _watch(page)
    page.goto("/")
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.__ran = 1";
                             document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in _violations(page, console))


def test_a_user_with_a_device_logs_in_with_the_code(world, desktop_page):
    page = desktop_page
    log_in(page, "jiedao")
    page.goto("/accounts/two-factor/")
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    device = TOTPDevice.objects.get(user__username="jiedao", confirmed=False)
    page.locator("#id_code").fill(_code(device))
    page.locator("[data-testid=two-factor] button[type=submit]").click()
    expect(page).to_have_url(url("/home/"))
    page.locator("header.site-header form[action$='/logout/'] button[type=submit]").click()

    log_in(page, "jiedao")  # the helper stops after the password
    expect(page).to_have_url(url("/accounts/login/code/"))
    page.locator("#id_code").fill(_code(device, steps_ahead=1))
    page.get_by_test_id("otp-form").locator("button[type=submit]").click()
    expect(page).to_have_url(url("/home/"))
    expect(page.get_by_test_id("who")).to_be_visible()


def _code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"
