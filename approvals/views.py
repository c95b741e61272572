"""Thin adapters: each view validates, calls one service or selector, and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from catalog.choices import PassRateBasis, Role, UnitKind
from catalog.confirmation import confirm_step, confirmed
from catalog.documents import document_page, document_pdf
from catalog.ids import parse_id
from catalog.models import Unit

from . import selectors, services
from .choices import ApplicationState, BatchState, Vote
from .forms import ApplicationForm, AttachmentForm, DecisionForm, EarlyCloseForm, VoteForm
from .models import Application
from .workbench import open_ballots

PAGE_SIZE = 25


def _filtered(request, qs):
    state = request.GET.get("state", "")
    if state in ApplicationState.values:
        qs = qs.filter(state=state)
    if request.GET.get("urgent") in ("1", "0"):
        qs = qs.filter(is_urgent=request.GET["urgent"] == "1")
    if request.GET.get("q"):
        qs = qs.filter(title__icontains=request.GET["q"][:100])
    return qs


def _brief_page(request, qs):
    """A page of the list in the brief rows the API's `?brief=1` gives (one query, no model per row)."""
    page = Paginator(selectors.application_briefs(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [selectors.brief_row(row) for row in page.object_list]
    return page


@login_required
@require_safe
def application_list(request):
    """My applications (the applying unit), or every application in scope for reviewers and auditors."""
    qs = selectors.applications_visible_to(request.user)
    if services.can_file(request.user) and request.GET.get("all") != "1":
        qs = qs.filter(applicant_unit_id=request.user.unit_id)
    page = _brief_page(request, _filtered(request, qs).order_by("-id"))
    return render(
        request,
        "approvals/application_list.html",
        {
            "page": page,
            "states": ApplicationState.choices,
            "title": _("Applications"),
            "can_file": services.can_file(request.user),
        },
    )


@login_required
@require_safe
def review_queue(request):
    if request.user.role not in (Role.CIVIL_AFFAIRS, Role.ADMIN):
        raise PermissionDenied
    qs = _filtered(request, selectors.reviewer_queue(request.user)).order_by("-is_urgent", "submitted_at", "id")
    page = _brief_page(request, qs)
    return render(
        request,
        "approvals/application_list.html",
        {
            "page": page,
            "states": ApplicationState.choices,
            "title": _("Waiting for me"),
            "queue": True,
        },
    )


@login_required
def application_edit(request, pk: int | None = None):
    if not services.can_file(request.user):
        raise PermissionDenied
    application = get_object_or_404(selectors.applications_visible_to(request.user), pk=pk) if pk else None
    if application and not services.is_applicant(request.user, application):
        raise PermissionDenied
    if application and application.state != ApplicationState.DRAFT:
        messages.error(request, _("A submitted application cannot be edited."))
        return redirect("application", pk=application.pk)
    district = request.user.unit.district
    form = ApplicationForm(
        request.POST or None,
        instance=application,
        district=district,
        applicant_unit=request.user.unit,
        validate_url=reverse("application-validate"),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        streets, communities = data.pop("scope_streets"), data.pop("scope_communities")
        try:
            application = services.application_save(
                actor=request.user,
                application=application,
                scope_streets=streets,
                scope_communities=communities,
                **data,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if "submit" in request.POST:
                return _submit(request, application)
            messages.success(request, _("The draft is saved."))
            return redirect("application", pk=application.pk)
    return render(request, "approvals/application_form.html", {"form": form, "application": application})


@login_required
@require_POST
def application_validate(request):
    """One field of the application form checked as soon as it changes: the same form as the page's submission
    validates the whole form as sent and answers that field's errors only (empty: nothing wrong), next to it.
    Nothing is saved."""
    if not services.can_file(request.user):
        raise PermissionDenied
    form = ApplicationForm(request.POST, district=request.user.unit.district, applicant_unit=request.user.unit)
    name = request.GET.get("field", "")
    if name not in form.fields:
        return HttpResponseBadRequest(_("No such field on the application form."))
    form.is_valid()
    return render(request, "includes/field_message.html", {"field": form[name]})


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in (exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}).items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _submit(request, application: Application):
    try:
        filing = services.application_submit(application=application, actor=request.user)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                messages.error(request, f"{_field_label(field)}: {error}")
        return redirect("application-edit", pk=application.pk)
    for warning in filing.warnings:
        messages.warning(request, warning)
    messages.success(request, _("Application #%(id)s is submitted.") % {"id": application.pk})
    return redirect("application", pk=application.pk)


def _field_label(field: str) -> str:
    try:
        return str(Application._meta.get_field(field).verbose_name)
    except Exception:  # a non-field error key
        return field


@login_required
@require_safe
def application_detail(request, pk: int):
    try:
        application = selectors.application_detail(pk, request.user)
    except Application.DoesNotExist as exc:
        raise Http404 from exc
    user = request.user
    office = services.is_office(user, application.district_id)
    applicant = services.is_applicant(user, application)
    # Consulted secretaries and streets never see the running tally while they vote; the applicant sees the count
    # and the rate, never each unit's vote and comment (a retaliation risk).
    sees_tally = office or applicant or user.role in (Role.AUDITOR, Role.OVERSEER)
    tally = services.tally_of(application) if application.state == ApplicationState.CONSULTING and sees_tally else None
    state = application.state
    applicant_may_act = state in (
        ApplicationState.DRAFT,
        ApplicationState.SUBMITTED,
        ApplicationState.CONSULTING,
        ApplicationState.UNDER_REVIEW,
    )
    office_may_act = state in (ApplicationState.UNDER_REVIEW, ApplicationState.TO_COMMITTEE) or (
        state == ApplicationState.SUBMITTED and application.is_urgent
    )
    return render(
        request,
        "approvals/application_detail.html",
        {
            "application": application,
            "tally": tally,
            "is_applicant": applicant,
            "has_actions": (applicant and applicant_may_act) or (office and office_may_act),
            "is_office": office,
            "decision_form": DecisionForm(),
            "attachment_form": AttachmentForm(),
            "show_ballots": office or user.role in (Role.AUDITOR, Role.OVERSEER),
        },
    )


@login_required
@require_POST
def application_action(request, pk: int, action: str):
    """One POST per transition; the service decides whether it is allowed."""
    application = get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
    text = request.POST.get("text", "")
    try:
        if action == "submit":
            return _submit(request, application)
        if action == "withdraw":
            services.application_withdraw(application=application, actor=request.user, reason=text)
        elif action == "review":
            services.office_review(application=application, actor=request.user, opinion=text)
        elif action in ("approve", "reject"):
            services.committee_decide(
                application=application, actor=request.user, approve=action == "approve", minutes=text
            )
        elif action in ("urgent-approve", "urgent-reject"):
            services.urgent_decide(
                application=application, actor=request.user, approve=action == "urgent-approve", note=text
            )
        elif action == "attach":
            form = AttachmentForm(request.POST, request.FILES)
            if not form.is_valid():  # say what was wrong (none chosen, an empty file …)
                raise ValidationError([_("Choose a file to attach."), *form.errors.get("file", [])])
            services.attachment_add(application=application, actor=request.user, upload=form.cleaned_data["file"])
        else:
            raise Http404
    except (services.ApplicationError, ValidationError) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
    else:
        messages.success(request, _("Done."))
    return redirect("application", pk=pk)


@login_required
@require_safe
def attachment_download(request, pk: int, attachment_id: int):
    application = get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
    attachment = get_object_or_404(application.attachments, pk=attachment_id)
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )


@login_required
@require_safe
def batch_list(request):
    if request.user.role not in (Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.OVERSEER, Role.ADMIN):
        raise PermissionDenied
    batches = selectors.batches_visible_to(request.user).order_by("-year", "-month", "district__name")
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "approvals/batch_list.html", {"page": page})


@login_required
def batch_detail(request, pk: int):
    batch = get_object_or_404(selectors.batches_visible_to(request.user), pk=pk)
    office = services.is_office(request.user, batch.district_id)
    if request.method == "POST":
        if not office:
            raise PermissionDenied  # anyone else was told "Done." although nothing had been done
        response = _batch_step(request, batch)
        if response is not None:
            return response
        return redirect("batch", pk=pk)
    basis, threshold = selectors.batch_rule(batch)
    offered = [action for action in services.BATCH.actions(batch) if action.name != "close"] if office else []
    return render(
        request,
        "approvals/batch_detail.html",
        {
            "batch": batch,
            "rows": selectors.batch_progress(batch),
            "basis": PassRateBasis(basis).label,
            "threshold": threshold,
            "frozen": bool(batch.pass_rate_basis),
            "is_office": office,
            "actions": offered,
            "unreachable": selectors.units_without_voters(batch) if batch.state == BatchState.CONSULTING else [],
            "streets": batch.district.children.filter(kind=UnitKind.STREET).order_by("name") if office else [],
            "history": services.BATCH.history(batch),
        },
    )


def _batch_step(request, batch):
    """One POST per batch step; irreversible steps ask first (a confirmation page) and then say what happened."""
    action = request.POST.get("action")
    cancel = reverse("batch", kwargs={"pk": batch.pk})
    try:
        if action == "open_consultation":
            if not confirmed(request):
                preview = selectors.batch_opening_preview(batch)
                return confirm_step(
                    request,
                    title=str(services.BATCH["open_consultation"].label),
                    question=str(services.BATCH["open_consultation"].confirm),
                    facts=[
                        _("%(applications)s applications, %(units)s units will receive the consultation form.")
                        % preview,
                        _("The rule frozen for this batch: passes at ≥ %(threshold)s%% (%(basis)s).") % preview,
                    ],
                    cancel_url=cancel,
                    button=_("Yes, close intake"),
                )
            opened = services.batch_open_consultation(batch=batch, actor=request.user)
            messages.success(request, str(opened))
            if opened.without_voters:
                messages.warning(
                    request,
                    _(
                        "%(n)s consulted units have nobody who can vote: "
                        "give a street office their vote, or exclude them."
                    )
                    % {"n": opened.without_voters},
                )
        elif action == "tally":
            allowed, not_voted = services.tally_allowed(batch, timezone.localdate())
            form = EarlyCloseForm(request.POST if not allowed and confirmed(request) else None)
            if not confirmed(request) or (not allowed and not form.is_valid()):
                facts = [
                    _("%(n)s applications in consultation are decided now.")
                    % {"n": batch.applications.filter(state=ApplicationState.CONSULTING).count()}
                ]
                if not allowed:
                    facts.append(
                        _("Consultation runs until %(date)s; not voted yet: %(units)s. Closing early is recorded.")
                        % {"date": batch.consultation_ends, "units": "、".join(not_voted)}
                    )
                return confirm_step(
                    request,
                    title=str(services.BATCH["tally"].label),
                    question=str(services.BATCH["tally"].confirm),
                    facts=facts,
                    cancel_url=cancel,
                    button=_("Yes, tally now"),
                    extra=None if allowed else form,
                )
            tallied = services.batch_tally(
                batch=batch, actor=request.user, early_reason="" if allowed else form.cleaned_data["reason"]
            )
            messages.success(request, str(tallied))
        elif action in ("proxy", "exclude"):
            unit = get_object_or_404(Unit, pk=parse_id(request.POST.get("unit")) or 0, district_id=batch.district_id)
            if action == "proxy":
                street = get_object_or_404(Unit, pk=parse_id(request.POST.get("street")) or 0)
                n = services.ballots_give_proxy(batch=batch, unit=unit, street=street, actor=request.user)
                messages.success(
                    request,
                    _("%(street)s now votes on behalf of %(unit)s on %(n)s applications.")
                    % {"street": street.name, "unit": unit.name, "n": n},
                )
            else:
                n = services.ballots_exclude(
                    batch=batch, unit=unit, actor=request.user, reason=request.POST.get("reason", "")
                )
                messages.success(
                    request,
                    _("%(unit)s is not counted on %(n)s applications; the tally shows why.")
                    % {"unit": unit.name, "n": n},
                )
        else:
            raise Http404
    except (services.ApplicationError, ValidationError) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
    return None


@login_required
@require_safe
def my_ballots(request):
    """The ballots of a street office or a community, the open ones first."""
    ballots = selectors.ballots_for(request.user)
    if request.GET.get("open") == "1":  # the workbench's 征求意见: only those still to return
        ballots = open_ballots(request.user)
    ballots = ballots.order_by("vote", "deadline", "id")
    page = Paginator(ballots, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "approvals/ballots.html", {"page": page, "form": VoteForm(), "votes": Vote.choices})


@login_required
@require_POST
def ballot_vote(request, ballot_id: int):
    ballot = get_object_or_404(selectors.ballots_for(request.user), pk=ballot_id)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose agree or disagree."))
        return redirect("ballots")
    vote_label = Vote(form.cleaned_data["vote"]).label
    if not confirmed(request):  # a ballot counts once: ask first
        facts = [_("Your opinion: %(vote)s.") % {"vote": vote_label}]
        if form.cleaned_data["comment"]:
            facts.append(_("Your comment: %(comment)s") % {"comment": form.cleaned_data["comment"]})
        return confirm_step(
            request,
            title=_("Send your opinion"),
            question=_(
                "Send your opinion on application #%(id)s %(title)s? A ballot counts once and cannot be changed."
            )
            % {"id": ballot.application_id, "title": ballot.application.title},
            facts=facts,
            cancel_url=reverse("ballots"),
            button=_("Yes, send"),
        )
    try:
        services.ballot_cast(ballot=ballot, actor=request.user, **form.cleaned_data)
    except (services.ApplicationError, ValidationError) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Your opinion on application #%(id)s is recorded: %(vote)s.")
            % {"id": ballot.application_id, "vote": vote_label},
        )
    return redirect("ballots")


