"""The system learns its district's words: every check is kept, and the demands no list answered are reviewed.

Recording is one INSERT in the check's read path (the page, and the API whether its answer was cached or not),
and never breaks the check: a record that cannot be written is logged and the answer is given all the same.
Personal numbers are masked before the text is stored (catalog.privacy).

Civil-affairs staff review the open demands of their district: linking one to an item of the draft adds its
wording to the item's 常见说法 (published with the next version), or marking it as truly unlisted keeps it as
evidence of what departments ask of communities that no list allows.
"""

import collections
import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .aliases import MAX_ALIAS_LENGTH, MAX_ALIASES
from .background import ProcessThread
from .choices import DemandState, Role, Verdict, VersionState
from .departments import department_named
from .models import CatalogueItem, CatalogueVersion, CheckRecord, Unit, User
from .models.demands import MAX_DEMAND_LENGTH
from .privacy import mask_personal_numbers
from .text import comparison_key, normalise
from .transitions import StateMachine, Transition

log = logging.getLogger(__name__)

DEMANDS = StateMachine(
    CheckRecord,
    {
        "link": Transition({DemandState.OPEN}, DemandState.LINKED, gettext_lazy("Link to an item")),
        "unlisted": Transition({DemandState.OPEN}, DemandState.UNLISTED, gettext_lazy("Mark as truly not listed")),
    },
)


class DemandError(Exception):
    """A review the rules do not allow; the message says why and what would be right."""


# --- Recording ------------------------------------------------------------------------------------------


def check_record(
    *,
    community_id: int,
    district_id: int,
    on: date,
    text: str,
    verdict: str,
    confidence: float = 0.0,
    hedged: bool = False,
    item_id: int | None = None,
    version_id: int | None = None,
    queued: bool = True,
    soon: bool = False,
) -> CheckRecord | None:
    """Keep one check (one INSERT). The demand waits for review when no list answered it or the answer only
    hedged; `queued=False` for a check that did not come from a demand's words (an item picked from the list,
    or work an approved urgent item covers). Returns None, and logs why, if the record cannot be written.
    `soon` (the check's page and API): on PostgreSQL, outside a transaction, with CHECK_RECORDS_DELAY_SECONDS
    above 0, the record is handed to the process's RecordWriter, which writes it with the others of that moment
    (one INSERT for all of them); the record returned is then not saved yet."""
    try:
        masked = mask_personal_numbers(text)[:MAX_DEMAND_LENGTH]
        needs_review = queued and bool(masked) and (verdict == Verdict.NOT_LISTED or hedged)
        record = CheckRecord(
            community_id=community_id,
            district_id=district_id,
            text=masked,
            asked_on=on,
            verdict=verdict,
            confidence=min(1.0, max(0.0, float(confidence or 0.0))),
            hedged=bool(hedged),
            item_id=item_id,
            version_id=version_id,
            named_unit=department_named(masked),
            state=DemandState.OPEN if needs_review else DemandState.ANSWERED,
        )
        connection = transaction.get_connection()
        delay = settings.CHECK_RECORDS_DELAY_SECONDS
        if soon and delay > 0 and connection.vendor == "postgresql" and not connection.in_atomic_block:
            RecordWriter.of_this_process().keep(record, delay)
        elif connection.in_atomic_block:
            with transaction.atomic():  # a savepoint: a failed INSERT must not poison the caller's transaction
                record.save(force_insert=True)
        else:
            with transaction.atomic():
                _commit_without_waiting(connection)
                record.save(force_insert=True)
        return record
    except Exception:  # the check is answered whatever happens to its record
        log.exception("the check could not be recorded")
        return None


def _commit_without_waiting(connection) -> None:
    """In the kept checks' own transaction only: its commit does not wait for the write-ahead log to reach the
    disk (4.9 ms of a computed check's ~10 on this machine). A crash of the database server may lose the last
    fraction of a second of kept checks (3 × wal_writer_delay at most), never make them inconsistent; nothing
    refers to a kept check but its own review. CHECK_RECORDS_DURABLE_COMMIT makes them wait."""
    if connection.vendor == "postgresql" and not settings.CHECK_RECORDS_DURABLE_COMMIT:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


