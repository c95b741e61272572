"""Reads, scoped by who is asking. Every page and API response goes through these."""

from datetime import date, datetime

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from .choices import ItemList, ItemType, Role, UnitKind, VersionState
from .models import CatalogueItem, CatalogueVersion, DistrictPolicy, Unit, User, WorkerHeartbeat
from .search import query_tokens


def district_scope_q(user: User, *, field: str = "district") -> Q:
    """The district-level read scope of `user` as a filter on a model's district foreign key.

    Administrators see everything, a city overseer every district of their city, anyone else
    their own district. Anonymous users see nothing.
    """
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        # Not an empty Q(): `Q(a) | Q()` is just `Q(a)`, which would hide drafts from administrators.
        return Q(pk__isnull=False)
    if user.unit_id is None:
        return Q(pk__in=[])
    if user.role == Role.OVERSEER:
        return Q(**{f"{field}__city_id": user.unit.city_id})
    return Q(**{f"{field}_id": user.unit.district_id})


def units_public(*, kind: UnitKind) -> QuerySet[Unit]:
    """The organisation tree is public: anyone may see which units exist."""
    return (
        Unit.objects.filter(kind=kind)
        .select_related("parent__parent__parent")
        .order_by("city_id", "district_id", "name")
    )


def users_visible_to(user: User) -> QuerySet[User]:
    qs = User.objects.select_related("unit__parent__parent__parent").order_by("unit__name", "username")
    if not user.is_authenticated:
        return qs.none()
    if user.role == Role.ADMIN:
        return qs
    if user.role == Role.OVERSEER:
        return qs.filter(unit__city_id=user.unit.city_id)
    if user.role in (Role.CIVIL_AFFAIRS, Role.AUDITOR):
        return qs.filter(unit__district_id=user.unit.district_id)
    if user.role == Role.STREET_STAFF:
        # A street office works with the secretaries of its own communities.
        return qs.filter(Q(unit_id=user.unit_id) | Q(unit__parent_id=user.unit_id))
    return qs.filter(unit_id=user.unit_id)


def policies_visible_to(user: User) -> QuerySet[DistrictPolicy]:
    return (
        DistrictPolicy.objects.filter(district_scope_q(user))
        .select_related("district__parent")
        .order_by("district__name")
    )