# --- Printed documents (公文): the 审批表 and the batch's decision, as a print view and a PDF ---------------------


def _document(request, template: str, context: dict, *, pdf: bool, name: str):
    if pdf:
        return document_pdf(request, template, context, filename=f"{name}.pdf")
    return document_page(request, template, context)


@login_required
@require_safe
def application_form_document(request, pk: int, fmt: str = "html"):
    """申请社区办理事项审批表: whoever may read the application may print it (the same scope as its page)."""
    try:
        application = selectors.application_detail(pk, request.user)
    except Application.DoesNotExist as exc:
        raise Http404 from exc
    context = {
        "application": application,
        "doc_number": selectors.application_document_number(application),
        "back_url": reverse("application", args=[pk]),
        "pdf_url": reverse("application-form-pdf", args=[pk]),
    }
    name = _("Application form %(number)s") % {"number": pk}
    return _document(request, "approvals/application_form_document.html", context, pdf=fmt == "pdf", name=name)


@login_required
@require_safe
def batch_decision_document(request, pk: int, fmt: str = "html"):
    """The office's review and the committee's decision on a batch: whoever may read the batch may print it."""
    batch = get_object_or_404(selectors.batches_visible_to(request.user).select_related("district__parent"), pk=pk)
    rows = selectors.batch_decision_rows(batch)
    decided = [a.decided_at for a in rows if a.decided_at]
    context = {
        "batch": batch,
        "rows": rows,
        "issuer": _("%(district)s Community Building Steering Committee document") % {"district": batch.district.name},
        "signer": _("%(district)s Community Building Steering Committee") % {"district": batch.district.name},
        "doc_number": selectors.batch_document_number(batch),
        "decided_on": max(decided) if decided else None,
        "approved": sum(1 for a in rows if a.state in (ApplicationState.APPROVED, ApplicationState.REGULARISED)),
        "back_url": reverse("batch", args=[pk]),
        "pdf_url": reverse("batch-decision-pdf", args=[pk]),
    }
    name = _("Decision of batch %(year)s-%(month)02d") % {"year": batch.year, "month": batch.month}
    return _document(request, "approvals/batch_decision_document.html", context, pdf=fmt == "pdf", name=name)
