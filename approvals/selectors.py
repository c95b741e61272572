"""Reads for the gate, scoped by who asks."""

from datetime import date
from functools import cache

from django.db.models import Aggregate, Count, Exists, F, JSONField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import get_language

from catalog.check import UrgentItem
from catalog.choices import Role, UnitKind
from catalog.models import Unit, User
from catalog.selectors import district_scope_q

from .choices import ApplicationState, RequestedList, Scope, Vote
from .models import Application, ApplicationEvent, Ballot, Batch


def applications_visible_to(user: User) -> QuerySet[Application]:
    qs = Application.objects.select_related("district", "applicant_unit", "batch", "payer")
    if not user.is_authenticated:
        return qs.none()
    if user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        return qs.filter(district_scope_q(user))
    if user.role in (Role.STREET_STAFF, Role.DEPARTMENT_STAFF):
        # Their own applications, those their street is consulted on, and those it votes on for a community.
        mine = Q(applicant_unit_id=user.unit_id) | Q(ballots__unit_id=user.unit_id)
        return qs.filter(mine | Q(ballots__proxy_unit_id=user.unit_id)).distinct()
    if user.role == Role.SECRETARY:
        return qs.filter(ballots__unit_id=user.unit_id).distinct()
    return qs.none()


def reviewer_queue(user: User) -> QuerySet[Application]:
    """Waiting for the committee office: urgent items to decide now, reviews to write, committee decisions."""
    waiting = Q(state=ApplicationState.SUBMITTED, is_urgent=True) | Q(
        state__in=[ApplicationState.UNDER_REVIEW, ApplicationState.TO_COMMITTEE]
    )
    if user.role not in (Role.CIVIL_AFFAIRS, Role.ADMIN):
        return Application.objects.none()
    return applications_visible_to(user).filter(waiting)


