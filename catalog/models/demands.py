"""Every check kept: how demands are worded in a district, and the queue of those no list answered."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import DemandState, Verdict
from .catalogue import CatalogueItem, CatalogueVersion
from .orgs import Unit

MAX_DEMAND_LENGTH = 500  # what the check accepts (CheckForm, the API)


class CheckRecord(models.Model):
    """One check as it was asked and answered. Personal numbers are masked before it is saved (catalog.privacy).

    A demand answered "not listed" or only hedged waits in the district's queue (`open`) until civil-affairs
    staff link it to an item (its wording becomes a 常见说法 of the item in the next version) or mark it as truly
    unlisted: what departments ask of communities that no list allows.
    """

    community = models.ForeignKey(Unit, verbose_name=_("community"), on_delete=models.CASCADE, related_name="+")
    # Copied from the community, so that the queue's scope is one indexed equality.
    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.CASCADE, related_name="+")
    text = models.CharField(_("demand"), max_length=MAX_DEMAND_LENGTH)
    asked_on = models.DateField(_("date asked about"))
    verdict = models.CharField(_("answer"), max_length=32, choices=Verdict.choices)
    confidence = models.FloatField(_("confidence"), default=0.0)
    hedged = models.BooleanField(_("hedged"), default=False)
    item = models.ForeignKey(
        CatalogueItem,
        verbose_name=_("item the answer rested on"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.ForeignKey(
        CatalogueVersion, verbose_name=_("version"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The canonical name of the department the demand names (catalog.departments), "" if none.
    named_unit = models.CharField(_("department named"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=DemandState.choices, default=DemandState.ANSWERED)
    linked_item = models.ForeignKey(
        CatalogueItem,
        verbose_name=_("linked to item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    alias = models.CharField(_("wording added"), max_length=100, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("checked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("check record")
        verbose_name_plural = _("check records")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["district", "state", "named_unit"]),
            models.Index(fields=["district", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0) & models.Q(confidence__lte=1), name="check_record_confidence_0_1"
            ),
        ]

    def __str__(self):
        return self.text[:60]
