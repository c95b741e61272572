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
from django.views.decorators.http import require_POST, require_safe

from approvals.models import Application
from catalog.choices import ItemList, Role
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
GROUPS = {"payer": ("contract__payer__name",), "community": ("community__name",), "item": ("contract__item_title",)}


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


@login_required
@require_safe
def unfunded(request):
    user = request.user
    districts = selectors.districts_visible_to(user)
    if not districts.exists():
        raise PermissionDenied
    payer = user.unit if user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF) else None
    on = _date(request.GET.get("date")) or timezone.localdate()
    rows = selectors.unfunded_obligations(districts=districts, on=on, payer=payer)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "funding/unfunded.html", {"page": page, "on": on, "total": len(rows)})


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


@login_required
@require_safe
def report(request):
    """For auditors: promised, paid, outstanding and overdue by payer, community or item, with charts."""
    form, data, instalments, start, end, today = _report_scope(request)
    group = GROUPS.get(data.get("group") or "payer")
    rows = selectors.report(instalments=instalments, start=start, end=end, today=today, group_by=group)
    series = selectors.monthly_series(instalments=instalments, start=start, end=end)
    peak = max([max(r["promised"], r["paid"]) for r in series] + [1])
    for row in series:
        row["promised_pct"], row["paid_pct"] = 100 * row["promised"] / peak, 100 * row["paid"] / peak
    by_payer = selectors.report(instalments=instalments, start=start, end=end, today=today)
    payer_peak = max([row["promised"] for row in by_payer] + [1])
    for row in by_payer:
        row["pct"] = 100 * row["promised"] / payer_peak
    payers_chart = {
        "categories": [row["contract__payer__name"] for row in by_payer],
        "yName": _("yuan"),
        "money": True,
        "filename": _("Promised and paid per paying unit"),
        "series": [
            {
                "name": _("Promised"),
                "type": "bar",
                "color": "#0b5cad",
                "data": [float(r["promised"]) for r in by_payer],
            },
            {"name": _("Paid"), "type": "bar", "color": "#1f7a4d", "data": [float(r["paid_total"]) for r in by_payer]},
        ],
    }
    months_chart = {
        "categories": [row["month"].strftime("%Y-%m") for row in series],
        "yName": _("yuan"),
        "money": True,
        "filename": _("Paid against promised, month by month"),
        "series": [
            {"name": _("Promised"), "type": "bar", "color": "#0b5cad", "data": [float(r["promised"]) for r in series]},
            {"name": _("Paid"), "type": "bar", "color": "#1f7a4d", "data": [float(r["paid"]) for r in series]},
        ],
    }
    return render(
        request,
        "funding/report.html",
        {
            "payers_chart": payers_chart,
            "months_chart": months_chart,
            "form": form,
            "rows": rows,
            "totals": selectors.totals(rows),
            "start": start,
            "end": end,
            "group": group[0],
            "series": series,
            "by_payer": by_payer,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_safe  # an export is a read: a POST must not record one
def report_export(request, fmt: str):
    _form, _data, instalments, start, end, today = _report_scope(request)
    payments = Payment.objects.filter(instalment__in=instalments, paid_on__range=(start, end))
    what = f"payments {start}..{end} {request.GET.urlencode()}"[:300]
    if fmt == "csv":
        ExportRecord.objects.create(user=request.user, kind=ExportKind.CSV, what=what)
        response = StreamingHttpResponse(exports.csv_stream(payments), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        ExportRecord.objects.create(user=request.user, kind=ExportKind.XLSX, what=what)
        response = FileResponse(
            exports.xlsx_file(payments),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "pdf":
        from weasyprint import HTML

        ExportRecord.objects.create(user=request.user, kind=ExportKind.PDF, what=what)
        by = {"payer": GROUPS["payer"], "community": GROUPS["community"], "item": GROUPS["item"]}
        sections = [
            (key, selectors.report(instalments=instalments, start=start, end=end, today=today, group_by=g))
            for key, g in by.items()
        ]
        html = render_to_string(
            "funding/report_pdf.html",
            {
                "sections": sections,
                "start": start,
                "end": end,
                "now": timezone.localtime(),
                "totals": selectors.totals(sections[0][1]),
                "unfunded": len(
                    selectors.unfunded_obligations(districts=selectors.districts_visible_to(request.user), on=today)
                ),
            },
            request,
        )
        response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    else:
        raise Http404
    name = _("Funding report %(start)s to %(end)s") % {"start": start, "end": end}
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{fmt}")
    return response
