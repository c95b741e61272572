"""A spreadsheet import of a draft: first a proposal (what would change), then a decision (apply or cancel)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import ImportState
from .catalogue import CatalogueVersion


class CatalogueImport(models.Model):
    """The file as read, the changes it proposes against the draft as it was (`basis`), and the decision.

    The proposal is kept on the server, so that what is confirmed is what was shown: if the draft changed since
    (`basis` no longer matches), the proposal is stale and is refused rather than applied to a different draft.
    """

    draft = models.ForeignKey(
        CatalogueVersion, verbose_name=_("draft"), on_delete=models.CASCADE, related_name="imports"
    )
    state = models.CharField(_("state"), max_length=16, choices=ImportState.choices, default=ImportState.PROPOSED)
    filename = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("file kind"), max_length=8)  # xlsx or csv
    # The file as uploaded (in the file storage, not in the audited row): errors are written back into it.
    upload = models.FileField(_("the uploaded file"), upload_to="catalogue-imports/%Y/%m/", blank=True)
    fields = models.JSONField(_("columns in the sheet"), default=list, blank=True)
    columns = models.JSONField(_("column positions"), default=dict, blank=True)
    rows = models.JSONField(_("rows as read"), default=list, blank=True)
    errors = models.JSONField(_("problems found"), default=list, blank=True)
    basis = models.CharField(_("the draft it was computed against"), max_length=64, blank=True)
    whole_lists = models.JSONField(_("lists the sheet holds completely"), default=list, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("catalogue import")
        verbose_name_plural = _("catalogue imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"
