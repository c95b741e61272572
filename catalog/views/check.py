"""The check for community secretaries and the public: may this be put on my community?"""

from urllib.parse import unquote

import segno
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .. import demands, limits, notice, partials, selectors, uploads
from ..check import check_demand
from ..choices import Role, VersionState
from ..departments import department_named
from ..documents import document_pdf
from ..forms import CheckForm, NoticePhotoForm, NoticeTextForm, SlipForm
from ..ids import parse_id
from ..models import CatalogueItem, Unit
from ..slips import NothingToIssue, SlipRefused, notice_slip_issue, slip_from_token, slip_issue


def _community_choice(request, data):
    """The community asked about: ?community=, else the secretary's own; and the district to choose in."""
    community = None
    if community_id := parse_id(data.get("community")):
        community = Unit.objects.communities().select_related("parent", "district").filter(pk=community_id).first()
    elif request.user.is_authenticated and request.user.role == Role.SECRETARY:
        community = request.user.unit
    district_id = parse_id(data.get("district"))
    district = community.district if community else Unit.objects.districts().filter(pk=district_id).first()
    return community, district


def _run_check(request, data=None):
    data = request.GET if data is None else data
    community, district = _community_choice(request, data)
    form = CheckForm(data or None)
    result = None
    item_id = parse_id(data.get("item"))
    if community and form.is_valid() and (form.cleaned_data["q"] or item_id):
        on = form.cleaned_data["date"] or timezone.localdate()
        item = None
        if item_id:
            # A published version's item only: a draft's is civil affairs' workbench, not to be read by its id.
            item = CatalogueItem.objects.filter(
                pk=item_id, version__district_id=community.district_id, version__state=VersionState.PUBLISHED
            ).first()
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
                "slip_form": SlipForm(initial={"demanding_unit": department_named(result.query)}) if result else None,
                "districts": Unit.objects.districts().select_related("parent").order_by("parent__name", "name"),
                "photo_form": NoticePhotoForm(initial={"community": community.pk}) if community else None,
            },
        )
    )


@require_POST
def reply_slip(request):
    """Issue the verdict as a numbered reply slip, kept as issued, and open its PDF."""
    try:
        limits.rate_take(request, "slip")
    except limits.RateExceeded as refused:
        return HttpResponse(refused.message, status=429, content_type="text/plain; charset=utf-8")
    _community, _district, _form, result = _run_check(request, request.POST)
    slip_form = SlipForm(request.POST)
    if result is None or not slip_form.is_valid():
        problems = [e for errors in slip_form.errors.values() for e in errors]
        message = " ".join(problems) or _("Give a community and describe the demand before issuing a reply slip.")
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    slip = slip_issue(result=result, demanding_unit=slip_form.cleaned_data["demanding_unit"], actor=request.user)
    return HttpResponseRedirect(reverse("check-slip-pdf", args=[slip.token]), status=303)


def _slip_context(request, slip) -> dict:
    verify_url = request.build_absolute_uri(reverse("check-slip-verify", args=[slip.token]))
    # segno's own markup: the only data in it is the encoded address.
    qr = mark_safe(segno.make(verify_url, error="m").svg_inline(scale=3, dark="#111111", light="#ffffff"))
    # The address as a person reads it (锦江区, not %E9%94%A6…); the QR code carries the encoded one.
    return {"slip": slip, "verify_url": verify_url, "verify_address": unquote(verify_url), "qr": qr}


def _refused(request, refusal: SlipRefused):
    return render(request, "catalog/slip_verify.html", {"refusal": refusal.message}, status=refusal.status)


@require_safe
def slip_verify(request, token: str):
    """Public: the slip a QR code names, exactly as issued (not judged again), or why it cannot be trusted."""
    try:
        slip = slip_from_token(token)
    except SlipRefused as refusal:
        return _refused(request, refusal)
    return render(request, "catalog/slip_verify.html", _slip_context(request, slip))


@require_safe
def slip_pdf(request, token: str):
    """The issued slip as a one-page A4 PDF with its serial and QR code."""
    try:
        slip = slip_from_token(token)
    except SlipRefused as refusal:
        return _refused(request, refusal)
    name = _("Reply slip %(serial)s") % {"serial": slip.serial}
    template = "catalog/notice_slip.html" if slip.is_notice else "catalog/reply_slip.html"
    return document_pdf(request, template, _slip_context(request, slip), filename=f"{name}.pdf")


# --- 拍照查一查: a notice's demands, from a photo or its corrected text ---------------------------------------------


def _notice_community(form):
    return (
        Unit.objects.communities()
        .select_related("parent", "district")
        .filter(pk=form.cleaned_data["community"])
        .first()
    )


