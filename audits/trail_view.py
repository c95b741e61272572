"""The audit trail as an auditor reads it: who (the person's name and unit), what (in Chinese, with a link to the
object where the reader may open it), when (Beijing time), from where, and each changed field before and after.

A presentation of `audits.trail`'s entries only: the chain, its hashes and its triggers are not touched. The page,
its CSV and XLSX exports and the API all read through `trail_entries` (which entries) and `describe` (how each
reads). `describe` looks up the people and the objects an entry names in bulk, one query per kind of object, so
that the query count of a page does not grow with its rows.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs

from django import forms
from django.apps import apps
from django.db import connection, models
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.choices import Role
from catalog.ids import parse_id
from catalog.models import Unit, User
from catalog.selectors import district_scope_q

from . import selectors, trail
from .models import AuditEntry
from .signals import SIGN_IN_TIME

# --- Kinds of action, as an auditor names them --------------------------------------------------------------


class ActionKind(models.TextChoices):
    CREATED = "created", gettext_lazy("Created")
    CHANGED = "changed", gettext_lazy("Changed")
    REMOVED = "removed", gettext_lazy("Removed")
    LOGIN = "login", gettext_lazy("Signed in")
    LOGIN_FAILED = "failed_login", gettext_lazy("Failed sign-in or lockout")
    ACCOUNT = "account", gettext_lazy("Account security")  # API tokens, two-factor sign-in, session expiry
    DENIED = "denied", gettext_lazy("Refused request")
    EXPORT = "export", gettext_lazy("Export of the audit trail")


# The trail's own action codes behind each kind (written by the triggers, the signals and trail.record).
KIND_ACTIONS = {
    ActionKind.CREATED: ("insert",),
    ActionKind.CHANGED: ("update",),
    ActionKind.REMOVED: ("delete",),
    ActionKind.LOGIN: ("login",),
    ActionKind.LOGIN_FAILED: ("login_failed", "locked_out"),
    ActionKind.ACCOUNT: ("session_expired", "token_issued", "token_revoked", "2fa_enrolled", "2fa_removed"),
    ActionKind.DENIED: ("denied",),
    ActionKind.EXPORT: ("export",),
}
ACTION_KIND = {action: kind for kind, actions in KIND_ACTIONS.items() for action in actions}

REQUEST = "request"  # the object type of a refused request (audits.middleware)


def _models_by_table() -> dict[str, type[models.Model]]:
    return {table: trail._model_of(table) for table in trail.audited_tables()}


def _owner(model) -> type[models.Model]:
    """A link table (a many-to-many's) is read as part of the object that holds the field."""
    if model._meta.auto_created:
        holder = model._meta.auto_created._meta.label_lower
        for field_ in model._meta.concrete_fields:
            if field_.is_relation and field_.related_model._meta.label_lower == holder:
                return field_.related_model
    return model


def object_kind_choices() -> list[tuple[str, str]]:
    """Every kind of object the trail holds, by its Chinese name (the values are model labels, never tables)."""
    kinds = {}
    for model in _models_by_table().values():
        owner = _owner(model)
        kinds[owner._meta.label_lower] = str(owner._meta.verbose_name)
    kinds[REQUEST] = _("Refused request")
    return sorted(kinds.items(), key=lambda pair: pair[1])


def _tables_of_kind(kind: str) -> list[str]:
    if kind == REQUEST:
        return [REQUEST]
    return [table for table, model in _models_by_table().items() if _owner(model)._meta.label_lower == kind]


# --- Which entries ------------------------------------------------------------------------------------------


def trail_units(user: User) -> QuerySet[Unit]:
    """The units whose people the reader may look for: units with people, in the reader's districts."""
    qs = Unit.objects.filter(users__isnull=False).select_related("parent").distinct().order_by("kind", "name")
    if user.role == Role.ADMIN:
        return qs
    return qs.filter(district_scope_q(user, field="district"))


def trail_people(user: User) -> QuerySet[User]:
    qs = User.objects.select_related("unit").order_by("unit__name", "last_name", "first_name", "username")
    if user.role == Role.ADMIN:
        return qs
    return qs.filter(district_scope_q(user, field="unit__district"))


class _ObjectChoice(forms.ModelChoiceField):
    """A choice of object by id: an id that is not one (catalog.ids) is an invalid choice, never a lookup."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if parse_id(value) is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class TrailFilter(forms.Form):
    """The trail's filters, all of them choices: no code to type. Shared by the page, its exports and the API."""

    unit = _ObjectChoice(label=gettext_lazy("Unit"), queryset=Unit.objects.none(), required=False)
    person = _ObjectChoice(label=gettext_lazy("Person"), queryset=User.objects.none(), required=False)
    action = forms.ChoiceField(label=gettext_lazy("Kind of action"), required=False)
    object = forms.ChoiceField(label=gettext_lazy("Kind of object"), required=False)
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    routine = forms.BooleanField(label=gettext_lazy("Include routine entries (sign-in times)"), required=False)

    def __init__(self, data=None, *, user: User):
        super().__init__(data)
        self.fields["unit"].queryset = trail_units(user)
        self.fields["unit"].label_from_instance = _unit_label
        self.fields["unit"].empty_label = self.fields["person"].empty_label = _("All")
        self.fields["person"].queryset = trail_people(user)
        self.fields["person"].label_from_instance = _person_label
        everything = [("", _("All"))]
        self.fields["action"].choices = everything + list(ActionKind.choices)
        self.fields["object"].choices = everything + object_kind_choices()

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date comes before the start date."))
        return data

    def filters(self) -> dict:
        """The valid filters (a wrong one is reported by the form and filters nothing)."""
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors and data.get(name)}


