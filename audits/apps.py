from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _install_triggers(sender, using="default", **kwargs):
    from .trail import install

    install(using)


class AuditsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audits"
    verbose_name = _("Supervision and audit")

    def ready(self):
        from catalog.check import register_assessment_counter
        from catalog.demo import register_demo_loader
        from catalog.home import register_home_section

        from . import signals  # noqa: F401 (connects the receivers)
        from .demo import load_demo_audits
        from .home import audits_section
        from .models import AssessmentHeld
        from .selectors import assessments_held_count
        from .trail import watch_connection
        from .workbench import register as register_workbench

        # After every migrate, every audited table (new ones too) gets its trigger on PostgreSQL.
        post_migrate.connect(_install_triggers, sender=self)
        # Every audited commit is followed by a seal of the trail (audits.trail.seal_after_commit).
        connection_created.connect(watch_connection, dispatch_uid="audits-seal-after-audited-writes")
        register_assessment_counter(assessments_held_count, reads=(AssessmentHeld,))
        register_home_section(audits_section)
        register_workbench()
        register_demo_loader(load_demo_audits)
