"""The gate (准入审批): applications, half-yearly batches, consultation ballots, and the working-day calendar."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.choices import IssuingLevel, ItemType, PassRateBasis, UnitKind
from catalog.models import Unit

from .choices import ApplicationState, BatchState, RequestedList, Scope, Stage, Vote


class CalendarYear(models.Model):
    """A year whose official schedule (holidays and 调休 working weekends) is known to the system."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=100, default="chinese_calendar")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the plain week: a public holiday on a weekday, or a weekend day made a working day."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days (holidays and 调休)")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class Batch(models.Model):
    """One of a district's half-yearly review rounds (集中办理, January and July by default)."""

    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="batches")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    intake_closes = models.DateField(_("intake closes"))
    consultation_ends = models.DateField(_("consultation ends"))
    committee_meets = models.DateField(_("committee meets"))
    state = models.CharField(_("state"), max_length=16, choices=BatchState.choices, default=BatchState.INTAKE)
    committee_minutes = models.TextField(_("committee minutes"), blank=True)
    # The rule in force when consultation opened, frozen on the batch: a later policy change applies only to
    # later batches, so nobody can move the threshold after seeing the votes.
    pass_threshold_percent = models.DecimalField(
        _("pass threshold (%), frozen at opening"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    pass_rate_basis = models.CharField(
        _("pass rate basis, frozen at opening"), max_length=16, choices=PassRateBasis.choices, blank=True
    )
    consultation_opened_at = models.DateTimeField(_("consultation opened at"), null=True, blank=True)
    # Closing consultation before its deadline while units had not voted is a recorded decision naming them.
    closed_early_reason = models.TextField(_("why consultation closed early"), blank=True)
    closed_early_not_voted = models.JSONField(
        _("units that had not voted when it closed early"), default=list, blank=True
    )

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "month"], name="batch_once_per_month"),
            models.CheckConstraint(
                condition=Q(intake_closes__lt=models.F("consultation_ends"))
                & Q(consultation_ends__lt=models.F("committee_meets")),
                name="batch_dates_ordered",
            ),
        ]

    def __str__(self):
        return _("%(district)s batch %(year)s-%(month)02d") % {
            "district": self.district,
            "year": self.year,
            "month": self.month,
        }


class Application(models.Model):
    """申请社区办理事项审批表: a unit asks to put a new item on communities."""

    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    applicant_unit = models.ForeignKey(
        Unit, verbose_name=_("applying unit"), on_delete=models.PROTECT, related_name="applications"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("filed by"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("what the item is"), max_length=200)
    reason = models.TextField(_("why it is needed"))
    basis_document = models.CharField(_("basis: document"), max_length=300, blank=True)
    basis_number = models.CharField(_("basis: document number"), max_length=100, blank=True)
    basis_article = models.CharField(_("basis: article"), max_length=100, blank=True)
    requested_list = models.CharField(_("list asked for"), max_length=16, choices=RequestedList.choices)
    item_type = models.CharField(_("item type"), max_length=16, choices=ItemType.choices, default=ItemType.WORK_TASK)
    scope = models.CharField(_("which communities"), max_length=16, choices=Scope.choices, default=Scope.ALL)
    scope_streets = models.ManyToManyField(
        Unit, verbose_name=_("streets"), blank=True, related_name="+", limit_choices_to={"kind": UnitKind.STREET}
    )
    scope_communities = models.ManyToManyField(
        Unit,
        verbose_name=_("communities"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    workload = models.TextField(_("expected workload"), help_text=_("e.g. 2 person-days a month per community"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    # 谁委托谁出钱: who pays and how much
    payer = models.ForeignKey(
        Unit, verbose_name=_("paying unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_per_community = models.DecimalField(
        _("amount per community per year (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    # assessments
    issuing_level = models.CharField(_("issuing level"), max_length=16, choices=IssuingLevel.choices, blank=True)
    max_per_year = models.PositiveSmallIntegerField(_("maximum per year"), null=True, blank=True)
    # 紧急重大工作事项
    is_urgent = models.BooleanField(_("urgent major item"), default=False)
    urgency_justification = models.TextField(_("why it is urgent"), blank=True)
    regularises = models.ForeignKey(
        "self",
        verbose_name=_("regularises urgent application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="regularised_by",
    )

    state = models.CharField(
        _("state"), max_length=16, choices=ApplicationState.choices, default=ApplicationState.DRAFT
    )
    batch = models.ForeignKey(
        Batch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # the tally (征求意见结果), kept as counted
    consulted_count = models.PositiveIntegerField(_("units consulted"), null=True, blank=True)
    votes_cast = models.PositiveIntegerField(_("votes cast"), null=True, blank=True)
    agree_count = models.PositiveIntegerField(_("units agreeing"), null=True, blank=True)
    pass_rate = models.DecimalField(_("pass rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    pass_rule = models.CharField(_("pass rule"), max_length=200, blank=True)
    office_opinion = models.TextField(_("office opinion (综合评审)"), blank=True)
    decision_minutes = models.TextField(_("decision and minutes"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejected_at_stage = models.CharField(_("rejected at"), max_length=16, choices=Stage.choices, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    lapses_on = models.DateField(_("lapses on"), null=True, blank=True)
    catalogue_item_key = models.UUIDField(_("catalogue item"), null=True, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_per_community__isnull=True) | Q(amount_per_community__gte=0),
                name="application_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="application_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(is_urgent=False) | ~Q(urgency_justification=""), name="application_urgent_is_justified"
            ),
        ]
        indexes = [
            models.Index(fields=["district", "state", "-submitted_at", "-id"]),
            models.Index(fields=["applicant_unit", "-submitted_at", "-id"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    def clean(self):
        errors = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date must not be before the start date.")
        if self.is_urgent and not self.urgency_justification.strip():
            errors["urgency_justification"] = _("An urgent item needs a justification.")
        if errors:
            raise ValidationError(errors)


def attachment_path(instance, filename):
    return f"applications/{instance.application_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class Attachment(models.Model):
    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.name


class Ballot(models.Model):
    """One consulted unit's say on one application (征求意见): a street office or a community."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="ballots"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("consulted unit"), on_delete=models.PROTECT, related_name="ballots")
    deadline = models.DateField(_("deadline"))
    vote = models.CharField(_("vote"), max_length=16, choices=Vote.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    voted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    voted_at = models.DateTimeField(_("voted at"), null=True, blank=True)
    # A consulted unit nobody can vote for (no account) is either given a street office that votes on its behalf
    # or excluded with a reason, by the committee office; both are recorded and shown in the tally.
    proxy_unit = models.ForeignKey(
        Unit,
        verbose_name=_("votes on its behalf"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proxy_ballots",
        limit_choices_to={"kind": UnitKind.STREET},
    )
    excluded_reason = models.TextField(_("why it is not counted"), blank=True)
    arranged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proxy or exclusion recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    arranged_at = models.DateTimeField(_("proxy or exclusion recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["application", "unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["application", "unit"], name="ballot_once_per_unit_and_application"),
            models.CheckConstraint(
                condition=Q(vote="") | Q(voted_at__isnull=False, voted_by__isnull=False), name="ballot_vote_is_signed"
            ),
        ]
        indexes = [models.Index(fields=["unit", "vote"])]

    def __str__(self):
        return f"{self.application_id} · {self.unit}"


class ApplicationEvent(models.Model):
    """Every transition: who, when, from which state to which, and why."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=16, choices=ApplicationState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=16, choices=ApplicationState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("application event")
        verbose_name_plural = _("application events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.application_id} {self.action}"
