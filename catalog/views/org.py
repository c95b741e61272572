from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .. import selectors, services
from ..choices import Role, UnitKind
from ..forms import CheckForm, DistrictPolicyForm
from ..home import sections_for
from ..ids import parse_ids
from ..models import Unit
from ..notifications import inbox as inbox_of
from ..notifications import mark_read
from ..workbench import figures_for, tasks_for


@require_safe
def landing(request):
    districts = Unit.objects.districts().select_related("parent").order_by("parent__name", "name")
    return render(request, "catalog/landing.html", {"districts": districts})


@login_required
@require_safe
def home(request):
    """The workbench (工作台): what waits for the person and by when, then the figures of their district."""
    user = request.user
    unit = user.unit
    today = timezone.localdate()
    # Everyone is told when reminders, batches and escalations wait for the background service.
    jobs = selectors.background_jobs()
    tasks = tasks_for(user, today=today)
    context = {
        "unit": unit,
        "role": Role(user.role),
        "jobs": jobs,
        "heartbeat": jobs["heartbeat"],
        "tasks": [(task, task.deadline_text(today)) for task in tasks],
        "nothing_waits": not any(task.count for task in tasks),
        "figures": figures_for(user, today=today),
        "sections": sections_for(user),
    }
    if user.role == Role.ADMIN:
        context["cities"] = selectors.units_public(kind=UnitKind.CITY)
    elif user.role == Role.OVERSEER:
        context["districts"] = selectors.city_overview(city=unit)
    else:
        district = unit.district
        context["district"] = district
        context["policy"] = district.policy
        context["can_edit_policy"] = services.can_edit_policy(user, district)
        if user.role in (Role.CIVIL_AFFAIRS, Role.AUDITOR):
            context["overview"] = selectors.district_overview(district=district)
        elif user.role == Role.STREET_STAFF:
            context["communities"] = unit.children.filter(kind=UnitKind.COMMUNITY).order_by("name")
        if user.role == Role.SECRETARY:
            # The secretary's first question: may we refuse this? The check form itself leads the page.
            context["check_form"] = CheckForm()
    return render(request, "catalog/home.html", context)


@require_safe
def org_index(request):
    cities = Unit.objects.cities().order_by("name").prefetch_related("children")
    return render(request, "catalog/org_index.html", {"cities": cities})


@require_safe
def org_unit(request, pk: int):
    unit = get_object_or_404(Unit.objects.select_related("parent", "district", "city"), pk=pk)
    children = Paginator(unit.children.order_by("kind", "name"), 100).get_page(request.GET.get("page"))
    return render(request, "catalog/org_unit.html", {"unit": unit, "children": children})


@login_required
def policy_detail(request, district_id: int):
    # Out of scope is "not found": another district's rules are not even confirmed to exist.
    policy = get_object_or_404(selectors.policies_visible_to(request.user), district_id=district_id)
    can_edit = services.can_edit_policy(request.user, policy.district)
    form = DistrictPolicyForm(request.POST or None, instance=policy) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            services.policy_update(policy=policy, actor=request.user, **form.cleaned_data)
            messages.success(request, _("The district policy was saved."))
            return redirect("policy", district_id=district_id)
    return render(request, "catalog/policy.html", {"policy": policy, "form": form, "can_edit": can_edit})


@login_required
def inbox(request):
    if request.method == "POST":
        mark_read(user=request.user, ids=parse_ids(request.POST.getlist("id")) or None)
        return redirect("inbox")
    page = Paginator(inbox_of(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "catalog/inbox.html", {"page": page})
