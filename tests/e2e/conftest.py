"""End-to-end journeys in Debian's headless Chromium, driven by pytest-playwright against Django's live server.

Playwright's own browser download is not used: the session launches /usr/bin/chromium once.
"""

import pytest
from playwright.sync_api import Page, expect

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

# Auto-waiting assertions give up after this long; the live server answers in milliseconds.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def open_page(new_context, live_server):
    """Open a page in a fresh browser context of the given viewport, with the live server as base URL."""

    def _open(viewport: str = "desktop", locale: str = "zh-CN") -> Page:
        # A Chinese browser by default: Django's LocaleMiddleware honours Accept-Language.
        context = new_context(base_url=live_server.url, locale=locale, **VIEWPORTS[viewport])
        return context.new_page()

    return _open


@pytest.fixture
def desktop_page(open_page) -> Page:
    return open_page("desktop")
