"""The reply slip (回执单) as it was issued: what a secretary hands to whoever made a demand.

A slip is kept exactly as issued and never changes: its public verification page (reached from the QR code
on the paper) shows this row, not a fresh judgement, so a later catalogue version cannot rewrite what the
community was told. Its serial (锦江区-2026-000123) counts the district's slips of the year.

A slip answers one demand, or a whole notice (通知): then `demand` is the notice's heading and `demands` each of its
demands with its own verdict, reason and basis, as issued; `verdict` and `reason` stay empty.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import Verdict
from .catalogue import CatalogueVersion
from .orgs import Unit


class IssuedSlipError(Exception):
    """An issued slip never changes."""


class ReplySlip(models.Model):
    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number in the year"))
    serial = models.CharField(_("serial number"), max_length=80, unique=True)  # 编号
    community = models.ForeignKey(Unit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    demanding_unit = models.CharField(_("demanding unit"), max_length=100, blank=True)  # 提出要求的单位
    demand = models.TextField(_("demand"))  # personal numbers masked (catalog.privacy)
    asked_on = models.DateField(_("date asked about"))
    verdict = models.CharField(_("answer"), max_length=32, choices=Verdict.choices)
    reason = models.TextField(_("reason"))
    hedged = models.BooleanField(_("hedged"), default=False)
    version = models.ForeignKey(
        CatalogueVersion, verbose_name=_("version"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version_label = models.CharField(_("catalogue"), max_length=300, blank=True)
    basis_number = models.CharField(_("basis: document number"), max_length=100, blank=True)  # 文号
    basis = models.CharField(_("basis"), max_length=600, blank=True)
    # The items the answer showed, as shown: [{"title", "list", "basis"}]
    items = models.JSONField(_("items shown"), default=list, blank=True)
    # A notice's slip: its demands as issued, [{"number", "text", "verdict", "reason", "hedged", "item", "list",
    # "basis", "basis_number"}], in the notice's order; empty for a slip of one demand.
    demands = models.JSONField(_("demands of the notice"), default=list, blank=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reply slip")
        verbose_name_plural = _("reply slips")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "sequence"], name="slip_one_number_per_district_year")
        ]

    def __str__(self):
        return self.serial

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise IssuedSlipError(_("An issued reply slip never changes."))
        super().save(*args, **kwargs)

    @property
    def is_notice(self) -> bool:
        return bool(self.demands)

    @property
    def token(self) -> str:
        from ..slips import slip_token

        return slip_token(self)
