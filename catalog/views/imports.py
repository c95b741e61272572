"""The draft's spreadsheet round trip (civil-affairs): export the draft, upload a sheet, read what it would change,
decide; discard the draft or revert one item."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .. import imports, io, selectors, services
from ..choices import ImportState, ItemList
from ..forms import ImportForm
from ..models import CatalogueVersion
from ..transitions import StateConflict
from .catalogue import _draft, _managed_district

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def draft_holds(draft: CatalogueVersion, latest: CatalogueVersion | None) -> str:
    if latest:
        return _("draft (based on version %(number)s)") % {"number": latest.number}
    return _("draft")


def spreadsheet_response(items, *, fmt: str, district, holds: str, short: str, on: date):
    """An export in the import format whose file name and first row say what it holds."""
    heading = io.heading_text(district=district.name, holds=holds, on=on)
    filename = io.export_filename(district=district.name, holds=short, on=on, ext=fmt)
    if fmt == "csv":
        response = StreamingHttpResponse(io.csv_lines(items, heading=heading), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(io.xlsx_bytes(items, title=district.name, heading=heading), content_type=XLSX)
    else:
        raise Http404
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_safe
def draft_export(request, district_id: int, fmt: str):
    """The draft as it is now (not the version in force), in the import format."""
    district = _managed_district(request, district_id)
    draft = _draft(request, district)
    latest = selectors.version_in_force(district_id=district.pk, on=date.max)
    items = draft.items.in_list_order()
    return spreadsheet_response(
        items, fmt=fmt, district=district, holds=draft_holds(draft, latest), short=_("draft"), on=timezone.localdate()
    )


@login_required
@require_POST
def draft_import(request, district_id: int):
    """Upload a sheet: its proposal (nothing changes yet), or its errors with the file marked up."""
    district = _managed_district(request, district_id)
    draft = _draft(request, district)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        # Say what was wrong with the upload (none chosen, an empty file …), not just that it failed.
        problems = " ".join(str(e) for e in form.errors.get("file", []))
        messages.error(request, _("Choose an .xlsx or .csv file to import. %(problems)s") % {"problems": problems})
        return redirect("catalogue-draft", district_id=district.pk)
    upload = form.cleaned_data["file"]
    try:
        record = imports.import_propose(draft=draft, actor=request.user, upload=upload, filename=upload.name)
    except io.ImportRejected as exc:
        return _errors_page(request, district, exc.errors, upload.name, getattr(exc, "record", None))
    return redirect("catalogue-import", district_id=district.pk, import_id=record.pk)


def _errors_page(request, district, errors, filename, record):
    return render(
        request,
        "catalog/import_errors.html",
        {
            "district": district,
            "errors": errors,
            "filename": filename,
            "record": record,
            "import_form": ImportForm(),
        },
        status=400,
    )


def _record(district, import_id: int):
    return get_object_or_404(
        imports.CatalogueImport.objects.select_related("draft", "created_by", "decided_by"),
        pk=import_id,
        draft__district=district,
    )


@login_required
def import_detail(request, district_id: int, import_id: int):
    """The proposal: what would change, list by list, what looks wrong, and the decision."""
    district = _managed_district(request, district_id)
    record = _record(district, import_id)
    if record.state == ImportState.REFUSED:
        errors = [io.RowError(*e) for e in record.errors]
        response = _errors_page(request, district, errors, record.filename, record)
        response.status_code = 200
        return response
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "apply":
                whole = request.POST.getlist("whole")
                record = imports.import_apply(record=record, actor=request.user, whole_lists=whole)
                counts = record.counts
                messages.success(
                    request,
                    _(
                        "The import is applied to the draft: %(added)s items added, %(changed)s changed, "
                        "%(removed)s removed. Nothing is public until the draft is published."
                    )
                    % counts,
                )
                return redirect("catalogue-draft", district_id=district.pk)
            if action == "cancel":
                imports.import_cancel(record=record, actor=request.user)
                messages.success(request, _("The import is cancelled; the draft was not changed."))
                return redirect("catalogue-draft", district_id=district.pk)
        except (StateConflict, ValidationError) as exc:
            error = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            record.refresh_from_db()
    context = _proposal_context(request, district, record)
    context["error"] = error
    return render(request, "catalog/import_preview.html", context, status=409 if error else 200)


def _proposal_context(request, district, record):
    draft = record.draft
    plan = imports.plan_import(draft=draft, record=record)
    stale = record.state == ImportState.PROPOSED and imports.draft_basis(draft) != record.basis
    chosen = request.GET.get("list", "")
    chosen = chosen if chosen in plan.lists else ""
    lists = []
    proposed = record.state == ImportState.PROPOSED
    # A decided import shows what it did (its recorded counts), not the sheet against the draft it changed.
    counts = plan.counts() if proposed else record.counts
    for value in plan.lists if proposed else []:
        if chosen and value != chosen:
            continue
        lists.append(
            {
                "value": value,
                "label": ItemList(value).label,
                "counts": counts["lists"][value],
                "added": plan.of("added", value),
                "changed": plan.of("changed", value),
                "unchanged": plan.of("unchanged", value),
                "missing": plan.of("missing", value),
                "shrinks": value in plan.shrinking(),
                "whole": value in record.whole_lists,
            }
        )
    return {
        "district": district,
        "record": record,
        "plan": plan,
        "lists": lists,
        "all_lists": [(v, ItemList(v).label) for v in (plan.lists if proposed else counts.get("lists", {}))],
        "chosen": chosen,
        "counts": counts,
        "stale": stale,
        "proposed": proposed,
        "columns": [io.header_of(f) for f in record.fields],
        "history": imports.IMPORT.history(record),
    }


@login_required
@require_safe
def import_error_file(request, district_id: int, import_id: int):
    """The uploaded workbook with each wrong cell highlighted and a comment saying what is wrong."""
    district = _managed_district(request, district_id)
    record = _record(district, import_id)
    if record.state != ImportState.REFUSED or not record.upload:
        raise Http404(_("This import has no errors to mark."))
    response = HttpResponse(imports.error_workbook(record), content_type=XLSX)
    stem = record.filename.rsplit(".", 1)[0]
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}_{_('errors marked')}.xlsx")
    return response


@login_required
def draft_discard(request, district_id: int):
    """Asks first; then the draft holds the published version again."""
    district = _managed_district(request, district_id)
    draft = _draft(request, district)
    latest = selectors.version_in_force(district_id=district.pk, on=date.max)
    if request.method == "POST":
        count = services.draft_discard(draft=draft, actor=request.user)
        if latest:
            text = _("The draft's changes are discarded: it holds version %(number)s again (%(count)s items).")
        else:
            text = _("The draft's changes are discarded: it is empty again.")
        messages.success(request, text % {"number": getattr(latest, "number", ""), "count": count})
        return redirect("catalogue-draft", district_id=district.pk)
    diff = selectors.versions_diff(old=latest, new=draft) if latest else None
    return render(
        request,
        "catalog/draft_confirm.html",
        {
            "district": district,
            "question": _("Discard every change of the draft?"),
            "explanation": (
                _("The draft will hold version %(number)s again; the changes below are lost.")
                % {"number": latest.number}
                if latest
                else _("The draft will be empty again; its items are lost.")
            ),
            "diff": diff,
            "button": _("Discard the draft's changes"),
        },
    )


@login_required
def draft_revert(request, district_id: int, key):
    """Asks first; then one item is as in the published version again (an added one leaves the draft)."""
    district = _managed_district(request, district_id)
    draft = _draft(request, district)
    latest = selectors.version_in_force(district_id=district.pk, on=date.max)
    published = latest.items.filter(key=key).first() if latest else None
    current = draft.items.filter(key=key).first()
    if published is None and current is None:
        raise Http404
    title = (current or published).title
    if request.method == "POST":
        outcome = services.item_revert(draft=draft, actor=request.user, key=key)
        if outcome == "removed":
            messages.success(request, _("“%(title)s” was added in the draft; it is removed again.") % {"title": title})
        else:
            messages.success(
                request,
                _("“%(title)s” is as in version %(number)s again.") % {"title": title, "number": latest.number},
            )
        return redirect("catalogue-draft", district_id=district.pk)
    if published is None:
        explanation = _("“%(title)s” is not in the published version: reverting removes it from the draft.")
    else:
        explanation = _("“%(title)s” gets the content it has in version %(number)s back; the draft's edits are lost.")
    return render(
        request,
        "catalog/draft_confirm.html",
        {
            "district": district,
            "question": _("Revert “%(title)s”?") % {"title": title},
            "explanation": explanation % {"title": title, "number": getattr(latest, "number", "")},
            "button": _("Revert this item"),
        },
    )
