"""The approvals part of each user's home page."""

from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.choices import Role

from . import selectors, services


def approvals_section(user) -> dict | None:
    links = []
    if services.can_file(user):
        mine = selectors.applications_visible_to(user).filter(applicant_unit_id=user.unit_id)
        links += [
            {"label": _("File an application"), "url": reverse("application-new"), "count": None},
            {"label": _("My applications"), "url": reverse("applications"), "count": mine.count()},
        ]
    if user.role in (Role.SECRETARY, Role.STREET_STAFF):
        open_ballots = selectors.ballots_for(user).filter(vote="", application__state="consulting").count()
        links.append({"label": _("Opinions asked of us"), "url": reverse("ballots"), "count": open_ballots})
    if user.role in (Role.CIVIL_AFFAIRS, Role.ADMIN):
        links.append(
            {
                "label": _("Waiting for me"),
                "url": reverse("review-queue"),
                "count": selectors.reviewer_queue(user).count(),
            }
        )
    if user.role in (Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.OVERSEER, Role.ADMIN):
        links += [
            {"label": _("All applications"), "url": reverse("applications"), "count": None},
            {"label": _("Review batches"), "url": reverse("batches"), "count": None},
        ]
    return {"title": _("The access gate (准入审批)"), "links": links} if links else None