class RecordWriter(ProcessThread):
    """The process's thread that writes the kept checks a moment after their requests (catalog.background): one
    INSERT for the checks of that moment, which the check's request does not wait for. While the database cannot
    be reached the checks wait (at most MAX_PENDING: past that the oldest give way, logged) and are tried again;
    a check the database refuses (its community deleted meanwhile) is logged and costs none of the others. A
    process that ends normally writes what waits first; one killed outright loses its last moment's checks."""

    name = "check-records"
    MAX_PENDING = 10_000
    BATCH = 1_000

    def __init__(self, key: str):
        self.pending: collections.deque = collections.deque()
        super().__init__(key)

    def keep(self, record: CheckRecord, delay: float) -> None:
        if self.stopped.is_set():  # handed over as the process stops: nobody would read the deque any more
            self._write([record])
            return
        if len(self.pending) >= self.MAX_PENDING:
            self.pending.popleft()
            log.error("a kept check was dropped: %s were waiting for the database already", self.MAX_PENDING)
        self.pending.append(record)
        self.wake(delay)

    def work(self) -> bool:
        batch = []
        while self.pending and len(batch) < self.BATCH:
            batch.append(self.pending.popleft())
        if batch and not self._write(batch):
            self.pending.extendleft(reversed(batch))  # the database is out of reach: they wait, in order
            return True
        return bool(self.pending)

    def _write(self, batch: list) -> bool:
        """Write the batch in one INSERT; False when the database could not be reached (nothing written)."""
        try:
            with transaction.atomic(using=self.key):
                _commit_without_waiting(connections[self.key])
                CheckRecord.objects.using(self.key).bulk_create(batch)
            return True
        except (OperationalError, InterfaceError):
            log.warning("%s kept checks wait: the database cannot be reached", len(batch))
            connections[self.key].close()
            return False
        except DatabaseError:  # one refused record (its community deleted meanwhile) must not cost the others
            for record in batch:
                try:
                    with transaction.atomic(using=self.key):
                        record.save(force_insert=True, using=self.key)
                except DatabaseError:
                    log.exception("the check could not be recorded")
            return True

    def stopped_with_work_left(self) -> None:
        if self.pending:
            log.error(
                "%s kept checks were lost: the database could not take them as the process ended", len(self.pending)
            )
            self.pending.clear()


def asked_from_the_district(user, district_id) -> bool:
    """Whether a check was asked by someone signed in to a unit of the district. Anyone may use the check, and
    every check is kept; only these reach the review queue and the burden figures, so that an anonymous caller
    cannot fill a district's queue or inflate what a department is said to ask."""
    unit = getattr(user, "unit", None) if getattr(user, "is_authenticated", False) else None
    return unit is not None and unit.district_id == district_id


def record_result(result, *, picked: bool = False, user=None) -> CheckRecord | None:
    """Keep a check answered by catalog.check (the page), soon."""
    best = result.candidates[0].item if result.candidates else None
    return check_record(
        community_id=result.community.pk,
        district_id=result.community.district_id,
        on=result.on,
        text=result.query,
        verdict=result.verdict,
        confidence=getattr(result, "confidence", 0.0),
        hedged=getattr(result, "hedged", False),
        item_id=best.pk if best else None,
        version_id=result.version.pk if result.version else None,
        queued=not picked and not result.covered_by and asked_from_the_district(user, result.community.district_id),
        soon=True,
    )


def record_answer(answer: dict, *, picked: bool = False, user=None) -> CheckRecord | None:
    """Keep a check answered as the API serialised it (also when the answer came from the cache)."""
    try:
        candidates = answer.get("candidates") or []
        return check_record(
            community_id=answer["community"]["id"],
            district_id=answer["community"]["district"],
            on=date.fromisoformat(str(answer["date"])),
            text=answer.get("query") or "",
            verdict=answer["verdict"],
            confidence=answer.get("confidence") or 0.0,
            hedged=bool(answer.get("hedged")),
            item_id=candidates[0]["item"]["id"] if candidates else None,
            version_id=(answer.get("version") or {}).get("id"),
            queued=not picked
            and not answer.get("covered_by")
            and asked_from_the_district(user, answer["community"]["district"]),
            soon=True,
        )
    except Exception:  # an answer of an unexpected shape: still no reason to fail the check
        log.exception("the check could not be recorded")
        return None


# --- Reading: the queue and the burden it shows ----------------------------------------------------------


def can_review_demands(user: User, district: Unit) -> bool:
    """The district's civil-affairs staff review its demands; administrators any district's."""
    if not user.is_authenticated:
        return False
    return user.role == Role.ADMIN or (user.role == Role.CIVIL_AFFAIRS and user.unit.district_id == district.pk)


def demands_queue(*, district: Unit, state: str = DemandState.OPEN, named_unit: str | None = None):
    """The district's demands in `state`, newest first (named_unit="" is the demands that name no department)."""
    qs = CheckRecord.objects.filter(district=district, state=state)
    if named_unit is not None:
        qs = qs.filter(named_unit=named_unit)
    return qs.select_related("community__parent", "item", "linked_item", "reviewed_by").order_by("-created_at", "-id")


