import django_filters

from .choices import ItemList, ItemType, Role
from .ids import IdField
from .models import CatalogueItem, Unit, User


class IdFilter(django_filters.NumberFilter):
    """An object's id: a whole number that a database column can hold. Anything else answers 400 (a 23-digit
    number reached SQLite as an integer it cannot convert: a server error)."""

    field_class = IdField  # catalog.ids: ASCII digits only ("²" and "١" are not ids)


class UnitFilter(django_filters.FilterSet):
    city = IdFilter(field_name="city_id", label="city id")
    district = IdFilter(field_name="district_id", label="district id")
    parent = IdFilter(field_name="parent_id", label="parent id")

    class Meta:
        model = Unit
        fields = ["city", "district", "parent", "code"]


class CommunityFilter(UnitFilter):
    street = IdFilter(field_name="parent_id", label="street id")

    class Meta(UnitFilter.Meta):
        fields = [*UnitFilter.Meta.fields, "street"]


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    unit = IdFilter(field_name="unit_id")
    district = IdFilter(field_name="unit__district_id")

    class Meta:
        model = User
        fields = ["role", "unit", "district"]


class CatalogueItemFilter(django_filters.FilterSet):
    list = django_filters.ChoiceFilter(choices=ItemList.choices)
    type = django_filters.ChoiceFilter(choices=ItemType.choices)

    class Meta:
        model = CatalogueItem
        fields = ["list", "type"]
