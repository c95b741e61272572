from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"
    verbose_name = _("Catalogue and organisations")

    def ready(self):
        from .answers import invalidate_check_on
        from .models import CatalogueItem, CatalogueVersion, Unit

        # The check's answers read the organisation tree and the catalogue in force.
        invalidate_check_on(Unit, CatalogueVersion, CatalogueItem)
