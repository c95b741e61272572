"""费随事转: funding contracts between the delegating unit and communities, their instalments and payments."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.models import Application
from catalog.choices import UnitKind
from catalog.models import Unit
from catalog.text import comparison_key

from .choices import ContractState, ExportKind, PaymentImportState, PaymentState

MONEY = {"max_digits": 14, "decimal_places": 2}


def signed_document_path(instance, filename):
    return f"contracts/{instance.pk or 'new'}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class Contract(models.Model):
    """协议: a paying unit funds one assistance item for one or more communities, as an equal party."""

    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(
        Unit, verbose_name=_("paying unit"), on_delete=models.PROTECT, related_name="contracts_paid"
    )
    number = models.CharField(_("contract number"), max_length=50)
    item_key = models.UUIDField(_("catalogue item"))
    item_title = models.CharField(_("item"), max_length=200)
    application = models.ForeignKey(
        Application,
        verbose_name=_("approved application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    communities = models.ManyToManyField(
        Unit, verbose_name=_("communities"), related_name="contracts", limit_choices_to={"kind": UnitKind.COMMUNITY}
    )
    amount_per_community = models.DecimalField(
        _("amount per community (yuan)"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    starts_on = models.DateField(_("period from"))
    ends_on = models.DateField(_("period to"))
    state = models.CharField(_("state"), max_length=16, choices=ContractState.choices, default=ContractState.DRAFT)
    signed_document = models.FileField(_("signed document"), upload_to=signed_document_path, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    termination_reason = models.TextField(_("reason for termination"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("funding contract")
        verbose_name_plural = _("funding contracts")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["payer", "number"], name="contract_number_once_per_payer"),
            models.CheckConstraint(condition=Q(amount_per_community__gt=0), name="contract_amount_positive"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="contract_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["district", "state"]),
            models.Index(fields=["payer", "state"]),
            models.Index(fields=["item_key", "state"]),
        ]

    def __str__(self):
        return f"{self.number} {self.item_title}"


class Instalment(models.Model):
    """One payment due to one community under a contract (community accounts are separate: 报账制)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="instalments"
    )
    community = models.ForeignKey(
        Unit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="instalments"
    )
    sequence = models.PositiveSmallIntegerField(_("instalment"))
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("amount (yuan)"), **MONEY, validators=[MinValueValidator(Decimal("0"))])
    paid = models.DecimalField(_("paid (yuan)"), **MONEY, default=Decimal("0"))  # kept with each payment, locked

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["due_on", "community__name", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "community", "sequence"], name="instalment_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="instalment_amount_not_negative"),
            # Never paid past what is due, and never below zero (the database holds the line too).
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(paid__lte=models.F("amount")), name="instalment_paid_within_amount"
            ),
        ]
        indexes = [models.Index(fields=["due_on", "paid"]), models.Index(fields=["community", "due_on"])]

    def __str__(self):
        return f"{self.contract.number} · {self.community} · {self.sequence}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid


class Payment(models.Model):
    """A payment, or its reversal: a mistaken payment is undone by a counter-entry, never edited."""

    instalment = models.ForeignKey(
        Instalment, verbose_name=_("instalment"), on_delete=models.PROTECT, related_name="payments"
    )
    payer = models.ForeignKey(Unit, verbose_name=_("paying unit"), on_delete=models.PROTECT, related_name="+")
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    voucher = models.CharField(_("voucher number"), max_length=50)  # 凭证号, kept as typed
    # The voucher as compared (catalog.text.comparison_key): "Ｖ－１００", "v 100" and "V-1\u200b00" are one voucher.
    voucher_key = models.CharField(_("voucher (as compared)"), max_length=200, editable=False, db_index=True)
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=PaymentState.choices, default=PaymentState.RECORDED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["payer", "voucher_key"], name="payment_voucher_once_per_payer"),
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True) & Q(amount__gt=0)) | (Q(reverses__isnull=False) & Q(amount__lt=0)),
                name="payment_positive_or_reversal",
            ),
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True) & Q(state__in=[PaymentState.RECORDED, PaymentState.REVERSED]))
                | (Q(reverses__isnull=False) & Q(state=PaymentState.REVERSAL)),
                name="payment_state_matches_entry",
            ),
        ]
        indexes = [models.Index(fields=["paid_on"]), models.Index(fields=["payer", "paid_on"])]

    def __str__(self):
        return f"{self.voucher} {self.amount}"

    def save(self, *args, **kwargs):
        self.voucher_key = comparison_key(self.voucher)
        super().save(*args, **kwargs)


class ContractAmendment(models.Model):
    """What changed in a contract, when, by whom and why; nothing is deleted."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="amendments"
    )
    changes = models.JSONField(_("changes"))  # {"field": [old, new]}
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("contract amendment")
        verbose_name_plural = _("contract amendments")
        ordering = ["changed_at", "id"]

    def __str__(self):
        return f"{self.contract.number} {self.changed_at:%Y-%m-%d}"


class ExportRecord(models.Model):
    """Every export of funding data: who exported what, when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("format"), max_length=8, choices=ExportKind.choices)
    what = models.CharField(_("what"), max_length=300)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("export record")
        verbose_name_plural = _("export records")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.user} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class FundingSnapshot(models.Model):
    """The funding position of a district at the start of a month (written by a scheduled job)."""

    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))  # the first day of the month
    promised = models.DecimalField(_("promised"), **MONEY)
    paid = models.DecimalField(_("paid"), **MONEY)
    overdue = models.DecimalField(_("overdue"), **MONEY)
    unfunded_obligations = models.PositiveIntegerField(_("unfunded obligations"))
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)

    class Meta:
        verbose_name = _("funding snapshot")
        verbose_name_plural = _("funding snapshots")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["district", "month"], name="snapshot_once_per_month")]

    def __str__(self):
        return f"{self.district} {self.month:%Y-%m}"


class PaymentImport(models.Model):
    """A sheet of payment vouchers: the lines it would record (`lines`, checked by a dry run) or what is wrong
    with it (`errors`), and the decision. A file is recorded once: `digest` is its content's SHA-256, and the
    database holds one applied import per paying unit and digest."""

    payer = models.ForeignKey(Unit, verbose_name=_("paying unit"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("state"), max_length=16, choices=PaymentImportState.choices, default=PaymentImportState.PROPOSED
    )
    filename = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("file kind"), max_length=8)  # xlsx or csv
    digest = models.CharField(_("file digest (SHA-256)"), max_length=64)
    upload = models.FileField(_("the uploaded file"), upload_to="payment-imports/%Y/%m/", blank=True)
    columns = models.JSONField(_("column positions"), default=dict, blank=True)
    lines = models.JSONField(_("payments as read"), default=list, blank=True)
    errors = models.JSONField(_("problems found"), default=list, blank=True)
    count = models.PositiveIntegerField(_("payments recorded"), default=0)
    total = models.DecimalField(_("total (yuan)"), **MONEY, default=Decimal("0"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment import")
        verbose_name_plural = _("payment imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "digest"],
                condition=Q(state=PaymentImportState.APPLIED),
                name="payment_file_applied_once_per_payer",
            )
        ]
        indexes = [models.Index(fields=["payer", "state"])]

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"