def _unit_label(unit: Unit) -> str:
    return f"{unit.parent.name} {unit.name}" if unit.parent_id else unit.name


def _person_label(user: User) -> str:
    name = user.get_full_name() or user.username
    return f"{name}（{user.unit.name}）" if user.unit_id else name


def _routine_sql() -> str:
    """A person's record rewritten only for its last sign-in time: the login itself is its own entry."""
    return (
        "coalesce(audits_auditentry.object_type = 'catalog_user' AND audits_auditentry.action = 'update' AND "
        "(audits_auditentry.before - 'last_login') = (audits_auditentry.after - 'last_login'), false)"
    )


def trail_entries(
    *,
    user: User,
    unit: Unit | None = None,
    person: User | None = None,
    action: str = "",
    object: str = "",
    since: date | None = None,
    until: date | None = None,
    routine: bool = False,
) -> QuerySet[AuditEntry]:
    """The entries `user` may read (selectors.trail_visible_to), filtered; newest first. Dates are Beijing days."""
    qs = selectors.trail_visible_to(user)
    if unit is not None:
        qs = qs.filter(actor_id__in=User.objects.filter(unit=unit).values("pk"))
    if person is not None:
        qs = qs.filter(actor_id=person.pk)
    if action:
        qs = qs.filter(action__in=KIND_ACTIONS[ActionKind(action)])
    if object:
        qs = qs.filter(object_type__in=_tables_of_kind(object))
    if since:
        qs = qs.filter(at__date__gte=since)  # in the current time zone: Asia/Shanghai
    if until:
        qs = qs.filter(at__date__lte=until)
    if not routine and connection.vendor == "postgresql":
        qs = qs.alias(routine=RawSQL(_routine_sql(), [], output_field=BooleanField())).filter(routine=False)
    elif not routine:  # SQLite: the signal marked the entry (audits.signals.SIGN_IN_TIME)
        qs = qs.exclude(object_type="catalog_user", action="update", note=SIGN_IN_TIME)
    return qs.order_by("-id")


# --- How each entry reads -----------------------------------------------------------------------------------


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class Line:
    id: int
    at: datetime  # Beijing time
    who: str
    unit: str
    ip: str
    action: str
    object: str
    summary: str
    url: str | None
    changes: list[Change] = field(default_factory=list)
    note: str = ""
    hash: str = ""


