"""Reads for 费随事转, scoped by who asks."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth

from catalog.choices import ItemList, Role, VersionState
from catalog.models import CatalogueItem, CatalogueVersion, Unit, User
from catalog.selectors import district_scope_q

from .choices import ContractState
from .models import Contract, Instalment, Payment


def contracts_visible_to(user: User) -> QuerySet[Contract]:
    qs = Contract.objects.select_related("payer", "district")
    if user.is_authenticated and user.role == Role.SECRETARY:
        return qs.filter(communities=user.unit_id)
    return qs.filter(_contract_scope_q(user))


def _contract_scope_q(user: User, prefix: str = "") -> Q:
    """Whose contracts `user` reads, as a filter on a contract (`prefix` the path to it), for every role but a
    secretary's (the communities a contract covers: contracts_visible_to, instalments_visible_to)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        return district_scope_q(user, field=f"{prefix}district")
    if user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        return Q(**{f"{prefix}payer_id": user.unit_id})
    return Q(pk__in=[])


def instalments_visible_to(user: User) -> QuerySet[Instalment]:
    qs = Instalment.objects.select_related("contract__payer", "community")
    if user.is_authenticated and user.role == Role.SECRETARY:
        return qs.filter(community_id=user.unit_id)
    # The contract's scope as a join, not a subquery of contracts: one instalment costs one index probe.
    return qs.filter(_contract_scope_q(user, "contract__"))


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


GROUP_PATHS = {"payer": "contract__payer__name", "community": "community__name", "item": "contract__item_title"}
# Every district has a 区卫生健康局 (and may share a community's or an item's name with another): a group is its
# name within its district, and is labelled with the district too when a report spans several.
DISTRICT_PATH = "contract__district__name"
FEN = Decimal("0.01")
FIGURES = ("due", "paid", "settled", "outstanding", "overdue")


@dataclass(frozen=True)
class FundingFigures:
    """The funding report's figures for one filter: every page, chart, export and API response reads these.

    Two views, each on its own basis:
    - due (应付): instalments falling due in [start, end], by due date;
    - paid (已付): payments made in [start, end], by payment date, reversals as negative counter-entries,
      whatever the instalment's due date (these are exactly the lines of the exports, `payments`);
    and the position at `as_of` (the period's end, or today while the period runs) of what fell due in it:
    - settled: what had been paid towards those instalments by `as_of` (whenever paid);
    - outstanding (未付) = due − settled;
    - overdue (逾期): the outstanding part of the instalments due before `as_of`.
    """

    start: date
    end: date
    as_of: date
    group: str
    rows: list[dict]
    totals: dict
    months: list[dict]
    payments: QuerySet[Payment]


def funding_figures(
    *, instalments: QuerySet[Instalment], start: date, end: date, today: date, group: str = "payer"
) -> FundingFigures:
    """Three queries whatever the number of groups or months: what fell due (per group and due month), what
    had been paid towards it by `as_of`, and what was paid in the period (per group and payment month)."""
    path = GROUP_PATHS[group]
    as_of = min(end, today)
    falling_due = instalments.filter(due_on__range=(start, end))
    payments = Payment.objects.filter(instalment__in=instalments, paid_on__range=(start, end))
    due_rows = (
        falling_due.annotate(month=TruncMonth("due_on"))
        .values(DISTRICT_PATH, path, "month")
        .annotate(due=Sum("amount"), due_past=Sum("amount", filter=Q(due_on__lt=as_of)))
        .order_by()
    )
    settled_rows = (
        Payment.objects.filter(instalment__in=falling_due, paid_on__lte=as_of)
        .values(f"instalment__{DISTRICT_PATH}", f"instalment__{path}")
        .annotate(settled=Sum("amount"), settled_past=Sum("amount", filter=Q(instalment__due_on__lt=as_of)))
        .order_by()
    )
    paid_rows = (
        payments.annotate(month=TruncMonth("paid_on"))
        .values(f"instalment__{DISTRICT_PATH}", f"instalment__{path}", "month")
        .annotate(paid=Sum("amount"))
        .order_by()
    )
    zero = Decimal("0")
    groups: dict[tuple, dict] = {}
    months: dict[date, dict] = {}

    def at(row, prefix=""):
        key = (row[f"{prefix}{DISTRICT_PATH}"], row[f"{prefix}{path}"])
        return groups.setdefault(key, {"due": zero, "paid": zero, "settled": zero, "past": zero})

    def month_at(month):
        month = month.date() if hasattr(month, "date") else month  # TruncMonth of a date is a date on PostgreSQL
        return months.setdefault(month, {"month": month, "due": zero, "paid": zero})

    for row in due_rows:
        g = at(row)
        g["due"] += row["due"]
        g["past"] += row["due_past"] or zero
        month_at(row["month"])["due"] += row["due"]
    for row in settled_rows:
        g = at(row, "instalment__")
        g["settled"] += row["settled"]
        g["past"] -= row["settled_past"] or zero
    for row in paid_rows:
        at(row, "instalment__")["paid"] += row["paid"]
        month_at(row["month"])["paid"] += row["paid"]
    several_districts = len({district for district, _name in groups}) > 1

    def label(key):
        district, name = key
        return f"{district} {name}" if several_districts and name is not None else name

    rows = []
    for key in sorted(groups, key=lambda k: (k[1] is None, label(k) or "")):
        g = groups[key]
        rows.append(
            _to_fen(
                {
                    "group": label(key),
                    "due": g["due"],
                    "paid": g["paid"],
                    "settled": g["settled"],
                    "outstanding": g["due"] - g["settled"],
                    "overdue": g["past"],
                }
            )
        )
    totals = _to_fen({key: sum((row[key] for row in rows), zero) for key in FIGURES})
    return FundingFigures(
        start=start,
        end=end,
        as_of=as_of,
        group=group,
        rows=rows,
        totals=totals,
        months=[_to_fen(months[m]) for m in sorted(months)],
        payments=payments,
    )


def _to_fen(row: dict) -> dict:
    """Sums to the fen on every database (SQLite returns Decimal('2400') for a SUM of 2400.00)."""
    return {key: value.quantize(FEN) if isinstance(value, Decimal) else value for key, value in row.items()}


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
