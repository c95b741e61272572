import pytest

from approvals.models import Application
from catalog.check import check_demand
from catalog.demo import load_demo

pytestmark = pytest.mark.django_db


def test_the_demo_shows_every_stage_of_the_gate_and_loads_once(world):
    load_demo()
    states = set(Application.objects.values_list("state", flat=True))
    assert {"approved", "rejected", "consulting", "submitted"} <= states
    count = Application.objects.count()
    load_demo()
    assert Application.objects.count() == count


def test_the_demo_urgent_item_covers_its_work_in_the_check(world):
    load_demo()
    urgent = Application.objects.get(is_urgent=True, state="approved")
    result = check_demand(community=world.unit("牛沙路社区"), on=urgent.start_date, q="流感疫苗接种通知")
    assert result.covered_by and f"#{urgent.pk}" in result.covered_by
