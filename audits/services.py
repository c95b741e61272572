"""Writes for supervision: burden reports and their triage, assessments held and their confirmation."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.services import sniff_upload
from catalog.check import check_demand
from catalog.choices import ItemList, Role, UnitKind
from catalog.models import Unit, User
from catalog.notifications import civil_affairs_of, notify, staff_of
from catalog.selectors import version_in_force

from .models import AssessmentHeld, BurdenReport, Evidence

State = BurdenReport.State


class SupervisionError(Exception):
    """A change the rules do not allow now; the message says why."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def report_submit(
    *, actor: User, demanding_unit: Unit, demand: str, demanded_on: date, reveal_reporter: bool, files=()
) -> BurdenReport:
    """A secretary reports a demand from outside the rules; the check runs on the description at once."""
    _require(actor.role == Role.SECRETARY, _("Community secretaries report burdens."))
    community = actor.unit
    errors = {}
    if not demand.strip():
        errors["demand"] = [_("Describe what was asked of the community.")]
    if demanding_unit.district_id != community.district_id or demanding_unit.kind not in (
        UnitKind.DEPARTMENT,
        UnitKind.STREET,
    ):
        errors["demanding_unit"] = [_("Choose a department or street office of your district.")]
    if demanded_on > timezone.localdate():
        errors["demanded_on"] = [_("The date cannot be in the future.")]
    content_types = []
    for upload in files:
        try:
            content_types.append(sniff_upload(upload, upload.name))
        except ValidationError as exc:
            errors.setdefault("evidence", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    result = check_demand(community=community, on=demanded_on, q=demand)
    snapshot = {
        "verdict": result.verdict,
        "reason": result.reason,
        "version": result.version.number if result.version else None,
        "candidates": [
            {"title": c.item.title, "list": c.item.list, "verdict": c.verdict, "reason": c.reason}
            for c in result.candidates
        ],
    }
    with transaction.atomic():
        report = BurdenReport.objects.create(
            community=community,
            district=community.district,
            reporter=actor,
            demanding_unit=demanding_unit,
            demand=demand,
            demanded_on=demanded_on,
            reveal_reporter=reveal_reporter,
            check_result=snapshot,
        )
        for upload, content_type in zip(files, content_types, strict=True):
            Evidence.objects.create(
                report=report, file=upload, name=upload.name[:200], content_type=content_type, size=upload.size
            )
        notify(
            users=civil_affairs_of(community.district),
            subject=_("Burden report #%(id)s from %(community)s about %(unit)s")
            % {"id": report.pk, "community": community, "unit": demanding_unit},
            url=f"/supervision/reports/{report.pk}/",
        )
    return report


TRIAGE = {"dismiss": State.DISMISSED, "ask": State.EXPLANATION_REQUESTED, "open": State.CASE_OPENED}


def report_triage(*, report: BurdenReport, actor: User, decision: str, note: str) -> BurdenReport:
    """Civil-affairs staff dismiss a report with a reason, ask the unit to explain, or open a case."""
    _require(
        actor.role == Role.ADMIN or (actor.role == Role.CIVIL_AFFAIRS and actor.unit.district_id == report.district_id),
        _("The district's civil-affairs staff triage burden reports."),
    )
    if decision not in TRIAGE:
        raise ValidationError({"decision": _("Dismiss, ask the unit to explain, or open a case.")})
    if not note.strip():
        raise ValidationError({"triage_note": _("Write the reason for this decision.")})
    with transaction.atomic():
        report = BurdenReport.objects.select_for_update().get(pk=report.pk)
        if report.state not in (State.NEW, State.EXPLAINED):
            raise SupervisionError(_("This report has already been triaged."))
        report.state, report.triage_note = TRIAGE[decision], note
        report.triaged_by, report.triaged_at = actor, timezone.now()
        report.save()
        if decision == "ask":
            notify(
                users=staff_of(report.demanding_unit),
                subject=_("Please explain: a community reported a demand from your unit (#%(id)s)") % {"id": report.pk},
                url=f"/supervision/reports/{report.pk}/",
            )
    return report


def report_explain(*, report: BurdenReport, actor: User, explanation: str) -> BurdenReport:
    _require(
        actor.unit_id == report.demanding_unit_id and actor.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF),
        _("Only the unit concerned explains."),
    )
    if not explanation.strip():
        raise ValidationError({"explanation": _("Write the explanation.")})
    with transaction.atomic():
        report = BurdenReport.objects.select_for_update().get(pk=report.pk)
        if report.state != State.EXPLANATION_REQUESTED:
            raise SupervisionError(_("No explanation is asked of your unit on this report."))
        report.state, report.explanation = State.EXPLAINED, explanation
        report.save()
        notify(
            users=civil_affairs_of(report.district),
            subject=_("%(unit)s explained burden report #%(id)s") % {"unit": report.demanding_unit, "id": report.pk},
            url=f"/supervision/reports/{report.pk}/",
        )
    return report


def assessment_enter(*, actor: User, community: Unit, title: str, held_on: date, item=None) -> AssessmentHeld:
    """A department or street office records an assessment it held in a community; whether it was on the list
    and within its months is judged against the catalogue in force that day."""
    _require(
        actor.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF), _("The unit that held the assessment records it.")
    )
    if community.kind != UnitKind.COMMUNITY or community.district_id != actor.unit.district_id:
        raise ValidationError({"community": _("Choose a community of your district.")})
    version = version_in_force(district_id=community.district_id, on=held_on)
    if item is not None and (version is None or item.version_id != version.pk or item.list != ItemList.ASSESSMENTS):
        raise ValidationError({"item": _("Choose an item of the assessment list in force on that day.")})
    return AssessmentHeld.objects.create(
        community=community,
        district=community.district,
        unit=actor.unit,
        item_key=item.key if item else None,
        title=item.title if item else title,
        held_on=held_on,
        on_the_list=item is not None,
        within_allowed_months=item is None or not item.allowed_months or held_on.month in item.allowed_months,
        entered_by=actor,
    )


def assessment_answer(*, assessment: AssessmentHeld, actor: User, confirm: bool, reason: str = "") -> AssessmentHeld:
    """The community confirms the assessment was held, or disputes it (disputed ones are not counted)."""
    _require(
        actor.role == Role.SECRETARY and actor.unit_id == assessment.community_id,
        _("The community's secretary confirms or disputes it."),
    )
    if not confirm and not reason.strip():
        raise ValidationError({"dispute_reason": _("Say why the community disputes it.")})
    with transaction.atomic():
        assessment = AssessmentHeld.objects.select_for_update().get(pk=assessment.pk)
        if assessment.state != AssessmentHeld.State.ENTERED:
            raise SupervisionError(_("The community has already answered."))
        assessment.state = AssessmentHeld.State.CONFIRMED if confirm else AssessmentHeld.State.DISPUTED
        assessment.dispute_reason = reason
        assessment.save()
    return assessment
