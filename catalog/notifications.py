"""The in-app inbox and email: one call for every app that needs to tell someone something."""

from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .choices import Role
from .models import Notification, Unit, User


def notify(*, users: Iterable[User], subject: str, body: str = "", url: str = "", dedupe_key: str = "") -> int:
    """Put a message in each user's inbox and email it after commit. With `dedupe_key`, a user who already
    got that key gets nothing new, so that a scheduled job may run twice. Returns how many were delivered."""
    delivered = []
    for user in users:
        try:
            with transaction.atomic():
                Notification.objects.create(recipient=user, subject=subject, body=body, url=url, dedupe_key=dedupe_key)
        except IntegrityError:
            continue  # already delivered under this key
        delivered.append(user)
    emails = [user.email for user in delivered if user.email]
    if emails:
        transaction.on_commit(lambda: send_mail(subject, f"{body}\n\n{url}".strip(), None, emails, fail_silently=True))
    return len(delivered)


def staff_of(unit: Unit, *roles: Role) -> QuerySet[User]:
    qs = User.objects.filter(unit=unit, is_active=True)
    return qs.filter(role__in=roles) if roles else qs


def civil_affairs_of(district: Unit) -> QuerySet[User]:
    return User.objects.filter(unit=district, role=Role.CIVIL_AFFAIRS, is_active=True)


def inbox(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
