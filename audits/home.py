from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.choices import Role


def audits_section(user) -> dict | None:
    links = []
    if user.role == Role.SECRETARY:
        links += [
            {"label": _("Report a demand from outside the rules"), "url": reverse("report-new"), "count": None},
            {"label": _("Assessments held here"), "url": reverse("assessments"), "count": None},
        ]
    if user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        links += [
            {"label": _("Record an assessment held"), "url": reverse("assessment-new"), "count": None},
            {"label": _("Reports about us"), "url": reverse("reports"), "count": None},
            {"label": _("Our compliance record"), "url": reverse("compliance", args=[user.unit_id]), "count": None},
        ]
    if user.role in (Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.OVERSEER, Role.ADMIN):
        links += [
            {"label": _("Burden reports"), "url": reverse("reports"), "count": None},
            {"label": _("Assessments held"), "url": reverse("assessments"), "count": None},
            {"label": _("Inspections and findings"), "url": reverse("findings"), "count": None},
            {"label": _("Public notices"), "url": reverse("notices"), "count": None},
        ]
    if user.role in (Role.AUDITOR, Role.OVERSEER, Role.ADMIN):
        links.append({"label": _("Audit trail"), "url": reverse("audit-trail"), "count": None})
    return {"title": _("Supervision (监督)"), "links": links} if links else None