class _Lookup:
    """Rows named by the entries, fetched in bulk: `get` answers what is known and notes what is missing;
    `fetch` loads the missing ones, one query per model."""

    def __init__(self):
        self.rows: dict[tuple, dict | None] = {}
        self.wanted: dict[type, set] = defaultdict(set)

    def get(self, model, pk) -> dict | None:
        if pk in (None, ""):
            return None
        try:
            key = (model, int(pk))
        except (TypeError, ValueError):
            return None
        if key not in self.rows:
            self.wanted[model].add(key[1])
            return None
        return self.rows[key]

    def fetch(self) -> bool:
        wanted, self.wanted = self.wanted, defaultdict(set)
        for model, pks in wanted.items():
            found = {row["id"]: row for row in model._base_manager.filter(pk__in=pks).values()}
            for pk in pks:
                self.rows[(model, pk)] = found.get(pk)
        return bool(wanted)


HIDDEN = {"id", "password", "last_login"}
MONEY = {"promised", "paid", "overdue"}


def _shown_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if f.attname not in HIDDEN and f.editable and not f.primary_key]


def _label(field_) -> str:
    return str(field_.verbose_name).replace("（元）", "")


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(value) -> str:
    amount = _decimal(value)
    return "" if amount is None else f"{amount:,.2f} 元"


def _local(value) -> datetime | None:
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return timezone.localtime(moment)


def name_of(model, pk, get) -> str:
    """An object by its name, as people know it."""
    if pk in (None, ""):
        return "—"
    row = get(model, pk)
    fallback = f"{model._meta.verbose_name} {pk}"
    if row is None:
        return fallback
    return _row_name(model, row, get) or fallback


def _row_name(model, row: dict, get) -> str:
    label = model._meta.label_lower
    if label == "catalog.user":
        return " ".join(filter(None, (row.get("last_name"), row.get("first_name")))) or row.get("username", "")
    if label == "funding.instalment":
        return _("%(contract)s, instalment %(n)s · %(community)s") % {
            "contract": name_of(apps.get_model("funding", "Contract"), row.get("contract_id"), get),
            "n": row.get("sequence"),
            "community": name_of(Unit, row.get("community_id"), get),
        }
    if label == "approvals.batch":
        return _("Batch of %(year)s-%(month)02d") % {"year": row.get("year"), "month": int(row.get("month") or 0)}
    if label == "approvals.ballot":
        return _("%(unit)s on %(application)s") % {
            "unit": name_of(Unit, row.get("unit_id"), get),
            "application": name_of(apps.get_model("approvals", "Application"), row.get("application_id"), get),
        }
    if label == "catalog.districtpolicy":
        return name_of(Unit, row.get("district_id"), get)
    if label == "funding.fundingsnapshot":
        return str(row.get("month") or "")[:7]
    if label == "approvals.calendarday":
        return f"{row.get('date')} {row.get('name') or ''}".strip()
    for attname in ("name", "title", "number", "voucher", "filename", "item_title", "year"):
        if row.get(attname) not in (None, ""):
            return str(row[attname])
    for attname in ("description", "demand", "reason", "what"):
        if row.get(attname):
            text = str(row[attname])
            return text if len(text) <= 30 else text[:30] + "…"
    for attname, related in (("application_id", "approvals.Application"), ("contract_id", "funding.Contract")):
        if row.get(attname):
            return name_of(apps.get_model(related), row[attname], get)
    return ""


