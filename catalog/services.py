"""Writes. Each one checks who acts, validates, and saves atomically."""

import re
import uuid
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from . import io
from .choices import Role, UnitKind, VersionState
from .io import ImportRejected, RowError
from .models import CatalogueItem, CatalogueVersion, DistrictPolicy, Unit, User
from .search import item_tokens
from .text import comparison_key

POLICY_FIELDS = (
    "pass_threshold_percent",
    "pass_rate_basis",
    "first_batch_month",
    "second_batch_month",
    "expedited_notice_working_days",
    "intake_close_day",
    "consultation_end_day",
    "committee_day",
)


def can_manage_district(user: User, district: Unit) -> bool:
    """Civil-affairs staff keep their own district's rules and catalogue; administrators any district's."""
    if not user.is_authenticated:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.CIVIL_AFFAIRS and user.unit.district_id == district.pk


can_edit_policy = can_manage_district


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


# --- The catalogue: drafts, items, publication ---------------------------------------------------


class CatalogueError(Exception):
    """A catalogue change that the rules do not allow; the message says why."""


def _require_manager(actor: User, district: Unit) -> None:
    if not can_manage_district(actor, district):
        raise PermissionDenied(_("Only the district's civil-affairs staff may change its catalogue."))


def draft_start(*, district: Unit, actor: User) -> CatalogueVersion:
    """The district's open draft; a new one starts as a copy of the latest published version."""
    _require_manager(actor, district)
    with transaction.atomic():
        Unit.objects.select_for_update().get(pk=district.pk)  # two people opening a draft at once get one draft
        draft = CatalogueVersion.objects.filter(district=district, state=VersionState.DRAFT).first()
        if draft:
            return draft
        draft = CatalogueVersion.objects.create(district=district, created_by=actor)
        latest = (
            CatalogueVersion.objects.filter(district=district, state=VersionState.PUBLISHED)
            .order_by("-effective_from")
            .first()
        )
        if latest:
            _copy_items(latest, draft)
            draft.title = latest.title
            draft.save(update_fields=["title"])
    return draft


def _require_draft(version: CatalogueVersion) -> None:
    if not version.is_draft:
        raise CatalogueError(
            _("Version %(version)s is published and never changes; edit the draft.") % {"version": version.number}
        )


def item_save(*, draft: CatalogueVersion, actor: User, item: CatalogueItem | None = None, **fields) -> CatalogueItem:
    _require_manager(actor, draft.district)
    _require_draft(draft)
    item = item or CatalogueItem(version=draft)
    if item.version_id != draft.pk:
        raise CatalogueError(_("This item belongs to another version."))
    communities = fields.pop("communities", None)  # a relation: set after the item is saved
    for field, value in fields.items():
        setattr(item, field, value)
    item.full_clean(exclude=["version", "search_tokens"])
    if communities is not None and any(
        unit.kind != UnitKind.COMMUNITY or unit.district_id != draft.district_id for unit in communities
    ):
        raise ValidationError({"communities": _("Choose communities of this district only.")})
    with transaction.atomic():
        _require_draft(CatalogueVersion.objects.select_for_update().get(pk=draft.pk))
        item.save()
        if communities is not None:
            item.communities.set(communities)
    return item


# The 序号 prefix of each list when it has no numbered item yet (as in the import template).
CODE_PREFIXES = {"duties": "LZ", "assistance": "XZ", "withdrawn": "TC", "assessments": "KH"}
_CODE = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")


def item_next_code(*, version: CatalogueVersion, item_list: str) -> str:
    """The next 序号 of a list: its highest number plus one, with that code's prefix and width ("XZ-09" → "XZ-10");
    "XZ-01" for a list without numbered items."""
    best = None
    for code in version.items.filter(list=item_list).values_list("code", flat=True):
        match = _CODE.match(code.strip())
        if match and (best is None or int(match["number"]) > int(best["number"])):
            best = match
    if best is None:
        return f"{CODE_PREFIXES.get(item_list, 'X')}-01"
    return f"{best['prefix']}{int(best['number']) + 1:0{len(best['number'])}d}"


def item_delete(*, item: CatalogueItem, actor: User) -> None:
    _require_manager(actor, item.version.district)
    with transaction.atomic():
        _require_draft(CatalogueVersion.objects.select_for_update().get(pk=item.version_id))
        item.delete()


