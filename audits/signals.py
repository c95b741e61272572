"""What the trail records from Django's side: logins, failed logins, lockouts, and (on SQLite only) model changes."""

from axes.signals import user_locked_out
from django.apps import apps as global_apps
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import trail


@receiver(user_logged_in)
def _login(sender, request, user, **kwargs):
    trail.record(
        action="login",
        object_type="catalog_user",
        object_id=user.pk,
        actor=trail.actor_of(request) if request else None,
    )


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    trail.record(
        action="login_failed",
        object_type="catalog_user",
        note=str(credentials.get("username", ""))[:150],
        actor=trail.actor_of(request) if request else None,
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    """django-axes locked this username at this address after too many failed logins (登录失败处理)."""
    trail.record(
        action="locked_out",
        object_type="catalog_user",
        note=f"{str(username or '')[:150]} @ {ip_address or ''}",
        actor=trail.actor_of(request) if request else None,
    )


def _values(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname != "password"
    }


def _audited(sender) -> bool:
    meta = sender._meta
    return (
        connection.vendor != "postgresql"
        # A migration's historical model is not: the trail's own table may not yet have the columns the trail
        # writes (a data migration, a test migrating back), and no person acts in a migration.
        and meta.apps is global_apps
        and meta.app_label in trail.AUDITED_APPS
        and meta.db_table not in trail.NOT_AUDITED
    )


# A sign-in rewrites the person's last sign-in time only; without the value before (SQLite keeps none) the trail's
# readers could not tell it from a real change of the person, so the entry says so (audits.trail_view folds it).
SIGN_IN_TIME = "last_login"


@receiver(post_save)
def _saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if _audited(sender) and not raw:
        routine = not created and update_fields is not None and set(update_fields) == {SIGN_IN_TIME}
        trail.record(
            action="insert" if created else "update",
            object_type=sender._meta.db_table,
            object_id=instance.pk,
            after=_values(instance),
            note=SIGN_IN_TIME if routine else "",
        )


@receiver(post_delete)
def _deleted(sender, instance, **kwargs):
    if _audited(sender):
        trail.record(
            action="delete", object_type=sender._meta.db_table, object_id=instance.pk, before=_values(instance)
        )
