from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "approvals"
    verbose_name = _("Approvals")

    def ready(self):
        from catalog.check import register_expedited_provider
        from catalog.demo import register_demo_loader
        from catalog.home import register_home_section

        from .answers import retire_on_writes
        from .demo import load_demo_approvals
        from .home import approvals_section
        from .models import Application
        from .selectors import expedited_cover
        from .workbench import register as register_workbench

        # The check asks us whether an approved urgent item covers work that is not in the catalogue.
        register_expedited_provider(expedited_cover, reads=(Application,))
        retire_on_writes()  # the kept reviewer's queue
        register_home_section(approvals_section)
        register_workbench()
        register_demo_loader(load_demo_approvals)
