import django_filters

from .choices import ItemList, ItemType, Role
from .models import CatalogueItem, Unit, User


class UnitFilter(django_filters.FilterSet):
    city = django_filters.NumberFilter(field_name="city_id", label="city id")
    district = django_filters.NumberFilter(field_name="district_id", label="district id")
    parent = django_filters.NumberFilter(field_name="parent_id", label="parent id")

    class Meta:
        model = Unit
        fields = ["city", "district", "parent", "code"]


class CommunityFilter(UnitFilter):
    street = django_filters.NumberFilter(field_name="parent_id", label="street id")

    class Meta(UnitFilter.Meta):
        fields = [*UnitFilter.Meta.fields, "street"]


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    unit = django_filters.NumberFilter(field_name="unit_id")
    district = django_filters.NumberFilter(field_name="unit__district_id")

    class Meta:
        model = User
        fields = ["role", "unit", "district"]


class CatalogueItemFilter(django_filters.FilterSet):
    list = django_filters.ChoiceFilter(choices=ItemList.choices)
    type = django_filters.ChoiceFilter(choices=ItemType.choices)

    class Meta:
        model = CatalogueItem
        fields = ["list", "type"]
