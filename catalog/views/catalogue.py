"""The published catalogue (public), the draft editor (civil-affairs) and the city views (overseer)."""

import json
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .. import answers, io, partials, selectors, services
from ..api.serializers import CatalogueItemSerializer, CatalogueVersionSerializer
from ..choices import ItemList, ItemType, Role, VersionState
from ..comparison_export import comparison_csv, comparison_xlsx
from ..confirmation import confirm_step, confirmed
from ..forms import CatalogueItemForm, ImportForm, PublishForm
from ..ids import parse_id
from ..models import CatalogueItem, CatalogueVersion, Unit

PAGE_SIZE = 100


def _date_from(request) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


def _district(district_id: int) -> Unit:
    return get_object_or_404(Unit.objects.districts().select_related("parent"), pk=district_id)


@require_safe
def catalogue_index(request):
    districts = Unit.objects.districts().select_related("parent").order_by("parent__name", "name")
    return render(request, "catalog/catalogue_index.html", {"districts": districts})


# The lists' colours, as in the stylesheet (.list-duties …), for the charts.
LIST_COLOURS = {"duties": "#1f7a4d", "assistance": "#0b5cad", "withdrawn": "#b42318", "assessments": "#b54708"}


# Where the CSRF token goes in a page rendered once for every visitor who is not signed in: each gets their own.
_TOKEN_SLOT = "csrf-token-of-this-visitor"
_TOKEN_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
DISTRICT_PAGE_PARAMS = {"q", "list", "type", "date", "page"}


@require_safe
def district_catalogue(request, district_id: int):
    """A district's four lists in force on a date, by list and type, searchable, with counts.

    Visitors who are not signed in (most of them: residents, communities) and have no message waiting are
    answered a page rendered once under the generation that publishing a version moves on (catalog.answers):
    nothing in it is theirs but the CSRF token of the language switch, which is filled in per visitor.
    """
    on = _date_from(request)
    return _kept_for_visitors(
        request,
        kind="region" if partials.wants_partial(request) else "page",
        district_id=district_id,
        on=on,
        known=DISTRICT_PAGE_PARAMS,
        render_page=lambda token: _district_catalogue(request, district_id, on=on, token=token),
    )


def _kept_for_visitors(request, *, kind: str, district_id: int, on, known: set, render_page):
    """A public page for a visitor who is not signed in and has no message waiting: rendered once under the
    catalogue's generation (catalog.answers.district_answer) with a stand-in for the CSRF token of its language
    switch, which each visitor's own replaces. Anyone else gets it rendered for them (`render_page(None)`)."""
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return render_page(None)
    html = answers.district_answer(
        kind=kind,
        district_id=district_id,
        on=on,
        params=request.GET.dict(),
        known=known,
        extra=request.get_full_path(),  # the language switch comes back to it
        compute=lambda: render_page(_TOKEN_SLOT).content.decode(),
    )
    slot = _TOKEN_INPUT.format(_TOKEN_SLOT)
    if slot in html:
        html = html.replace(slot, _TOKEN_INPUT.format(get_token(request)))
    return partials.vary(HttpResponse(html))


def _district_catalogue(request, district_id: int, *, on: date, token: str | None = None):
    """The page (or, to htmx, its results) rendered; with `token`, that stands in for the visitor's CSRF token."""
    district = _district(district_id)
    version = selectors.version_in_force(district_id=district.pk, on=on)
    chosen_list = request.GET.get("list") if request.GET.get("list") in ItemList.values else ""
    chosen_type = request.GET.get("type") if request.GET.get("type") in ItemType.values else ""
    q = request.GET.get("q", "").strip()[:200]

    def results():
        counts = selectors.item_counts(version=version)
        qs = version.items.all()
        if chosen_list:
            qs = qs.filter(list=chosen_list)
        if chosen_type:
            qs = qs.filter(type=chosen_type)
        items = selectors.items_search(items=qs, q=q) if q else qs.in_list_order()
        context = {
            "district": district,
            "on": on,
            "counts": counts,
            "page": Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")),
            "q": q,
            "chosen_list": chosen_list,
            "lists": ItemList.choices,
            "types": ItemType.choices,
        }
        return render_to_string("catalog/includes/catalogue_results.html", context, request)

    # A published version never changes: its counts and items are rendered once per query (catalog.answers).
    html = ""
    if version:
        html = answers.search_answer(
            kind="page",
            version=version,
            params=request.GET.dict(),
            known=DISTRICT_PAGE_PARAMS,
            extra=on,
            compute=results,
        )
    next_version = selectors.next_version(district_id=district.pk, after=on)
    if partials.wants_partial(request):  # searching as you type: the same results, without the page around them
        context = {"version": version, "on": on, "results": mark_safe(html), "next_version": next_version}
        return partials.vary(render(request, "catalog/includes/catalogue_region.html", context))
    return partials.vary(
        render(
            request,
            "catalog/district_catalogue.html",
            {
                "district": district,
                "on": on,
                "version": version,
                "results": mark_safe(html),  # rendered by our own template above
                "q": q,
                "chosen_list": chosen_list,
                "chosen_type": chosen_type,
                "lists": ItemList.choices,
                "types": ItemType.choices,
                "can_manage": services.can_manage_district(request.user, district),
                "next_version": next_version,
                **({"csrf_token": token} if token else {}),
            },
        )
    )