def district_overview(*, district: Unit) -> dict:
    counts = dict(
        Unit.objects.filter(district=district)
        .exclude(pk=district.pk)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {
        "streets": counts.get(UnitKind.STREET, 0),
        "communities": counts.get(UnitKind.COMMUNITY, 0),
        "departments": counts.get(UnitKind.DEPARTMENT, 0),
        "users": User.objects.filter(unit__district=district).count(),
    }


def city_overview(*, city: Unit) -> list[dict]:
    """Per district of a city: its streets, communities and departments, in one query."""
    return list(
        Unit.objects.districts()
        .filter(city=city)
        .order_by("name")
        .annotate(
            streets=Count("children", filter=Q(children__kind=UnitKind.STREET), distinct=True),
            departments=Count("children", filter=Q(children__kind=UnitKind.DEPARTMENT), distinct=True),
            communities=Count("children__children", filter=Q(children__children__kind=UnitKind.COMMUNITY)),
        )
        .values("id", "name", "streets", "departments", "communities")
    )


def last_heartbeat() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-beat_at").first()


def background_jobs(*, now: datetime | None = None) -> dict:
    """Whether the scheduled jobs run: the newest worker heartbeat, and whether it is too old (worker, beat or
    the Redis broker down). The jobs re-derive their work from the database, so "delayed" never means "lost"."""
    beat = last_heartbeat()
    now = now or timezone.now()
    delayed = beat is None or (now - beat.beat_at).total_seconds() > settings.HEARTBEAT_STALE_SECONDS
    return {"heartbeat": beat, "delayed": delayed}


# --- The catalogue ------------------------------------------------------------------------------------


def version_in_force(*, district_id: int, on: date) -> CatalogueVersion | None:
    """The published version a district had in force on a date (the latest one that had started)."""
    return (
        CatalogueVersion.objects.filter(district_id=district_id, state=VersionState.PUBLISHED, effective_from__lte=on)
        .select_related("district")  # answers name it (the check, the item lists)
        .order_by("-effective_from")
        .first()
    )


def version_statuses(versions, *, on: date) -> dict[int, str]:
    """施行中 / 待施行 / 已废止 of each published version on `on`: the latest started one is in force, later ones
    are pending, earlier ones superseded. Drafts have no status."""
    published = sorted((v for v in versions if v.state == VersionState.PUBLISHED), key=lambda v: v.effective_from)
    started = [v for v in published if v.effective_from <= on]
    statuses = {v.pk: "pending" for v in published if v.effective_from > on}
    statuses.update({v.pk: "superseded" for v in started[:-1]})
    if started:
        statuses[started[-1].pk] = "in_force"
    return statuses


def next_version(*, district_id: int, after: date) -> CatalogueVersion | None:
    """The published version that takes effect next after `after` (待施行), if one is announced."""
    return (
        CatalogueVersion.objects.filter(district_id=district_id, state=VersionState.PUBLISHED, effective_from__gt=after)
        .order_by("effective_from")
        .first()
    )


def versions_of(*, district_id: int) -> QuerySet[CatalogueVersion]:
    return CatalogueVersion.objects.filter(district_id=district_id).order_by(
        F("effective_from").desc(nulls_first=True), "-number"
    )


def item_counts(*, version: CatalogueVersion) -> dict:
    """Counts per list and per type, and the total, of one version: {"lists": {...}, "types": {...}, "total": n}."""
    rows = version.items.values_list("list", "type").annotate(n=Count("id")).values_list("list", "type", "n")
    lists = {value: 0 for value in ItemList.values}
    types = {value: 0 for value in ItemType.values}
    grid = {(lst, typ): 0 for lst in ItemList.values for typ in ItemType.values}
    for lst, typ, n in rows:
        lists[lst] += n
        types[typ] += n
        grid[(lst, typ)] = n
    return {"lists": lists, "types": types, "grid": grid, "total": sum(lists.values())}


def versions_diff(*, old: CatalogueVersion, new: CatalogueVersion) -> dict:
    """Items added, removed and changed (with each changed field's old and new value) from `old` to `new`."""
    before = {item.key: item for item in old.items.all()}
    after = {item.key: item for item in new.items.all()}
    changed = []
    for key in before.keys() & after.keys():
        old_values, new_values = before[key].diff_values(), after[key].diff_values()
        fields = [
            {
                "field": field,
                "label": str(CatalogueItem._meta.get_field(field).verbose_name),
                "old": old_values[field],
                "new": new_values[field],
            }
            for field in CatalogueItem.CONTENT_FIELDS
            if old_values[field] != new_values[field]
        ]
        if fields:
            changed.append({"item": after[key], "changes": fields})
    by_title = lambda item: (item.list, item.title)  # noqa: E731
    return {
        "added": sorted((after[k] for k in after.keys() - before.keys()), key=by_title),
        "removed": sorted((before[k] for k in before.keys() - after.keys()), key=by_title),
        "changed": sorted(changed, key=lambda row: by_title(row["item"])),
    }


def items_search(*, items: QuerySet[CatalogueItem], q: str, limit: int | None = None) -> list[CatalogueItem]:
    """Items ranked by how well they match a Chinese query; each result carries `.score`.

    On PostgreSQL the match uses the GIN full-text index over the segmented tokens; elsewhere the same
    tokens are scored in Python.
    """
    tokens = query_tokens(q)
    if not tokens:
        return []
    if connection.vendor == "postgresql":
        query = SearchQuery(" | ".join(f"'{t}'" for t in tokens if "'" not in t), search_type="raw", config="simple")
        qs = (
            items.filter(search_vector=query)  # the stored tsvector, kept by a trigger and GIN-indexed
            .annotate(score=SearchRank(F("search_vector"), query))
            .order_by("-score", "list", "title")
        )
        return list(qs[:limit] if limit else qs)
    results = []
    for item in items:
        words = item.search_tokens.split()
        score = sum(words.count(token) for token in tokens) / (1 + len(words) / 50)
        if score:
            item.score = score
            results.append(item)
    results.sort(key=lambda item: (-item.score, item.list, item.title))
    return results[:limit] if limit else results


def versions_visible_to(user: User) -> QuerySet[CatalogueVersion]:
    """Published versions are public; drafts only to the staff who read that district."""
    visible = Q(state=VersionState.PUBLISHED)
    if user.is_authenticated and user.role in (Role.ADMIN, Role.OVERSEER, Role.CIVIL_AFFAIRS, Role.AUDITOR):
        visible |= district_scope_q(user)
    return CatalogueVersion.objects.filter(visible).select_related("district__parent")


def same_work(withdrawn_title: str, other_tokens: str) -> bool:
    """Whether text (given as its indexed tokens) is about the work a withdrawn item names: every word of the
    withdrawn title appears in it."""
    words = set(query_tokens(withdrawn_title))
    return bool(words) and words <= set(other_tokens.split())


def city_comparison(*, city: Unit, on: date) -> dict:
    """Every district of a city side by side on a date: counts per list and type, and conflicts
    where one district withdrew an item that another still assigns (matched on segmented title words)."""
    districts = list(Unit.objects.districts().filter(city=city).order_by("name"))
    in_force = {d.pk: version_in_force(district_id=d.pk, on=on) for d in districts}
    items = list(
        CatalogueItem.objects.filter(version__in=[v for v in in_force.values() if v])
        .only("id", "version_id", "list", "type", "title", "search_tokens")
        .select_related(None)
    )
    version_district = {v.pk: d for d, v in in_force.items() if v}
    counts = {
        d.pk: {"lists": dict.fromkeys(ItemList.values, 0), "types": dict.fromkeys(ItemType.values, 0)}
        for d in districts
    }
    for item in items:
        row = counts[version_district[item.version_id]]
        row["lists"][item.list] += 1
        row["types"][item.type] += 1
    names = {d.pk: d.name for d in districts}
    withdrawn = [i for i in items if i.list == ItemList.WITHDRAWN]
    assigned = [i for i in items if i.list in (ItemList.DUTIES, ItemList.ASSISTANCE, ItemList.ASSESSMENTS)]
    conflicts = []
    for w in withdrawn:
        for a in assigned:
            if version_district[a.version_id] == version_district[w.version_id]:
                continue
            if w.title == a.title or same_work(w.title, a.search_tokens):
                conflicts.append(
                    {
                        "withdrawn_in": names[version_district[w.version_id]],
                        "withdrawn": w,
                        "assigned_in": names[version_district[a.version_id]],
                        "assigned": a,
                    }
                )
    return {
        "districts": [{"district": d, "version": in_force[d.pk], **counts[d.pk]} for d in districts],
        "conflicts": conflicts,
    }


def burden_history(*, district_ids: list[int]) -> list[dict]:
    """Items per list and type of every published version of the districts: the reform story over time."""
    rows = (
        CatalogueItem.objects.filter(version__district_id__in=district_ids, version__state=VersionState.PUBLISHED)
        .values("version_id", "version__district__name", "version__number", "version__effective_from", "list", "type")
        .annotate(n=Count("id"))
        .order_by("version__district__name", "version__effective_from")
    )
    history: dict[int, dict] = {}
    for row in rows:
        entry = history.setdefault(
            row["version_id"],
            {
                "district": row["version__district__name"],
                "number": row["version__number"],
                "effective_from": row["version__effective_from"],
                "lists": dict.fromkeys(ItemList.values, 0),
                "types": dict.fromkeys(ItemType.values, 0),
                "given_types": dict.fromkeys(ItemType.values, 0),
                "total": 0,
                "given": 0,
            },
        )
        entry["lists"][row["list"]] += row["n"]
        entry["types"][row["type"]] += row["n"]
        entry["total"] += row["n"]
        # What communities are given is every list but the withdrawn one: that list is what was taken away.
        if row["list"] != ItemList.WITHDRAWN:
            entry["given_types"][row["type"]] += row["n"]
            entry["given"] += row["n"]
    return list(history.values())
