"""What waits in the supervision for each person (catalog.workbench): burden reports to verify, notices to
correct or verify, findings the system proposed, assessments a community has to confirm."""

from datetime import date

from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.choices import Role
from catalog.models import User
from catalog.selectors import district_scope_q
from catalog.workbench import Figure, Task

from . import selectors
from .models import AssessmentHeld, BurdenReport, Finding, Notice

DISTRICT_WIDE = (Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.OVERSEER, Role.ADMIN)


def notices_in_my_scope(user: User) -> QuerySet[Notice]:
    """The district staff: their districts' notices; a unit: the notices naming it (/notices/?mine=1)."""
    qs = selectors.notices_visible_to(user)
    if user.role in DISTRICT_WIDE:
        return qs.filter(district_scope_q(user))
    return qs.filter(unit_id=user.unit_id)


def notice_tasks(user: User, today: date) -> list[Task]:
    """通报整改: published notices not yet answered (the overdue ones counted apart), and for the office the
    corrections reported and waiting to be verified; in one query."""
    row = notices_in_my_scope(user).aggregate(
        n=Count("id", filter=Q(state=Notice.State.PUBLISHED)),
        due=Min("correct_by", filter=Q(state=Notice.State.PUBLISHED)),
        overdue=Count("id", filter=Q(state=Notice.State.PUBLISHED, correct_by__lt=today)),
        answered=Count("id", filter=Q(state=Notice.State.ANSWERED)),
    )
    url = reverse("notices") + "?mine=1&state="
    label = _("Notices awaiting correction") if user.role in DISTRICT_WIDE else _("Notices to correct")
    tasks = [Task(label, row["n"], url + "published", row["due"], row["overdue"], _("notices"))]
    if user.role in (Role.CIVIL_AFFAIRS, Role.ADMIN):
        tasks.append(Task(_("Corrections to verify"), row["answered"], url + "answered", unit=_("notices")))
    return tasks


def office_report_tasks(user: User, today: date) -> list[Task]:
    """Burden reports new (to verify) and explained by their unit (to read), in one query."""
    row = selectors.reports_visible_to(user).aggregate(
        new=Count("id", filter=Q(state=BurdenReport.State.NEW)),
        explained=Count("id", filter=Q(state=BurdenReport.State.EXPLAINED)),
    )
    url = reverse("reports") + "?state="
    return [
        Task(_("Burden reports to verify"), row["new"], url + "new"),
        Task(_("Explanations to read"), row["explained"], url + "explained"),
    ]


def explanations_asked_task(user: User, today: date) -> Task:
    n = selectors.reports_visible_to(user).filter(state=BurdenReport.State.EXPLANATION_REQUESTED).count()
    return Task(_("Explanations asked of us"), n, reverse("reports") + "?state=explanation_requested")


def proposed_findings_task(user: User, today: date) -> Task:
    n = selectors.findings_visible_to(user).filter(state=Finding.State.PROPOSED).count()
    return Task(_("Findings the system proposes"), n, reverse("findings") + "?state=proposed")


def assessments_to_confirm_task(user: User, today: date) -> Task:
    n = selectors.assessments_visible_to(user).filter(state=AssessmentHeld.State.ENTERED).count()
    return Task(_("Assessments to confirm"), n, reverse("assessments") + "?state=entered")


def supervision_figures(user: User, today: date) -> list[Figure]:
    reports = selectors.reports_visible_to(user).filter(created_at__year=today.year).count()
    notices = notices_in_my_scope(user).filter(published_at__year=today.year).count()
    return [
        Figure(_("Burden reports this year"), f"{reports:,}", reverse("reports")),
        Figure(_("Notices issued this year"), f"{notices:,}", reverse("notices") + "?mine=1"),
    ]


def register() -> None:
    from catalog.workbench import register_workbench_figure, register_workbench_item

    register_workbench_item((Role.CIVIL_AFFAIRS, Role.ADMIN), office_report_tasks)
    register_workbench_item((Role.CIVIL_AFFAIRS, Role.ADMIN), proposed_findings_task)
    register_workbench_item(
        (Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.OVERSEER, Role.ADMIN, Role.DEPARTMENT_STAFF, Role.STREET_STAFF),
        notice_tasks,
    )
    register_workbench_item((Role.DEPARTMENT_STAFF, Role.STREET_STAFF), explanations_asked_task)
    register_workbench_item(Role.SECRETARY, assessments_to_confirm_task)
    register_workbench_figure((Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.OVERSEER), supervision_figures)
