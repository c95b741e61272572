"""htmx in a real browser under the strict Content Security Policy: typing on the check and in the catalogue search
answers without a page load; a confirmation step opens as a dialog and its answer is the real one; the application
form shows the fields of the chosen list and checks a field as it changes. The same pages without JavaScript still
do all of it with page loads. Screenshots go to var/screenshots/ (for people to look at)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from catalog import services
from catalog.models import CatalogueItem, Unit
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_accessibility import _severe
from tests.e2e.test_journeys import log_in, url
from tests.e2e.test_security import _violations, _watch

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
SHOTS.mkdir(parents=True, exist_ok=True)
# Set on the window once the page has loaded: still there later means no page load happened in between.
MARK = "window.__sameDocument = true"


def _stay_marker(page: Page) -> None:
    page.evaluate(MARK)


def _same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_typing_on_the_check_shows_candidates_without_a_page_load(world, open_page):
    page = open_page("phone")
    console = _watch(page)
    community = Unit.objects.get(name="牛沙路社区")
    page.goto(f"/check/?community={community.pk}")
    page.wait_for_load_state("networkidle")
    _stay_marker(page)
    expect(page.get_by_test_id("verdict")).to_have_count(0)
    page.locator("#id_q").press_sequentially("街道让我们协税护税", delay=30)
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_be_visible()
    expect(page.get_by_test_id("candidates").locator("li").first).to_be_visible()
    assert _same_document(page), "the answer came without a page load"
    # Typing more replaces the answer with the one for the longer text.
    page.locator("#id_q").fill("社区开具无犯罪记录证明")
    expect(page.get_by_test_id("candidates")).not_to_contain_text("协税护税")
    assert _same_document(page)
    assert _severe(page) == []  # axe over the answer swapped in
    page.screenshot(path=str(SHOTS / "check-as-you-type-390.png"), full_page=True)
    assert _violations(page, console) == []


def test_the_check_without_javascript_answers_with_a_page_load(world, new_context, live_server):
    context = new_context(base_url=live_server.url, java_script_enabled=False, **PHONE)
    page = context.new_page()
    community = Unit.objects.get(name="牛沙路社区")
    page.goto(f"/check/?community={community.pk}")
    page.locator("#id_q").fill("街道让我们协税护税")
    page.get_by_test_id("check-form").locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/check/\?.*q="))
    expect(page.get_by_test_id("verdict")).to_be_visible()
    expect(page.get_by_test_id("candidates").locator("li").first).to_be_visible()


def test_the_catalogue_search_answers_as_you_type_and_keeps_the_address(world, desktop_page):
    page = desktop_page
    console = _watch(page)
    district = Unit.objects.get(name="锦江区")
    page.goto(f"/catalogue/{district.pk}/")
    page.wait_for_load_state("networkidle")
    _stay_marker(page)
    page.locator("input[name=q]").press_sequentially("企业登记", delay=30)
    expect(page.get_by_test_id("search-summary")).to_contain_text("企业登记")
    expect(page).to_have_url(re.compile(r"q=%E4%BC%81%E4%B8%9A%E7%99%BB%E8%AE%B0|q=企业登记"))
    page.locator("select[name=list]").select_option("withdrawn")
    expect(page.locator("#catalogue-results [data-testid=counts] .current")).to_contain_text("退出清单")
    expect(page).to_have_url(re.compile(r"list=withdrawn"))
    expect(page.locator("#catalogue-results .items li").first).to_be_visible()
    assert _same_document(page)
    # The address is the page's own: loading it again shows the same results as a whole page.
    results = page.locator("#catalogue-results .items li").all_inner_texts()
    page.reload()
    assert page.locator("#catalogue-results .items li").all_inner_texts() == results
    assert _violations(page, console) == []


@pytest.fixture
def draft(world):
    return services.draft_start(district=Unit.objects.get(name="锦江区"), actor=world.user("minzheng"))


def test_removing_a_draft_item_asks_in_a_dialog_and_cancelling_changes_nothing(world, draft, desktop_page):
    page = desktop_page
    console = _watch(page)
    item = draft.items.in_list_order().first()
    log_in(page, "minzheng")
    expect(page).to_have_url(url("/home/"))
    page.goto(f"/catalogue/{draft.district_id}/draft/")
    page.wait_for_load_state("networkidle")
    remove = page.get_by_role("button", name=f"删除{item.title}")
    remove.click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("confirm-step")).to_contain_text(item.title)
    page.screenshot(path=str(SHOTS / "confirm-dialog-1280.png"))
    assert _severe(page) == []  # axe with the dialog open
    dialog.get_by_role("link", name="取消，不做任何更改").click()
    expect(dialog).to_be_hidden()
    assert CatalogueItem.objects.filter(pk=item.pk).exists()
    # Asked again and confirmed: the real confirmation posts, the page says exactly what happened.
    remove.click()
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("confirm").click()
    expect(page.locator("ul.messages")).to_contain_text(item.title)
    expect(page).to_have_url(url(f"/catalogue/{draft.district_id}/draft/"))
    assert not CatalogueItem.objects.filter(pk=item.pk).exists()
    assert _violations(page, console) == []


def test_without_javascript_the_confirmation_is_its_own_page(world, draft, new_context, live_server):
    context = new_context(base_url=live_server.url, java_script_enabled=False, **DESKTOP)
    page = context.new_page()
    item = draft.items.in_list_order().first()
    log_in(page, "minzheng")
    page.goto(f"/catalogue/{draft.district_id}/draft/")
    page.get_by_role("button", name=f"删除{item.title}").click()
    expect(page.get_by_test_id("confirm-step")).to_contain_text(item.title)
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    page.get_by_test_id("confirm").click()
    expect(page).to_have_url(url(f"/catalogue/{draft.district_id}/draft/"))
    assert not CatalogueItem.objects.filter(pk=item.pk).exists()


def test_the_application_form_shows_the_fields_of_the_chosen_list_and_checks_a_field(world, open_page):
    page = open_page("phone")
    console = _watch(page)
    log_in(page, "bumen")
    expect(page).to_have_url(url("/home/"))
    page.goto("/applications/new/")
    page.wait_for_load_state("networkidle")
    amount, per_year = page.locator("#id_amount_per_community"), page.locator("#id_max_per_year")
    page.locator("#id_requested_list").select_option("assistance")
    expect(amount).to_be_visible()
    expect(per_year).to_be_hidden()
    page.locator("#id_requested_list").select_option("assessments")
    expect(amount).to_be_hidden()
    expect(per_year).to_be_visible()
    expect(page.locator("#id_urgency_justification")).to_be_hidden()
    page.locator("#id_is_urgent").check()
    expect(page.locator("#id_urgency_justification")).to_be_visible()
    # A wrong value is refused next to its field as soon as it changes, by the server's own form.
    page.locator("#id_requested_list").select_option("assistance")
    amount.fill("-5")
    amount.blur()
    message = page.locator("#message-amount_per_community")
    expect(message).to_contain_text("0")
    amount.fill("1200")
    amount.blur()
    expect(message).to_be_empty()
    page.screenshot(path=str(SHOTS / "application-form-390.png"), full_page=True)
    assert _severe(page) == []  # axe with the field's message shown
    assert _violations(page, console) == []


def test_without_javascript_the_application_form_shows_every_field_saying_which_list_it_is_for(
    world, new_context, live_server
):
    context = new_context(base_url=live_server.url, java_script_enabled=False, **PHONE)
    page = context.new_page()
    log_in(page, "bumen")
    page.goto("/applications/new/")
    expect(page.locator("#id_amount_per_community")).to_be_visible()
    expect(page.locator("#id_max_per_year")).to_be_visible()
    expect(page.get_by_text("仅申请列入协助事项时填写").first).to_be_visible()
