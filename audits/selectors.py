"""Reads for supervision, scoped: a unit sees a report about it only once asked to explain, and the reporter
only where the secretary allowed it."""

from datetime import date

from django.db.models import Count, Q, QuerySet

from catalog.choices import Role
from catalog.models import CatalogueItem, Unit, User
from catalog.selectors import district_scope_q

from .models import AssessmentHeld, AuditEntry, BurdenReport


def reports_visible_to(user: User) -> QuerySet[BurdenReport]:
    qs = BurdenReport.objects.select_related("community__parent", "demanding_unit", "reporter", "district")
    if not user.is_authenticated:
        return qs.none()
    if user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        return qs.filter(district_scope_q(user))
    if user.role == Role.SECRETARY:
        return qs.filter(community_id=user.unit_id)
    if user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        return qs.filter(demanding_unit_id=user.unit_id).exclude(
            state__in=[BurdenReport.State.NEW, BurdenReport.State.DISMISSED]
        )
    return qs.none()


def may_see_reporter(user: User, report: BurdenReport) -> bool:
    """The demanding unit sees who reported only if the secretary allowed it; the district's staff always do."""
    if user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        return report.reveal_reporter
    return user.role in (Role.ADMIN, Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.OVERSEER) or user.pk == report.reporter_id


def assessments_visible_to(user: User) -> QuerySet[AssessmentHeld]:
    qs = AssessmentHeld.objects.select_related("community__parent", "unit")
    if not user.is_authenticated:
        return qs.none()
    if user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        return qs.filter(district_scope_q(user))
    if user.role == Role.SECRETARY:
        return qs.filter(community_id=user.unit_id)
    if user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        return qs.filter(unit_id=user.unit_id)
    return qs.none()


def assessments_held_count(community: Unit, items: list[CatalogueItem], on: date) -> dict:
    """For the check: assessments held this year per item in the community, disputed ones not counted."""
    if not items:
        return {}
    rows = (
        AssessmentHeld.objects.filter(
            community=community, item_key__in=[item.key for item in items], held_on__year=on.year
        )
        .exclude(state=AssessmentHeld.State.DISPUTED)
        .values("item_key")
        .annotate(n=Count("id"))
    )
    return {row["item_key"]: row["n"] for row in rows}


def assessment_findings(user: User) -> QuerySet[AssessmentHeld]:
    return assessments_visible_to(user).filter(Q(on_the_list=False) | Q(within_allowed_months=False))


def trail_visible_to(user: User) -> QuerySet[AuditEntry]:
    """Auditors and administrators read the trail; an auditor's scope is the whole trail of their deployment."""
    if user.is_authenticated and user.role in (Role.ADMIN, Role.AUDITOR, Role.OVERSEER):
        return AuditEntry.objects.all()
    return AuditEntry.objects.none()
