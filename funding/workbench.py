"""What waits in the funding for each person (catalog.workbench): instalments overdue, what a community is owed."""

from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.choices import Role
from catalog.models import User
from catalog.workbench import Figure, Task, yuan

from . import selectors
from .choices import ContractState
from .models import Contract, Instalment


def overdue_instalments(user: User, today: date) -> QuerySet[Instalment]:
    """Instalments past their due date and not paid in full, under a contract that promises them (逾期未付)."""
    return (
        selectors.instalments_visible_to(user)
        .filter(due_on__lt=today, paid__lt=F("amount"))
        .exclude(contract__state__in=[ContractState.DRAFT, ContractState.TERMINATED])
    )


def contracts_overdue(user: User, today: date) -> QuerySet[Contract]:
    """The contracts with an overdue instalment (/funding/contracts/?overdue=1)."""
    return Contract.objects.filter(pk__in=overdue_instalments(user, today).values("contract_id"))


def overdue_task(user: User, today: date) -> Task:
    """逾期未付: the contracts with an instalment past its date and not paid in full, the oldest date as deadline."""
    row = overdue_instalments(user, today).aggregate(n=Count("contract_id", distinct=True), since=Min("due_on"))
    url = reverse("owed" if user.role == Role.SECRETARY else "contracts") + "?overdue=1"
    label = _("Paid late to us") if user.role == Role.SECRETARY else _("Overdue and unpaid")
    return Task(label, row["n"], url, due=row["since"], overdue=row["n"], unit=_("contracts"))


def money_figures(user: User, today: date) -> list[Figure]:
    """This year's instalments in scope: promised, paid, overdue."""
    row = (
        selectors.instalments_visible_to(user)
        .filter(due_on__year=today.year)
        .exclude(contract__state=ContractState.DRAFT)
        .aggregate(
            promised=Sum("amount"),
            paid_total=Sum("paid"),
            overdue=Sum(F("amount") - F("paid"), filter=Q(due_on__lt=today, paid__lt=F("amount"))),
        )
    )
    zero = Decimal("0")
    url = reverse("owed") if user.role == Role.SECRETARY else reverse("funding-report")
    return [
        Figure(_("Promised this year"), yuan(row["promised"] or zero), url),
        Figure(_("Paid this year"), yuan(row["paid_total"] or zero), url),
        Figure(_("Overdue"), yuan(row["overdue"] or zero), url),
    ]


def register() -> None:
    from catalog.workbench import register_workbench_figure, register_workbench_item

    everyone = (
        Role.CIVIL_AFFAIRS,
        Role.AUDITOR,
        Role.OVERSEER,
        Role.ADMIN,
        Role.DEPARTMENT_STAFF,
        Role.STREET_STAFF,
        Role.SECRETARY,
    )
    register_workbench_item(everyone, overdue_task)
    register_workbench_figure(everyone, money_figures)
