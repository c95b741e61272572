from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    IN_FORCE = "in_force", _("In force")
    COMPLETED = "completed", _("Completed")
    TERMINATED = "terminated", _("Terminated")


class PaymentState(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    REVERSED = "reversed", _("Reversed")
    REVERSAL = "reversal", _("Counter-entry")  # 冲销: the entry that undoes a mistaken payment


class ExportKind(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    PDF = "pdf", "PDF"
    OCDS = "ocds", _("OCDS JSON")


class PaymentImportState(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for confirmation")
    APPLIED = "applied", _("Recorded")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("Refused")