def demand_counts(*, district: Unit) -> dict:
    """{state: n} of the district's reviewed and waiting demands, and the open ones by department named."""
    rows = (
        CheckRecord.objects.filter(district=district)
        .exclude(state=DemandState.ANSWERED)
        .values("state", "named_unit")
        .annotate(n=Count("id"))
    )
    states, by_unit = dict.fromkeys([DemandState.OPEN, DemandState.LINKED, DemandState.UNLISTED], 0), {}
    for row in rows:
        states[row["state"]] += row["n"]
        if row["state"] == DemandState.OPEN:
            by_unit[row["named_unit"]] = by_unit.get(row["named_unit"], 0) + row["n"]
    return {"states": states, "by_unit": sorted(by_unit.items(), key=lambda kv: (-kv[1], kv[0]))}


def unlisted_burden(*, districts) -> list[dict]:
    """What departments ask of communities that no list allows: per district and department named, the demands
    marked truly unlisted and those still waiting, most first. One query, whatever the number of records."""
    rows = (
        CheckRecord.objects.filter(district__in=districts, state__in=[DemandState.OPEN, DemandState.UNLISTED])
        .values("district_id", "named_unit")
        .annotate(
            unlisted=Count("id", filter=Q(state=DemandState.UNLISTED)),
            waiting=Count("id", filter=Q(state=DemandState.OPEN)),
            communities=Count("community_id", distinct=True),
        )
    )
    names = {d.pk: d for d in districts}
    result: dict[int, dict] = {}
    for row in rows:
        entry = result.setdefault(row["district_id"], {"district": names[row["district_id"]], "units": [], "total": 0})
        entry["units"].append(row)
        entry["total"] += row["unlisted"] + row["waiting"]
    for entry in result.values():
        entry["units"].sort(key=lambda r: (-(r["unlisted"] + r["waiting"]), r["named_unit"]))
    return sorted(result.values(), key=lambda e: (-e["total"], e["district"].name))


# --- Reviewing ------------------------------------------------------------------------------------------


def _require_reviewer(actor: User, district: Unit) -> None:
    if not can_review_demands(actor, district):
        raise PermissionDenied(_("Only the district's civil-affairs staff may review its demands."))


def clean_alias(text: str) -> str:
    """One wording as an alias is kept: normalised, at most MAX_ALIAS_LENGTH characters."""
    wording = normalise(text)
    if not wording:
        raise DemandError(_("Give the wording to add to the item (常见说法)."))
    if len(wording) > MAX_ALIAS_LENGTH:
        raise DemandError(
            _("A wording may have at most %(max)s characters; this one has %(n)s. Shorten it to what the demand asks.")
            % {"max": MAX_ALIAS_LENGTH, "n": len(wording)}
        )
    return wording


def demand_link(*, record: CheckRecord, item: CatalogueItem, actor: User, wording: str) -> CheckRecord:
    """Link an open demand to an item of the district's draft: its wording becomes one of the item's 常见说法,
    published with the next version. All or nothing: the alias and the review are saved together."""
    district = record.district
    _require_reviewer(actor, district)
    wording = clean_alias(wording)
    with transaction.atomic():
        locked = DEMANDS.begin(record, "link")  # someone may have reviewed it first: 409
        draft = CatalogueVersion.objects.select_for_update().filter(district=district, state=VersionState.DRAFT).first()
        if draft is None:
            raise DemandError(
                _(
                    "The district has no open draft, so the wording cannot be added yet: start the draft (it copies "
                    "the version in force), then link the demand. Nothing was changed."
                )
            )
        if item.version_id != draft.pk:
            raise DemandError(_("Choose an item of the district's draft: the wording is published with it."))
        item = CatalogueItem.objects.select_for_update().get(pk=item.pk)
        aliases = list(item.aliases or [])
        if comparison_key(wording) not in {comparison_key(a) for a in aliases}:
            if len(aliases) >= MAX_ALIASES:
                raise DemandError(
                    _("“%(title)s” already has %(max)s wordings; remove one in the draft before adding another.")
                    % {"title": item.title, "max": MAX_ALIASES}
                )
            item.aliases = [*aliases, wording]
            item.save()
        locked.linked_item = item
        locked.alias = wording
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        DEMANDS.finish(
            locked,
            "link",
            actor=actor,
            note=_("Linked to “%(title)s” as “%(wording)s”.") % {"title": item.title, "wording": wording},
        )
    return locked


def demand_mark_unlisted(*, record: CheckRecord, actor: User, note: str = "") -> CheckRecord:
    """Mark an open demand as truly not on any list: kept, with who and when, as evidence of burden."""
    _require_reviewer(actor, record.district)
    with transaction.atomic():
        locked = DEMANDS.begin(record, "unlisted")
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.review_note = note.strip()[:1000]
        DEMANDS.finish(locked, "unlisted", actor=actor, note=locked.review_note)
    return locked