def value_text(field_, value, get) -> str:
    """A field's value as a person reads it: money with separators and 元, choices by their label, dates as dates,
    a foreign key by the object's name."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if field_.is_relation:
        related = field_.related_model
        if related._meta.label_lower == "contenttypes.contenttype":  # cached for the process by Django
            try:
                model = related.objects.get_for_id(int(value)).model_class()
            except (related.DoesNotExist, TypeError, ValueError):
                model = None
            return str(model._meta.verbose_name) if model else "—"
        return name_of(related, value, get)
    if field_.choices:
        return str(dict(field_.flatchoices).get(value, value))
    if isinstance(field_, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field_, models.DecimalField):
        label = str(field_.verbose_name)
        if "元" in label or field_.attname in MONEY:
            return money(value)
        number = _decimal(value)
        if number is None:
            return str(value)
        return f"{number.normalize():f}%" if "%" in label else f"{number.normalize():f}"
    if isinstance(field_, models.DateTimeField):
        moment = _local(value)
        return moment.strftime("%Y-%m-%d %H:%M") if moment else str(value)
    if isinstance(field_, models.DateField):
        day = value if isinstance(value, date) else parse_date(str(value)[:10])
        return day.isoformat() if day else str(value)
    if isinstance(field_, models.FileField):
        return str(value).rsplit("/", 1)[-1]
    if field_.attname == "allowed_months" and isinstance(value, list):
        return "、".join(f"{m}月" for m in value)
    if isinstance(value, list):
        return (
            "、".join(str(v) for v in value)
            if all(not isinstance(v, dict | list) for v in value)
            else _("%(n)s entries") % {"n": len(value)}
        )
    if isinstance(value, dict):
        return "；".join(f"{k}：{v}" for k, v in value.items())
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _changes(model, entry: AuditEntry, get) -> list[Change]:
    before, after = entry.before or {}, entry.after or {}
    changes = []
    for field_ in _shown_fields(model):
        key = field_.attname
        old, new = before.get(key), after.get(key)
        if entry.action == "update" and entry.before is not None and _same(field_, old, new):
            continue
        if entry.action != "update" and (old if entry.action == "delete" else new) in (None, "", [], {}):
            continue
        changes.append(
            Change(
                _label(field_),
                value_text(field_, old, get) if entry.before is not None else "—",
                value_text(field_, new, get) if entry.after is not None else "—",
            )
        )
    return changes


def _same(field_, old, new) -> bool:
    if isinstance(field_, models.DecimalField):
        return _decimal(old) == _decimal(new)
    if isinstance(field_, models.DateTimeField) and old and new:
        return _local(old) == _local(new)
    return old == new


def _state_change(model, entry: AuditEntry) -> tuple[str, str] | None:
    if entry.action != "update" or not entry.before or not entry.after:
        return None
    if "state" not in entry.after or entry.before.get("state") == entry.after.get("state"):
        return None
    return entry.before.get("state"), entry.after.get("state")


# Particular wordings for the steps auditors look for; everything else reads "新建/修改/删除 …「name」".
def _summary(model, entry: AuditEntry, get) -> str:
    owner = _owner(model)
    kind = str(owner._meta.verbose_name)
    row = entry.after or entry.before or {}
    label = model._meta.label_lower
    if model is not owner:  # a link table: something added to or removed from a list on its owner
        holder = next(f for f in model._meta.concrete_fields if f.is_relation and f.related_model is owner)
        other = next(f for f in model._meta.concrete_fields if f.is_relation and f is not holder)
        m2m = next((f for f in owner._meta.many_to_many if f.remote_field.through is model), None)
        words = {
            "kind": kind,
            "name": name_of(owner, row.get(holder.attname), get),
            "field": str(m2m.verbose_name) if m2m else str(other.related_model._meta.verbose_name),
            "other": name_of(other.related_model, row.get(other.attname), get),
        }
        if entry.action == "delete":
            return _("Removed %(other)s from the %(field)s of %(kind)s %(name)s") % words
        return _("Added %(other)s to the %(field)s of %(kind)s %(name)s") % words
    name = _row_name(model, row, get) or str(entry.object_id)
    words = {"kind": kind, "name": f"「{name}」"}
    if label == "funding.payment" and entry.action == "insert":
        words |= {"amount": money(row.get("amount")), "voucher": row.get("voucher", "")}
        if row.get("reverses_id"):
            return _("Reversed a payment: %(amount)s, voucher %(voucher)s") % words
        instalment = name_of(apps.get_model("funding", "Instalment"), row.get("instalment_id"), get)
        return _("Recorded a payment of %(amount)s, voucher %(voucher)s (%(instalment)s)") % (
            words | {"instalment": instalment}
        )
    if label == "funding.exportrecord" and entry.action == "insert":
        kind_field = model._meta.get_field("kind")
        return _("Exported funding data (%(format)s)") % {"format": value_text(kind_field, row.get("kind"), get)}
    voted = label == "approvals.ballot" and entry.action == "update" and (entry.after or {}).get("vote")
    if voted and (not entry.before or entry.before.get("vote") != entry.after.get("vote")):
        vote = value_text(model._meta.get_field("vote"), entry.after["vote"], get)
        application = name_of(apps.get_model("approvals", "Application"), row.get("application_id"), get)
        return _("%(unit)s voted %(vote)s on %(application)s") % {
            "unit": name_of(Unit, row.get("unit_id"), get),
            "vote": vote,
            "application": f"「{application}」",
        }
    state = _state_change(model, entry)
    if state:
        state_field = model._meta.get_field("state")
        special = {
            ("catalog.catalogueversion", "published"): _("Published the catalogue %(name)s"),
            ("approvals.application", "submitted"): _("Submitted the application %(name)s"),
            ("approvals.application", "approved"): _("Approved the application %(name)s"),
            ("approvals.application", "rejected"): _("Rejected the application %(name)s"),
            ("approvals.application", "withdrawn"): _("Withdrew the application %(name)s"),
            ("funding.contract", "signed"): _("Signed the funding contract %(name)s"),
            ("funding.contract", "terminated"): _("Terminated the funding contract %(name)s"),
            ("audits.notice", "published"): _("Published the notice %(name)s"),
        }
        wording = special.get((label, state[1]))
        if wording:
            return wording % words
        return _("%(kind)s %(name)s: %(from)s → %(to)s") % (
            words | {"from": value_text(state_field, state[0], get), "to": value_text(state_field, state[1], get)}
        )
    if entry.action == "insert":
        return _("Created %(kind)s %(name)s") % words
    if entry.action == "delete":
        return _("Deleted %(kind)s %(name)s") % words
    return _("Changed %(kind)s %(name)s") % words


def _subject(row: dict, get):
    """A state change's subject (catalog.StateEvent names it by content type and id): its model and row."""
    from django.contrib.contenttypes.models import ContentType

    try:
        model = ContentType.objects.get_for_id(int(row.get("content_type_id"))).model_class()
    except (ContentType.DoesNotExist, TypeError, ValueError):
        return None, None
    if model is None or model._meta.app_label not in trail.AUDITED_APPS:
        return None, None
    return model, get(model, row.get("object_id"))


