"""A district's spreadsheet into its draft: a proposal first (what would change, what looks wrong), then a
decision, in one transaction, recorded (issue 16: an import must never destroy a list by surprise).

Rules:
- Only the columns present in the sheet change; an item the sheet does not mention stays, unless the person
  says, list by list, that the sheet is the whole list (then it is removed).
- A row is the same item as a draft item by its 编号键; failing that (the key left empty, or from an older
  version where the item had been deleted) by 序号 and title in the same list, then by title in the same list.
- The proposal is stored with the draft's state it was computed against (`basis`); confirming it after the
  draft changed is refused (409 in the API): what is confirmed is what was shown.
"""

import hashlib
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import io
from .choices import ImportState, ItemList, ItemSource
from .io import ImportRejected, RowError
from .models import CatalogueImport, CatalogueItem, CatalogueVersion, User
from .search import item_tokens
from .text import comparison_key
from .transitions import StateConflict, StateMachine, Transition

IMPORT = StateMachine(
    CatalogueImport,
    {
        "apply": Transition(
            {ImportState.PROPOSED},
            ImportState.APPLIED,
            _("Apply these changes to the draft"),
            confirm=_("Apply the changes listed above to the draft?"),
        ),
        "cancel": Transition({ImportState.PROPOSED}, ImportState.CANCELLED, _("Cancel this import")),
    },
)
SHRINK_WARNING = Decimal(2) / 3  # a list left with less than two thirds of its items is worth a second look
# What the sheet may change: the item's content, except where it came from (the sheet does not say).
SHEET_FIELDS = [f for f in io.FIELDS if f != "key"]
# Cells that tolerant reading interprets; the preview shows what each was read as.
READ_FIELDS = ("list", "type", "standard_funding", "issuing_level", "max_per_year", "allowed_months")


class StaleImport(StateConflict):
    """The draft changed after the file was read: the proposal no longer says what would happen."""


def _can_manage(user, district) -> bool:
    from .services import can_manage_district

    return can_manage_district(user, district)


def draft_basis(draft: CatalogueVersion) -> str:
    """A fingerprint of the draft's items: any edit, addition or removal changes it."""
    rows = sorted(
        (str(key), *map(str, values)) for key, *values in draft.items.values_list("key", *CatalogueItem.CONTENT_FIELDS)
    )
    return hashlib.sha256(json.dumps([draft.pk, draft.state, rows], ensure_ascii=False).encode()).hexdigest()


# --- The plan: what the stored rows would do to the draft -------------------------------------------------


@dataclass
class FieldChange:
    field: str
    label: str
    before: str
    after: str
    written: str = ""  # what the cell said, where it differs from how the value is shown
    emptied: bool = False


@dataclass
class Change:
    kind: str  # added, changed, unchanged, missing (on a listed list, not in the sheet)
    list: str
    title: str
    row: int = 0
    item: CatalogueItem | None = None
    values: dict = field(default_factory=dict)
    fields: list[FieldChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    readings: list[FieldChange] = field(default_factory=list)  # how tolerant reading understood cells


@dataclass
class Plan:
    changes: list[Change]
    lists: list[str]  # the lists the sheet holds, in catalogue order
    before: dict  # list → items in the draft now
    warnings: list[str]
    errors: list[RowError]
    fields: list[str]

    def of(self, kind: str, lst: str | None = None) -> list[Change]:
        return [c for c in self.changes if c.kind == kind and (lst is None or c.list == lst)]

    def counts(self, whole_lists=()) -> dict:
        """Per list and in all: added, changed, unchanged, removed (on the lists chosen as whole), kept."""
        per = {}
        for lst in self.lists:
            missing = len(self.of("missing", lst))
            whole = lst in whole_lists
            per[lst] = {
                "added": len(self.of("added", lst)),
                "changed": len(self.of("changed", lst)),
                "unchanged": len(self.of("unchanged", lst)),
                "removed": missing if whole else 0,
                "kept": 0 if whole else missing,
                "before": self.before.get(lst, 0),
                "after_if_whole": self._after(lst, whole=True),
                "after": self._after(lst, whole=whole),
            }
        total = {k: sum(row[k] for row in per.values()) for k in ("added", "changed", "unchanged", "removed")}
        return {"lists": per, **total}

    def _after(self, lst: str, *, whole: bool) -> int:
        """Items the list would hold: every row that ends on it, and (unless whole) the items the sheet omits."""
        rows = sum(1 for c in self.changes if c.kind != "missing" and c.values.get("list") == lst)
        return rows + (0 if whole else len(self.of("missing", lst)))

    def shrinking(self) -> dict[str, tuple[int, int]]:
        """Lists that would keep less than two thirds of their items if the sheet were taken as the whole list."""
        out = {}
        for lst in self.lists:
            before, after = self.before.get(lst, 0), self._after(lst, whole=True)
            if before and after < before * SHRINK_WARNING:
                out[lst] = (before, after)
        return out


def _jsonable(values: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal | uuid.UUID) else v) for k, v in values.items()}


