"""Two-factor authentication (TOTP, django-otp): the login's second step, the enrolment page, API tokens.

A user with a confirmed device is not logged in by the password alone: the session only remembers that the
password was right (for five minutes) and asks for the current code; `login()` runs after the code. A wrong
code counts as a failed login (the audit trail records it, django-axes counts it towards the lockout).
"""

import time
from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.settings import api_settings

from audits import trail

from .authentication import confirmed_device
from .security import PENDING_KEY, two_factor_required
from .tokens import expires_at, last_use, token_issue, tokens_revoke, why_ended

PENDING_SECONDS = 300
PENDING_ATTEMPTS = 5


def _seconds_to_wait(device) -> int:
    allowed, data = device.verify_is_allowed()
    if allowed or not (data or {}).get("locked_until"):
        return 0
    return max(1, int((data["locked_until"] - timezone.now()).total_seconds() + 0.999))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError(_("The code is the six digits the app shows."))
        return code


def _failed(request, user, why: str) -> None:
    """A wrong second factor is a failed login: recorded in the trail and counted by django-axes."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username(), "second_factor": why}, request=request
    )


class LoginView(auth_views.LoginView):
    """The password step. Users without a device are logged in as before; the others are asked for a code."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if confirmed_device(user) is None:
            return super().form_valid(form)
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "at": int(time.time()),
            "next": self.get_success_url(),
            "attempts": 0,
        }
        return redirect("login-verify")


@require_http_methods(["GET", "POST"])
def login_verify(request):
    """The second step: the current code of the user whose password was right a moment ago."""
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        messages.warning(request, _("Enter your password again, then the code: the login took too long."))
        return redirect("login")
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = confirmed_device(user)
        # After a wrong code django-otp refuses even the right one for a while: the message says so (a guess made
        # meanwhile still counts towards the lockout).
        wait = _seconds_to_wait(device) if device is not None else 0
        if device is not None and not wait and device.verify_token(form.cleaned_data["code"]):
            del request.session[PENDING_KEY]
            user.backend = pending["backend"]
            auth_login(request, user)
            otp_login(request, device)
            return redirect(pending["next"])
        _failed(request, user, "wrong code")
        pending["attempts"] += 1
        if pending["attempts"] >= PENDING_ATTEMPTS:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, _("Too many wrong codes: log in again."))
            return redirect("login")
        request.session[PENDING_KEY] = pending
        if wait:
            form.add_error("code", _("Wait %(seconds)d seconds, then enter the current code.") % {"seconds": wait})
        else:
            form.add_error(
                "code", _("That code is not right. Check that the phone's clock is correct and enter the current code.")
            )
    return render(request, "registration/login_verify.html", {"form": form})


def _qr_svg(device: TOTPDevice) -> str:
    """The enrolment QR code as inline SVG: drawn here, so the secret never leaves the server."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1a1a1a", light="#ffffff")
    return mark_safe(svg)  # segno's own markup; the only data in it is the encoded URL


def _grouped_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Enrol a TOTP device (scan, then confirm a code) or remove it."""
    user = request.user
    device = confirmed_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if request.POST.get("action") == "remove" and device is not None:
            if device.verify_token(code):
                with transaction.atomic():
                    TOTPDevice.objects.filter(user=user).delete()
                    Token.objects.filter(user=user).delete()  # a token stands for the login it was issued to
                    trail.record(action="2fa_removed", object_type="catalog_user", object_id=user.pk)
                request.session.pop(DEVICE_ID_SESSION_KEY, None)
                messages.success(request, _("Two-factor authentication is off for your account."))
                return redirect("two-factor")
            _failed(request, user, "wrong code to remove the device")
            form.add_error("code", _("That code is not right; the device was kept."))
        elif request.POST.get("action") == "confirm" and device is None:
            pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
            if pending is not None and pending.verify_token(code):
                with transaction.atomic():
                    pending.confirmed = True
                    pending.save(update_fields=["confirmed"])
                    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                    Token.objects.filter(user=user).delete()  # one issued to the password alone is not enough now
                    trail.record(action="2fa_enrolled", object_type="catalog_user", object_id=user.pk)
                otp_login(request, pending)
                messages.success(request, _("Two-factor authentication is on: from now on, log in with a code."))
                return redirect("home")
            form.add_error(
                "code", _("That code is not right. Scan the QR code again or check the phone's clock, then retry.")
            )
    context = {"device": device, "form": form, "required": two_factor_required(user)}
    if device is None:
        enrolling = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if enrolling is None:
            enrolling = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
        context.update(qr_svg=_qr_svg(enrolling), secret=_grouped_secret(enrolling))
    return render(request, "registration/two_factor.html", context)


# --- API tokens: issued to the password and, for accounts with a device, the current code ----------------------


class TokenObtainSerializer(AuthTokenSerializer):
    # As long as a username can be (the failed-login records of django-axes hold 255 characters: a longer one
    # was a server error on PostgreSQL)
    username = serializers.CharField(label=gettext_lazy("Username"), max_length=150, write_only=True)
    password = serializers.CharField(
        label=gettext_lazy("Password"),
        max_length=4096,
        style={"input_type": "password"},
        trim_whitespace=False,
        write_only=True,
    )
    otp_token = serializers.CharField(
        label=gettext_lazy("Code from the authenticator app"),
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Required for accounts with two-factor authentication."),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class ObtainTokenView(ObtainAuthToken):
    """`POST username, password` (and `otp_token` where the account has a device) returns the API token.

    A token is a standing credential, so it is issued only as far as a login would go: with the current code
    for an account with a device, and not at all to a role that must use two-factor authentication but has no
    device yet. Requests carrying the token are then not asked for codes."""

    serializer_class = TokenObtainSerializer
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # ObtainAuthToken names DRF's unbounded JSON parser

    def get_serializer_context(self):
        # django-axes marks a lockout on the request it is given; it must be Django's, which its middleware sees.
        return {**super().get_serializer_context(), "request": self.request._request}

    @extend_schema(request=TokenObtainSerializer, responses=TokenSerializer)
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        device = confirmed_device(user)
        if device is None and user.role in settings.TWO_FACTOR_REQUIRED_ROLES:
            raise exceptions.PermissionDenied(_("Set up two-factor authentication in the web application first."))
        if device is not None:
            code = (serializer.validated_data.get("otp_token") or "").replace(" ", "")
            if not code:
                message = _("This account uses two-factor authentication: send the current code as otp_token.")
                raise exceptions.ValidationError({"otp_token": [message]})
            if not device.verify_token(code):
                _failed(request._request, user, "wrong code for an API token")
                raise exceptions.ValidationError({"otp_token": [_("That code is not right.")]})
        token = token_issue(user=user)
        return Response({"token": token.key})


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """The user's own API token: when it was issued, last used and ends; revoke it (a confirmation first)."""
    user = request.user
    token = Token.objects.select_related("user", "use").filter(user=user).first()
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            return render(request, "registration/api_tokens.html", {"token": token, "confirming": True})
        count = tokens_revoke(user=user, actor=user)
        if count:
            messages.success(request, _("Your API token was revoked: programs using it must request a new one."))
        else:
            messages.info(request, _("You had no API token; nothing was revoked."))
        return redirect("api-tokens")
    context = {
        "token": token,
        "ended": why_ended(token) if token else None,
        "last_use": last_use(token) if token else None,
        "expires_at": expires_at(token) if token else None,
        "idle_days": settings.API_TOKEN_IDLE_DAYS,
    }
    return render(request, "registration/api_tokens.html", context)
