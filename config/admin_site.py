from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect, resolve_url
from django.utils.http import urlencode
from django.utils.translation import gettext as _


class AdminSite(admin.AdminSite):
    """Django's admin, entered only through the site's own login (password, then the second factor); where the
    deployment requires two-factor authentication, only with a session verified by it."""

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not settings.TWO_FACTOR_REQUIRED_ROLES or request.user.is_verified()

    def login(self, request, extra_context=None):
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or resolve_url("admin:index")
        if self.has_permission(request):
            return redirect("admin:index")
        if request.user.is_authenticated and request.user.is_active and request.user.is_staff:
            # Staff, but the session has no second factor: set it up (or log in again with the code).
            messages.warning(request, _("The administration needs two-factor authentication for this session."))
            return redirect("two-factor")
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
