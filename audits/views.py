"""Thin adapters for supervision."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from catalog.choices import ItemList, Role
from catalog.documents import document_page, document_pdf
from catalog.ids import parse_id
from catalog.io import csv_stream, safe_cell
from catalog.limits import REASON_CHARS
from catalog.models import Unit
from catalog.selectors import version_in_force

from . import selectors, services, trail, trail_view
from .forms import AssessmentForm, BurdenReportForm, FindingForm, InspectionForm, NoticeForm
from .models import AssessmentHeld, BurdenReport, Finding, Notice
from .workbench import notices_in_my_scope

PAGE_SIZE = 25


def _errors(request, exc) -> None:
    for message in getattr(exc, "messages", [str(exc)]):
        messages.error(request, message)


@login_required
def report_new(request):
    if request.user.role != Role.SECRETARY:
        raise PermissionDenied
    form = BurdenReportForm(
        request.POST or None,
        request.FILES or None,
        district=request.user.unit.district,
        # From the check of a notice's photo: its demand, to be described and the photo attached by the secretary.
        initial={"demanded_on": timezone.localdate(), "demand": request.GET.get("demand", "")[:REASON_CHARS]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_submit(
                actor=request.user,
                demanding_unit=data["demanding_unit"],
                demand=data["demand"],
                demanded_on=data["demanded_on"],
                reveal_reporter=data["reveal_reporter"],
                files=data["evidence"],
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                for error in errs:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request, _("Report #%(id)s is sent to the district's civil-affairs office.") % {"id": report.pk}
            )
            return redirect("report", pk=report.pk)
    return render(request, "audits/report_form.html", {"form": form})


@login_required
@require_safe
def report_list(request):
    qs = selectors.reports_visible_to(request.user)
    state = request.GET.get("state", "")
    if state in BurdenReport.State.values:
        qs = qs.filter(state=state)
    qs = selectors.reports_search(qs, user=request.user, q=request.GET.get("q", "")[:100])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    # The unit concerned gets no check answer: it was computed for the reporter's community.
    context = {
        "page": page,
        "rows": [selectors.report_as_seen_by(request.user, report) for report in page],
        "states": BurdenReport.State.choices,
        "unit_staff": selectors.is_unit_staff(request.user),
    }
    return render(request, "audits/report_list.html", context)


def _report_page(request, report: BurdenReport, *, status: int = 200):
    user = request.user
    office = selectors.is_office(user, report.district_id)
    # The same reading as the API's: the unit concerned, where the reporter stays anonymous, sees only what
    # does not depend on the community.
    reading = selectors.report_as_seen_by(user, report, detail=True)
    actions = services.REPORT.actions(report)
    return render(
        request,
        "audits/report_detail.html",
        {
            "report": report,
            "reading": reading,
            "unit_view": reading.unit_view,
            "show_reporter": reading.show_reporter,
            "can_triage": office,
            "triage_actions": [a for a in actions if a.name in services.TRIAGE_ACTIONS] if office else [],
            "can_explain": user.unit_id == report.demanding_unit_id and services.REPORT.can(report, "explain"),
            "evidence": report.evidence.all() if reading.show_reporter else [],
        },
        status=status,
    )


@login_required
@require_safe
def report_detail(request, pk: int):
    return _report_page(request, get_object_or_404(selectors.reports_visible_to(request.user), pk=pk))


@login_required
@require_POST
def report_action(request, pk: int, action: str):
    report = get_object_or_404(selectors.reports_visible_to(request.user), pk=pk)
    try:
        if action == "triage":
            decision = request.POST.get("decision", "")
            report = services.report_triage(
                report=report,
                actor=request.user,
                decision=decision,
                note=request.POST.get("note", ""),
                internal=request.POST.get("share_note") != "1",
            )
            done = {
                "ask": _("Report #%(id)s: %(unit)s is asked to explain; it does not see who reported."),
                "open": _("Report #%(id)s: a case is opened; %(unit)s does not see the report."),
                "dismiss": _("Report #%(id)s is dismissed."),
            }[decision] % {"id": report.pk, "unit": report.demanding_unit}
        elif action == "explain":
            report = services.report_explain(
                report=report, actor=request.user, explanation=request.POST.get("explanation", "")
            )
            done = _("Your explanation of report #%(id)s is sent to the civil-affairs office.") % {"id": report.pk}
        else:
            raise PermissionDenied
    except services.SupervisionError as exc:
        _errors(request, exc)
        report = selectors.reports_visible_to(request.user).filter(pk=pk).first()
        if report is None:
            raise Http404 from exc
        return _report_page(request, report, status=409)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, done)
        if not selectors.reports_visible_to(request.user).filter(pk=pk).exists():
            return redirect("reports")
    return redirect("report", pk=pk)


@login_required
@require_safe
def evidence_download(request, pk: int, evidence_id: int):
    report = get_object_or_404(selectors.reports_visible_to(request.user), pk=pk)
    if not selectors.may_see_reporter(request.user, report):
        raise PermissionDenied  # evidence could identify the community's staff
    evidence = get_object_or_404(report.evidence, pk=evidence_id)
    return FileResponse(
        evidence.file.open("rb"), as_attachment=True, filename=evidence.name, content_type=evidence.content_type
    )


def _assessments_page(request, *, status: int = 200):
    qs = selectors.assessments_visible_to(request.user)
    if request.GET.get("findings") == "1":
        qs = qs.filter(pk__in=selectors.assessment_findings(request.user).values("pk"))
    if request.GET.get("state") in AssessmentHeld.State.values:
        qs = qs.filter(state=request.GET["state"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    answers = services.ASSESSMENT.transitions  # what a community may answer, and from which state
    context = {"page": page, "answers": answers, "answerable": answers["confirm"].sources}
    return render(request, "audits/assessment_list.html", context, status=status)


@login_required
@require_safe
def assessment_list(request):
    return _assessments_page(request)


@login_required
def assessment_new(request):
    user = request.user
    if user.role not in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        raise PermissionDenied
    district = user.unit.district
    version = version_in_force(district_id=district.pk, on=timezone.localdate())
    items = version.items.filter(list=ItemList.ASSESSMENTS) if version else Unit.objects.none()
    communities = (
        Unit.objects.communities().filter(district=district).select_related("parent").order_by("parent__name", "name")
    )
    form = AssessmentForm(request.POST or None, communities=communities, items=items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            held = services.assessment_enter(
                actor=user, community=data["community"], title=data["title"], held_on=data["held_on"], item=data["item"]
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            if held.is_finding:
                messages.warning(
                    request,
                    _(
                        "Recorded. This assessment is not on the list or was held outside its "
                        "allowed months: the supervision office will see it as a finding."
                    ),
                )
            else:
                messages.success(request, _("Recorded; the community will confirm it."))
            return redirect("assessments")
    return render(request, "audits/assessment_form.html", {"form": form})


@login_required
@require_POST
def assessment_answer(request, pk: int):
    assessment = get_object_or_404(selectors.assessments_visible_to(request.user), pk=pk)
    try:
        services.assessment_answer(
            assessment=assessment,
            actor=request.user,
            confirm=request.POST.get("answer") == "confirm",
            reason=request.POST.get("reason", ""),
        )
    except services.SupervisionError as exc:
        _errors(request, exc)
        return _assessments_page(request, status=409)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("assessments")


def _trail(request):
    """The trail's reader, filters and entries: the page and both exports read it the same way."""
    if not request.user.is_authenticated or request.user.role not in (Role.ADMIN, Role.AUDITOR, Role.OVERSEER):
        raise PermissionDenied
    form = trail_view.TrailFilter(request.GET or None, user=request.user)
    form.is_valid()
    filters = form.filters()
    return form, filters, trail_view.trail_entries(user=request.user, **filters)


