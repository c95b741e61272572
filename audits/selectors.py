"""Reads for supervision, scoped: a unit sees a report about it only once asked to explain, and the reporter
only where the secretary allowed it."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import ItemList, Role
from catalog.models import CatalogueItem, Unit, User
from catalog.selectors import district_scope_q, items_search, version_in_force
from catalog.text import normalise

from .models import AssessmentHeld, AuditEntry, BurdenReport, Evidence, Finding, Inspection, Notice

# Who reads a whole district's supervision records (the office, auditors, the city overseer, administrators)
DISTRICT_READERS = (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR)


def reports_visible_to(user: User) -> QuerySet[BurdenReport]:
    qs = BurdenReport.objects.select_related("community__parent", "demanding_unit", "reporter", "district")
    if not user.is_authenticated:
        return qs.none()
    if user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        return qs.filter(district_scope_q(user))
    if user.role == Role.SECRETARY:
        return qs.filter(community_id=user.unit_id)
    if is_unit_staff(user):
        # Only once asked to explain: a case the office opened directly, or a report it dismissed, stays its own.
        return qs.filter(demanding_unit_id=user.unit_id, asked_at__isnull=False)
    return qs.none()


def reports_search(reports: QuerySet[BurdenReport], *, user: User, q: str) -> QuerySet[BurdenReport]:
    """Reports whose demand says `q`, or, for the office (civil affairs, auditors, overseers, administrators, who
    may read the evidence), whose evidence pictures say it."""
    q = normalise(q)
    if not q:
        return reports
    if is_unit_staff(user):
        # The unit searches the demand as it reads it: an anonymous report's without its community's name, or
        # the search would tell which community reported (?q=牛沙路). Its reports are those it was asked about.
        readings = [report_as_seen_by(user, report) for report in reports]
        return reports.filter(pk__in=[r.report.pk for r in readings if q.casefold() in r.demand.casefold()])
    match = Q(demand__icontains=q)
    if user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        match |= Q(pk__in=Evidence.objects.filter(text__icontains=q).values("report_id"))
    return reports.filter(match)


def is_unit_staff(user: User) -> bool:
    """Department and street-office staff: the side a burden report is about."""
    return user.is_authenticated and user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF)


@dataclass(frozen=True)
class CatalogueReading:
    title: str
    list_label: str
    rule: str


@dataclass(frozen=True)
class UnitView:
    """What the demanding unit sees of a report whose reporter stays anonymous: nothing computed from the
    reporter's community (no check answer for it: its contracts and assessments would point at it), only the
    demand, what the district's catalogue in force that day says about it, what the unit is asked, its answer."""

    demanding_unit: str
    state: str
    state_label: str
    demand: str
    demanded_on: date
    version: str
    reading: tuple[CatalogueReading, ...]
    question: str
    decision_note: str
    explanation: str


def report_as_seen_by_unit(report: BurdenReport) -> UnitView:
    version = version_in_force(district_id=report.district_id, on=report.demanded_on)
    reading: list[CatalogueReading] = []
    if version is not None:
        matches = items_search(items=version.items.all(), q=report.demand, limit=3)
        top = matches[0].score if matches else 0
        reading = [_reading(item) for item in matches if item.score >= top / 2]
    shared_note = "" if report.triage_note_internal or report.triage_note == report.question else report.triage_note
    return UnitView(
        demanding_unit=report.demanding_unit.name,
        state=report.state,
        state_label=str(report.get_state_display()),
        demand=demand_for_unit(report),
        demanded_on=report.demanded_on,
        version=(
            _("Version %(number)s, in force from %(date)s") % {"number": version.number, "date": version.effective_from}
            if version
            else _("No catalogue was in force that day.")
        ),
        reading=tuple(reading),
        question=report.question,
        decision_note=shared_note,
        explanation=report.explanation,
    )


def demand_for_unit(report: BurdenReport) -> str:
    """The demand as the demanding unit reads it where the reporter stays anonymous: a notice's sentence often
    names the community it was sent to (请牛沙路社区于…), so the names of the reporter's community and street, and
    their stems (牛沙路), are withheld."""
    names = set()
    for unit in (report.community, report.community.parent if report.community.parent_id else None):
        if unit is None:
            continue
        names.add(unit.name)
        stem = unit.name
        for suffix in ("社区居民委员会", "居民委员会", "社区", "街道办事处", "街道", "镇", "乡"):
            stem = stem.removesuffix(suffix)
        if len(stem) >= 2:
            names.add(stem)
    text = report.demand
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, _("[name withheld]"))
    return text


