from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.choices import Role


def funding_section(user) -> dict | None:
    links = []
    if user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
        links += [
            {"label": _("Our funding contracts"), "url": reverse("contracts"), "count": None},
            {"label": _("New contract"), "url": reverse("contract-new"), "count": None},
        ]
    if user.role == Role.SECRETARY:
        links.append({"label": _("What we are owed"), "url": reverse("owed"), "count": None})
    if user.role in (Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.OVERSEER, Role.ADMIN):
        links += [
            {"label": _("Funding contracts"), "url": reverse("contracts"), "count": None},
            {"label": _("Funding report"), "url": reverse("funding-report"), "count": None},
        ]
    if user.role in (
        Role.CIVIL_AFFAIRS,
        Role.AUDITOR,
        Role.OVERSEER,
        Role.ADMIN,
        Role.DEPARTMENT_STAFF,
        Role.STREET_STAFF,
    ):
        links.append({"label": _("Unfunded obligations"), "url": reverse("unfunded"), "count": None})
    return {"title": _("Funds follow the task (费随事转)"), "links": links} if links else None
