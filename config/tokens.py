"""API tokens that end: after API_TOKEN_IDLE_DAYS without use, when the password changes, and when the user or
an administrator revokes them. DRF's Token keeps the key; config.models.TokenUse the last use and the password
it was issued under. The last use is written at most once per LAST_USE_GRANULARITY, so a request does not write.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from audits import trail

from .models import TokenUse

LAST_USE_GRANULARITY = timedelta(hours=1)


def idle_limit() -> timedelta:
    return timedelta(days=settings.API_TOKEN_IDLE_DAYS)


def last_use(token: Token):
    use = getattr(token, "use", None)
    return use.last_used_at if use else token.created


def expires_at(token: Token):
    return last_use(token) + idle_limit()


def why_ended(token: Token, *, now=None) -> str | None:
    """Why `token` no longer authenticates (in words for its holder), or None if it still does."""
    now = now or timezone.now()
    if now - last_use(token) > idle_limit():
        return _("The API token expired after %(days)d days without use; request a new one.") % {
            "days": settings.API_TOKEN_IDLE_DAYS
        }
    use = getattr(token, "use", None)
    if use and use.password_hash and use.password_hash != token.user.get_session_auth_hash():
        return _("The password was changed after the API token was issued; request a new one.")
    return None


def token_used(token: Token, *, now=None) -> None:
    """Record that `token` authenticated a request now (at most one write per LAST_USE_GRANULARITY)."""
    now = now or timezone.now()
    use = getattr(token, "use", None)
    if use is None:  # its first use: several workers may record it at once (ON CONFLICT DO NOTHING)
        TokenUse.objects.bulk_create(
            [TokenUse(token=token, last_used_at=now, password_hash=token.user.get_session_auth_hash())],
            ignore_conflicts=True,
        )
    elif now - use.last_used_at >= LAST_USE_GRANULARITY:
        TokenUse.objects.filter(pk=token.pk).update(last_used_at=now)


@transaction.atomic
def token_issue(*, user) -> Token:
    """The user's live token, or a new one in place of one that has ended."""
    token = Token.objects.select_related("user", "use").filter(user=user).first()
    if token is not None and why_ended(token) is not None:
        token.delete()
        token = None
    if token is None:
        token = Token.objects.create(user=user)
        TokenUse.objects.create(token=token, last_used_at=timezone.now(), password_hash=user.get_session_auth_hash())
        trail.record(action="token_issued", object_type="catalog_user", object_id=user.pk)
    return token


@transaction.atomic
def tokens_revoke(*, user, actor) -> int:
    """Revoke every API token of `user`; `actor` is the user or an administrator. How many were revoked."""
    count, _by_model = Token.objects.filter(user=user).delete()
    if count:
        note = "" if actor.pk == user.pk else f"by {actor.get_username()}"
        trail.record(action="token_revoked", object_type="catalog_user", object_id=user.pk, note=note)
    return count


@receiver(pre_save, sender=get_user_model())
def _password_changed(sender, instance, **kwargs):
    """`set_password()` (every way a password changes: the user, an administrator, a reset, `changepassword`)
    leaves the raw password on the instance until it is saved: then the user's tokens end."""
    if instance.pk and getattr(instance, "_password", None) is not None:
        Token.objects.filter(user_id=instance.pk).delete()
