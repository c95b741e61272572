"""htmx answers from the pages' own views: the same selector gives the part a page swaps, a redirect becomes a real
page load, and a confirmation step opens in the page's dialog while the page without JavaScript keeps working."""

import re

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import CatalogueItem, CheckRecord

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DIALOG = {**HTMX, "HTTP_HX_TARGET": "div#confirm-dialog-body"}


def _verdicts(html: str) -> list[str]:
    return re.findall(r'data-verdict="([a-z_]+)"', html)


def test_typing_on_the_check_gets_the_same_answer_as_the_page_without_the_page_or_a_kept_demand(client, world):
    community = world.unit("牛沙路社区")
    url = f"{reverse('check')}?community={community.pk}&q=协税护税"
    kept = CheckRecord.objects.count()
    part = client.get(url, **HTMX)
    assert part.status_code == 200 and "HX-Request" in part["Vary"]
    html = part.content.decode()
    assert "<html" not in html and 'data-testid="verdict"' in html
    assert CheckRecord.objects.count() == kept  # a half-typed sentence is not a demand of the district
    page = client.get(url)
    assert "<html" in page.content.decode() and "HX-Request" in page["Vary"]
    assert _verdicts(page.content.decode()) == _verdicts(html) and _verdicts(html)
    assert CheckRecord.objects.count() == kept + 1  # the page loaded by the button keeps it, as before
    # The page's text box asks the same page for its answer as one types; the box on the workbench does not.
    assert f'hx-get="{reverse("check")}"' in page.content.decode()


def test_a_history_restore_gets_the_whole_page(client, world):
    community = world.unit("牛沙路社区")
    url = f"{reverse('check')}?community={community.pk}&q=协税"
    response = client.get(url, **HTMX, HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


@pytest.mark.parametrize("query", ["q=低保", "q=企业登记", "list=withdrawn", "q=协税&list=assistance", "q=没有这回事"])
def test_searching_the_catalogue_as_you_type_shows_what_the_page_shows(client, world, query):
    district = world.unit("锦江区")
    url = f"{reverse('district-catalogue', args=[district.pk])}?{query}"
    part = client.get(url, **HTMX).content.decode()
    page = client.get(url).content.decode()
    assert "<html" not in part and 'id="catalogue-results"' in page
    region = page.split('id="catalogue-results" aria-live="polite">', 1)[1].split('</div>\n<p class="noprint">')[0]
    titles = re.compile(r'<a href="/catalogue/\d+/items/\d+/">([^<]+)</a>')
    assert titles.findall(part) == titles.findall(region)
    assert 'data-testid="version"' in part


def test_a_day_without_a_catalogue_says_so_in_the_part_too(client, world):
    district = world.unit("锦江区")
    part = client.get(f"{reverse('district-catalogue', args=[district.pk])}?date=2001-01-01", **HTMX)
    assert 'data-testid="no-version"' in part.content.decode()


@pytest.fixture
def draft(world):
    district = world.unit("锦江区")
    return services.draft_start(district=district, actor=world.user("minzheng"))


def test_removing_a_draft_item_asks_in_the_dialog_then_acts_and_loads_the_page_that_says_so(client, world, draft):
    client.force_login(world.user("minzheng"))
    item = draft.items.first()
    url = reverse("catalogue-draft-delete", args=[draft.district_id, item.pk])
    asked = client.post(url, {}, **DIALOG)
    assert asked.status_code == 200 and "HX-Retarget" not in asked
    assert "data-confirm-step" in asked.content.decode() and 'name="confirm" value="yes"' in asked.content.decode()
    assert CatalogueItem.objects.filter(pk=item.pk).exists()  # asking changes nothing
    done = client.post(url, {"confirm": "yes"}, **HTMX)
    assert done.status_code == 204 and done["HX-Redirect"] == reverse("catalogue-draft", args=[draft.district_id])
    assert not CatalogueItem.objects.filter(pk=item.pk).exists()
    page = client.get(done["HX-Redirect"]).content.decode()
    assert item.title in page  # the message says exactly what was removed


def test_without_javascript_the_confirmation_is_a_page_of_its_own(client, world, draft):
    client.force_login(world.user("minzheng"))
    item = draft.items.first()
    url = reverse("catalogue-draft-delete", args=[draft.district_id, item.pk])
    asked = client.post(url, {})
    html = asked.content.decode()
    assert "<html" in html and 'data-testid="confirm-step"' in html
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    assert not CatalogueItem.objects.filter(pk=item.pk).exists()


def test_a_refused_form_sent_to_the_dialog_replaces_the_page_content_instead(client, world, draft):
    client.force_login(world.user("minzheng"))
    url = reverse("catalogue-draft", args=[draft.district_id])
    refused = client.post(url, {"action": "publish", "effective_from": "not a date", "title": "x"}, **DIALOG)
    assert refused["HX-Retarget"] == "#main" and refused["HX-Reselect"] == "#main"
    html = refused.content.decode()
    assert 'data-testid="confirm-step"' not in html and 'class="field invalid"' in html  # the error, at its field


def test_the_forms_of_irreversible_steps_ask_in_the_dialog(client, world, draft):
    client.force_login(world.user("minzheng"))
    html = client.get(reverse("catalogue-draft", args=[draft.district_id])).content.decode()
    assert html.count("data-asks-first") == draft.items.count() + 1  # each removal and the publication
    assert 'hx-target="#confirm-dialog-body"' in html and 'id="confirm-dialog"' in html
    assert "data-busy" in html  # reading a sheet says it is working


def test_a_whole_page_refusing_an_htmx_request_replaces_the_page_content(client, world):
    client.force_login(world.user("bumen"))
    refused = client.post(f"{reverse('application-validate')}?field=title", {"title": "a\x00b"}, **HTMX)
    assert refused.status_code == 400 and refused["HX-Retarget"] == "#main"
    answered = client.post(f"{reverse('application-validate')}?field=title", {"title": "ab"}, **HTMX)
    assert answered.status_code == 200 and "HX-Retarget" not in answered
