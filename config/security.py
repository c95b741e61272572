"""Sessions that end, logins that lock, uploads that cannot swamp the server, and the two-factor gate.

Settings live in config/settings.py (Security section); the two-factor pages are in config/two_factor.py.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import RequestDataTooBig
from django.dispatch import receiver
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import user_has_device

from audits import trail
from catalog.ids import parse_id
from catalog.limits import MAX_FIELD_CHARS, too_long

STARTED_KEY = "security_login_at"
SEEN_KEY = "security_seen_at"
PENDING_KEY = "security_pending_2fa"  # a password was right; the second factor is still owed
SEEN_GRANULARITY = 60  # seconds: the session is written at most once a minute just to say "still here"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


@receiver(user_logged_in)
def _start_clocks(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_KEY] = now
        request.session[SEEN_KEY] = now


def session_expiry(session, now: int) -> str | None:
    """Why an authenticated session must end now ("absolute" or "idle"), or None while it may go on."""
    started, seen = session.get(STARTED_KEY), session.get(SEEN_KEY)
    if started is not None and now - started >= settings.SESSION_ABSOLUTE_SECONDS:
        return "absolute"
    if seen is not None and now - seen >= settings.SESSION_IDLE_SECONDS:
        return "idle"
    return None


class SessionExpiryMiddleware:
    """Logs out a session 8 hours after its login (absolute) or after 30 minutes without a request (idle)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            why = session_expiry(request.session, now)
            if why:
                trail.record(action="session_expired", object_type="catalog_user", object_id=request.user.pk, note=why)
                logout(request)
                if why == "idle":
                    messages.info(
                        request,
                        _("You were logged out after %(minutes)d minutes without activity.")
                        % {"minutes": settings.SESSION_IDLE_SECONDS // 60},
                    )
                else:
                    messages.info(
                        request,
                        _("Your session lasted %(hours)d hours and has ended; please log in again.")
                        % {"hours": settings.SESSION_ABSOLUTE_SECONDS // 3600},
                    )
            else:
                request.session.setdefault(STARTED_KEY, now)  # sessions from before this check start now
                if now - request.session.get(SEEN_KEY, 0) >= SEEN_GRANULARITY:
                    request.session[SEEN_KEY] = now
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuses a request body above MAX_REQUEST_BYTES before anything reads it (each file is also limited to
    10 MB by its content check), with a page that says what the limit is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            limit = settings.MAX_REQUEST_BYTES // (1024 * 1024)
            message = _("The upload is too large: at most %(limit)d MB may be sent at once, each file up to 10 MB.") % {
                "limit": limit
            }
            if _is_api(request):
                return JsonResponse({"detail": message}, status=413)
            return render(request, "request_too_large.html", {"message": message}, status=413)
        return self.get_response(request)


def _hostile_field(request) -> str | None:
    """What is wrong with the first query-string or form field (or uploaded file name) that holds a NUL
    character or is longer than any text a person writes (catalog.limits), or None."""
    if "\x00" in request.path:
        return _nul_message(_("the address"))
    sources = [request.GET]
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if request.method == "POST" and length <= settings.MAX_REQUEST_BYTES:
        try:
            sources += [request.POST, {f.name: f.name for f in request.FILES.values()}]
        except RequestDataTooBig:
            return _("The form is larger than %(mb)s MB; no text typed by a person is that long.") % {
                "mb": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024):.1f}"
            }
    for source in sources:
        for key, values in source.lists() if hasattr(source, "lists") else ((k, [v]) for k, v in source.items()):
            if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
                return _nul_message(key.replace("\x00", ""))
            longest = max((len(v) for v in values if isinstance(v, str)), default=0)
            if longest > MAX_FIELD_CHARS:
                return too_long(key, longest)
    return None


def _nul_message(field: str) -> str:
    return _("“%(field)s” contains a NUL character (U+0000), which no text may hold: remove it and try again.") % {
        "field": field
    }


class HostileInputMiddleware:
    """Ids in the path that no column holds answer 404 (process_view). A request whose address, query string
    or form holds a NUL character (U+0000), or a value longer than MAX_FIELD_CHARS, is refused with 400,
    naming the field. No one types one; PostgreSQL
    cannot store or compare one, so it used to end in a server error in search fields and free text, and cut the
    audit trail's CSV export off mid-stream. (JSON bodies are checked by the API's parser, catalog.api.parsers.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        message = _hostile_field(request)
        if message is None:
            return self.get_response(request)
        if _is_api(request):
            return JsonResponse({"detail": message}, status=400)
        return render(request, "bad_request.html", {"message": message}, status=400)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """An id in the path beyond any column (`<int:pk>` takes any length) names nothing: 404, as for any
        other id that names nothing (SQLite could not even compare it: a server error)."""
        if any(isinstance(v, int) and parse_id(v) is None for v in (*view_args, *view_kwargs.values())):
            raise Http404(_("No object has this number."))
        return None


def lockout_response(request, original_response=None, credentials=None):
    """What django-axes answers once a username and address are locked out: the login page with the reason."""
    if hasattr(request, "session"):
        request.session.pop(PENDING_KEY, None)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed logins for this account from your address: it is locked for %(minutes)d minutes. "
        "An administrator can unlock it sooner."
    ) % {"minutes": minutes}
    if _is_api(request):
        return JsonResponse({"detail": message}, status=429)
    form = AuthenticationForm(request)
    return render(request, "registration/login.html", {"form": form, "locked_out": message}, status=429)


# --- Two-factor authentication: who must, and the gate that sends them to enrol -------------------------------

ALWAYS_OPEN = ("two-factor", "login", "login-verify", "logout", "set_language", "healthz")


def two_factor_required(user) -> bool:
    return user.is_authenticated and user.role in settings.TWO_FACTOR_REQUIRED_ROLES


class TwoFactorRequiredMiddleware:
    """Users whose role must use two-factor authentication can do nothing else until their session is verified:
    without a device they are sent to enrol; with one (a session that skipped the code) they log in again."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.open_paths = None

    def __call__(self, request):
        if two_factor_required(request.user) and not request.user.is_verified():
            if self.open_paths is None:
                self.open_paths = {reverse(name) for name in ALWAYS_OPEN}
            if request.path not in self.open_paths and not request.path.startswith(settings.STATIC_URL):
                return self._refuse(request)
        return self.get_response(request)

    def _refuse(self, request):
        if user_has_device(request.user):
            logout(request)
            message = _("Log in again with the code from your authenticator app.")
            target = f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
        else:
            message = _("Your role must use two-factor authentication: set it up before you continue.")
            target = reverse("two-factor")
        if _is_api(request):
            return JsonResponse({"detail": message}, status=403)
        messages.warning(request, message)
        return redirect(target)