def _typed(values: dict) -> dict:
    out = dict(values)
    if out.get("standard_funding") not in (None, ""):
        out["standard_funding"] = Decimal(out["standard_funding"])
    if out.get("key"):
        out["key"] = uuid.UUID(out["key"])
    return out


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def _next_codes(items, rows) -> dict:
    """The next free number of each list's prefix (LZ-, XZ-, TC-, KH-), after every code in the draft and sheet."""
    highest = Counter()
    codes = [item.code for item in items] + [row["values"].get("code", "") for row in rows]
    for lst, prefix in io.LIST_PREFIXES.items():
        for code in codes:
            match = re.fullmatch(rf"{prefix}-?(\d+)", code or "")
            if match:
                highest[lst] = max(highest[lst], int(match.group(1)))
    return highest


def plan_import(*, draft: CatalogueVersion, record: CatalogueImport, items=None) -> Plan:
    """What `record`'s rows would do to the draft as it is now (nothing is written)."""
    items = list(draft.items.all()) if items is None else items
    fields = [f for f in record.fields if f in SHEET_FIELDS]
    by_key = {item.key: item for item in items}
    taken: dict[int, int] = {}  # item pk → the row that claimed it
    changes, errors = [], [RowError(e[0], e[1], e[2]) for e in record.errors]
    codes = _next_codes(items, record.rows)
    lost_keys = 0

    def find(values):
        lst, title, code = values.get("list"), comparison_key(values.get("title")), values.get("code") or ""
        free = [i for i in items if i.pk not in taken and comparison_key(i.title) == title]
        for candidates in (
            [i for i in free if i.list == lst and code and i.code == code],
            [i for i in free if i.list == lst],
            [i for i in free if code and i.code == code],
        ):
            if len(candidates) == 1:
                return candidates[0]
        return None

    rows_of_key: dict = {}
    for row in record.rows:
        number, values = row["row"], _typed(row["values"])
        key = values.get("key")
        if key and key in rows_of_key:
            # One 编号键, one item: two rows with it would be two items under one key (the draft holds each once).
            errors.append(
                RowError(
                    number,
                    io.header_of("key"),
                    _("The same item appears again in row %(row)s.") % {"row": rows_of_key[key]},
                )
            )
            continue
        if key:
            rows_of_key[key] = number
        item = by_key.get(key) if key else None
        notes = []
        if item is not None and item.pk in taken:
            errors.append(
                RowError(
                    number,
                    io.header_of("key"),
                    _("The same item appears again in row %(row)s.") % {"row": taken[item.pk]},
                )
            )
            continue
        if item is None:
            item = find(values)
            if item is not None and "key" in record.fields and not key:
                lost_keys += 1
                notes.append(_("编号键 is empty: matched to the draft's item by its 序号 and title (the key is kept)."))
            elif item is not None and key:
                notes.append(_("Its 编号键 is from another version: matched by 序号 and title."))
        readings = [
            FieldChange(f, io.header_of(f), "", io.display(f, values.get(f)) or _("(any month)"), written=row["raw"][f])
            for f in READ_FIELDS
            if f in values and row["raw"].get(f) and row["raw"][f] != io.display(f, values[f])
        ]
        if item is None:
            after = {f: values[f] for f in fields if f in values}
            if not after.get("code") and after.get("list") in io.LIST_PREFIXES:
                codes[after["list"]] += 1
                after["code"] = f"{io.LIST_PREFIXES[after['list']]}-{codes[after['list']]:02d}"
                notes.append(_("序号 numbered %(code)s.") % {"code": after["code"]})
            after["key"] = key or uuid.UUID(row["new_key"])
            change = Change("added", after.get("list", ""), after.get("title", ""), number, None, after, notes=notes)
        else:
            taken[item.pk] = number
            before = item.diff_values()
            after = dict(before)
            for f in fields:
                if f not in values:
                    continue  # the cell could not be read: its error is already listed
                if f == "code" and not values[f]:
                    continue  # 序号 left empty keeps the item's number
                after[f] = values[f]
            diffs = [
                FieldChange(
                    f,
                    io.header_of(f),
                    io.display(f, before[f]),
                    io.display(f, after[f]),
                    emptied=_empty(after[f]) and not _empty(before[f]),
                )
                for f in fields
                if _comparable(before[f]) != _comparable(after[f])
            ]
            for diff in diffs:
                if diff.emptied:
                    notes.append(_("“%(column)s” would be emptied.") % {"column": diff.label})
            kind = "changed" if diffs else "unchanged"
            change = Change(kind, after["list"], after["title"], number, item, after, diffs, notes)
        change.readings = readings
        changes.append(change)
        errors.extend(_model_errors(draft, change, skip={(e.row, e.column) for e in errors}))
    lists = [lst for lst in ItemList.values if any(c.values.get("list") == lst for c in changes)]
    for item in items:
        if item.pk not in taken and item.list in lists:
            changes.append(Change("missing", item.list, item.title, 0, item, item.diff_values()))
    before = Counter(item.list for item in items)
    plan = Plan(changes, lists, dict(before), [], sorted(errors, key=lambda e: e.row), record.fields)
    if "key" not in record.fields:
        plan.warnings.append(_("The sheet has no 编号键 column: its rows are matched to the draft by 序号 and title."))
    for lst, (was, now) in plan.shrinking().items():
        plan.warnings.append(
            _(
                "If the sheet is taken as the whole “%(list)s” list, that list shrinks from %(before)s to %(after)s "
                "items (by more than a third)."
            )
            % {"list": ItemList(lst).label, "before": was, "after": now}
        )
    emptied = sum(1 for c in changes for f in c.fields if f.emptied)
    if emptied:
        plan.warnings.append(
            _("%(n)s filled-in fields would be emptied by blank cells (see the items marked below).") % {"n": emptied}
        )
    if lost_keys:
        plan.warnings.append(
            _("%(n)s rows have lost their 编号键; they were matched by 序号 and title.") % {"n": lost_keys}
        )
    return plan


