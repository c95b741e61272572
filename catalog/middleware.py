"""Auditors and overseers read; they never write. One guard for every page and API endpoint, so a new
endpoint cannot forget it."""

from django.http import HttpResponseForbidden, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from .choices import Role

READ_ONLY_ROLES = (Role.AUDITOR, Role.OVERSEER)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# Unsafe requests that change nothing of anyone's data: signing in and out (with the second factor), getting an
# API token, turning on one's own two-factor authentication, the interface language, marking one's inbox read.
ALLOWED = {"login", "login-verify", "logout", "two-factor", "set_language", "inbox", "api:api-token"}


def token_user(request):
    """The API token's user, read exactly as the API will read it (the project's own token class, which checks a
    token's end and answers the view's asking again from this one), or None. The guards before a view need it:
    DRF authenticates tokens only inside the view."""
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.settings import api_settings

    configured = [c for c in api_settings.DEFAULT_AUTHENTICATION_CLASSES if issubclass(c, TokenAuthentication)]
    try:
        found = (configured[0] if configured else TokenAuthentication)().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None


def _user_of(request):
    """The session's user, or the API token's."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return token_user(request)


class ReadOnlyRolesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            user = _user_of(request)
            if user is not None and user.role in READ_ONLY_ROLES and _route_name(request.path_info) not in ALLOWED:
                message = _("Auditors and overseers read; they cannot change anything.")
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"detail": message}, status=403)
                return HttpResponseForbidden(message)
        return self.get_response(request)


def _route_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None