@require_safe
def item_detail(request, district_id: int, item_id: int):
    """An item as published. A visitor who is not signed in sees only published versions' items, which never
    change: the page is kept for them as the district's lists are (an item that is not theirs to see is a 404,
    never kept)."""
    return _kept_for_visitors(
        request,
        kind=f"item-{item_id}",
        district_id=district_id,
        on=None,
        known=set(),
        render_page=lambda token: _item_detail(request, district_id, item_id, token=token),
    )


def _item_detail(request, district_id: int, item_id: int, *, token: str | None = None):
    visible = selectors.versions_visible_to(request.user).filter(district_id=district_id)
    item = get_object_or_404(
        CatalogueItem.objects.select_related("version__district").prefetch_related("communities"),
        pk=item_id,
        version__in=visible,
    )
    context = {"item": item, "district": item.version.district, **({"csrf_token": token} if token else {})}
    return render(request, "catalog/item_detail.html", context)


@require_safe
def version_history(request, district_id: int):
    district = _district(district_id)
    versions = selectors.versions_visible_to(request.user).filter(district=district).order_by("-effective_from")
    history = {row["number"]: row for row in selectors.burden_history(district_ids=[district.pk])}
    statuses = selectors.version_statuses(versions, on=timezone.localdate())
    rows = [{"version": v, "totals": history.get(v.number), "status": statuses.get(v.pk)} for v in versions]
    return render(request, "catalog/version_history.html", {"district": district, "rows": rows})


@require_safe
def version_diff(request, district_id: int, version_id: int):
    visible = selectors.versions_visible_to(request.user).filter(district_id=district_id)
    new = get_object_or_404(visible, pk=version_id)
    against = request.GET.get("against", "")
    older = visible.filter(state=VersionState.PUBLISHED).exclude(pk=new.pk)
    if against:
        old = get_object_or_404(visible, pk=parse_id(against))
    else:
        old = older.filter(effective_from__lt=new.effective_from or date.max).order_by("-effective_from").first()
    diff = selectors.versions_diff(old=old, new=new) if old else None
    return render(
        request,
        "catalog/version_diff.html",
        {
            "district": new.district,
            "new": new,
            "old": old,
            "diff": diff,
            "choices": older.order_by("-effective_from"),
        },
    )


@require_safe
def export(request, district_id: int, fmt: str):
    """The lists in force on a date as CSV (streamed), XLSX or JSON, in the import format."""
    district = _district(district_id)
    on = _date_from(request)
    version = selectors.version_in_force(district_id=district.pk, on=on)
    if version is None:
        raise Http404(_("No catalogue was in force in this district on that date."))
    items = version.items.in_list_order()
    filename = f"catalogue-{district.pk}-v{version.number}"
    if fmt in ("csv", "xlsx"):
        from .imports import spreadsheet_response  # the draft's export shares the shape

        holds = _("version %(number)s (in force from %(date)s)") % {
            "number": version.number,
            "date": version.effective_from.isoformat(),
        }
        short = _("version %(number)s") % {"number": version.number}
        return spreadsheet_response(
            items.iterator() if fmt == "csv" else items,
            fmt=fmt,
            district=district,
            holds=holds,
            short=short,
            on=timezone.localdate(),
        )
    if fmt == "json":
        body = {
            "district": {"id": district.pk, "name": district.name},
            "version": CatalogueVersionSerializer(version).data,
            "items": CatalogueItemSerializer(items, many=True).data,
        }
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False, default=str, indent=1), content_type="application/json; charset=utf-8"
        )
    else:
        raise Http404
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.{fmt}")
    return response