def _state_event_summary(row: dict, get) -> str:
    model, _found = _subject(row, get)
    if model is None:
        return _("State change")
    state = next((f for f in model._meta.concrete_fields if f.attname == "state"), None)
    words = {
        "kind": str(model._meta.verbose_name),
        "name": f"「{name_of(model, row.get('object_id'), get)}」",
        "from": value_text(state, row.get("from_state"), get) if state else row.get("from_state") or "—",
        "to": value_text(state, row.get("to_state"), get) if state else row.get("to_state") or "—",
    }
    return _("%(kind)s %(name)s: %(from)s → %(to)s") % words


def _link(model, row: dict, get) -> str | None:
    """Where the reader may open the object: its page, or the page of what it belongs to."""
    label = _owner(model)._meta.label_lower
    if label == "catalog.stateevent":
        subject_model, subject = _subject(row, get)
        return _link(subject_model, subject, get) if subject else None
    if model is not _owner(model):
        holder = next(f for f in model._meta.concrete_fields if f.is_relation and f.related_model is _owner(model))
        parent = get(_owner(model), row.get(holder.attname))
        return _link(_owner(model), parent, get) if parent else None
    direct = {
        "approvals.application": ("application", "pk", "id"),
        "approvals.batch": ("batch", "pk", "id"),
        "funding.contract": ("contract", "pk", "id"),
        "audits.burdenreport": ("report", "pk", "id"),
        "audits.finding": ("finding", "pk", "id"),
        "audits.notice": ("notice", "pk", "id"),
        "catalog.unit": ("org-unit", "pk", "id"),
        "catalog.districtpolicy": ("policy", "district_id", "district_id"),
        "catalog.catalogueversion": ("catalogue-versions", "district_id", "district_id"),
    }
    parents = {
        "approvals.applicationevent": ("approvals.Application", "application_id"),
        "approvals.ballot": ("approvals.Application", "application_id"),
        "approvals.attachment": ("approvals.Application", "application_id"),
        "funding.instalment": ("funding.Contract", "contract_id"),
        "funding.payment": ("funding.Instalment", "instalment_id"),
        "funding.contractamendment": ("funding.Contract", "contract_id"),
        "audits.evidence": ("audits.BurdenReport", "report_id"),
        "audits.inspection": ("catalog.Unit", "unit_id"),
    }
    if label in direct:
        name, kwarg, attname = direct[label]
        if row.get(attname) in (None, ""):
            return None
        try:
            return reverse(name, kwargs={kwarg: int(row[attname])})
        except (NoReverseMatch, TypeError, ValueError):
            return None
    if label == "catalog.catalogueitem":
        version = get(apps.get_model("catalog", "CatalogueVersion"), row.get("version_id"))
        if version is None:
            return None
        if version.get("state") == "draft":  # a draft is civil affairs' workbench: the versions page instead
            return reverse("catalogue-versions", kwargs={"district_id": version["district_id"]})
        return reverse("catalogue-item", kwargs={"district_id": version["district_id"], "item_id": int(row["id"])})
    if label in parents:
        related, attname = parents[label]
        parent_model = apps.get_model(related)
        parent = get(parent_model, row.get(attname))
        return _link(parent_model, parent, get) if parent else None
    return None