class _IdArray(Aggregate):
    """The ids of a group as one JSON array, in the query itself (jsonb_agg; json_group_array on SQLite)."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


@cache
def _scope_ids(relation: str) -> Subquery:
    """The units of one of the application's scope relations, aggregated in the list query: one array per row,
    never a queryset per application (what prefetch_related builds). Built once: a query resolves its copy."""
    through = Application._meta.get_field(relation).remote_field.through
    return Subquery(
        through.objects.filter(application_id=OuterRef("pk"))
        .order_by()
        .values("application_id")
        .annotate(ids=_IdArray("unit_id"))
        .values("ids")
    )


BRIEF_COLUMNS = {
    "district_name": F("district__name"),
    "applicant_unit_name": F("applicant_unit__name"),
    "batch_year": F("batch__year"),
    "batch_month": F("batch__month"),
    "batch_consultation_ends": F("batch__consultation_ends"),
    "batch_committee_meets": F("batch__committee_meets"),
}


def application_briefs(applications: QuerySet[Application]) -> QuerySet[dict]:
    """The brief rows of a list of applications (the reviewer's queue, `?brief=1` in the API, the list pages),
    in one query: what the row shows, the batch's deadlines and the scope's unit ids, with no model built.
    `applications` is already scoped (applications_visible_to, reviewer_queue); each row goes through
    `brief_row` for what it says in words."""
    return applications.values(
        "id",
        "title",
        "state",
        "is_urgent",
        "district",
        "applicant_unit",
        "requested_list",
        "scope",
        "start_date",
        "end_date",
        "submitted_at",
        "lapses_on",
        "batch",
        scope_street_ids=_scope_ids("scope_streets"),
        scope_community_ids=_scope_ids("scope_communities"),
        **BRIEF_COLUMNS,
    )


@cache
def _labels(language: str | None) -> tuple[dict, dict, dict]:
    """The words of the states, lists and scopes in one language, translated once per process."""
    return tuple(
        {code: str(label) for code, label in choices.choices} for choices in (ApplicationState, RequestedList, Scope)
    )


def brief_row(row: dict) -> dict:
    """A row of `application_briefs` as the list shows it: the codes in words too, the scope's ids in order."""
    states, lists, scopes = _labels(get_language())
    return {
        **row,
        "state_display": states[row["state"]],
        "requested_list_display": lists.get(row["requested_list"], row["requested_list"]),
        "scope_display": scopes.get(row["scope"], row["scope"]),
        "scope_street_ids": sorted(row["scope_street_ids"] or ()),
        "scope_community_ids": sorted(row["scope_community_ids"] or ()),
    }


def ballots_for(user: User) -> QuerySet[Ballot]:
    """The ballots a street office or a community votes on."""
    if not user.is_authenticated or user.role not in (Role.SECRETARY, Role.STREET_STAFF):
        return Ballot.objects.none()
    # A street office also votes on the ballots it was given for a community nobody can vote for.
    mine = (
        Q(unit_id=user.unit_id) | Q(proxy_unit_id=user.unit_id)
        if user.role == Role.STREET_STAFF
        else Q(unit_id=user.unit_id)
    )
    return Ballot.objects.filter(mine).select_related("application__applicant_unit", "unit")


def batches_visible_to(user: User) -> QuerySet[Batch]:
    return Batch.objects.filter(district_scope_q(user)).select_related("district")


def units_consulted(application: Application) -> QuerySet[Unit]:
    """Every street office and community in the application's scope (each gets a ballot), never the applicant:
    a unit is not consulted on its own application."""
    communities = Unit.objects.communities().filter(district_id=application.district_id)
    if application.scope == "streets":
        communities = communities.filter(parent__in=application.scope_streets.all())
    elif application.scope == "communities":
        communities = communities.filter(pk__in=application.scope_communities.all())
    streets = Unit.objects.filter(kind=UnitKind.STREET, pk__in=communities.values("parent_id"))
    return Unit.objects.filter(Q(pk__in=communities.values("pk")) | Q(pk__in=streets.values("pk"))).exclude(
        pk=application.applicant_unit_id
    )


VOTER_ROLES = (Role.SECRETARY, Role.STREET_STAFF)


def counted(ballots: QuerySet[Ballot]) -> QuerySet[Ballot]:
    """The ballots a tally counts: not excluded by the office, and never the applicant's own (nor one the applicant
    was given to cast for a unit nobody can vote for)."""
    return (
        ballots.filter(excluded_reason="")
        .exclude(unit_id=F("application__applicant_unit_id"))
        .exclude(proxy_unit_id=F("application__applicant_unit_id"))
    )


def has_voter(unit_field: str = "unit_id") -> Exists:
    return Exists(User.objects.filter(unit_id=OuterRef(unit_field), role__in=VOTER_ROLES, is_active=True))


def units_without_voters(batch: Batch) -> list[dict]:
    """Consulted units of a batch nobody can vote for (no active account): how many ballots each has, and what
    the office arranged (a street office voting on its behalf, or exclusion with a reason)."""
    rows = (
        Ballot.objects.filter(application__batch=batch)
        .annotate(reachable=has_voter())
        .filter(reachable=False)
        .values("unit_id", "unit__name", "unit__parent_id", "proxy_unit__name", "excluded_reason", "vote")
        .order_by("unit__name", "unit_id")
    )
    units: dict[int, dict] = {}
    for row in rows:
        unit = units.setdefault(
            row["unit_id"],
            {
                "unit_id": row["unit_id"],
                "name": row["unit__name"],
                "parent_id": row["unit__parent_id"],
                "ballots": 0,
                "open": 0,
                "proxy": "",
                "excluded_reason": "",
            },
        )
        unit["ballots"] += 1
        unit["open"] += not row["vote"] and not row["excluded_reason"] and not row["proxy_unit__name"]
        unit["proxy"] = unit["proxy"] or (row["proxy_unit__name"] or "")
        unit["excluded_reason"] = unit["excluded_reason"] or row["excluded_reason"]
    return list(units.values())


def units_not_voted(batch: Batch) -> list[str]:
    """The consulted units (by name) that still have a counted ballot without a vote in the batch."""
    ballots = counted(Ballot.objects.filter(application__batch=batch, application__state=ApplicationState.CONSULTING))
    return sorted(set(ballots.filter(vote="").values_list("unit__name", flat=True)))


def batch_progress(batch: Batch) -> list[Application]:
    """The batch's applications, each with its ballots counted, in one query."""
    return list(
        batch.applications.select_related("applicant_unit")
        .annotate(
            ballots_total=Count("ballots", filter=Q(ballots__excluded_reason="")),
            ballots_returned=Count("ballots", filter=Q(ballots__excluded_reason="") & ~Q(ballots__vote="")),
            ballots_agree=Count("ballots", filter=Q(ballots__vote=Vote.AGREE)),
        )
        .order_by("id")
    )


def application_detail(pk: int, user: User) -> Application:
    return (
        applications_visible_to(user)
        .prefetch_related(
            "scope_streets",
            "scope_communities",
            "attachments",
            Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor")),
            Prefetch("ballots", queryset=Ballot.objects.select_related("unit", "voted_by")),
        )
        .get(pk=pk)
    )


def expedited_cover(community: Unit, on: date) -> list[UrgentItem]:
    """The approved urgent items in force on `on` for `community`. The check judges a demand against their
    words with the same judgement, and the same strength, as a catalogue item (catalog.judgement)."""
    applications = (
        Application.objects.filter(
            district_id=community.district_id,
            is_urgent=True,
            state=ApplicationState.APPROVED,
            start_date__lte=on,
            lapses_on__gte=on,
        )
        .filter(
            Q(scope="all")
            | Q(scope="streets", scope_streets=community.parent_id)
            | Q(scope="communities", scope_communities=community.pk)
        )
        .distinct()
        .only("id", "title", "reason", "start_date", "lapses_on")
        .order_by("pk")
    )
    return [
        UrgentItem(
            label=f"#{a.pk} {a.title}（{a.start_date}—{a.lapses_on}）",
            title=a.title,
            text=a.reason,
            lapses_on=a.lapses_on,
        )
        for a in applications
    ]


def ballot_counts(application_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(consulted, cast, agreeing) per application, in one query: the tally of a whole batch at once."""
    return _counts(counted(Ballot.objects.filter(application_id__in=application_ids)))


def _counts(ballots) -> dict[int, tuple[int, int, int]]:
    rows = ballots.values("application_id").annotate(
        consulted=Count("id"), cast=Count("id", filter=~Q(vote="")), agree=Count("id", filter=Q(vote=Vote.AGREE))
    )
    return {row["application_id"]: (row["consulted"], row["cast"], row["agree"]) for row in rows}


def batch_results(batch: Batch) -> dict[int, dict]:
    """Each consulting application's tally and whether it passes, from two queries (counts and the rule):
    what the batch page shows and what the tally at the deadline decides."""
    basis, threshold = batch_rule(batch)
    results = {}
    for application_id, (consulted, cast, agree) in _counts(
        counted(Ballot.objects.filter(application__batch=batch))
    ).items():
        denominator = consulted if basis == "consulted" else cast
        results[application_id] = {
            "consulted": consulted,
            "cast": cast,
            "agree": agree,
            "passes": denominator > 0 and agree * 100 >= threshold * denominator,
        }
    return results


def batch_rule(batch: Batch | None, district_id: int | None = None):
    """(basis, threshold) a batch tallies by: frozen on it when consultation opened; before that, the
    district's policy as it stands (what will be frozen)."""
    if batch is not None and batch.pass_rate_basis:
        return batch.pass_rate_basis, batch.pass_threshold_percent
    from catalog.models import DistrictPolicy

    policy = DistrictPolicy.objects.get(district_id=batch.district_id if batch is not None else district_id)
    return policy.pass_rate_basis, policy.pass_threshold_percent


def batch_opening_preview(batch: Batch) -> dict:
    """What closing intake now would do: how many applications open, how many distinct units get a form, and
    the rule that would be frozen (for the confirmation page)."""
    applications = list(batch.applications.filter(state=ApplicationState.SUBMITTED, is_urgent=False))
    units: set[int] = set()
    for application in applications:
        units.update(units_consulted(application).values_list("pk", flat=True))
    basis, threshold = batch_rule(batch)
    from catalog.choices import PassRateBasis

    return {
        "applications": len(applications),
        "units": len(units),
        "threshold": format(threshold.normalize(), "f"),
        "basis": PassRateBasis(basis).label,
    }


# --- Printed documents (公文): their numbers ----------------------------------------------------------------


def application_document_number(application: Application) -> str:
    """The 编号 of an application's 审批表: the district, the year it was filed, its number (#12 → 12号)."""
    year = (application.submitted_at or timezone.now()).astimezone(timezone.get_current_timezone()).year
    return f"{application.district.name}准入申〔{year}〕{application.pk}号"


def batch_document_number(batch: Batch) -> str:
    """The 文号 of a batch's decision: the district's committee, the year, the batch's place in the year."""
    place = Batch.objects.filter(district_id=batch.district_id, year=batch.year, month__lte=batch.month).count()
    return f"{batch.district.name}社建委〔{batch.year}〕{place}号"


def batch_decision_rows(batch: Batch) -> list[Application]:
    """The batch's applications as its decision sheet lists them: those that reached the office's review or the
    committee, with the tally as counted (never a running count), in one query."""
    return list(
        batch.applications.exclude(state__in=[ApplicationState.DRAFT, ApplicationState.WITHDRAWN])
        .select_related("applicant_unit")
        .order_by("id")
    )