def version_publish(
    *,
    draft: CatalogueVersion,
    actor: User,
    effective_from: date,
    title: str = "",
    note: str = "",
    history: bool = False,
) -> CatalogueVersion:
    """Publish the draft as the next version, in force from `effective_from`; it never changes again.
    Publication cannot rewrite the past: a check answered yesterday must stay answerable as it was, so the date
    is today or later. Only loading a catalogue's earlier history (`history`, the demo and first set-up) may
    publish versions that came into force before the system knew them."""
    _require_manager(actor, draft.district)
    with transaction.atomic():
        draft = CatalogueVersion.objects.select_for_update().get(pk=draft.pk)
        _require_draft(draft)
        published = CatalogueVersion.objects.filter(district=draft.district, state=VersionState.PUBLISHED)
        latest = published.order_by("-effective_from").first()
        if latest and effective_from <= latest.effective_from:
            raise CatalogueError(
                _("The new version must come into force after version %(number)s (in force from %(date)s).")
                % {"number": latest.number, "date": latest.effective_from}
            )
        today = timezone.localdate()
        if effective_from < today and not history:
            raise CatalogueError(
                _(
                    "A version cannot come into force on %(date)s, before today (%(today)s): what was in force on past "
                    "days, and every check answered on them, must not change. Choose today or a later date."
                )
                % {"date": effective_from, "today": today}
            )
        if not draft.items.exists():
            raise CatalogueError(_("The draft has no items; an empty catalogue cannot be published."))
        items_resolve_payers(version=draft)
        draft.state = VersionState.PUBLISHED
        draft.number = (published.aggregate(n=Max("number"))["n"] or 0) + 1
        draft.effective_from = effective_from
        draft.title = title or draft.title
        draft.note = note
        draft.published_at = timezone.now()
        draft.published_by = actor
        draft.save()
    return draft


def payer_keys(*, district_id: int) -> dict[str, int]:
    """comparison_key(name) → id of the district's departments and street offices, each also under its name
    without the 区 prefix (a catalogue may write 卫生健康局 for 区卫生健康局)."""
    units = Unit.objects.filter(district_id=district_id, kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET])
    keys: dict[str, int] = {}
    for pk, name in units.order_by("kind", "name").values_list("pk", "name"):
        keys.setdefault(comparison_key(name), pk)
        keys.setdefault(comparison_key(name.removeprefix("区")), pk)
    return keys


def items_resolve_payers(*, version: CatalogueVersion) -> int:
    """Give each item of `version` the key of the unit its delegating department names (谁委托谁出钱), once,
    at publication, so that contracts, unfunded obligations and findings join on ids. Returns how many items
    name a unit the district has."""
    keys = payer_keys(district_id=version.district_id)
    items = list(version.items.only("pk", "delegating_unit", "payer"))
    for item in items:
        name = comparison_key(item.delegating_unit)
        item.payer_id = (keys.get(name) or keys.get(name.removeprefix("区"))) if name else None
    CatalogueItem.objects.bulk_update(items, ["payer"], batch_size=500)
    return sum(1 for item in items if item.payer_id)


def items_replace(
    *, draft: CatalogueVersion, actor: User, rows: list[tuple[int, CatalogueItem]], lists: set[str] | None = None
) -> int:
    """Replace the draft's items on `lists` (all lists if None) with `rows`, all or nothing.

    Each row is (row number for error messages, unsaved item). Raises ImportRejected listing every error.
    """
    _require_manager(actor, draft.district)
    _require_draft(draft)
    errors = _row_errors(draft, rows)
    if errors:
        raise ImportRejected(errors)
    return _write_rows(draft, rows, lists)


def _write_rows(draft: CatalogueVersion, rows: list[tuple[int, CatalogueItem]], lists: set[str] | None) -> int:
    """Write rows that have been validated, under the draft's lock."""
    for _number, item in rows:
        item.allowed_months = sorted(set(item.allowed_months or []))
        item.search_tokens = item_tokens(item)
    with transaction.atomic():
        # Re-checked under the lock: a colleague may have published this draft while the file was read.
        _require_draft(CatalogueVersion.objects.select_for_update().get(pk=draft.pk))
        existing = draft.items.all() if lists is None else draft.items.filter(list__in=lists)
        existing.delete()
        CatalogueItem.objects.bulk_create([item for _number, item in rows])
    return len(rows)