def _marked(result) -> list[tuple[str, int | None, str]]:
    """The notice's text in pieces: (text, the demand's number from 1 or None, its verdict), for marking."""
    pieces, at = [], 0
    for n, judged in enumerate(result.demands, start=1):
        start, end = judged.demand.start, judged.demand.end
        if start < at:
            continue
        if start > at:
            pieces.append((result.text[at:start], None, ""))
        pieces.append((result.text[start:end], n, judged.result.verdict))
        at = end
    if at < len(result.text):
        pieces.append((result.text[at:], None, ""))
    return pieces


def _notice_page(request, *, community, result=None, error="", text_form=None, status=200):
    if result is not None and text_form is None:
        # The places of the demands on the picture go with the text (a corrected text posts them back as they were:
        # they are those of the reading, and the demands are placed again from them).
        text_form = NoticeTextForm(
            initial={
                "community": community.pk,
                "text": result.text,
                "date": result.date.isoformat(),
                "demanding_unit": notice.issuer_of(result.signature),
                "placement": result.placement_token,
            }
        )
    return render(
        request,
        "catalog/check_notice.html",
        {
            "community": community,
            "result": result,
            "marked": _marked(result) if result else [],
            "error": error,
            "text_form": text_form,
            "photo_form": NoticePhotoForm(initial={"community": community.pk} if community else {}),
        },
        status=status,
    )


@require_POST
def check_photo(request):
    """Read the photo of a notice and judge each of its demands. The picture is forgotten once read."""
    from ..photo import PictureRejected, read_picture

    form = NoticePhotoForm(request.POST, request.FILES)
    community = _notice_community(form) if form.is_valid() or "community" in form.cleaned_data else None
    if community is None:
        return _notice_page(request, community=None, error=_("Choose the community first."), status=400)
    if not form.is_valid():
        errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _notice_page(request, community=community, error=errors, status=400)
    upload = form.cleaned_data["photo"] or form.cleaned_data["image"]
    try:
        limits.rate_take(request, "photo")
    except limits.RateExceeded as refused:
        return _notice_page(request, community=community, error=refused.message, status=429)
    try:
        if upload.size > uploads.MAX_PICTURE_BYTES:  # refused before it is read into memory
            raise PictureRejected(uploads.picture_too_large(upload.size))
        reading = read_picture(upload.read())
    except PictureRejected as exc:
        return _notice_page(request, community=community, error=str(exc), status=400)
    on = form.cleaned_data["date"] or timezone.localdate()
    result = notice.check_notice(community=community, on=on, text=reading.text, reading=reading)
    return _notice_page(request, community=community, result=result)


def _notice_from_text(request):
    form = NoticeTextForm(request.POST)
    community = _notice_community(form) if form.is_valid() or "community" in form.cleaned_data else None
    if community is None or not form.is_valid():
        return form, community, None
    on = form.cleaned_data["date"] or timezone.localdate()
    placement = notice.placement_from_token(form.cleaned_data["placement"])
    return (
        form,
        community,
        notice.check_notice(community=community, on=on, text=form.cleaned_data["text"], placement=placement),
    )


@require_POST
def check_notice_text(request):
    """Judge the notice's text again, as corrected by the secretary: the picture is not read again."""
    try:
        limits.rate_take(request, "notice")
    except limits.RateExceeded as refused:
        return _notice_page(request, community=None, error=refused.message, status=429)
    form, community, result = _notice_from_text(request)
    if community is None:
        return _notice_page(request, community=None, error=_("Choose the community first."), status=400)
    if result is None:
        return _notice_page(request, community=community, text_form=form, status=400)
    return _notice_page(request, community=community, result=result, text_form=form)


@require_POST
def notice_slip(request):
    """One numbered reply slip for the whole notice, kept as issued (each demand, its verdict and its basis), and
    open its PDF: the same series, serial, QR code and verification page as a slip of one demand."""
    try:
        limits.rate_take(request, "slip")
    except limits.RateExceeded as refused:
        return HttpResponse(refused.message, status=429, content_type="text/plain; charset=utf-8")
    form, _community, result = _notice_from_text(request)
    if result is None:
        return HttpResponse(
            _("Give the community and the notice's text."), status=400, content_type="text/plain; charset=utf-8"
        )
    try:
        slip = notice_slip_issue(result=result, demanding_unit=form.cleaned_data["demanding_unit"], actor=request.user)
    except NothingToIssue as refused:
        return HttpResponse(str(refused), status=400, content_type="text/plain; charset=utf-8")
    return HttpResponseRedirect(reverse("check-slip-pdf", args=[slip.token]), status=303)
