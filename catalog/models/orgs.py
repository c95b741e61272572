from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import PARENT_KIND, ROLE_UNIT_KIND, PassRateBasis, Role, UnitKind


class UnitQuerySet(models.QuerySet):
    def cities(self):
        return self.filter(kind=UnitKind.CITY)

    def districts(self):
        return self.filter(kind=UnitKind.DISTRICT)

    def streets(self):
        return self.filter(kind=UnitKind.STREET)

    def communities(self):
        return self.filter(kind=UnitKind.COMMUNITY)

    def departments(self):
        return self.filter(kind=UnitKind.DEPARTMENT)


class Unit(models.Model):
    """One node of the organisation tree: 市 → 区 → 街道 → 社区, with 区级部门 under a district.

    `district` and `city` are copied from the ancestors on save so that every scope check is one
    indexed equality, whatever the depth of the unit.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("code"), max_length=20, blank=True, help_text=_("Administrative division or unit code, if any.")
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    district = models.ForeignKey(
        "self",
        verbose_name=_("district"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    city = models.ForeignKey(
        "self",
        verbose_name=_("city"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "kind", "name"], name="unit_unique_name_under_parent"),
            models.UniqueConstraint(fields=["code"], condition=~Q(code=""), name="unit_unique_code"),
            models.CheckConstraint(
                condition=Q(kind=UnitKind.CITY, parent__isnull=True)
                | (~Q(kind=UnitKind.CITY) & Q(parent__isnull=False)),
                name="unit_only_cities_have_no_parent",
            ),
        ]
        indexes = [models.Index(fields=["district", "kind"]), models.Index(fields=["city", "kind"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        creating = self.pk is None
        self.district, self.city = self._ancestors()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if self.kind in (UnitKind.DISTRICT, UnitKind.CITY) and (self.district_id is None or self.city_id is None):
                # A district is its own district and a city its own city; both need the primary key first.
                self.district, self.city = self._ancestors()
                Unit.objects.filter(pk=self.pk).update(district=self.district, city=self.city)
            if creating and self.kind == UnitKind.DISTRICT:
                DistrictPolicy.objects.create(district=self)  # every district has its rules, with the defaults

    @property
    def full_name(self) -> str:
        names = []
        unit = self
        while unit is not None:
            names.append(unit.name)
            unit = unit.parent
        return " ".join(reversed(names))

    def clean(self):
        expected = PARENT_KIND[UnitKind(self.kind)] if self.kind else None
        parent_kind = self.parent.kind if self.parent_id else None
        if expected != parent_kind:
            if expected is None:
                raise ValidationError({"parent": _("A city has no parent unit.")})
            raise ValidationError(
                {
                    "parent": _("A %(kind)s must belong to a %(parent)s.")
                    % {"kind": UnitKind(self.kind).label, "parent": UnitKind(expected).label}
                }
            )

    def _ancestors(self):
        if self.kind == UnitKind.CITY:
            return None, (self if self.pk else None)
        if self.kind == UnitKind.DISTRICT:
            return (self if self.pk else None), self.parent
        return self.parent.district, self.parent.city


class DistrictPolicy(models.Model):
    """A district's rules for the access gate; defaults follow the Qingdao Shibei scheme."""

    district = models.OneToOneField(
        Unit,
        verbose_name=_("district"),
        on_delete=models.CASCADE,
        related_name="policy",
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )
    pass_threshold_percent = models.DecimalField(
        _("consultation pass threshold (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60.00"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("An application passes consultation when its pass rate reaches this value (inclusive)."),
    )
    pass_rate_basis = models.CharField(
        _("pass rate basis"), max_length=16, choices=PassRateBasis.choices, default=PassRateBasis.CONSULTED
    )
    first_batch_month = models.PositiveSmallIntegerField(
        _("first batch month"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    second_batch_month = models.PositiveSmallIntegerField(
        _("second batch month"), default=7, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    expedited_notice_working_days = models.PositiveSmallIntegerField(
        _("expedited notice (working days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("An urgent major item must be filed at least this many working days before it starts."),
    )
    # When, in a batch month, intake closes, consultation ends and the committee meets (集中办理).
    intake_close_day = models.PositiveSmallIntegerField(
        _("intake closes on day"), default=5, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    consultation_end_day = models.PositiveSmallIntegerField(
        _("consultation ends on day"), default=20, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    committee_day = models.PositiveSmallIntegerField(
        _("committee meets on day"), default=28, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("district policy")
        verbose_name_plural = _("district policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_threshold_percent__gt=0) & Q(pass_threshold_percent__lte=100),
                name="policy_threshold_in_range",
            ),
            models.CheckConstraint(
                condition=Q(first_batch_month__gte=1, first_batch_month__lte=12)
                & Q(second_batch_month__gte=1, second_batch_month__lte=12)
                & Q(first_batch_month__lt=models.F("second_batch_month")),
                name="policy_batch_months_ordered",
            ),
            models.CheckConstraint(
                condition=Q(expedited_notice_working_days__gte=1), name="policy_expedited_notice_positive"
            ),
            models.CheckConstraint(
                condition=Q(intake_close_day__gte=1)
                & Q(intake_close_day__lt=models.F("consultation_end_day"))
                & Q(consultation_end_day__lt=models.F("committee_day"))
                & Q(committee_day__lte=28),
                name="policy_batch_days_ordered",
            ),
        ]

    def __str__(self):
        return str(self.district)

    def clean(self):
        if not self.intake_close_day < self.consultation_end_day < self.committee_day:
            raise ValidationError(
                {
                    "consultation_end_day": _(
                        "Intake must close before consultation ends, and that before the committee meets."
                    )
                }
            )
        if self.first_batch_month and self.second_batch_month and self.first_batch_month >= self.second_batch_month:
            raise ValidationError({"second_batch_month": _("The second batch month must come after the first.")})

    @property
    def batch_months(self) -> tuple[int, int]:
        return self.first_batch_month, self.second_batch_month


class User(AbstractUser):
    """A person working in one unit with one role (a user belongs to one unit with one role)."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.CheckConstraint(
                condition=Q(role=Role.ADMIN) | Q(unit__isnull=False), name="user_staff_roles_have_a_unit"
            ),
        ]

    def clean(self):
        super().clean()
        expected = ROLE_UNIT_KIND.get(self.role)
        if expected and (self.unit is None or self.unit.kind != expected):
            raise ValidationError(
                {
                    "unit": _("A %(role)s must belong to a %(kind)s.")
                    % {"role": Role(self.role).label, "kind": UnitKind(expected).label}
                }
            )

    @property
    def district_id_in_scope(self):
        return self.unit.district_id if self.unit_id else None

    @property
    def is_read_only(self) -> bool:
        return self.role in (Role.AUDITOR, Role.OVERSEER)


class WorkerHeartbeat(models.Model):
    """Written by a scheduled Celery task, so that staff can see background jobs really run."""

    hostname = models.CharField(_("worker"), max_length=200)
    beat_at = models.DateTimeField(_("seen at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["-beat_at"]

    def __str__(self):
        return f"{self.hostname} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
