"""The demands no list answered: the district's review queue (civil-affairs) and the burden they show (also the
city overseer, district by district)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from .. import demands, selectors
from ..aliases import MAX_ALIAS_LENGTH
from ..choices import DemandState, Role, VersionState
from ..departments import district_units_named
from ..models import CatalogueVersion, CheckRecord, Unit
from ..transitions import StateConflict

PAGE_SIZE = 50
SHOWN_STATES = [DemandState.OPEN, DemandState.UNLISTED, DemandState.LINKED]


def _reviewed_district(request, district_id: int) -> Unit:
    # Another district's queue is "not found"; a reader of this district gets "forbidden".
    district = get_object_or_404(
        Unit.objects.districts().filter(selectors.district_scope_q(request.user, field="district")), pk=district_id
    )
    if not demands.can_review_demands(request.user, district):
        raise PermissionDenied
    return district


@login_required
@require_safe
def demand_queue(request, district_id: int):
    """The district's demands waiting for review (or reviewed), by the department that made them."""
    district = _reviewed_district(request, district_id)
    state = request.GET.get("state") if request.GET.get("state") in SHOWN_STATES else DemandState.OPEN
    named_unit = request.GET.get("unit")  # absent: every department; "" the demands that name none
    records = demands.demands_queue(district=district, state=state, named_unit=named_unit)
    counts = demands.demand_counts(district=district)
    units = district_units_named(district_id=district.pk, names=[name for name, _n in counts["by_unit"]])
    return render(
        request,
        "catalog/demand_queue.html",
        {
            "district": district,
            "state": state,
            "states": [(s, s.label, counts["states"][s]) for s in SHOWN_STATES],
            "named_unit": named_unit,
            "by_unit": [(name, n, units.get(name)) for name, n in counts["by_unit"]],
            "page": Paginator(records, PAGE_SIZE).get_page(request.GET.get("page")),
            "has_draft": CatalogueVersion.objects.filter(district=district, state=VersionState.DRAFT).exists(),
        },
    )


class LinkForm(forms.Form):
    item = forms.ModelChoiceField(label=gettext_lazy("item of the draft"), queryset=None)
    wording = forms.CharField(
        label=gettext_lazy("wording to add (常见说法)"),
        max_length=MAX_ALIAS_LENGTH,
        help_text=gettext_lazy("Shorten the demand to what it asks; this is how the check will recognise it."),
    )

    def __init__(self, *args, draft, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = draft.items.in_list_order()


class UnlistedForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


@login_required
def demand_review(request, district_id: int, record_id: int):
    """One demand: link it to an item of the draft, or mark it as truly not listed. Either is final."""
    district = _reviewed_district(request, district_id)
    record = get_object_or_404(
        CheckRecord.objects.select_related("community__parent", "item", "linked_item", "reviewed_by"),
        pk=record_id,
        district=district,
    )
    draft = CatalogueVersion.objects.filter(district=district, state=VersionState.DRAFT).first()
    action = request.POST.get("action") if request.method == "POST" else None
    link_form = (
        LinkForm(request.POST if action == "link" else None, draft=draft, initial={"wording": record.text[:100]})
        if draft
        else None
    )
    unlisted_form = UnlistedForm(request.POST if action == "unlisted" else None)
    if request.method == "POST":
        try:
            if action == "link" and link_form is not None and link_form.is_valid():
                demands.demand_link(
                    record=record,
                    item=link_form.cleaned_data["item"],
                    actor=request.user,
                    wording=link_form.cleaned_data["wording"],
                )
                messages.success(
                    request,
                    _("“%(wording)s” was added to “%(title)s” in the draft; it is published with the next version.")
                    % {"wording": link_form.cleaned_data["wording"], "title": link_form.cleaned_data["item"].title},
                )
                return redirect("catalogue-demands", district_id=district.pk)
            if action == "unlisted" and unlisted_form.is_valid():
                demands.demand_mark_unlisted(record=record, actor=request.user, note=unlisted_form.cleaned_data["note"])
                messages.success(request, _("The demand is kept as truly not listed."))
                return redirect("catalogue-demands", district_id=district.pk)
            if action == "link" and link_form is None:
                raise demands.DemandError(_("The district has no open draft: start one to link demands to items."))
        except (demands.DemandError, StateConflict) as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "catalog/demand_review.html",
        {
            "district": district,
            "record": record,
            "draft": draft,
            "link_form": link_form,
            "unlisted_form": unlisted_form,
            "actions": [a.name for a in demands.DEMANDS.actions(record)],
            "history": demands.DEMANDS.history(record),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_safe
def unlisted_burden(request):
    """What departments ask of communities that no list allows: per district and department (civil-affairs
    their district, the city overseer every district of the city, administrators every district)."""
    if request.user.role not in (Role.CIVIL_AFFAIRS, Role.OVERSEER, Role.ADMIN):
        raise PermissionDenied
    districts = list(
        Unit.objects.districts()
        .filter(selectors.district_scope_q(request.user, field="district"))
        .select_related("parent")
        .order_by("parent__name", "name")
    )
    return render(
        request,
        "catalog/unlisted_burden.html",
        {
            "rows": demands.unlisted_burden(districts=districts),
            "districts": districts,
            "reviewer": request.user.role in (Role.CIVIL_AFFAIRS, Role.ADMIN),
        },
    )
