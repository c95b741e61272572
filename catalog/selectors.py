"""Reads, scoped by who is asking. Every page and API response goes through these."""

from django.db.models import Count, Q, QuerySet

from .choices import Role, UnitKind
from .models import DistrictPolicy, Unit, User, WorkerHeartbeat


def district_scope_q(user: User, *, field: str = "district") -> Q:
    """The district-level read scope of `user` as a filter on a model's district foreign key.

    Administrators see everything, a city overseer every district of their city, anyone else
    their own district. Anonymous users see nothing.
    """
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        return Q()
    if user.unit_id is None:
        return Q(pk__in=[])
    if user.role == Role.OVERSEER:
        return Q(**{f"{field}__city_id": user.unit.city_id})
    return Q(**{f"{field}_id": user.unit.district_id})


def units_public(*, kind: UnitKind) -> QuerySet[Unit]:
    """The organisation tree is public: anyone may see which units exist."""
    return (
        Unit.objects.filter(kind=kind)
        .select_related("parent__parent__parent")
        .order_by("city_id", "district_id", "name")
    )


def users_visible_to(user: User) -> QuerySet[User]:
    qs = User.objects.select_related("unit__parent__parent__parent").order_by("unit__name", "username")
    if not user.is_authenticated:
        return qs.none()
    if user.role == Role.ADMIN:
        return qs
    if user.role == Role.OVERSEER:
        return qs.filter(unit__city_id=user.unit.city_id)
    if user.role in (Role.CIVIL_AFFAIRS, Role.AUDITOR):
        return qs.filter(unit__district_id=user.unit.district_id)
    if user.role == Role.STREET_STAFF:
        # A street office works with the secretaries of its own communities.
        return qs.filter(Q(unit_id=user.unit_id) | Q(unit__parent_id=user.unit_id))
    return qs.filter(unit_id=user.unit_id)


def policies_visible_to(user: User) -> QuerySet[DistrictPolicy]:
    return (
        DistrictPolicy.objects.filter(district_scope_q(user))
        .select_related("district__parent")
        .order_by("district__name")
    )


def district_overview(*, district: Unit) -> dict:
    counts = dict(
        Unit.objects.filter(district=district)
        .exclude(pk=district.pk)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {
        "streets": counts.get(UnitKind.STREET, 0),
        "communities": counts.get(UnitKind.COMMUNITY, 0),
        "departments": counts.get(UnitKind.DEPARTMENT, 0),
        "users": User.objects.filter(unit__district=district).count(),
    }


def city_overview(*, city: Unit) -> list[dict]:
    """Per district of a city: its streets, communities and departments, in one query."""
    return list(
        Unit.objects.districts()
        .filter(city=city)
        .order_by("name")
        .annotate(
            streets=Count("children", filter=Q(children__kind=UnitKind.STREET), distinct=True),
            departments=Count("children", filter=Q(children__kind=UnitKind.DEPARTMENT), distinct=True),
            communities=Count("children__children", filter=Q(children__children__kind=UnitKind.COMMUNITY)),
        )
        .values("id", "name", "streets", "departments", "communities")
    )


def last_heartbeat() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-beat_at").first()