EVENTS = {
    "login": gettext_lazy("Signed in"),
    "session_expired": gettext_lazy("Signed out: the session expired"),
    "token_issued": gettext_lazy("Issued an API token"),
    "token_revoked": gettext_lazy("Revoked an API token"),
    "2fa_enrolled": gettext_lazy("Turned on two-factor sign-in"),
    "2fa_removed": gettext_lazy("Turned off two-factor sign-in"),
}


def _export_filters(note: str, get) -> str:
    """What a trail export held, from the filters it recorded (older exports' filters are not read)."""
    query = {key: values[-1] for key, values in parse_qs(note).items() if values and values[-1]}
    parts = []
    kinds = dict(ActionKind.choices)
    objects = dict(object_kind_choices())
    if query.get("unit", "").isdigit():
        parts.append(_("unit %(name)s") % {"name": name_of(Unit, query["unit"], get)})
    if query.get("person", "").isdigit():
        parts.append(_("person %(name)s") % {"name": name_of(User, query["person"], get)})
    if query.get("action") in kinds:
        parts.append(str(kinds[query["action"]]))
    if query.get("object") in objects:
        parts.append(objects[query["object"]])
    for key, wording in (("since", _("from %(day)s")), ("until", _("to %(day)s"))):
        day = parse_date(query.get(key, "")[:10]) if query.get(key) else None
        if day:
            parts.append(wording % {"day": day.isoformat()})
    return "，".join(parts)


def _event_summary(entry: AuditEntry, get) -> tuple[str, str]:
    """(summary, note) of an entry that is not a row change: logins, refusals, exports, account security."""
    action, note = entry.action, entry.note
    if action == "login_failed":
        return _("Failed sign-in (the note holds the user name as typed)"), note
    if action == "locked_out":
        return _("Locked out after repeated failed sign-ins"), note
    if action == "denied":
        return _("Request refused: %(request)s") % {"request": note or entry.object_id}, ""
    if action == "export":
        filters = _export_filters(note, get)
        fmt = "XLSX" if "format=xlsx" in note else "CSV"
        summary = _("Exported the audit trail (%(format)s)") % {"format": fmt}
        return (summary + (_("; filtered by %(filters)s") % {"filters": filters} if filters else "")), ""
    summary = str(EVENTS.get(action, _("Recorded event")))
    if entry.object_type == "catalog_user" and entry.object_id and entry.object_id != str(entry.actor_id or ""):
        summary += _(" (for %(name)s)") % {"name": name_of(User, entry.object_id, get)}
    if action == "session_expired":
        note = {"idle": _("no activity for 30 minutes"), "absolute": _("8 hours after sign-in")}.get(note, note)
    return summary, note


def _routine(entry: AuditEntry) -> bool:
    if entry.object_type != "catalog_user" or entry.action != "update":
        return False
    if entry.before is None:
        return entry.note == SIGN_IN_TIME
    return {k: v for k, v in entry.before.items() if k != "last_login"} == {
        k: v for k, v in (entry.after or {}).items() if k != "last_login"
    }


