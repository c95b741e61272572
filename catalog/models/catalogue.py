"""A district's catalogue (社区工作清单): versions, each holding items on four lists."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import ADMISSIBLE_ISSUING_LEVELS, IssuingLevel, ItemList, ItemSource, ItemType, UnitKind, VersionState
from .orgs import Unit


def no_months() -> list:
    return []


def no_aliases() -> list:
    return []


class PublishedVersionError(Exception):
    """A published version never changes."""


class CatalogueVersion(models.Model):
    district = models.ForeignKey(
        Unit,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="catalogue_versions",
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )
    number = models.PositiveIntegerField(_("version number"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=VersionState.choices, default=VersionState.DRAFT)
    effective_from = models.DateField(_("in force from"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")
        ordering = ["district", "-effective_from", "-number"]
        constraints = [
            # One open draft per district (the Wagtail pattern: the database holds the rule).
            models.UniqueConstraint(
                fields=["district"], condition=Q(state=VersionState.DRAFT), name="catalogue_one_draft_per_district"
            ),
            models.UniqueConstraint(fields=["district", "number"], name="catalogue_unique_number"),
            models.UniqueConstraint(
                fields=["district", "effective_from"],
                condition=Q(state=VersionState.PUBLISHED),
                name="catalogue_unique_effective_date",
            ),
            models.CheckConstraint(
                condition=Q(state=VersionState.DRAFT)
                | Q(number__isnull=False, effective_from__isnull=False, published_at__isnull=False),
                name="catalogue_published_is_complete",
            ),
        ]
        indexes = [models.Index(fields=["district", "state", "effective_from"])]

    def __str__(self):
        if self.state == VersionState.DRAFT:
            return _("%(district)s draft") % {"district": self.district}
        return _("%(district)s v%(number)s (from %(date)s)") % {
            "district": self.district,
            "number": self.number,
            "date": self.effective_from,
        }

    @property
    def is_draft(self) -> bool:
        return self.state == VersionState.DRAFT


class CatalogueItemQuerySet(models.QuerySet):
    def in_list_order(self):
        """Duties, assistance, withdrawn, assessments (the order of the published catalogue), then number."""
        order = models.Case(
            *(models.When(list=value, then=index) for index, value in enumerate(ItemList.values)),
            output_field=models.IntegerField(),
        )
        return self.order_by(order, "code", "title")

    def applicable_to(self, community, on):
        """The items that apply to `community` on `on`: every community of the district unless the item names
        some (an approved application's scope), and until its end date if it has one. CatalogueItem.applies_to
        is the same rule for one item in memory."""
        through = CatalogueItem.communities.through
        named = through.objects.filter(catalogueitem_id=models.OuterRef("pk"))
        return self.filter(
            Q(applies_until__isnull=True) | Q(applies_until__gte=on),
            ~models.Exists(named) | models.Exists(named.filter(unit_id=community.pk)),
        )


class CatalogueItem(models.Model):
    """One item of one version. `key` follows the same item from version to version."""

    version = models.ForeignKey(
        CatalogueVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="items"
    )
    key = models.UUIDField(_("item key"), default=uuid.uuid4, help_text=_("The same item across versions."))
    code = models.CharField(_("number in the list"), max_length=32, blank=True)
    list = models.CharField(_("list"), max_length=16, choices=ItemList.choices)
    type = models.CharField(_("type"), max_length=16, choices=ItemType.choices, default=ItemType.WORK_TASK)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    basis_document = models.CharField(_("basis: document"), max_length=300, blank=True)  # 依据文件
    basis_number = models.CharField(_("basis: document number"), max_length=100, blank=True)  # 文号
    basis_article = models.CharField(_("basis: article"), max_length=100, blank=True)  # 条款
    responsible_department = models.CharField(_("responsible department"), max_length=100, blank=True)
    # 协助: 谁委托谁出钱
    delegating_unit = models.CharField(_("delegating department"), max_length=100, blank=True)
    # The district's unit that name designates, resolved when the version is published (`catalog.services.
    # items_resolve_payers`): funding and supervision join on this key, never on the name.
    payer = models.ForeignKey(
        "catalog.Unit",
        verbose_name=_("delegating unit"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    standard_funding = models.DecimalField(
        _("standard funding per community per year (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    # 考核
    issuing_level = models.CharField(_("issuing level"), max_length=16, choices=IssuingLevel.choices, blank=True)
    max_per_year = models.PositiveSmallIntegerField(
        _("maximum per year"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    allowed_months = models.JSONField(_("months allowed"), default=no_months, blank=True)
    # 退出
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    belongs_to = models.CharField(_("where the work belongs instead"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=ItemSource.choices, default=ItemSource.MANUAL)
    source_reference = models.CharField(_("source reference"), max_length=300, blank=True)
    # 常见说法: how demands word this item ("催缴欠税" for 协税护税); staff keep them in the draft and the sheet.
    aliases = models.JSONField(_("common wordings"), default=no_aliases, blank=True)
    # An approved application's terms: the communities it applies to (none = every community of the
    # district) and the last day it applies (empty = open-ended).
    communities = models.ManyToManyField(
        "catalog.Unit",
        verbose_name=_("communities it applies to"),
        blank=True,
        related_name="catalogue_items",
        help_text=_("Leave empty for every community of the district."),
    )
    applies_until = models.DateField(_("applies until"), null=True, blank=True)
    search_tokens = models.TextField(_("search tokens"), blank=True, editable=False)
    # PostgreSQL keeps this in step with search_tokens by a trigger (migration 0005); SQLite leaves it empty.
    search_vector = SearchVectorField(_("search vector"), null=True, editable=False)

    objects = CatalogueItemQuerySet.as_manager()

    # An item's content: what staff edit, what imports carry, what versions compare.
    CONTENT_FIELDS = [
        "code",
        "list",
        "type",
        "title",
        "description",
        "basis_document",
        "basis_number",
        "basis_article",
        "responsible_department",
        "delegating_unit",
        "standard_funding",
        "issuing_level",
        "max_per_year",
        "allowed_months",
        "withdrawal_reason",
        "belongs_to",
        "source",
        "source_reference",
        "aliases",
        "applies_until",
    ]

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        ordering = ["list", "code", "title"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="catalogue_item_once_per_version"),
            models.CheckConstraint(
                condition=Q(standard_funding__isnull=True) | Q(standard_funding__gte=0),
                name="catalogue_item_funding_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(list=ItemList.ASSESSMENTS) | Q(issuing_level__in=ADMISSIBLE_ISSUING_LEVELS),
                name="catalogue_assessment_issued_province_or_above",
            ),
        ]
        indexes = [models.Index(fields=["version", "list", "type"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if (
            self.version_id
            and not CatalogueVersion.objects.filter(pk=self.version_id, state=VersionState.DRAFT).exists()
        ):
            raise PublishedVersionError(_("A published catalogue version never changes."))
        from ..search import item_tokens  # the segmenter loads its dictionary on first use

        self.allowed_months = sorted(set(self.allowed_months or []))
        self.search_tokens = item_tokens(self)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self.version.is_draft:
            raise PublishedVersionError(_("A published catalogue version never changes."))
        return super().delete(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.list == ItemList.ASSISTANCE:
            if not self.delegating_unit:
                errors["delegating_unit"] = _(
                    "An assistance item needs the department that delegates it (谁委托谁出钱)."
                )
            if self.standard_funding is None:
                errors["standard_funding"] = _("An assistance item needs its standard funding per community per year.")
        if self.list == ItemList.ASSESSMENTS:
            if self.issuing_level not in ADMISSIBLE_ISSUING_LEVELS:
                errors["issuing_level"] = _("Only assessments required at province level or above may be admitted.")
            if not self.max_per_year:
                errors["max_per_year"] = _("An assessment needs its maximum number per year.")
        if self.list == ItemList.WITHDRAWN and not self.withdrawal_reason:
            errors["withdrawal_reason"] = _("A withdrawn item needs the reason it was withdrawn.")
        months = self.allowed_months or []
        if not isinstance(months, list) or any(not isinstance(m, int) or not 1 <= m <= 12 for m in months):
            errors["allowed_months"] = _("Months must be whole numbers from 1 to 12.")
        if errors:
            raise ValidationError(errors)

    def applies_to(self, community, on, *, named=None) -> bool:
        """Whether this item is work for `community` on `on` (the rule of CatalogueItemQuerySet.applicable_to;
        prefetch `communities` when asking for many items, or give `named`: the ids of its communities)."""
        if self.applies_until is not None and on > self.applies_until:
            return False
        if named is None:
            named = {unit.pk for unit in self.communities.all()}
        return not named or community.pk in named

    def basis_display(self) -> str:
        parts = [self.basis_document, self.basis_number, self.basis_article]
        return " ".join(part for part in parts if part)

    def diff_values(self) -> dict:
        return {field: getattr(self, field) for field in self.CONTENT_FIELDS}