@require_safe
def import_template(request):
    response = HttpResponse(
        io.template_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(True, _("catalogue import template") + ".xlsx")
    return response


# --- Civil-affairs: the draft -------------------------------------------------------------------------


def _managed_district(request, district_id: int) -> Unit:
    # Another district's draft is "not found"; a reader of this district gets "forbidden".
    district = get_object_or_404(
        Unit.objects.districts().filter(selectors.district_scope_q(request.user, field="district")), pk=district_id
    )
    if not services.can_manage_district(request.user, district):
        raise PermissionDenied
    return district


def _draft(request, district: Unit) -> CatalogueVersion:
    draft = CatalogueVersion.objects.filter(district=district, state=VersionState.DRAFT).first()
    if draft is None:
        raise Http404(_("The district has no open draft; start one from the draft page."))
    return draft


@login_required
def draft_edit(request, district_id: int):
    district = _managed_district(request, district_id)
    draft = CatalogueVersion.objects.filter(district=district, state=VersionState.DRAFT).first()
    if request.method == "POST" and request.POST.get("action") == "start":
        services.draft_start(district=district, actor=request.user)
        return redirect("catalogue-draft", district_id=district.pk)
    if draft is None:
        latest = selectors.version_in_force(district_id=district.pk, on=date.max)
        return render(request, "catalog/draft_start.html", {"district": district, "latest": latest})
    suggested = services.version_title_suggestion(district=district, on=timezone.localdate())
    publish_form = PublishForm(
        request.POST if request.POST.get("action") == "publish" else None, initial={"title": suggested}
    )
    if request.method == "POST" and request.POST.get("action") == "publish" and publish_form.is_valid():
        counts = selectors.item_counts(version=draft)
        if not confirmed(request):  # irreversible: ask first, saying what will be published
            return confirm_step(
                request,
                title=_("Publish the catalogue"),
                question=_("Publish this draft? A published version never changes and everyone can read it."),
                facts=[
                    _("%(n)s items, in force from %(date)s.")
                    % {"n": counts["total"], "date": publish_form.cleaned_data["effective_from"]}
                ],
                cancel_url=request.path,
                button=_("Yes, publish"),
            )
        try:
            version = services.version_publish(draft=draft, actor=request.user, **publish_form.cleaned_data)
        except services.CatalogueError as exc:
            publish_form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Version %(number)s is published: %(n)s items, in force from %(date)s.")
                % {"number": version.number, "n": counts["total"], "date": version.effective_from},
            )
            return redirect("district-catalogue", district_id=district.pk)
    items = Paginator(draft.items.in_list_order(), PAGE_SIZE).get_page(request.GET.get("page"))
    latest = selectors.version_in_force(district_id=district.pk, on=date.max)
    diff = selectors.versions_diff(old=latest, new=draft) if latest else None
    return render(
        request,
        "catalog/draft.html",
        {
            "district": district,
            "draft": draft,
            "page": items,
            "publish_form": publish_form,
            "import_form": ImportForm(),
            "latest": latest,
            "diff": diff,
            "counts": selectors.item_counts(version=draft),
            "revertable": True,
            "open_imports": draft.imports.filter(state="proposed").select_related("created_by")[:5],
        },
    )


@login_required
def draft_item(request, district_id: int, item_id: int | None = None):
    district = _managed_district(request, district_id)
    draft = _draft(request, district)
    item = get_object_or_404(draft.items, pk=item_id) if item_id else None
    form = CatalogueItemForm(request.POST or None, instance=item, district=district)
    if request.method == "POST" and form.is_valid():
        services.item_save(draft=draft, actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, _("The draft is saved."))
        return redirect("catalogue-draft", district_id=district.pk)
    return render(request, "catalog/draft_item.html", {"district": district, "form": form, "item": item})


@login_required
@require_POST
def draft_item_delete(request, district_id: int, item_id: int):
    district = _managed_district(request, district_id)
    item = get_object_or_404(_draft(request, district).items, pk=item_id)
    if not confirmed(request):
        return confirm_step(
            request,
            title=_("Remove an item from the draft"),
            question=_("Remove “%(title)s” from the draft?") % {"title": item.title},
            facts=[_("Its wording, basis and funding are deleted from the draft; published versions keep it.")],
            cancel_url=reverse("catalogue-draft", kwargs={"district_id": district.pk}),
            button=_("Yes, remove it"),
        )
    services.item_delete(item=item, actor=request.user)
    messages.success(request, _("“%(title)s” was removed from the draft.") % {"title": item.title})
    return redirect("catalogue-draft", district_id=district.pk)


