"""Reads for supervision, scoped: a unit sees a report about it only once asked to explain, and the reporter
only where the secretary allowed it."""

from datetime import date

from django.db.models import Count, Q, QuerySet

from catalog.choices import Role
from catalog.models import CatalogueItem, Unit, User
from catalog.selectors import district_scope_q

from .models import AssessmentHeld, AuditEntry, BurdenReport, Finding, Notice


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
    """Administrators read the whole trail; an auditor their district's entries, an overseer their city's.
    Entries that belong to no district (logins of city staff, some link tables) are for administrators."""
    if not user.is_authenticated or user.role not in (Role.ADMIN, Role.AUDITOR, Role.OVERSEER):
        return AuditEntry.objects.none()
    if user.role == Role.ADMIN:
        return AuditEntry.objects.all()
    districts = Unit.objects.districts().filter(district_scope_q(user, field="district")).values("pk")
    return AuditEntry.objects.filter(district_id__in=districts)


def notices_visible_to(user: User) -> QuerySet[Notice]:
    """Published notices are public (全区通报); drafts only to the district's supervision office and auditors."""
    qs = Notice.objects.select_related("unit", "finding", "district")
    visible = Q(state__in=[Notice.State.PUBLISHED, Notice.State.ANSWERED, Notice.State.CLOSED])
    if user.is_authenticated and user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        visible |= district_scope_q(user)
    return qs.filter(visible)


def findings_visible_to(user: User) -> QuerySet[Finding]:
    qs = Finding.objects.select_related("unit", "inspection", "burden_report")
    if not user.is_authenticated:
        return qs.none()
    if user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        return qs.filter(district_scope_q(user))
    if user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        return qs.filter(unit_id=user.unit_id, state=Finding.State.CONFIRMED)
    return qs.none()


def compliance(unit: Unit, *, on: date) -> dict:
    """One unit's record: findings, open and overdue notices, unfunded obligations it owes, assessments held."""
    from funding.selectors import unfunded_obligations

    notices = list(Notice.objects.filter(unit=unit).exclude(state=Notice.State.DRAFT).order_by("-published_at"))
    return {
        "findings": list(
            Finding.objects.filter(unit=unit).exclude(state=Finding.State.DISMISSED).order_by("-created_at")[:100]
        ),
        "open_notices": [n for n in notices if n.state in (Notice.State.PUBLISHED, Notice.State.ANSWERED)],
        "overdue_notices": [n for n in notices if n.is_overdue],
        "closed_notices": [n for n in notices if n.state == Notice.State.CLOSED],
        "unfunded": unfunded_obligations(districts=Unit.objects.filter(pk=unit.district_id), on=on, payer=unit),
        "assessments": list(
            AssessmentHeld.objects.filter(unit=unit, held_on__year=on.year)
            .values("title")
            .annotate(n=Count("id"))
            .order_by("-n")
        ),
    }
