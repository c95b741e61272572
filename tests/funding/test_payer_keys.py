"""The delegating department of a catalogue item (谁委托谁出钱) is resolved to its unit once, at publication:
unfunded obligations, a unit's compliance record and the system's proposed findings join on that key, never
on the name (every district has a 区卫生健康局)."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.services import findings_propose
from catalog import services as catalog
from catalog.models import CatalogueItem, Unit
from catalog.selectors import version_in_force
from funding import selectors

pytestmark = pytest.mark.django_db
ON = date(2026, 11, 1)
SPACES = st.sampled_from(["", " ", "\u3000", "\t"])


@pytest.fixture
def draft(world):
    return catalog.draft_start(district=world.unit("锦江区"), actor=world.user("minzheng"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    index=st.integers(min_value=0, max_value=200),
    prefixed=st.booleans(),
    before=SPACES,
    after=SPACES,
    kind=st.sampled_from(["department", "street"]),
)
def test_a_delegating_unit_however_written_resolves_to_its_districts_unit(
    world, draft, index, prefixed, before, after, kind
):
    units = list(Unit.objects.filter(district=draft.district, kind=kind).order_by("pk"))
    unit = units[index % len(units)]
    name = unit.name if prefixed else unit.name.removeprefix("区")
    item = draft.items.filter(list="assistance").order_by("pk").first()
    CatalogueItem.objects.filter(pk=item.pk).update(delegating_unit=f"{before}{name}{after}")
    catalog.items_resolve_payers(version=draft)
    item.refresh_from_db()
    assert item.payer == unit


def test_a_name_the_district_has_no_unit_of_resolves_to_none(draft):
    item = draft.items.filter(list="assistance").order_by("pk").first()
    CatalogueItem.objects.filter(pk=item.pk).update(delegating_unit="区不存在局")
    catalog.items_resolve_payers(version=draft)
    item.refresh_from_db()
    assert item.payer is None


def test_obligations_and_proposed_findings_follow_the_key_not_the_name(world, draft):
    jinjiang, jinniu = world.unit("锦江区"), world.unit("金牛区")
    health = Unit.objects.get(district=jinjiang, name="区卫生健康局")
    health_jinniu = Unit.objects.get(district=jinniu, name="区卫生健康局")
    item = draft.items.get(title="协助开展爱国卫生运动和健康教育")
    catalog.item_save(draft=draft, actor=world.user("minzheng"), item=item, delegating_unit="卫生健康局")
    version = catalog.version_publish(draft=draft, actor=world.user("minzheng"), effective_from=ON, history=True)
    published = version.items.get(key=item.key)
    assert published.payer == health and published.delegating_unit == "卫生健康局"

    def owed_by(unit, district):
        districts = Unit.objects.filter(pk=district.pk)
        return {o.item.key for o in selectors.unfunded_obligations(districts=districts, on=ON, payer=unit)}

    assert item.key in owed_by(health, jinjiang)
    assert item.key not in owed_by(health_jinniu, jinjiang)
    assert version_in_force(district_id=jinjiang.pk, on=ON) == version

    findings_propose(today=date(2027, 6, 1))
    from audits.models import Finding

    proposed = Finding.objects.filter(kind="unfunded", proposal_key__startswith=f"unfunded-{item.key}-")
    assert proposed.exists() and set(proposed.values_list("unit", flat=True)) == {health.pk}
