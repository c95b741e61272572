from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "funding"
    verbose_name = _("Funding")

    def ready(self):
        from catalog.check import register_funding_provider
        from catalog.demo import register_demo_loader
        from catalog.home import register_home_section

        from .demo import load_demo_funding
        from .home import funding_section
        from .models import Contract
        from .selectors import funded_item_keys
        from .workbench import register as register_workbench

        # The check's assist_funded verdict: a contract in force covers the item for the community.
        register_funding_provider(funded_item_keys, reads=(Contract,))
        register_home_section(funding_section)
        register_workbench()
        register_demo_loader(load_demo_funding)