@login_required
@require_safe
def audit_trail(request):
    form, filters, qs = _trail(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = trail_view.trail_query(filters)
    return render(
        request,
        "audits/trail.html",
        {"page": page, "lines": trail_view.describe(page), "form": form, "query": query, "filtered": bool(filters)},
    )


def _trail_export(request, fmt: str):
    _form, filters, qs = _trail(request)
    query = trail_view.trail_query(filters)
    # Recorded as every export is: who took which part of the trail (the filters, and the format).
    trail.record(action="export", object_type="audits_auditentry", note=f"{query}&format={fmt}".lstrip("&")[:500])
    lines = trail_view.export_lines(qs.order_by("id"))
    return lines, trail_view.export_filename(fmt), request.build_absolute_uri("/").rstrip("/")


@login_required
@require_safe
def audit_trail_export(request):
    lines, filename, site = _trail_export(request, "csv")

    def rows():
        # People, notes and values come from users (a failed login's note is whatever was typed as the username):
        # every cell goes through safe_cell, so that none runs as a formula in the auditor's spreadsheet.
        for line in lines:
            row = trail_view.export_row(line)
            row[10] = site + row[10] if row[10] else ""
            yield [safe_cell(value) for value in row]

    response = StreamingHttpResponse(
        csv_stream(trail_view.export_header(), rows()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_safe
def audit_trail_export_xlsx(request):
    import tempfile

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    lines, filename, site = _trail_export(request, "xlsx")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Audit trail"))
    sheet.freeze_panes = "A2"
    widths = [8, 20, 12, 24, 16, 14, 14, 48, 60, 24, 40, 20]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)
    header = []
    for title in trail_view.export_header():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for line in lines:
        row = [safe_cell(value) for value in trail_view.export_row(line, spreadsheet=True)]
        row[1] = WriteOnlyCell(sheet, value=line.at.replace(tzinfo=None))
        row[1].number_format = "yyyy-mm-dd hh:mm:ss"
        row[10] = site + line.url if line.url else ""
        sheet.append(row)
        count += 1
    sheet.auto_filter.ref = f"A1:L{count + 1}"
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    workbook.save(handle)
    handle.seek(0)
    response = FileResponse(handle, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- Inspections, findings, notices, compliance ----------------------------------------------------------


def _office_district(request):
    user = request.user
    if user.role not in (Role.CIVIL_AFFAIRS, Role.ADMIN) or user.unit_id is None:
        raise PermissionDenied
    return user.unit.district


@login_required
@require_safe
def findings(request):
    user = request.user
    qs = selectors.findings_visible_to(user)
    if request.GET.get("state") in Finding.State.values:
        qs = qs.filter(state=request.GET["state"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    office = user.role in (Role.CIVIL_AFFAIRS, Role.ADMIN) and user.unit_id is not None
    context = {"page": page, "states": Finding.State.choices, "office": office}
    if office:
        district = user.unit.district
        context["inspection_form"] = InspectionForm(district=district, prefix="inspection")
        context["finding_form"] = FindingForm(district=district, initial={"burden_report": request.GET.get("report")})
        context["inspections"] = selectors.inspections_visible_to(user).filter(district=district)[:20]
    return render(request, "audits/findings.html", context)


@login_required
@require_POST
def inspection_new(request):
    district = _office_district(request)
    form = InspectionForm(request.POST, district=district, prefix="inspection")
    if form.is_valid():
        services.inspection_plan(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Done."))
    else:
        messages.error(request, _("Check the inspection's unit, title and date."))
    return redirect("findings")


@login_required
@require_POST
def finding_new(request):
    district = _office_district(request)
    form = FindingForm(request.POST, district=district)
    if not form.is_valid():
        messages.error(request, _("Check the finding's unit, kind and description."))
        for field in ("application", "contract"):
            for error in form.errors.get(field, []):
                messages.error(request, error)
        return redirect("findings")
    data = form.cleaned_data
    report = None
    if data["burden_report"]:
        report = selectors.reports_visible_to(request.user).filter(pk=data["burden_report"]).first()
    try:
        finding = services.finding_record(
            actor=request.user,
            unit=data["unit"],
            kind=data["kind"],
            description=data["description"],
            burden_report=report,
            application=data["application"],
            contract=data["contract"],
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("findings")
    return redirect(f"/supervision/findings/{finding.pk}/")


@login_required
def finding_detail(request, pk: int):
    finding = get_object_or_404(selectors.findings_visible_to(request.user), pk=pk)
    office = request.user.role == Role.ADMIN or (
        request.user.role == Role.CIVIL_AFFAIRS and request.user.unit.district_id == finding.district_id
    )
    status = 200
    if request.method == "POST":
        if not office:
            raise PermissionDenied  # a reader's POST was shown the page again, as if something had been done
        action = request.POST.get("action")
        try:
            if action in services.FINDING.transitions:
                finding = services.finding_decide(finding=finding, actor=request.user, confirm=action == "confirm")
                messages.success(
                    request,
                    (_("Finding #%(id)s is confirmed.") if action == "confirm" else _("Finding #%(id)s is dismissed."))
                    % {"id": finding.pk},
                )
            elif action == "notice":
                form = NoticeForm(request.POST)
                if not form.is_valid():
                    raise ValidationError([e for errs in form.errors.values() for e in errs])
                notice = services.notice_issue(finding=finding, actor=request.user, **form.cleaned_data)
                messages.success(
                    request,
                    _("Notice #%(id)s is published; %(unit)s must correct by %(date)s.")
                    % {"id": notice.pk, "unit": notice.unit, "date": notice.correct_by},
                )
                return redirect("notice", pk=notice.pk)
            else:
                raise PermissionDenied
        except services.SupervisionError as exc:
            _errors(request, exc)
            finding.refresh_from_db()
            status = 409
        except ValidationError as exc:
            _errors(request, exc)
            return redirect(f"/supervision/findings/{pk}/")
        else:
            return redirect(f"/supervision/findings/{pk}/")
    return render(
        request,
        "audits/finding_detail.html",
        {
            "finding": finding,
            "office": office,
            "decisions": services.FINDING.actions(finding) if office else [],
            "unit_staff": selectors.is_unit_staff(request.user),  # the report behind it stays the office's
            "notice_form": NoticeForm(),
            "notices": finding.notices.all(),
        },
        status=status,
    )


@require_safe
def notice_list(request):
    """全区通报: the public list of published notices."""
    qs = selectors.notices_visible_to(request.user)
    if district_id := parse_id(request.GET.get("district")):
        qs = qs.filter(district_id=district_id)
    if request.GET.get("mine") == "1" and request.user.is_authenticated:  # the workbench: my district's, or us
        qs = qs & notices_in_my_scope(request.user)
    if request.GET.get("state") in Notice.State.values:
        qs = qs.filter(state=request.GET["state"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audits/notice_list.html", {"page": page})


def notice_detail(request, pk: int):
    notice = get_object_or_404(selectors.notices_visible_to(request.user), pk=pk)
    user = request.user
    status = 200
    if request.method == "POST":
        if not user.is_authenticated:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "answer":
                services.notice_answer(notice=notice, actor=user, answer=request.POST.get("answer", ""))
                done = _("Your corrective actions on notice #%(id)s are sent for verification.")
            elif action in ("close", "reopen"):
                services.notice_verify(
                    notice=notice,
                    actor=user,
                    accept=action == "close",
                    verification=request.POST.get("verification", ""),
                )
                done = (
                    _("Notice #%(id)s is verified and closed.")
                    if action == "close"
                    else _("Notice #%(id)s is reopened; the unit is told why.")
                )
            else:
                raise PermissionDenied
        except services.SupervisionError as exc:
            _errors(request, exc)
            notice.refresh_from_db()
            status = 409
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("notice", pk=pk)
        else:
            messages.success(request, done % {"id": notice.pk})
            return redirect("notice", pk=pk)
    offered = {a.name for a in services.NOTICE.actions(notice)}
    can_answer = user.is_authenticated and user.unit_id == notice.unit_id and "answer" in offered
    office = user.is_authenticated and (
        user.role == Role.ADMIN or (user.role == Role.CIVIL_AFFAIRS and user.unit.district_id == notice.district_id)
    )
    verify_actions = [a for a in services.NOTICE.actions(notice) if a.name in ("close", "reopen")] if office else []
    return render(
        request,
        "audits/notice_detail.html",
        {"notice": notice, "can_answer": can_answer, "verify_actions": verify_actions},
        status=status,
    )


@login_required
@require_safe
def unit_compliance(request, unit_id: int):
    """A unit's compliance page: findings, open and overdue notices, unfunded obligations, assessments held."""
    user = request.user
    unit = get_object_or_404(Unit.objects.filter(kind__in=["department", "street"]), pk=unit_id)
    in_scope = (
        user.role == Role.ADMIN
        or user.unit_id == unit.pk
        or (user.role in (Role.CIVIL_AFFAIRS, Role.AUDITOR) and user.unit.district_id == unit.district_id)
        or (user.role == Role.OVERSEER and user.unit.city_id == unit.city_id)
    )
    if not in_scope:
        raise Http404
    return render(
        request, "audits/compliance.html", {"unit": unit, **selectors.compliance(unit, on=timezone.localdate())}
    )


@require_safe
def notice_document(request, pk: int, fmt: str = "html"):
    """全区通报 as a 公文 with its 文号: whoever may read the notice may print it (published ones are public)."""
    notice = get_object_or_404(selectors.notices_visible_to(request.user).select_related("district__parent"), pk=pk)
    context = {
        "notice": notice,
        "issuer": _("Office of the %(district)s Community Building Steering Committee document")
        % {"district": notice.district.name},
        "signer": _("Office of the %(district)s Community Building Steering Committee")
        % {"district": notice.district.name},
        "doc_number": selectors.notice_document_number(notice),
        "back_url": reverse("notice", args=[pk]),
        "pdf_url": reverse("notice-document-pdf", args=[pk]),
    }
    if fmt == "pdf":
        name = notice.title or _("Notice %(id)s") % {"id": pk}
        return document_pdf(request, "audits/notice_document.html", context, filename=f"{name}.pdf")
    return document_page(request, "audits/notice_document.html", context)
