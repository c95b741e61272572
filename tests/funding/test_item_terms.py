# ruff: noqa: F811 (fixtures imported from the approvals conftest, then requested by name)
"""Approved items keep their terms: the communities they apply to and their end date, in the catalogue draft,
on the item page and in the draft form, in the check and in the unfunded-obligation list; and the next 序号."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from approvals import services as approvals
from approvals.choices import ApplicationState
from catalog import services as catalog
from catalog.check import check_demand
from catalog.models import CatalogueItem, CatalogueVersion
from catalog.selectors import version_in_force
from funding import selectors
from tests.approvals.conftest import applicant, file_application, office  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
ON = date(2026, 11, 1)


@pytest.fixture
def jinjiang(world):
    return world.unit("锦江区")


@pytest.fixture
def health_item(jinjiang):
    version = version_in_force(district_id=jinjiang.pk, on=ON)
    return version.items.get(title="协助开展爱国卫生运动和健康教育")


def _republish(item, office, *, communities=None, applies_until=None):
    """Publish a new version in which `item` has the given terms; returns the item of the new version."""
    draft = catalog.draft_start(district=item.version.district, actor=office)
    copy = draft.items.get(key=item.key)
    fields = {"applies_until": applies_until}
    if communities is not None:
        fields["communities"] = communities
    catalog.item_save(draft=draft, actor=office, item=copy, **fields)
    version = catalog.version_publish(draft=draft, actor=office, effective_from=ON, history=True)
    return version.items.get(key=item.key)


def test_an_item_applies_only_to_its_communities_and_until_its_end(world, health_item, office):
    niushalu, wufuqiao = world.unit("牛沙路社区"), world.unit("五福桥社区")
    item = _republish(health_item, office, communities=[niushalu], applies_until=date(2026, 12, 31))
    for community, on, applies in [
        (niushalu, date(2026, 12, 31), True),
        (niushalu, date(2027, 1, 1), False),
        (wufuqiao, date(2026, 12, 1), False),
    ]:
        assert item.applies_to(community, on) is applies
        assert CatalogueItem.objects.applicable_to(community, on).filter(pk=item.pk).exists() is applies
    everywhere = item.version.items.exclude(pk=item.pk).filter(communities__isnull=True, applies_until__isnull=True)
    assert everywhere.first().applies_to(wufuqiao, date(2099, 1, 1))


def test_the_check_answers_an_item_only_where_and_while_it_applies(world, health_item, office):
    niushalu, wufuqiao = world.unit("牛沙路社区"), world.unit("五福桥社区")
    item = _republish(health_item, office, communities=[niushalu], applies_until=date(2027, 6, 30))
    day = date(2027, 3, 1)
    assert check_demand(community=niushalu, on=day, item=item).verdict != "not_listed"
    assert check_demand(community=wufuqiao, on=day, item=item).verdict == "not_listed"
    assert check_demand(community=niushalu, on=date(2027, 7, 1), item=item).verdict == "not_listed"
    by_text = check_demand(community=wufuqiao, on=day, q=item.title)
    assert item.key not in {candidate.item.key for candidate in by_text.candidates}


def test_unfunded_obligations_respect_the_items_communities_and_end(world, jinjiang, health_item, office):
    niushalu = world.unit("牛沙路社区")
    item = _republish(health_item, office, communities=[niushalu], applies_until=date(2027, 6, 30))
    districts = type(jinjiang).objects.filter(pk=jinjiang.pk)

    def owed(on):
        return {o.community.name for o in selectors.unfunded_obligations(districts=districts, on=on) if o.item == item}

    assert owed(date(2027, 3, 1)) == {"牛沙路社区"}
    assert owed(date(2027, 7, 1)) == set()


def test_a_new_draft_keeps_each_items_communities_and_end(world, health_item, office):
    niushalu = world.unit("牛沙路社区")
    item = _republish(health_item, office, communities=[niushalu], applies_until=date(2027, 6, 30))
    draft = catalog.draft_start(district=item.version.district, actor=office)
    copy = draft.items.get(key=item.key)
    assert list(copy.communities.all()) == [niushalu] and copy.applies_until == date(2027, 6, 30)


def test_an_approved_application_lands_in_the_draft_with_its_communities_end_and_next_number(
    world, file_application, office, jinjiang
):
    communities = [world.unit("牛沙路社区")]
    application = file_application(
        scope="communities",
        scope_communities=communities,
        start_date=date(2027, 8, 15),
        end_date=date(2027, 12, 31),
    )
    type(application).objects.filter(pk=application.pk).update(state=ApplicationState.TO_COMMITTEE)
    published = version_in_force(district_id=jinjiang.pk, on=ON)
    assistance_codes = sorted(published.items.filter(list="assistance").values_list("code", flat=True))
    approvals.committee_decide(application=application, actor=office, approve=True, minutes="同意")
    application.refresh_from_db()
    draft = CatalogueVersion.objects.get(district=jinjiang, state="draft")
    item = draft.items.get(key=application.catalogue_item_key)
    assert list(item.communities.all()) == communities
    assert item.applies_until == date(2027, 12, 31)
    highest = max(assistance_codes, key=lambda code: int(code.rsplit("-", 1)[-1]))
    prefix, number = highest.rsplit("-", 1)
    assert item.code == f"{prefix}-{int(number) + 1:0{len(number)}d}"


def test_an_application_for_every_community_names_none_and_is_open_ended_without_an_end(
    world, file_application, office, jinjiang
):
    application = file_application()
    type(application).objects.filter(pk=application.pk).update(state=ApplicationState.TO_COMMITTEE)
    approvals.committee_decide(application=application, actor=office, approve=True, minutes="同意")
    application.refresh_from_db()
    item = CatalogueVersion.objects.get(district=jinjiang, state="draft").items.get(key=application.catalogue_item_key)
    assert not item.communities.exists() and item.applies_until is None


@pytest.mark.parametrize(
    ("codes", "expected"),
    [([], "XZ-01"), (["XZ-09", "XZ-10", "XZ-2"], "XZ-11"), (["A7", "", "特别"], "A8"), (["XZ-099"], "XZ-100")],
)
def test_the_next_number_of_a_list(world, jinjiang, office, codes, expected):
    draft = catalog.draft_start(district=jinjiang, actor=office)
    draft.items.filter(list="assistance").delete()
    for n, code in enumerate(codes):
        catalog.item_save(
            draft=draft,
            actor=office,
            code=code,
            list="assistance",
            title=f"协助事项{n}",
            delegating_unit="区卫生健康局",
            standard_funding=Decimal("1"),
        )
    assert catalog.item_next_code(version=draft, item_list="assistance") == expected


def test_the_item_page_shows_and_the_draft_form_edits_the_terms(client, world, jinjiang, health_item, office):
    niushalu = world.unit("牛沙路社区")
    item = _republish(health_item, office, communities=[niushalu], applies_until=date(2027, 6, 30))
    page = client.get(f"/catalogue/{jinjiang.pk}/items/{item.pk}/").content.decode()
    assert "牛沙路社区" in page and "2027-06-30" in page

    client.force_login(office)
    draft = catalog.draft_start(district=jinjiang, actor=office)
    copy = draft.items.get(key=item.key)
    url = f"/catalogue/{jinjiang.pk}/draft/items/{copy.pk}/"
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and name != "communities"}
    data |= {"allowed_months": [], "aliases": "[]", "communities": [world.unit("五福桥社区").pk]}
    data["applies_until"] = (date(2027, 6, 30) + timedelta(days=1)).isoformat()
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    copy.refresh_from_db()
    assert [u.name for u in copy.communities.all()] == ["五福桥社区"] and copy.applies_until == date(2027, 7, 1)
