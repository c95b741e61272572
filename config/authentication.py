"""API token authentication that honours the two-factor requirement (kept apart from the views: DRF imports
authentication classes while it is still loading its own views)."""

from django.conf import settings
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import authentication, exceptions


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing the token of a role that must use two-factor authentication but has no
    device (a token issued before the requirement was set)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if user.role in settings.TWO_FACTOR_REQUIRED_ROLES and confirmed_device(user) is None:
            raise exceptions.AuthenticationFailed(_("Set up two-factor authentication in the web application first."))
        return user, token
