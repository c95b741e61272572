from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "config.admin_site.AdminSite"


class SecurityConfig(AppConfig):
    """The project's own security pieces: session expiry and two-factor login (config.security)."""

    name = "config"
    label = "security"
    verbose_name = "Security"

    def ready(self):
        # The login signal that starts the session clocks; the password change that ends the API tokens.
        from . import security, tokens  # noqa: F401
