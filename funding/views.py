"""Thin adapters for 费随事转: each view validates, calls one service or selector, and renders."""

import json
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST, require_safe

from approvals.models import Application
from catalog.choices import ItemList, Role, UnitKind
from catalog.ids import parse_id
from catalog.models import Unit
from catalog.selectors import version_in_force
from catalog.transitions import StateConflict

from . import exports, selectors, services
from .choices import ContractState, ExportKind
from .forms import AmendForm, ContractForm, PaymentForm, ReportForm
from .models import ExportRecord, Instalment, Payment
from .states import AMENDABLE, BY_HAND, CONTRACT, PAYABLE, PAYMENT
from .workbench import contracts_overdue

PAGE_SIZE = 25
GROUPS = tuple(selectors.GROUP_PATHS)  # payer, community, item
PAYERS = (Role.DEPARTMENT_STAFF, Role.STREET_STAFF)  # the units that fund their items (谁委托谁出钱)


def _messages_from(request, exc) -> None:
    for message in getattr(exc, "messages", [str(exc)]):
        messages.error(request, message)


@login_required
@require_safe
def contract_list(request):
    qs = selectors.contracts_visible_to(request.user)
    state = request.GET.get("state", "")
    if state in ContractState.values:
        qs = qs.filter(state=state)
    if payer_id := parse_id(request.GET.get("payer")):
        qs = qs.filter(payer_id=payer_id)
    if request.GET.get("overdue") == "1":  # the workbench's 逾期未付: contracts with an instalment overdue
        qs = qs.filter(pk__in=contracts_overdue(request.user, timezone.localdate()).values("pk"))
    if request.GET.get("q"):
        qs = qs.filter(Q(item_title__icontains=request.GET["q"][:100]) | Q(number__icontains=request.GET["q"][:100]))
    page = Paginator(qs.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "funding/contract_list.html",
        {
            "page": page,
            "states": ContractState.choices,
            "can_create": request.user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF),
        },
    )


