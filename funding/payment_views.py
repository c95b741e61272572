"""Pages for payments as they arrive: one form for a contract's due instalments, and a sheet of vouchers.

Thin adapters: they read the form or the file, call funding.payment_batches / funding.payment_imports, ask
first (catalog.confirmation) and then say exactly what was recorded."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_safe

from catalog import io
from catalog.confirmation import confirm_step, confirmed
from catalog.limits import REASON_CHARS
from catalog.transitions import StateConflict

from . import payment_imports, selectors, services
from .choices import PaymentImportState
from .models import Contract
from .payment_batches import BatchRejected, LineError, PaymentLine, due_rows, payments_record_batch, where_of
from .states import PAYABLE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTE_CHARS = 300


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_lazy("XLSX or CSV file"),
        help_text=_lazy(
            "The template, or your own sheet of vouchers: 合同编号, 社区, 期次, 凭证号, 付款日期, 金额 "
            "(a title row above the header is fine). At most 5 MB and 5,000 rows."
        ),
    )


def _fen(amount) -> str:
    return f"{amount:,.2f}"


def _read_rows(request, rows):
    """The filled rows of the form as payment lines (a row without a voucher is a payment not yet arrived), and
    what could not be read in them."""
    default_day = request.POST.get("paid_on", "").strip()
    lines, errors = [], []
    for instalment in rows:
        voucher = request.POST.get(f"voucher_{instalment.pk}", "").strip()[:REASON_CHARS]
        if not voucher:
            continue
        line = PaymentLine(
            instalment_id=instalment.pk,
            amount=None,
            paid_on=None,
            voucher=voucher,
            note=request.POST.get(f"note_{instalment.pk}", "").strip(),
            where=where_of(instalment),
        )
        amount_text = request.POST.get(f"amount_{instalment.pk}", "").strip()[:100]
        line.amount = io.parse_amount(amount_text) if amount_text else None
        if amount_text and (line.amount is None or not line.amount.is_finite() or line.amount >= 10**12):
            errors.append(
                LineError(line, "amount", _("“%(value)s” is not an amount in yuan.") % {"value": amount_text})
            )
            line.amount = None
        day_text = request.POST.get(f"paid_on_{instalment.pk}", "").strip()[:100] or default_day[:100]
        line.paid_on = io.parse_date(day_text) if day_text else None
        if day_text and line.paid_on is None:
            errors.append(LineError(line, "paid_on", _("“%(value)s” is not a date.") % {"value": day_text}))
        if len(line.note) > NOTE_CHARS:
            errors.append(LineError(line, "note", _("A note takes at most %(n)s characters.") % {"n": NOTE_CHARS}))
        lines.append(line)
    return lines, errors


def _facts(outcome) -> list[str]:
    facts = []
    for line in outcome.lines:
        fact = _("%(where)s: voucher %(voucher)s, paid on %(date)s, %(amount)s yuan") % {
            "where": line.where,
            "voucher": line.voucher,
            "date": line.paid_on.isoformat(),
            "amount": _fen(line.amount),
        }
        if line.outcome == "repeat":
            fact += " " + _("(repeats a line above: recorded once)")
        elif line.outcome == "already":
            fact += " " + _("(already recorded: nothing is added)")
        facts.append(fact)
    facts.append(
        _("In all: %(count)s payments, %(total)s yuan.")
        % {"count": len(outcome.recorded), "total": _fen(outcome.total)}
    )
    return facts


@login_required
def contract_payments(request, pk: int):
    """One form for the contract's instalments still due: one row per community and instalment, recorded
    together after a confirmation, all or nothing."""
    contract = get_object_or_404(selectors.contracts_visible_to(request.user).select_related("payer"), pk=pk)
    if not services.can_pay_for(request.user, contract):
        raise PermissionDenied(_("Only the paying unit records its payments."))
    rows = due_rows(contract) if contract.state in PAYABLE else []
    errors: list[LineError] = []
    status = 200
    if request.method == "POST" and rows:
        lines, errors = _read_rows(request, rows)
        if not lines and not errors:
            messages.error(request, _("Enter the voucher number of at least one payment that arrived."))
            status = 400
        elif not errors:
            try:
                outcome = payments_record_batch(
                    actor=request.user,
                    payer=contract.payer,
                    lines=lines,
                    dry_run=not confirmed(request),
                    contract=contract,
                )
            except BatchRejected as exc:
                errors = exc.errors
            else:
                if confirmed(request):
                    messages.success(request, outcome.summary())
                    return redirect("contract", pk=contract.pk)
                return confirm_step(
                    request,
                    title=_("Record %(count)s payments") % {"count": len(outcome.recorded)},
                    question=_("Record these payments under contract %(number)s?") % {"number": contract.number},
                    facts=_facts(outcome),
                    cancel_url=request.path,
                    button=_("Record %(count)s payments, %(total)s yuan")
                    % {"count": len(outcome.recorded), "total": _fen(outcome.total)},
                )
        if errors:
            status = 400
    elif request.method == "POST":
        status = 409
    by_row: dict[str, dict[str, list[str]]] = {}
    for error in errors:
        by_row.setdefault(error.line.where, {}).setdefault(error.field, []).append(error.message)
    table = [
        {
            "instalment": i,
            "overdue": i.due_on < timezone.localdate(),
            "outstanding": _("%(amount)s yuan") % {"amount": _fen(i.outstanding)},
            "errors": by_row.get(where_of(i), {}),
            "voucher": request.POST.get(f"voucher_{i.pk}", ""),
            "amount": request.POST.get(f"amount_{i.pk}", i.outstanding),
            "paid_on": request.POST.get(f"paid_on_{i.pk}", ""),
            "note": request.POST.get(f"note_{i.pk}", ""),
        }
        for i in rows
    ]
    return render(
        request,
        "funding/payment_batch.html",
        {
            "contract": contract,
            "rows": table,
            "errors": [str(e) for e in errors],
            "paid_on": request.POST.get("paid_on", timezone.localdate().isoformat()),
            "payable": contract.state in PAYABLE,
            "outstanding": _fen(sum((i.outstanding for i in rows), 0)),
        },
        status=status,
    )


# --- A sheet of vouchers -----------------------------------------------------------------------------------


def _errors_page(request, *, errors, filename, record, status=400):
    return render(
        request,
        "funding/payment_import_errors.html",
        {"errors": errors, "filename": filename, "record": record, "import_form": ImportForm()},
        status=status,
    )


@login_required
def payment_import(request):
    """Upload a sheet of vouchers: its proposal (nothing is recorded yet), or its errors with the file marked."""
    if not payment_imports.can_import(request.user):
        raise PermissionDenied(_("Only a paying unit's staff import its payments."))
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not form.is_valid():
            problems = " ".join(str(e) for e in form.errors.get("file", []))
            messages.error(request, _("Choose an .xlsx or .csv file to import. %(problems)s") % {"problems": problems})
            return redirect("payment-import")
        upload = form.cleaned_data["file"]
        try:
            record = payment_imports.import_propose(actor=request.user, upload=upload, filename=upload.name)
        except io.ImportRejected as exc:
            if exc.record is not None:  # kept with its errors: its page lists them and offers the marked file
                return redirect("payment-import-detail", pk=exc.record.pk)
            return _errors_page(request, errors=exc.errors, filename=upload.name, record=None)
        return redirect("payment-import-detail", pk=record.pk)
    recent = list(payment_imports.imports_visible_to(request.user).select_related("created_by", "decided_by")[:20])
    for record in recent:
        record.total_text = _fen(record.total)
    return render(request, "funding/payment_import.html", {"form": form, "recent": recent})


@login_required
@require_safe
def payment_import_template(request):
    """The sheet's columns, with a row for each instalment still due of the unit's contracts open for payment."""
    contracts = Contract.objects.none()
    if payment_imports.can_import(request.user):
        contracts = (
            Contract.objects.filter(payer_id=request.user.unit_id, state__in=PAYABLE)
            .order_by("number")
            .prefetch_related("instalments__community")
        )
    response = HttpResponse(payment_imports.template_xlsx(contracts), content_type=XLSX)
    name = _("payment voucher import template")
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
    return response


@login_required
def payment_import_detail(request, pk: int):
    """The proposal: every payment the sheet would record, the total, and the decision (asked once, here)."""
    visible = payment_imports.imports_visible_to(request.user)
    record = get_object_or_404(visible.select_related("payer", "created_by", "decided_by"), pk=pk)
    if record.state == PaymentImportState.REFUSED:
        errors = [io.RowError(*e) for e in record.errors]
        return _errors_page(request, errors=errors, filename=record.filename, record=record, status=200)
    error, errors = "", []
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "apply" and confirmed(request):
                record = payment_imports.import_apply(record=record, actor=request.user)
                messages.success(
                    request,
                    _("“%(file)s” is recorded: %(count)s payments, %(total)s yuan in all.")
                    % {"file": record.filename, "count": record.count, "total": _fen(record.total)},
                )
                return redirect("payment-import-detail", pk=record.pk)
            if action == "cancel":
                payment_imports.import_cancel(record=record, actor=request.user)
                messages.success(request, _("The import is cancelled; no payment was recorded."))
                return redirect("payment-import")
            error = _("Confirm by pressing the button that records the payments.")
        except StateConflict as exc:
            error = str(exc)
        except io.ImportRejected as exc:
            error = _("Nothing was recorded: the payments no longer fit the contracts as they are now.")
            errors = exc.errors
        record.refresh_from_db()
    lines = [{**line, "amount_text": _fen(Decimal(line["amount"]))} for line in record.lines]
    return render(
        request,
        "funding/payment_import_detail.html",
        {
            "record": record,
            "lines": lines,
            "proposed": record.state == PaymentImportState.PROPOSED,
            "count": sum(1 for line in lines if line["outcome"] == "recorded"),
            "not_added": sum(1 for line in lines if line["outcome"] != "recorded"),
            "total": _fen(record.total),
            "apply": payment_imports.IMPORT["apply"],
            "error": error,
            "errors": errors,
            "history": payment_imports.IMPORT.history(record),
        },
        status=409 if error else 200,
    )


@login_required
@require_safe
def payment_import_errors(request, pk: int):
    """The uploaded file with each wrong cell highlighted and a comment saying what is wrong."""
    record = get_object_or_404(payment_imports.imports_visible_to(request.user), pk=pk)
    if record.state != PaymentImportState.REFUSED or not record.upload:
        raise Http404(_("This import has no errors to mark."))
    response = HttpResponse(payment_imports.error_workbook(record), content_type=XLSX)
    stem = record.filename.rsplit(".", 1)[0]
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}_{_('errors marked')}.xlsx")
    return response
