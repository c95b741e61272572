"""The check for community secretaries and the public: may this be put on my community?"""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from .. import demands, partials, selectors
from ..check import check_demand
from ..choices import Role
from ..forms import CheckForm
from ..ids import parse_id
from ..models import CatalogueItem, Unit


def _community_choice(request):
    """The community asked about: ?community=, else the secretary's own; and the district to choose in."""
    community = None
    if community_id := parse_id(request.GET.get("community")):
        community = Unit.objects.communities().select_related("parent", "district").filter(pk=community_id).first()
    elif request.user.is_authenticated and request.user.role == Role.SECRETARY:
        community = request.user.unit
    district_id = parse_id(request.GET.get("district"))
    district = community.district if community else Unit.objects.districts().filter(pk=district_id).first()
    return community, district


def _run_check(request):
    community, district = _community_choice(request)
    form = CheckForm(request.GET or None)
    result = None
    item_id = parse_id(request.GET.get("item"))
    if community and form.is_valid() and (form.cleaned_data["q"] or item_id):
        on = form.cleaned_data["date"] or timezone.localdate()
        item = None
        if item_id:
            item = CatalogueItem.objects.filter(pk=item_id, version__district_id=community.district_id).first()
        result = check_demand(community=community, on=on, q=form.cleaned_data["q"], item=item)
    return community, district, form, result


@require_safe
def check_page(request):
    community, district, form, result = _run_check(request)
    if partials.wants_partial(request):
        # Typing (htmx): the same check, only its answer, and not kept among the district's demands: a half-typed
        # sentence is not a demand. The page loaded by the button (or without JavaScript) keeps it.
        return partials.vary(render(request, "catalog/includes/check_result.html", {"result": result}))
    if result is not None:
        # The district learns its words (catalog.demands).
        demands.record_result(result, picked=not form.cleaned_data["q"], user=request.user)
    form.answer_as_you_type(url=request.path, target="#check-result", indicator="#check-busy")
    version = (
        selectors.version_in_force(district_id=community.district_id, on=timezone.localdate()) if community else None
    )
    communities = (
        Unit.objects.communities().filter(district=district).select_related("parent").order_by("parent__name", "name")
        if district
        else []
    )
    return partials.vary(
        render(
            request,
            "catalog/check.html",
            {
                "community": community,
                "district": district,
                "form": form,
                "result": result,
                "communities": communities,
                "pickable": version.items.in_list_order().only("id", "title", "list", "version_id") if version else [],
                "picked": request.GET.get("item", ""),
                "districts": Unit.objects.districts().select_related("parent").order_by("parent__name", "name"),
            },
        )
    )


@require_safe
def reply_slip(request):
    """The verdict as a one-page PDF to hand to whoever made the demand."""
    from weasyprint import HTML  # heavy import, only for this page

    community, _district, _form, result = _run_check(request)
    if result is None:
        return HttpResponse(
            "Give a community and describe the demand (community=…&q=…).",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    html = render_to_string("catalog/reply_slip.html", {"result": result, "now": timezone.localtime()}, request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="reply-slip-{community.pk}.pdf"'
    return response