@login_required
def contract_new(request):
    """A new contract; ?application= or ?item= pre-fills it with the approved terms."""
    user = request.user
    if user.role not in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        raise PermissionDenied
    district = user.unit.district
    version = version_in_force(district_id=district.pk, on=timezone.localdate())
    items = version.items.filter(list=ItemList.ASSISTANCE).order_by("code") if version else Unit.objects.none()
    application = None
    if request.GET.get("application"):
        application = get_object_or_404(
            Application, pk=parse_id(request.GET["application"]), applicant_unit=user.unit, state="approved"
        )
    initial = {}
    if application:
        initial = {
            "amount_per_community": application.amount_per_community,
            "starts_on": application.start_date,
            "ends_on": application.end_date,
        }
    elif parse_id(request.GET.get("item")) and version:
        item = items.filter(pk=parse_id(request.GET["item"])).first()
        initial = {"item": item, "amount_per_community": item.standard_funding if item else None}
    communities = (
        Unit.objects.communities().filter(district=district).select_related("parent").order_by("parent__name", "name")
    )
    form = ContractForm(request.POST or None, initial=initial, items=items, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        schedule = form.schedule()
        if form.is_valid():
            try:
                contract = services.contract_create(
                    actor=user,
                    payer=user.unit,
                    number=data["number"],
                    item=data["item"],
                    application=application,
                    communities=list(data["communities"]),
                    amount_per_community=data["amount_per_community"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    schedule=schedule,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("Contract %(number)s is saved as a draft.") % {"number": contract.number})
                return redirect("contract", pk=contract.pk)
    return render(request, "funding/contract_form.html", {"form": form, "application": application})


@login_required
@require_safe
def contract_detail(request, pk: int):
    contract = get_object_or_404(selectors.contracts_visible_to(request.user), pk=pk)
    instalments = contract.instalments.select_related("community").order_by("community__name", "sequence")
    if request.user.role == Role.SECRETARY:
        instalments = instalments.filter(community_id=request.user.unit_id)
    payments = (
        Payment.objects.filter(instalment__contract=contract)
        .select_related("instalment__community", "recorded_by", "reverses")
        .order_by("-paid_on", "-id")
    )
    if request.user.role == Role.SECRETARY:
        payments = payments.filter(instalment__community_id=request.user.unit_id)
    can_pay = services.can_pay_for(request.user, contract)
    payments = Paginator(payments, 50).get_page(request.GET.get("page"))
    for payment in payments:
        payment.can_reverse = can_pay and PAYMENT.can(payment, "reverse")
    return render(
        request,
        "funding/contract_detail.html",
        {
            "contract": contract,
            "instalments": instalments,
            "payments": payments,
            "amendments": contract.amendments.select_related("changed_by"),
            "can_pay": can_pay,
            # What this contract's state offers (the transition table), to the paying unit only.
            "actions": {a.name: a for a in CONTRACT.actions(contract) if a.name in BY_HAND} if can_pay else {},
            "payable": can_pay and contract.state in PAYABLE,
            "amendable": can_pay and contract.state in AMENDABLE,
            "reverse_confirm": PAYMENT["reverse"].confirm,
            "payment_form": PaymentForm(initial={"paid_on": timezone.localdate()}),
            "amend_form": AmendForm(),
            "communities": contract.communities.order_by("name"),
        },
    )


@login_required
@require_POST
def contract_action(request, pk: int, action: str):
    contract = get_object_or_404(selectors.contracts_visible_to(request.user), pk=pk)
    user = request.user
    try:
        if action in ("terminate", "reverse") and not request.POST.get("confirm"):
            raise ValidationError(_("Tick the box to confirm: this step cannot be undone."))
        if action == "sign":
            if "document" not in request.FILES:
                raise ValidationError(_("Attach the signed agreement."))
            contract = services.contract_sign(contract=contract, actor=user, document=request.FILES["document"])
            done = _("Contract %(number)s signed; it is now “%(state)s”.") % {
                "number": contract.number,
                "state": contract.get_state_display(),
            }
        elif action == "pay":
            form = PaymentForm(request.POST)
            if not form.is_valid():
                raise ValidationError([f"{form.fields[f].label}: {e}" for f, errs in form.errors.items() for e in errs])
            instalment = get_object_or_404(Instalment, pk=form.cleaned_data["instalment"], contract=contract)
            _payment, created = services.payment_record(
                instalment=instalment,
                actor=user,
                amount=form.cleaned_data["amount"],
                paid_on=form.cleaned_data["paid_on"],
                voucher=form.cleaned_data["voucher"],
                note=form.cleaned_data["note"],
            )
            if not created:
                messages.info(request, _("This voucher was already recorded; nothing was added."))
                return redirect("contract", pk=pk)
            done = _("Payment of %(amount)s yuan to %(community)s recorded under voucher %(voucher)s.") % {
                "amount": f"{_payment.amount:,}",
                "community": instalment.community,
                "voucher": _payment.voucher,
            }
        elif action == "reverse":
            payment_id = parse_id(request.POST.get("payment"))
            if payment_id is None:
                raise ValidationError(_("Choose the payment to reverse."))
            payment = get_object_or_404(Payment, pk=payment_id, instalment__contract=contract)
            reversal = services.payment_reverse(
                payment=payment,
                actor=user,
                voucher=request.POST.get("voucher", ""),
                reason=request.POST.get("reason", ""),
            )
            done = _("Payment %(voucher)s of %(amount)s yuan reversed by counter-entry %(counter)s.") % {
                "voucher": payment.voucher,
                "amount": f"{payment.amount:,}",
                "counter": reversal.voucher,
            }
        elif action == "amend":
            form = AmendForm(request.POST)
            if not form.is_valid():
                raise ValidationError([e for errs in form.errors.values() for e in errs])
            services.contract_amend(contract=contract, actor=user, **form.cleaned_data)
            done = _("Contract %(number)s amended; the change is in its history.") % {"number": contract.number}
        elif action == "terminate":
            services.contract_terminate(contract=contract, actor=user, reason=request.POST.get("reason", ""))
            done = _("Contract %(number)s terminated; no further payment can be recorded on it.") % {
                "number": contract.number
            }
        else:
            raise Http404
    except (ValidationError, services.FundingError, StateConflict) as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, done)
    return redirect("contract", pk=pk)


@login_required
@require_safe
def signed_document(request, pk: int):
    contract = get_object_or_404(selectors.contracts_visible_to(request.user), pk=pk)
    if not contract.signed_document:
        raise Http404
    return FileResponse(
        contract.signed_document.open("rb"),
        as_attachment=True,
        filename=f"{contract.number}.{contract.signed_document.name.rsplit('.', 1)[-1]}",
    )


@login_required
@require_safe  # an export is a read: a POST must not record one
def contract_ocds(request, pk: int):
    contract = get_object_or_404(selectors.contracts_visible_to(request.user).select_related("payer"), pk=pk)
    ExportRecord.objects.create(user=request.user, kind=ExportKind.OCDS, what=f"contract {contract.number}")
    response = HttpResponse(
        json.dumps(
            exports.ocds(contract, community=request.user.unit if request.user.role == Role.SECRETARY else None),
            ensure_ascii=False,
            indent=1,
        ),
        content_type="application/json; charset=utf-8",
    )
    name = _("Contract %(number)s") % {"number": contract.number}
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.ocds.json")
    return response


@login_required
@require_safe
def owed(request):
    """A community secretary: what each item's payer owes the community, and what has been paid."""
    if request.user.role != Role.SECRETARY:
        raise PermissionDenied
    rows = selectors.owed_to(request.user.unit)
    if request.GET.get("overdue") == "1":  # the workbench: only what is paid late
        late = set(contracts_overdue(request.user, timezone.localdate()).values_list("pk", flat=True))
        rows = [row for row in rows if row["contract_id"] in late]
    return render(request, "funding/owed.html", {"rows": rows})


def _unfunded_scope(request):
    """The districts in the user's scope and, for a paying unit, only what it should fund itself."""
    user = request.user
    districts = selectors.districts_visible_to(user)
    if not districts.exists():
        raise PermissionDenied
    payer = user.unit if user.role in PAYERS else None
    on = _date(request.GET.get("date")) or timezone.localdate()
    return selectors.unfunded_obligations(districts=districts, on=on, payer=payer), on


@login_required
@require_safe
def unfunded(request):
    rows, on = _unfunded_scope(request)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "funding/unfunded.html",
        {"page": page, "on": on, "total": len(rows), "query": request.GET.urlencode()},
    )


