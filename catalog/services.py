"""Writes. Each one checks who acts, validates, and saves atomically."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .choices import Role, UnitKind
from .models import DistrictPolicy, Unit, User

POLICY_FIELDS = (
    "pass_threshold_percent",
    "pass_rate_basis",
    "first_batch_month",
    "second_batch_month",
    "expedited_notice_working_days",
)


def can_edit_policy(user: User, district: Unit) -> bool:
    if not user.is_authenticated:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.CIVIL_AFFAIRS and user.unit.district_id == district.pk


def policy_update(*, policy: DistrictPolicy, actor: User, **changes) -> DistrictPolicy:
    if not can_edit_policy(actor, policy.district):
        raise PermissionDenied(_("Only the district's civil-affairs staff may change its policy."))
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown policy fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        policy = DistrictPolicy.objects.select_for_update().get(pk=policy.pk)
        for field, value in changes.items():
            setattr(policy, field, value)
        policy.full_clean()
        policy.save()
    return policy


def unit_create(*, kind: UnitKind, name: str, parent: Unit | None, code: str = "") -> Unit:
    """Create a unit in the tree; a new district gets its policy with the default rules (see Unit.save)."""
    unit = Unit(kind=kind, name=name, parent=parent, code=code)
    unit.full_clean()
    unit.save()
    return unit
