"""Supervision: the tamper-evident audit trail, burden reports from communities, and assessments held."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Unit


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained trail. On PostgreSQL row triggers on every audited table write
    the entries, bulk updates included, unsealed; the sealer (audits.trail) then gives each its place in the chain
    (`seq`) and its hashes, once; the database refuses every other UPDATE, and every DELETE."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor = models.CharField(_("actor"), max_length=150, blank=True)
    source_ip = models.CharField(_("source IP"), max_length=45, blank=True)
    # Indexed below: plainly (Django's db_index on a CharField adds a second, LIKE-pattern index nobody asks for,
    # and every index is written twice per entry: on its insert and on its seal).
    action = models.CharField(_("action"), max_length=32)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Whose records these are, for reading scope only (auditors read their district's); not part of the hash.
    district_id = models.BigIntegerField(_("district"), null=True, blank=True, db_index=True)
    # The place in the chain, given on sealing (empty until then, with both hashes): the chain's order is this,
    # the order the entries were sealed in, not the id (an entry with a lower id may commit after a higher one).
    seq = models.BigIntegerField(_("chain number"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),  # also the object type alone
            models.Index(fields=["action"], name="audits_entry_action"),
            # What the sealer reads: the few entries not yet sealed, in id order.
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audits_entry_unsealed"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_type} {self.object_id}"

    @property
    def sealed(self) -> bool:
        return self.seq is not None


class BurdenReport(models.Model):
    """A community secretary reports work pushed on the community from outside the rules."""

    class State(models.TextChoices):
        NEW = "new", _("New")
        DISMISSED = "dismissed", _("Dismissed")
        EXPLANATION_REQUESTED = "explanation_requested", _("Explanation requested")
        EXPLAINED = "explained", _("Explained by the unit")
        CASE_OPENED = "case_opened", _("Case opened")

    community = models.ForeignKey(
        Unit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="burden_reports"
    )
    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    demanding_unit = models.ForeignKey(
        Unit, verbose_name=_("unit that made the demand"), on_delete=models.PROTECT, related_name="burden_reports_about"
    )
    demand = models.TextField(_("what was asked"))
    demanded_on = models.DateField(_("when it was asked"))
    reveal_reporter = models.BooleanField(
        _("the unit may see who reported"),
        default=False,
        help_text=_("Leave unticked to stay anonymous to the unit that made the demand."),
    )
    check_result = models.JSONField(_("check at the time of reporting"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=24, choices=State.choices, default=State.NEW)
    triage_note = models.TextField(_("triage note"), blank=True)
    # The unit concerned never reads an internal note; what it is asked to explain it always reads.
    triage_note_internal = models.BooleanField(_("internal note (the unit never sees it)"), default=True)
    question = models.TextField(_("what the unit is asked to explain"), blank=True)
    asked_at = models.DateTimeField(_("the unit was first asked to explain at"), null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("triaged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    explanation = models.TextField(_("the unit's explanation"), blank=True)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("burden report")
        verbose_name_plural = _("burden reports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["district", "state"]), models.Index(fields=["demanding_unit", "state"])]

    def __str__(self):
        return f"#{self.pk} {self.demanding_unit} → {self.community}"


def evidence_path(instance, filename):
    return f"burden/{instance.report_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class Evidence(models.Model):
    report = models.ForeignKey(
        BurdenReport, verbose_name=_("burden report"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=evidence_path)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # A picture's words, read in the background (audits.tasks.read_evidence), so that reports can be searched by
    # what their evidence says. `read_at` is set once it was read, also when nothing could be read from it.
    text = models.TextField(_("text read from the picture"), blank=True)
    read_at = models.DateTimeField(_("picture read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self):
        return self.name


class AssessmentHeld(models.Model):
    """An assessment, inspection or evaluation a unit held in a community (entered by the unit, confirmed or
    disputed by the community). Counts per item, community and year feed the check."""

    class State(models.TextChoices):
        ENTERED = "entered", _("Entered by the unit")
        CONFIRMED = "confirmed", _("Confirmed by the community")
        DISPUTED = "disputed", _("Disputed by the community")

    community = models.ForeignKey(
        Unit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="assessments_held"
    )
    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit that held it"), on_delete=models.PROTECT, related_name="+")
    item_key = models.UUIDField(_("catalogue item"), null=True, blank=True)
    title = models.CharField(_("assessment"), max_length=200)
    held_on = models.DateField(_("held on"))
    on_the_list = models.BooleanField(_("on the assessment list"), default=False)
    within_allowed_months = models.BooleanField(_("within the allowed months"), default=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.ENTERED)
    dispute_reason = models.TextField(_("why the community disputes it"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("assessment held")
        verbose_name_plural = _("assessments held")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["community", "item_key", "held_on"])]

    def __str__(self):
        return f"{self.title} · {self.community} · {self.held_on}"

    @property
    def is_finding(self) -> bool:
        """Held although not on the list, or outside its months: a finding for the supervision office."""
        return not self.on_the_list or not self.within_allowed_months


class Inspection(models.Model):
    """A supervision office's inspection (督查) of a department or street office."""

    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        Unit, verbose_name=_("inspected unit"), on_delete=models.PROTECT, related_name="inspections"
    )
    title = models.CharField(_("title"), max_length=200)
    planned_on = models.DateField(_("planned for"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("planned by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-planned_on", "-id"]

    def __str__(self):
        return f"{self.title} · {self.unit}"


class Finding(models.Model):
    class Kind(models.TextChoices):
        UNLISTED_WORK = "unlisted_work", _("Unlisted work pushed to communities")
        WITHDRAWN_ASSIGNED = "withdrawn_assigned", _("Withdrawn item assigned")
        ASSESSMENT = "assessment", _("Assessment beyond its limits or not admitted")
        UNFUNDED = "unfunded", _("Assistance without funding")
        LAPSED_EXPEDITED = "lapsed_expedited", _("Expedited item used past its lapse date")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed by the system")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="findings")
    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("inspection"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.CONFIRMED)
    burden_report = models.ForeignKey(
        BurdenReport,
        verbose_name=_("burden report"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    # The application or contract the finding is about (audits reads the approvals and funding apps below it)
    application = models.ForeignKey(
        "approvals.Application",
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    contract = models.ForeignKey(
        "funding.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    assessment = models.ForeignKey(
        AssessmentHeld,
        verbose_name=_("assessment held"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    # A proposal the system makes is made once: the same key is never proposed again.
    proposal_key = models.CharField(_("proposal key"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal_key"], condition=~models.Q(proposal_key=""), name="finding_proposed_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.unit}"


class Notice(models.Model):
    """通报: a published notice naming a unit and its finding, with a deadline to correct (限期改正)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published, awaiting correction")
        ANSWERED = "answered", _("Corrective actions reported")
        CLOSED = "closed", _("Verified and closed")

    district = models.ForeignKey(Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="notices")
    finding = models.ForeignKey(Finding, verbose_name=_("finding"), on_delete=models.PROTECT, related_name="notices")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("notice"))
    correct_by = models.DateField(_("correct by"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    answer = models.TextField(_("corrective actions"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    verification = models.TextField(_("verification"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["state", "correct_by"])]

    def __str__(self):
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.state == self.State.PUBLISHED and self.correct_by < timezone.localdate()
