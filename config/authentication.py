"""API token authentication that honours the two-factor requirement and tokens' end (kept apart from the views:
DRF imports authentication classes while it is still loading its own views)."""

from django.conf import settings
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import authentication, exceptions


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing a token that has ended (config.tokens: unused for too long, or
    issued under an earlier password), and the token of a role that must use two-factor authentication but has no
    device (a token issued before the requirement was set)."""

    def authenticate(self, request):
        """Once per request: the audit middleware reads the token's user before the view (for the trail's actor),
        and the view's authentication asks again; the second time takes the first answer (or raises the
        same refusal)."""
        raw = getattr(request, "_request", request)  # DRF's Request or Django's HttpRequest: the same one
        header = authentication.get_authorization_header(request)
        known = getattr(raw, "_token_authenticated", None)
        if known is not None and known[0] == header:
            if isinstance(known[1], exceptions.AuthenticationFailed):
                raise known[1]  # the same refusal (an ended token is deleted by the first: its reason stays)
            return known[1]
        try:
            found = super().authenticate(request)
        except exceptions.AuthenticationFailed as refusal:
            raw._token_authenticated = (header, refusal)
            raise
        raw._token_authenticated = (header, found)
        return found

    def authenticate_credentials(self, key):
        from .tokens import token_used, why_ended

        model = self.get_model()
        # One query, as DRF's own: the token, its user, the user's unit (every scope and the trail's actor read
        # it) and its last use.
        token = model.objects.select_related("user__unit", "use").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        ended = why_ended(token)
        if ended:
            token.delete()
            raise exceptions.AuthenticationFailed(ended)
        user = token.user
        if user.role in settings.TWO_FACTOR_REQUIRED_ROLES and confirmed_device(user) is None:
            raise exceptions.AuthenticationFailed(_("Set up two-factor authentication in the web application first."))
        token_used(token)
        return user, token