def _reading(item: CatalogueItem) -> CatalogueReading:
    """The item's own rule, the same for every community of the district."""
    if item.list == ItemList.WITHDRAWN:
        rule = _("On the withdrawn list: this work must not be given to communities.")
    elif item.list == ItemList.ASSISTANCE:
        rule = _("On the assistance list: %(unit)s must fund it (谁委托谁出钱).") % {
            "unit": item.delegating_unit or _("the delegating unit")
        }
    elif item.list == ItemList.ASSESSMENTS:
        rule = _("On the assessment list: only within its months and yearly limit.")
    else:
        rule = _("On the duties list: the community does this by law.")
    return CatalogueReading(item.title, str(ItemList(item.list).label), rule)


def is_office(user: User, district_id: int) -> bool:
    """The district's supervision office: its civil-affairs staff (and administrators)."""
    return user.is_authenticated and (
        user.role == Role.ADMIN or (user.role == Role.CIVIL_AFFAIRS and user.unit.district_id == district_id)
    )


def report_triage_note_for(user: User, report: BurdenReport) -> str:
    """The triage note as `user` may read it: the office always; others only a note the office shared, and never
    twice where the note is the question the unit is asked."""
    if not report.triage_note or report.triage_note == report.question:
        return ""
    return report.triage_note if is_office(user, report.district_id) or not report.triage_note_internal else ""


@dataclass(frozen=True)
class ReportReading:
    """A burden report as one reader may read it, for the pages and the API alike. What the reader may not
    read is None: the community and the reporter where they stay anonymous to the reader; the check answer
    (computed for the reporter's community) for the unit concerned; the evidence, which could identify the
    community's staff."""

    report: BurdenReport
    show_reporter: bool
    community: Unit | None
    reporter: str | None
    check_result: dict | None
    triage_note: str
    demand: str  # with the community's and street's names withheld from the unit where the reporter is anonymous
    # The demanding unit, where the reporter stays anonymous: only what does not depend on the community
    unit_view: UnitView | None


def report_as_seen_by(user: User, report: BurdenReport, *, detail: bool = False) -> ReportReading:
    """`detail`: the report's own page (the unit's catalogue reading is computed there, never for a list;
    the unit concerned reads the check answer there only where the reporter allowed it, as on the page)."""
    show = may_see_reporter(user, report)
    unit_staff = is_unit_staff(user)
    anonymous_to_unit = unit_staff and not show
    return ReportReading(
        report=report,
        show_reporter=show,
        community=None if anonymous_to_unit else report.community,
        reporter=(report.reporter.get_full_name() or report.reporter.username) if show else None,
        check_result=None if anonymous_to_unit or (unit_staff and not detail) else report.check_result,
        triage_note=report_triage_note_for(user, report),
        demand=demand_for_unit(report) if anonymous_to_unit else report.demand,
        unit_view=report_as_seen_by_unit(report) if anonymous_to_unit and detail else None,
    )


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


def inspections_visible_to(user: User) -> QuerySet[Inspection]:
    """The district's readers see its inspections; the inspected unit does not see one planned (it may be an
    unannounced visit, 暗访): it reads the findings the office confirmed."""
    qs = Inspection.objects.select_related("unit", "district")
    if not user.is_authenticated or user.role not in DISTRICT_READERS:
        return qs.none()
    return qs.filter(district_scope_q(user))


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
        # Only what the office confirmed: a proposal may still be dismissed, and is nobody's record yet.
        "findings": list(
            Finding.objects.filter(unit=unit, state=Finding.State.CONFIRMED).order_by("-created_at")[:100]
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


def notice_document_number(notice: Notice) -> str:
    """The 文号 of a published notice: the district, the year it was published, its place among the district's
    notices of that year (published notices are never withdrawn, so the number never moves)."""
    if notice.published_at is None:
        return ""
    published = timezone.localtime(notice.published_at)
    place = (
        Notice.objects.filter(district_id=notice.district_id, published_at__year=published.year)
        .filter(Q(published_at__lt=notice.published_at) | Q(published_at=notice.published_at, pk__lte=notice.pk))
        .count()
    )
    return f"{notice.district.name}社建办通〔{published.year}〕{place}号"
