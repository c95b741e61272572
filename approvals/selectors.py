"""Reads for the gate, scoped by who asks."""

from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet

from catalog.choices import Role, UnitKind
from catalog.models import Unit, User
from catalog.search import query_tokens
from catalog.selectors import district_scope_q

from .choices import ApplicationState, Vote
from .models import Application, ApplicationEvent, Ballot, Batch


def applications_visible_to(user: User) -> QuerySet[Application]:
    qs = Application.objects.select_related("district", "applicant_unit", "batch", "payer")
    if not user.is_authenticated:
        return qs.none()
    if user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        return qs.filter(district_scope_q(user))
    if user.role in (Role.STREET_STAFF, Role.DEPARTMENT_STAFF):
        # Their own applications, and those their street is consulted on.
        return qs.filter(Q(applicant_unit_id=user.unit_id) | Q(ballots__unit_id=user.unit_id)).distinct()
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


def ballots_for(user: User) -> QuerySet[Ballot]:
    """The ballots a street office or a community votes on."""
    if not user.is_authenticated or user.role not in (Role.SECRETARY, Role.STREET_STAFF):
        return Ballot.objects.none()
    return Ballot.objects.filter(unit_id=user.unit_id).select_related("application__applicant_unit", "unit")


def batches_visible_to(user: User) -> QuerySet[Batch]:
    return Batch.objects.filter(district_scope_q(user)).select_related("district")


def units_consulted(application: Application) -> QuerySet[Unit]:
    """Every street office and community in the application's scope (each gets a ballot)."""
    communities = Unit.objects.communities().filter(district_id=application.district_id)
    if application.scope == "streets":
        communities = communities.filter(parent__in=application.scope_streets.all())
    elif application.scope == "communities":
        communities = communities.filter(pk__in=application.scope_communities.all())
    streets = Unit.objects.filter(kind=UnitKind.STREET, pk__in=communities.values("parent_id"))
    return Unit.objects.filter(Q(pk__in=communities.values("pk")) | Q(pk__in=streets.values("pk")))


def batch_progress(batch: Batch) -> list[Application]:
    """The batch's applications, each with its ballots counted, in one query."""
    return list(
        batch.applications.select_related("applicant_unit")
        .annotate(
            ballots_total=Count("ballots"),
            ballots_returned=Count("ballots", filter=~Q(ballots__vote="")),
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


def expedited_cover(community: Unit, text: str, on: date) -> str | None:
    """An approved urgent item in force on `on` for `community` whose words match the demand, for the check."""
    words = set(query_tokens(text))
    if not words:
        return None
    candidates = (
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
    )
    for application in candidates:
        if words & set(query_tokens(f"{application.title} {application.reason}")):
            return f"#{application.pk} {application.title}（{application.start_date}—{application.lapses_on}）"
    return None


def ballot_counts(application_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(consulted, cast, agreeing) per application, in one query: the tally of a whole batch at once."""
    return _counts(Ballot.objects.filter(application_id__in=application_ids))


def _counts(ballots) -> dict[int, tuple[int, int, int]]:
    rows = ballots.values("application_id").annotate(
        consulted=Count("id"), cast=Count("id", filter=~Q(vote="")), agree=Count("id", filter=Q(vote=Vote.AGREE))
    )
    return {row["application_id"]: (row["consulted"], row["cast"], row["agree"]) for row in rows}


def batch_results(batch: Batch) -> dict[int, dict]:
    """Each consulting application's tally and whether it passes, from two queries (counts and the rule):
    what the batch page shows and what the tally at the deadline decides."""
    from catalog.models import DistrictPolicy

    policy = DistrictPolicy.objects.get(district_id=batch.district_id)
    results = {}
    for application_id, (consulted, cast, agree) in _counts(Ballot.objects.filter(application__batch=batch)).items():
        denominator = consulted if policy.pass_rate_basis == "consulted" else cast
        results[application_id] = {
            "consulted": consulted,
            "cast": cast,
            "agree": agree,
            "passes": denominator > 0 and agree * 100 >= policy.pass_threshold_percent * denominator,
        }
    return results