# --- Across districts -----------------------------------------------------------------------------------


def _comparison(request):
    """The city an overseer (or the administrator's choice) compares, the date, and the comparison."""
    user = request.user
    if user.role == Role.ADMIN:
        chosen = request.GET.get("city", "")
        cities = Unit.objects.cities().order_by("name")
        city = get_object_or_404(cities, pk=parse_id(chosen)) if chosen else cities.first()
    elif user.role == Role.OVERSEER:
        city = user.unit
    else:
        raise PermissionDenied
    on = _date_from(request)
    comparison = selectors.city_comparison(city=city, on=on) if city else {"districts": [], "conflicts": []}
    return city, on, comparison


@login_required
@require_safe
def city_comparison_export(request, fmt: str):
    """The comparison as the page shows it, as CSV (streamed) or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    city, on, comparison = _comparison(request)
    title = _("%(city)s district catalogues side by side on %(date)s") % {
        "city": city.name if city else "",
        "date": on.isoformat(),
    }
    if fmt == "csv":
        response = StreamingHttpResponse(
            comparison_csv(comparison, title=title), content_type="text/csv; charset=utf-8"
        )
    else:
        response = FileResponse(
            comparison_xlsx(comparison, title=title),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = content_disposition_header(True, f"{title}.{fmt}")
    return response


@login_required
@require_safe
def city_comparison(request):
    """Every district of the overseer's city side by side (administrators choose the city)."""
    user = request.user
    city, on, comparison = _comparison(request)
    rows = comparison["districts"]
    # Each district's given lists stacked, its withdrawn list beside them (what was taken away, not burden).
    chart = {
        "categories": [row["district"].name for row in rows],
        "yName": _("items"),
        "filename": _("District catalogues side by side"),
        "series": [
            {
                "name": label,
                "type": "bar",
                "stack": "withdrawn" if value == ItemList.WITHDRAWN else "given",
                "color": LIST_COLOURS[value],
                "data": [row["lists"][value] for row in rows],
            }
            for value, label in ItemList.choices
        ],
    }
    return render(
        request,
        "catalog/city_comparison.html",
        {
            "chart": chart,
            "city": city,
            "on": on,
            "lists": ItemList.choices,
            "types": ItemType.choices,
            "cities": Unit.objects.cities().order_by("name") if user.role == Role.ADMIN else None,
            **comparison,
        },
    )


@login_required
@require_safe
def burden_dashboard(request):
    """Items per list across versions: the reform story, as a chart (civil-affairs, auditors, overseers)."""
    district_ids = list(
        Unit.objects.districts()
        .filter(selectors.district_scope_q(request.user, field="district"))
        .values_list("pk", flat=True)
    )
    if not district_ids:
        raise PermissionDenied
    history = selectors.burden_history(district_ids=district_ids)
    for row in history:
        row["label"] = f"{row['district']} {_('Version %(number)s') % {'number': row['number']}}"
    given_lists = [(value, label) for value, label in ItemList.choices if value != ItemList.WITHDRAWN]
    categories = [row["label"] for row in history]
    # What communities are given (duties + assistance + assessments) is one stack; the withdrawn list is what was
    # taken away, drawn beside it, never stacked into the burden.
    given_chart = {
        "categories": categories,
        "yName": _("items"),
        "filename": _("Community burden per version"),
        "series": [
            {
                "name": label,
                "type": "bar",
                "stack": "given",
                "color": LIST_COLOURS[value],
                "data": [row["lists"][value] for row in history],
            }
            for value, label in given_lists
        ]
        + [
            {
                "name": _("Taken away (withdrawn list)"),
                "type": "bar",
                "stack": "withdrawn",
                "color": LIST_COLOURS[ItemList.WITHDRAWN],
                "data": [row["lists"][ItemList.WITHDRAWN] for row in history],
            }
        ],
    }
    types_chart = {
        "categories": categories,
        "yName": _("items"),
        "filename": _("Items given to communities per type"),
        "series": [
            {"name": label, "type": "line", "data": [row["given_types"][value] for row in history]}
            for value, label in ItemType.choices
        ],
    }
    return render(
        request,
        "catalog/burden_dashboard.html",
        {
            "history": history,
            "given_lists": given_lists,
            "types": ItemType.choices,
            "given_chart": given_chart,
            "types_chart": types_chart,
        },
    )