def _comparable(value):
    if isinstance(value, Decimal):
        return value.normalize()
    if value in (None, ""):
        return ""
    return value


def _model_errors(draft, change: Change, skip) -> list[RowError]:
    if change.kind == "unchanged":
        return []
    item = CatalogueItem(version=draft, **change.values)
    errors = []
    try:
        # The model's own rules (clean), not the constraints: their messages name tables, not cells.
        item.full_clean(exclude=["version", "search_tokens"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            column = io.header_of(name) if name in io.FIELDS else ""
            if (change.row, column) not in skip:
                errors.extend(RowError(change.row, column, m) for m in messages)
    return errors


# --- Services ------------------------------------------------------------------------------------------


def _require(actor: User, draft: CatalogueVersion) -> None:
    if not _can_manage(actor, draft.district):
        raise PermissionDenied(_("Only the district's civil-affairs staff may change its catalogue."))
    if not draft.is_draft:
        raise StateConflict(_("This version is published and never changes; import into the draft."))


def import_propose(*, draft: CatalogueVersion, actor: User, upload, filename: str) -> CatalogueImport:
    """Read a spreadsheet and store what it would change in the draft; nothing in the draft changes.

    Raises ImportRejected (with `.record`, a refused import whose file can be returned annotated, when the file
    could be read as a table) if any cell is wrong: then nothing is proposed.
    """
    _require(actor, draft)
    try:
        sheet = io.read_table(upload, filename)
    except ImportRejected as exc:
        exc.record = _refused(draft, actor, filename, exc.sheet, exc.errors) if exc.sheet else None
        raise
    rows, errors = [], []
    for number, raw in sheet.rows:
        values, row_errors = io.parse_row(number, raw)
        errors.extend(row_errors)
        rows.append({"row": number, "raw": raw, "values": _jsonable(values), "new_key": str(uuid.uuid4())})
    record = CatalogueImport(
        draft=draft,
        filename=filename[:255],
        kind=sheet.kind,
        fields=sheet.fields,
        columns=sheet.columns,
        rows=rows,
        errors=[[e.row, e.column, e.message] for e in errors],
        created_by=actor,
    )
    plan = plan_import(draft=draft, record=record)
    if plan.errors:
        exc = ImportRejected(plan.errors, sheet)
        exc.record = _refused(draft, actor, filename, sheet, plan.errors)
        raise exc
    record.basis = draft_basis(draft)
    record.counts = plan.counts()
    with transaction.atomic():
        record.upload.save(_stored_name(filename), ContentFile(sheet.data), save=False)
        record.save()
    return record


def _stored_name(filename: str) -> str:
    return f"{uuid.uuid4().hex}.{'xlsx' if filename.lower().endswith('.xlsx') else 'csv'}"


def _refused(draft, actor, filename, sheet, errors) -> CatalogueImport:
    record = CatalogueImport(
        draft=draft,
        state=ImportState.REFUSED,
        filename=filename[:255],
        kind=sheet.kind,
        fields=sheet.fields,
        columns=sheet.columns,
        errors=[[e.row, e.column, e.message] for e in errors],
        created_by=actor,
    )
    record.upload.save(_stored_name(filename), ContentFile(sheet.data), save=False)
    record.save()
    return record


def error_workbook(record: CatalogueImport) -> bytes:
    """The uploaded file with each wrong cell highlighted and commented."""
    with record.upload.open("rb") as file:
        data = file.read()
    errors = [RowError(*e) for e in record.errors]
    return io.annotated_workbook(data=data, kind=record.kind, errors=errors, columns=record.columns)


def import_apply(*, record: CatalogueImport, actor: User, whole_lists=()) -> CatalogueImport:
    """Apply a proposal to the draft in one transaction: the changed and added items, and the removal of the
    items not in the sheet from the lists chosen as whole. Refused if the draft changed since the proposal."""
    draft = record.draft
    _require(actor, draft)
    whole_lists = sorted(set(whole_lists))
    with transaction.atomic():
        draft = CatalogueVersion.objects.select_for_update().get(pk=draft.pk)
        if not draft.is_draft:
            raise StateConflict(_("The draft was published meanwhile; import into the new draft."))
        record = IMPORT.begin(record, "apply")
        if draft_basis(draft) != record.basis:
            raise StaleImport(
                _(
                    "The draft has changed since “%(file)s” was read, so this preview no longer says what the "
                    "import would do. Upload the file again to see the changes against the draft as it is now."
                )
                % {"file": record.filename}
            )
        plan = plan_import(draft=draft, record=record)
        unknown = set(whole_lists) - set(plan.lists)
        if unknown:
            raise ValidationError(_("The sheet does not hold the list(s): %(lists)s.") % {"lists": ", ".join(unknown)})
        if plan.errors:  # the basis matched, so this cannot happen; never write half a proposal
            raise ImportRejected(plan.errors)
        new = []
        for change in plan.of("added"):
            item = CatalogueItem(version=draft, source=ItemSource.REFORM, **change.values)
            item.allowed_months = sorted(set(item.allowed_months or []))
            item.search_tokens = item_tokens(item)
            new.append(item)
        CatalogueItem.objects.bulk_create(new)
        for change in plan.of("changed"):
            for diff in change.fields:
                setattr(change.item, diff.field, change.values[diff.field])
            change.item.save()
        removed = [c.item.pk for c in plan.of("missing") if c.list in whole_lists]
        if removed:
            CatalogueItem.objects.filter(pk__in=removed).delete()
        counts = plan.counts(whole_lists)
        record.whole_lists = whole_lists
        record.counts = counts
        record.decided_at = timezone.now()
        record.decided_by = actor
        IMPORT.finish(
            record,
            "apply",
            actor=actor,
            note=_("%(added)s added, %(changed)s changed, %(removed)s removed") % counts,
        )
    return record


def import_cancel(*, record: CatalogueImport, actor: User) -> CatalogueImport:
    _require(actor, record.draft)
    with transaction.atomic():
        record = IMPORT.begin(record, "cancel")
        record.decided_at, record.decided_by = timezone.now(), actor
        IMPORT.finish(record, "cancel", actor=actor)
    return record
