"""A report that spans districts (the city overseer's) never merges two districts' units of the same name: every
district has a 区卫生健康局, and its figures are its own."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from funding.choices import ContractState
from funding.models import Contract, Instalment
from funding.selectors import funding_figures

pytestmark = pytest.mark.django_db


def _contract(world, district, amount, n):
    payer = district.children.get(name="区卫生健康局")
    community = world.unit(community_name := {"锦江区": "牛沙路社区", "金牛区": "金沙公园北社区"}[district.name])
    contract = Contract.objects.create(
        district=district,
        payer=payer,
        number=f"D-{n}",
        item_key=uuid.uuid4(),
        item_title="老年人健康体检组织",
        amount_per_community=amount,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        state=ContractState.IN_FORCE,
        created_by=world.user("bumen"),
    )
    contract.communities.add(community)
    Instalment.objects.create(
        contract=contract, community=community, sequence=1, due_on=date(2026, 3, 1), amount=amount
    )
    return community_name


@pytest.mark.parametrize("group", ["payer", "community", "item"])
def test_same_named_units_of_two_districts_are_reported_apart_and_labelled_with_their_district(world, group):
    jinjiang, jinniu = world.unit("锦江区"), world.unit("金牛区")
    _contract(world, jinjiang, Decimal("1200.00"), 1)
    _contract(world, jinniu, Decimal("800.00"), 2)
    both = Instalment.objects.filter(contract__number__in=["D-1", "D-2"])
    figures = funding_figures(
        instalments=both, start=date(2026, 1, 1), end=date(2026, 12, 31), today=date(2026, 12, 1), group=group
    )
    assert len(figures.rows) == 2
    by_district = {row["group"].split(" ")[0]: row["due"] for row in figures.rows}
    assert by_district == {"锦江区": Decimal("1200.00"), "金牛区": Decimal("800.00")}
    assert figures.totals["due"] == Decimal("2000.00")

    one = funding_figures(
        instalments=both.filter(contract__district=jinjiang),
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        today=date(2026, 12, 1),
        group=group,
    )
    assert [row["group"].startswith("锦江区 ") for row in one.rows] == [False]  # one district: the name alone