def _line(entry: AuditEntry, get, people: dict) -> Line:
    person = people.get(entry.actor_id)
    if person is not None:
        who = person.get_full_name() or person.username
        unit = _unit_label(person.unit) if person.unit_id else ""
    else:
        who = entry.actor or _("system (scheduled job or database)")
        unit = ""
    model = trail._model_of(entry.object_type) if entry.object_type != REQUEST else None
    url, changes, note = None, [], entry.note
    if entry.action in ("insert", "update", "delete") and model is not None:
        kind = ACTION_KIND[entry.action]
        object_kind = str(_owner(model)._meta.verbose_name)
        if _routine(entry):
            summary, kind, note = _("Signed in (sign-in time updated)"), ActionKind.LOGIN, ""
        elif entry.object_type == "catalog_stateevent":  # a change of state, told by its subject
            row = entry.after or entry.before or {}
            summary, note = _state_event_summary(row, get), row.get("note") or ""
            url = _link(model, row, get)
        else:
            summary = _summary(model, entry, get)
            changes = _changes(model, entry, get)
            url = _link(model, entry.after or entry.before or {}, get)
    else:
        kind = ACTION_KIND.get(entry.action)
        object_kind = (
            _("Refused request") if entry.object_type == REQUEST else (str(model._meta.verbose_name) if model else "")
        )
        summary, note = _event_summary(entry, get)
    return Line(
        id=entry.pk,
        at=timezone.localtime(entry.at),
        who=who,
        unit=unit,
        ip=entry.source_ip,
        action=str(ActionKind(kind).label) if kind else _("Recorded event"),
        object=object_kind,
        summary=summary,
        url=url,
        changes=changes,
        note=note,
        hash=entry.hash or str(_("Awaiting seal")),  # written, not yet chained: sealed within seconds
    )


def describe(entries) -> list[Line]:
    """The entries as lines an auditor reads. People in one query, each kind of object named in one more; the
    rows an entry leads to (a payment's instalment, its contract) in at most three further rounds."""
    entries = list(entries)
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    people = {u.pk: u for u in User.objects.filter(pk__in=actor_ids).select_related("unit__parent")}
    lookup = _Lookup()
    for depth in range(4):
        lines = [_line(entry, lookup.get, people) for entry in entries]
        if depth == 3 or not lookup.fetch():
            return lines
    return lines


def trail_query(filters: dict) -> str:
    """The filters as a query string (for the export links and the export's note)."""
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in filters.items():
        query[key] = (
            value.pk
            if isinstance(value, models.Model)
            else value.isoformat()
            if isinstance(value, date)
            else ("1" if value is True else value)
        )
    return query.urlencode()


# --- Exports: CSV and XLSX, Chinese headers, Beijing time ---------------------------------------------------

EXPORT_CHUNK = 500


def export_header() -> list[str]:
    return [
        _("No."),
        _("Time (Beijing)"),
        _("Person"),
        _("Unit"),
        _("IP address"),
        _("Kind of action"),
        _("Kind of object"),
        _("What was done"),
        _("Changes (before → after)"),
        _("Note"),
        _("Link"),
        _("Chain hash"),
    ]


def changes_text(changes: list[Change]) -> str:
    return "；".join(f"{c.field}：{c.before} → {c.after}" for c in changes)


def export_lines(entries: QuerySet[AuditEntry]):
    """The lines of an export in order, described a chunk at a time (memory and queries per chunk stay flat)."""
    chunk = []
    for entry in entries.iterator(chunk_size=2000):
        chunk.append(entry)
        if len(chunk) == EXPORT_CHUNK:
            yield from describe(chunk)
            chunk = []
    if chunk:
        yield from describe(chunk)


def export_row(line: Line, *, spreadsheet: bool = False) -> list:
    at = line.at.replace(tzinfo=None) if spreadsheet else line.at.strftime("%Y-%m-%d %H:%M:%S")
    return [
        line.id,
        at,
        line.who,
        line.unit,
        line.ip,
        line.action,
        line.object,
        line.summary,
        changes_text(line.changes),
        line.note,
        line.url or "",
        line.hash,
    ]


def export_filename(ext: str) -> str:
    """审计日志_2026-12-02.xlsx: what the file holds and the Beijing day it was written."""
    return f"{_('audit trail')}_{timezone.localdate().isoformat()}.{ext}"
