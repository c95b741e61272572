"""Reads for 费随事转, scoped by who asks."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from catalog.choices import ItemList, Role, VersionState
from catalog.models import CatalogueItem, CatalogueVersion, Unit, User
from catalog.selectors import district_scope_q

from .choices import ContractState
from .models import Contract, Instalment, Payment

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))


def contracts_visible_to(user: User) -> QuerySet[Contract]:
    qs = Contract.objects.select_related("payer", "district")
    if not user.is_authenticated:
        return qs.none()
    if user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        return qs.filter(district_scope_q(user))
    if user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        return qs.filter(payer_id=user.unit_id)
    if user.role == Role.SECRETARY:
        return qs.filter(communities=user.unit_id)
    return qs.none()


def instalments_visible_to(user: User) -> QuerySet[Instalment]:
    qs = Instalment.objects.select_related("contract__payer", "community")
    if user.is_authenticated and user.role == Role.SECRETARY:
        return qs.filter(community_id=user.unit_id)
    return qs.filter(contract__in=contracts_visible_to(user))


def payments_visible_to(user: User) -> QuerySet[Payment]:
    return Payment.objects.filter(instalment__in=instalments_visible_to(user)).select_related(
        "instalment__community", "instalment__contract", "payer", "recorded_by"
    )


def funded_item_keys(community: Unit, items: list[CatalogueItem], on: date) -> set:
    """For the check: the assistance items a contract in force covers for this community on this date."""
    if not items:
        return set()
    return set(
        Contract.objects.filter(
            state=ContractState.IN_FORCE,
            communities=community,
            item_key__in=[item.key for item in items],
            starts_on__lte=on,
            ends_on__gte=on,
        ).values_list("item_key", flat=True)
    )


@dataclass
class Obligation:
    district: Unit
    community: Unit
    item: CatalogueItem


def unfunded_obligations(*, districts: QuerySet[Unit], on: date, payer: Unit | None = None) -> list[Obligation]:
    """Assistance items in force for a community with no contract in force covering them (谁委托谁出钱 unmet).

    Five queries, however many districts: the versions in force, their assistance items and the communities
    they name, the communities, and the (item, community) pairs that contracts in force cover. An item is an
    obligation only where it applies (CatalogueItem.applies_to: its communities, its end date).
    """
    in_force = (
        CatalogueVersion.objects.filter(district=OuterRef("pk"), state=VersionState.PUBLISHED, effective_from__lte=on)
        .order_by("-effective_from")
        .values("pk")[:1]
    )
    version_of = dict(districts.annotate(version_id=Subquery(in_force)).values_list("pk", "version_id"))
    items = (
        CatalogueItem.objects.filter(version_id__in=[v for v in version_of.values() if v], list=ItemList.ASSISTANCE)
        .filter(Q(applies_until__isnull=True) | Q(applies_until__gte=on))  # an ended item obliges no one
        .select_related("version__district", "payer")
        .prefetch_related("communities")
    )
    if payer is not None:
        items = items.filter(payer=payer)  # the key publication resolved from the delegating department's name
    by_district: dict[int, list[CatalogueItem]] = {}
    for item in items.order_by("code", "title"):
        by_district.setdefault(item.version.district_id, []).append(item)
    if not by_district:
        return []
    communities = Unit.objects.communities().filter(district_id__in=by_district).select_related("parent", "district")
    covered = set(
        Contract.communities.through.objects.filter(
            contract__district_id__in=by_district,
            contract__state=ContractState.IN_FORCE,
            contract__starts_on__lte=on,
            contract__ends_on__gte=on,
        ).values_list("contract__item_key", "unit_id")
    )
    return [
        Obligation(community.district, community, item)
        for community in communities.order_by("district__name", "parent__name", "name")
        for item in by_district.get(community.district_id, [])
        if item.applies_to(community, on) and (item.key, community.pk) not in covered
    ]


def districts_visible_to(user: User) -> QuerySet[Unit]:
    if user.role == Role.SECRETARY or not user.is_authenticated:
        return Unit.objects.none()
    if user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        return Unit.objects.filter(pk=user.unit.district_id)
    return Unit.objects.districts().filter(district_scope_q(user, field="district"))


def report(
    *,
    instalments: QuerySet[Instalment],
    start: date,
    end: date,
    today: date,
    group_by: tuple[str, ...] = ("contract__payer__name",),
) -> list[dict]:
    """Promised, paid, outstanding and overdue per group, for instalments due in [start, end]."""
    rows = (
        instalments.filter(due_on__range=(start, end))
        .values(*group_by)
        .annotate(
            promised=Coalesce(Sum("amount"), ZERO),
            paid_total=Coalesce(Sum("paid"), ZERO),
            overdue=Coalesce(Sum(F("amount") - F("paid"), filter=Q(due_on__lt=today) & Q(paid__lt=F("amount"))), ZERO),
        )
        .order_by(*group_by)
    )
    return [_to_fen({**row, "outstanding": row["promised"] - row["paid_total"]}) for row in rows]


FEN = Decimal("0.01")


def _to_fen(row: dict) -> dict:
    """Sums to the fen on every database (SQLite returns Decimal('2400') for a SUM of 2400.00)."""
    return {key: value.quantize(FEN) if isinstance(value, Decimal) else value for key, value in row.items()}


def totals(rows: list[dict]) -> dict:
    keys = ("promised", "paid_total", "outstanding", "overdue")
    return _to_fen({key: sum((row[key] for row in rows), Decimal("0")) for key in keys})


def monthly_series(*, instalments: QuerySet[Instalment], start: date, end: date) -> list[dict]:
    """Promised (by due month) and paid (by payment month) for a chart."""
    promised = dict(
        instalments.filter(due_on__range=(start, end))
        .annotate(m=TruncMonth("due_on"))
        .values("m")
        .annotate(total=Sum("amount"))
        .values_list("m", "total")
    )
    paid = dict(
        Payment.objects.filter(instalment__in=instalments, paid_on__range=(start, end))
        .annotate(m=TruncMonth("paid_on"))
        .values("m")
        .annotate(total=Sum("amount"))
        .values_list("m", "total")
    )
    months = sorted(set(promised) | set(paid))
    return [{"month": m, "promised": promised.get(m, Decimal("0")), "paid": paid.get(m, Decimal("0"))} for m in months]


def owed_to(community: Unit) -> list[dict]:
    """What a community is owed and has been paid, per item."""
    rows = (
        Instalment.objects.filter(community=community)
        .exclude(contract__state=ContractState.DRAFT)  # an unsigned contract promises nothing yet
        .values("contract_id", "contract__number", "contract__item_title", "contract__payer__name", "contract__state")
        .annotate(promised=Sum("amount"), paid_total=Sum("paid"))
        .annotate(outstanding=F("promised") - F("paid_total"))
        .order_by("contract__item_title")
    )
    return [_to_fen(row) for row in rows]