def _row_errors(draft: CatalogueVersion, rows: list[tuple[int, CatalogueItem]], skip=frozenset()) -> list[RowError]:
    """Every model-rule error of every row (fields in `skip` already failed to parse), and repeated items."""
    errors, seen = [], {}
    for number, item in rows:
        item.version = draft
        try:
            item.full_clean(exclude=["version", "search_tokens"], validate_unique=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                column = io.header_of(field) if field in io.FIELDS else field
                if (number, column) not in skip:
                    errors.extend(RowError(number, column, m) for m in messages)
        if item.key in seen:
            errors.append(
                RowError(
                    number,
                    io.header_of("key"),
                    _("The same item appears again in row %(row)s.") % {"row": seen[item.key]},
                )
            )
        seen.setdefault(item.key, number)
    return errors


def draft_discard(*, draft: CatalogueVersion, actor: User) -> int:
    """Throw the draft's changes away: it holds the latest published version's items again (or none). Returns
    how many items it holds now."""
    _require_manager(actor, draft.district)
    with transaction.atomic():
        draft = CatalogueVersion.objects.select_for_update().get(pk=draft.pk)
        _require_draft(draft)
        latest = (
            CatalogueVersion.objects.filter(district=draft.district, state=VersionState.PUBLISHED)
            .order_by("-effective_from")
            .first()
        )
        draft.items.all().delete()
        copied = _copy_items(latest, draft) if latest else 0
        draft.title = latest.title if latest else ""
        draft.save(update_fields=["title"])
    return copied


def _copy_items(source: CatalogueVersion, draft: CatalogueVersion) -> int:
    """Copy every item of `source` into `draft`, each with the communities it applies to (an approved item's
    scope travels from version to version: without it the item would apply to every community)."""
    copies, named = [], []
    for item in source.items.prefetch_related("communities"):
        communities = list(item.communities.all())
        item.pk = None
        item.version = draft
        copies.append(item)
        named.append(communities)
    CatalogueItem.objects.bulk_create(copies)
    CatalogueItem.communities.through.objects.bulk_create(
        [
            CatalogueItem.communities.through(catalogueitem_id=copy.pk, unit_id=unit.pk)
            for copy, units in zip(copies, named, strict=True)
            for unit in units
        ]
    )
    return len(copies)


def item_revert(*, draft: CatalogueVersion, actor: User, key: uuid.UUID) -> str:
    """Undo the draft's change to one item (by its key): a changed or removed item gets the published version's
    content back, an added one leaves the draft. Returns "restored" or "removed"."""
    _require_manager(actor, draft.district)
    with transaction.atomic():
        draft = CatalogueVersion.objects.select_for_update().get(pk=draft.pk)
        _require_draft(draft)
        latest = (
            CatalogueVersion.objects.filter(district=draft.district, state=VersionState.PUBLISHED)
            .order_by("-effective_from")
            .first()
        )
        published = latest.items.filter(key=key).first() if latest else None
        current = draft.items.filter(key=key).first()
        if published is None and current is None:
            raise CatalogueError(_("Neither the draft nor the published version has this item."))
        if published is None:
            current.delete()
            return "removed"
        if (
            current is not None
            and current.diff_values() == published.diff_values()
            and set(current.communities.values_list("pk", flat=True))
            == set(published.communities.values_list("pk", flat=True))
        ):
            return "restored"  # already as published: nothing to write, nothing to record
        item = current or CatalogueItem(version=draft, key=key)
        for field in CatalogueItem.CONTENT_FIELDS:
            setattr(item, field, getattr(published, field))
        item.save()
        item.communities.set(published.communities.all())
    return "restored"


def version_title_suggestion(*, district: Unit, on: date) -> str:
    """锦江区社区工作事项清单（2026年12月修订）: a new version's title, from the date it is prepared."""
    return _("%(district)s community work item lists (revised %(year)s-%(month)s)") % {
        "district": district.name,
        "year": on.year,
        "month": on.month,
    }
