from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"
    verbose_name = _("Catalogue and organisations")

    def ready(self):
        from .answers import CATALOGUE, invalidate_check_on
        from .choices import Role
        from .models import CatalogueVersion, Unit
        from .workbench import catalogue_figures, register_workbench_figure

        # The check's answers read the organisation tree and the catalogue in force. Items need no watching: a
        # published version's items never change, and a draft's are not read by the check until it is published.
        invalidate_check_on(Unit, CatalogueVersion)
        # The district's searches, pages and items as published read nothing else (catalog.answers.CATALOGUE).
        CATALOGUE.retire_on(Unit, CatalogueVersion)
        # Everyone who belongs to a district reads its catalogue in force on their workbench.
        register_workbench_figure(
            (Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.STREET_STAFF, Role.DEPARTMENT_STAFF, Role.SECRETARY),
            catalogue_figures,
        )