@login_required
@require_safe  # an export is a read: a POST must not record one
def unfunded_export(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows, on = _unfunded_scope(request)
    title = _("%(scope)s unfunded obligations on %(date)s") % {
        "scope": _scope_label(request.user),
        "date": f"{on:%Y-%m-%d}",
    }
    ExportRecord.objects.create(
        user=request.user, kind=ExportKind(fmt), what=f"unfunded {on} {request.GET.urlencode()}"[:300], rows=len(rows)
    )
    if fmt == "csv":
        response = StreamingHttpResponse(exports.unfunded_csv(rows, title=title), content_type=CSV)
    else:
        response = FileResponse(exports.unfunded_xlsx(rows, title=title), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{_file_name(title)}.{fmt}")
    return response


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _report_scope(request):
    user = request.user
    if user.role not in (
        Role.CIVIL_AFFAIRS,
        Role.AUDITOR,
        Role.OVERSEER,
        Role.ADMIN,
        Role.DEPARTMENT_STAFF,
        Role.STREET_STAFF,
    ):
        raise PermissionDenied
    districts = selectors.districts_visible_to(user)
    form = ReportForm(request.GET or None, districts=districts)
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    today = timezone.localdate()
    start = data.get("start") or today.replace(month=1, day=1)
    end = data.get("end") or today.replace(month=12, day=31)
    instalments = selectors.instalments_visible_to(user).exclude(contract__state=ContractState.DRAFT)
    if data.get("payer"):
        instalments = instalments.filter(contract__payer=data["payer"])
    if data.get("community"):
        instalments = instalments.filter(community=data["community"])
    if data.get("item"):
        instalments = instalments.filter(contract__item_title__icontains=data["item"])
    return form, data, instalments, start, end, today


def _scope_label(user) -> str:
    """Whose figures a file holds, for its name and title: 锦江区, or 锦江区区卫生健康局 for a paying unit."""
    unit = user.unit
    if unit is None:
        return ""
    if unit.kind in (UnitKind.CITY, UnitKind.DISTRICT):
        return unit.name
    if user.role in PAYERS and unit.district_id:
        return f"{unit.district.name}{unit.name}"
    return unit.district.name if unit.district_id else unit.name


def _file_name(text: str) -> str:
    """A file name as a person reads it: the title, without what a file system refuses."""
    return "".join("_" if ch in '\\/:*?"<>|' or not ch.isprintable() else ch for ch in text)[:150]


def _report_filters(data) -> list[str]:
    return [str(data[key]) for key in ("payer", "community", "item") if data.get(key)]


def _report_title(request, data, figures) -> str:
    parts = _report_filters(data)
    period = pgettext("file name", "%(start)s to %(end)s") % {
        "start": f"{figures.start:%Y-%m-%d}",
        "end": f"{figures.end:%Y-%m-%d}",
    }
    return "_".join([_("%(scope)s funding report") % {"scope": _scope_label(request.user)}, *parts, period])


def _figures(request):
    """The filter's figures grouped as asked, and a way to have them grouped otherwise (the same filter)."""
    form, data, instalments, start, end, today = _report_scope(request)

    def grouped(group: str) -> selectors.FundingFigures:
        return selectors.funding_figures(instalments=instalments, start=start, end=end, today=today, group=group)

    return form, data, grouped(data.get("group") if data.get("group") in GROUPS else "payer"), grouped


def _chart(name: str, categories: list, series: list[tuple[str, str, list]]) -> dict:
    """An ECharts spec (static/js/charts.js): money rounded to the fen, the tooltip in 元 with separators."""
    return {
        "categories": categories,
        "yName": _("yuan"),
        "money": True,
        "filename": name,
        "series": [
            {"name": label, "type": "bar", "color": color, "data": [float(v.quantize(selectors.FEN)) for v in values]}
            for label, color, values in series
        ],
    }


@login_required
@require_safe
def report(request):
    """For auditors: what fell due in a period and what was paid in it, what is outstanding and overdue at its end,
    by payer, community or item, with charts; every figure from selectors.funding_figures, as the exports."""
    form, _data, figures, grouped = _figures(request)
    by_payer = figures if figures.group == "payer" else grouped("payer")
    peak = max([max(r["due"], r["paid"]) for r in figures.months] + [1])
    months = [
        {**r, "due_pct": 100 * r["due"] / peak, "paid_pct": 100 * max(r["paid"], 0) / peak} for r in figures.months
    ]
    payer_peak = max([row["due"] for row in by_payer.rows] + [1])
    payers = [{**row, "pct": 100 * row["due"] / payer_peak} for row in by_payer.rows]
    due_label, paid_label = _("Due in the period"), _("Paid in the period")
    payers_chart = _chart(
        _("Due and paid per paying unit"),
        [row["group"] for row in payers],
        [(due_label, "#0b5cad", [r["due"] for r in payers]), (paid_label, "#1f7a4d", [r["paid"] for r in payers])],
    )
    months_chart = _chart(
        _("Due and paid, month by month"),
        [row["month"].strftime("%Y-%m") for row in months],
        [(due_label, "#0b5cad", [r["due"] for r in months]), (paid_label, "#1f7a4d", [r["paid"] for r in months])],
    )
    return render(
        request,
        "funding/report.html",
        {
            "payers_chart": payers_chart,
            "months_chart": months_chart,
            "form": form,
            "figures": figures,
            "rows": figures.rows,
            "totals": figures.totals,
            "series": months,
            "by_payer": payers,
            "group_label": dict(ReportForm.GROUPS)[figures.group],
            "query": request.GET.urlencode(),
        },
    )


CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_safe  # an export is a read: a POST must not record one
def report_export(request, fmt: str):
    """The report's files, each from the same figures as the page: the payment lines (CSV), the summary as the page
    groups it (CSV), both in one workbook (XLSX), and the PDF for signing."""
    if fmt not in ("csv", "summary.csv", "xlsx", "pdf"):
        raise Http404
    _form, data, figures, grouped = _figures(request)
    what = f"funding report {figures.start}..{figures.end} {request.GET.urlencode()}"[:300]
    title = _report_title(request, data, figures)
    if fmt == "csv":
        ExportRecord.objects.create(user=request.user, kind=ExportKind.CSV, what=f"payments {what}"[:300])
        response = StreamingHttpResponse(exports.csv_stream(figures.payments), content_type=CSV)
        name = _("%(title)s payment lines") % {"title": title}
    elif fmt == "summary.csv":
        ExportRecord.objects.create(user=request.user, kind=ExportKind.CSV, what=f"summary {what}"[:300])
        response = StreamingHttpResponse(exports.summary_csv(figures, title=title), content_type=CSV)
        name, fmt = _("%(title)s summary") % {"title": title}, "csv"
    elif fmt == "xlsx":
        ExportRecord.objects.create(user=request.user, kind=ExportKind.XLSX, what=what)
        response = FileResponse(exports.xlsx_file(figures, title=title), content_type=XLSX)
        name = title
    else:
        from weasyprint import HTML

        ExportRecord.objects.create(user=request.user, kind=ExportKind.PDF, what=what)
        sections = [(key, figures if key == figures.group else grouped(key)) for key in GROUPS]
        today = timezone.localdate()
        payer = request.user.unit if request.user.role in PAYERS else None  # a paying unit: only its own
        unfunded = selectors.unfunded_obligations(
            districts=selectors.districts_visible_to(request.user), on=today, payer=payer
        )
        html = render_to_string(
            "funding/report_pdf.html",
            {
                "title": title,
                "heading": _("%(scope)s funding report") % {"scope": _scope_label(request.user)},
                "filters": _report_filters(data),
                "sections": sections,
                "figures": figures,
                "basis": exports.basis_lines(figures),
                "now": timezone.localtime(),
                "totals": figures.totals,
                "unfunded": len(unfunded),
                "today": today,
                "unit": request.user.unit,
                "preparer": request.user,
            },
            request,
        )
        response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
        name = title
    response["Content-Disposition"] = content_disposition_header(True, f"{_file_name(name)}.{fmt}")
    return response
