"""What waits in the gate for each person (catalog.workbench): reviews to make, ballots to return, drafts."""

from datetime import date

from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.choices import Role
from catalog.models import User
from catalog.workbench import Figure, Task

from . import selectors, services
from .choices import ApplicationState
from .models import Application, Ballot


def open_ballots(user: User) -> QuerySet[Ballot]:
    """The ballots still to return: not voted and the application still in consultation (/ballots/?open=1)."""
    return selectors.ballots_for(user).filter(vote="", application__state=ApplicationState.CONSULTING)


def review_task(user: User, today: date) -> Task:
    # An urgent item is decided before the day it starts: that day is its deadline.
    row = selectors.reviewer_queue(user).aggregate(
        n=Count("id"), due=Min("start_date", filter=Q(is_urgent=True, state=ApplicationState.SUBMITTED))
    )
    return Task(_("Waiting for my review"), row["n"], reverse("review-queue"), due=row["due"])


def ballots_task(user: User, today: date) -> Task:
    row = open_ballots(user).aggregate(
        n=Count("id"), due=Min("deadline"), overdue=Count("id", filter=Q(deadline__lt=today))
    )
    return Task(
        _("My consultation forms"), row["n"], reverse("ballots") + "?open=1", due=row["due"], overdue=row["overdue"]
    )


def drafts_task(user: User, today: date) -> Task | None:
    if not services.can_file(user):
        return None
    n = Application.objects.filter(applicant_unit_id=user.unit_id, state=ApplicationState.DRAFT).count()
    return Task(_("My applications not yet submitted"), n, reverse("applications") + "?state=draft")


def gate_figures(user: User, today: date) -> list[Figure]:
    """This year's applications in scope: filed, approved, rejected."""
    row = (
        selectors.applications_visible_to(user)
        .filter(submitted_at__year=today.year)
        .aggregate(
            filed=Count("id", distinct=True),
            approved=Count("id", distinct=True, filter=Q(state=ApplicationState.APPROVED)),
            rejected=Count("id", distinct=True, filter=Q(state=ApplicationState.REJECTED)),
        )
    )
    url = reverse("applications")
    return [
        Figure(_("Applications filed this year"), f"{row['filed']:,}", url),
        Figure(_("Approved"), f"{row['approved']:,}", url + "?state=approved"),
        Figure(_("Rejected"), f"{row['rejected']:,}", url + "?state=rejected"),
    ]


def register() -> None:
    from catalog.workbench import register_workbench_figure, register_workbench_item

    register_workbench_item((Role.CIVIL_AFFAIRS, Role.ADMIN), review_task)
    register_workbench_item((Role.SECRETARY, Role.STREET_STAFF), ballots_task)
    register_workbench_item((Role.STREET_STAFF, Role.DEPARTMENT_STAFF), drafts_task)
    register_workbench_figure(
        (Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.OVERSEER, Role.STREET_STAFF, Role.DEPARTMENT_STAFF), gate_figures
    )
