from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.choices import Role, UnitKind
from catalog.models import DistrictPolicy, Unit, User
from catalog.services import unit_create

pytestmark = pytest.mark.django_db


def test_units_know_their_district_and_city_at_any_depth():
    city = unit_create(kind=UnitKind.CITY, name="成都市", parent=None)
    district = unit_create(kind=UnitKind.DISTRICT, name="锦江区", parent=city)
    street = unit_create(kind=UnitKind.STREET, name="双桂路街道", parent=district)
    community = unit_create(kind=UnitKind.COMMUNITY, name="牛沙路社区", parent=street)
    department = unit_create(kind=UnitKind.DEPARTMENT, name="区民政局", parent=district)

    assert (city.city_id, city.district_id) == (city.pk, None)
    assert (district.city_id, district.district_id) == (city.pk, district.pk)
    for unit in (street, community, department):
        unit.refresh_from_db()
        assert (unit.city_id, unit.district_id) == (city.pk, district.pk)
    assert community.full_name == "成都市 锦江区 双桂路街道 牛沙路社区"


def test_a_new_district_gets_the_default_rules_of_the_brief():
    city = unit_create(kind=UnitKind.CITY, name="青岛市", parent=None)
    district = unit_create(kind=UnitKind.DISTRICT, name="市北区", parent=city)

    policy = DistrictPolicy.objects.get(district=district)
    assert policy.pass_threshold_percent == Decimal("60.00")
    assert policy.batch_months == (1, 7)
    assert policy.expedited_notice_working_days == 3


def test_a_community_cannot_hang_directly_from_a_district():
    city = unit_create(kind=UnitKind.CITY, name="成都市", parent=None)
    district = unit_create(kind=UnitKind.DISTRICT, name="金牛区", parent=city)

    with pytest.raises(ValidationError) as excinfo:
        unit_create(kind=UnitKind.COMMUNITY, name="金沙公园北社区", parent=district)
    assert "parent" in excinfo.value.message_dict


def test_the_database_refuses_a_district_without_a_city():
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.bulk_create([Unit(kind=UnitKind.DISTRICT, name="孤立区")])


def test_the_database_refuses_batch_months_out_of_order(world):
    policy = world.unit("锦江区").policy
    with pytest.raises(IntegrityError), transaction.atomic():
        DistrictPolicy.objects.filter(pk=policy.pk).update(first_batch_month=7, second_batch_month=1)


def test_the_database_refuses_a_staff_user_without_a_unit():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="nobody", role=Role.SECRETARY)


def test_a_secretary_must_belong_to_a_community(world):
    user = User(username="wrong", role=Role.SECRETARY, unit=world.unit("双桂路街道"))
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "unit" in excinfo.value.message_dict
