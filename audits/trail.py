"""The audit trail (审计日志): append-only and hash-chained, kept at least 180 days (网络安全法 第二十一条).

On PostgreSQL the database writes it: a row trigger on every audited table appends an entry for each INSERT,
UPDATE and DELETE (bulk updates included). The writing transaction only inserts its entry, unsealed (no `seq`,
no hashes) and without any lock shared with other writers. A sealer, one at a time under its own advisory lock
(`audits_seal()`; a writer that finds the lock taken leaves its entry to whoever holds it), takes the committed
unsealed entries in id order and gives each the next chain number `seq`, the previous entry's hash and its own
SHA-256, computed in SQL from the stored columns. The chain's order is `seq`, the order of sealing: an entry with
a lower id may commit after a higher one. Sealing follows every audited commit (`seal_after_commit`, hooked on
each connection's writes): a moment later by the process's sealer thread (`Sealer`, AUDIT_SEAL_DELAY_SECONDS),
so the writing request does not wait for it, or in the request itself when the delay is 0 (the tests). A beat
task seals what a busy lock or an ended process left over, and `verify` seals before it walks.
A trigger refuses UPDATE and DELETE on the trail, except the sealer's one setting of seq and the hashes on an
unsealed entry whose content it leaves as it is (TRUNCATE stays possible for the database owner, as the test
suite's flush needs; revoke it from the application's role in production). The web request's user and address
reach the triggers through session settings set before its first write.
On SQLite (the zero-server demo) model saves and deletes are recorded from Django signals instead, sealed at once
with the same chain computed in Python; `verify` walks both the same way, by `seq`.
"""

import contextvars
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalog.background import ProcessThread
from catalog.limits import client_address
from catalog.middleware import token_user

from .models import AuditEntry

AUDITED_APPS = ("catalog", "approvals", "funding", "audits")
# A kept check (catalog_checkrecord) is itself a log, written on every check: chaining it would serialise the
# check behind the trail's lock. Its review is audited through the StateEvent and the item's new wording.
NOT_AUDITED = {"audits_auditentry", "catalog_workerheartbeat", "catalog_notification", "catalog_checkrecord"}
LOCK_KEY = 727274  # the sealer's advisory lock: one sealer at a time; writers never wait for it
SEAL_SQL = "SELECT audits_seal()"  # seal what is committed, unless another sealer is at it (then -1)
logger = logging.getLogger(__name__)


# Tables whose rows belong to no district: the national holiday calendar is the same for everyone.
DISTRICTLESS = {"approvals_calendaryear", "approvals_calendarday"}


@dataclass
class Actor:
    id: int | None
    name: str
    ip: str
    district_id: int | None = None


_request: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)


def bind(request):
    """Remember the request being served; its user is looked up only when something is recorded."""
    return _request.set(request)


def unbind(token) -> None:
    _request.reset(token)


def client_ip(request) -> str:
    """The caller's address as the trail records it (catalog.limits.client_address: the trusted proxy's, or
    REMOTE_ADDR; only an IP address)."""
    return client_address(request)


def actor_of(request, *, token: bool = False) -> Actor:
    """Who acts: the session's user; with `token`, an API token's user where no session user is known."""
    user = getattr(request, "user", None)
    if token and (user is None or not user.is_authenticated):
        user = token_user(request)
    ip = client_ip(request)
    if user is not None and user.is_authenticated:
        return Actor(user.pk, user.get_username(), ip, user.unit.district_id if user.unit_id else None)
    return Actor(None, "", ip)


def current() -> Actor:
    request = _request.get()
    return actor_of(request) if request is not None else Actor(None, "", "")


def _canonical(value) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _python_hash(prev: str, entry) -> str:
    parts = [
        prev,
        entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "" if entry.actor_id is None else str(entry.actor_id),
        entry.actor,
        entry.source_ip,
        entry.action,
        entry.object_type,
        entry.object_id,
        _canonical(entry.before),
        _canonical(entry.after),
        entry.note,
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def record(
    *,
    action: str,
    object_type: str,
    object_id="",
    before=None,
    after=None,
    note: str = "",
    actor: Actor | None = None,
    district_id: int | None = None,
) -> None:
    """Append one entry (logins, exports, permission denials, and on SQLite every model change)."""
    actor = actor or current()
    if district_id is None:  # whose record it is: the district of the object it belongs to, else the actor's
        model = _model_of(object_type)
        rows = [values for values in (after, before) if isinstance(values, dict)]
        if model is not None and rows:
            district_id = district_of(model, rows[0])
        elif rows and rows[0].get("district_id"):
            district_id = rows[0]["district_id"]
        if district_id is None:
            district_id = actor.district_id
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT audits_append(%s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s)",
                [
                    actor.id,
                    actor.name,
                    actor.ip,
                    action,
                    object_type,
                    str(object_id),
                    None if before is None else json.dumps(before, default=str),
                    None if after is None else json.dumps(after, default=str),
                    note,
                    district_id,
                ],
            )
        seal_after_commit()
        return
    with transaction.atomic():
        head = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
        last_seq, last = head or (0, "")
        entry = AuditEntry(
            at=timezone.now(),
            actor_id=actor.id,
            actor=actor.name,
            source_ip=actor.ip,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=json.loads(json.dumps(before, default=str)) if before is not None else None,
            after=json.loads(json.dumps(after, default=str)) if after is not None else None,
            note=note,
            district_id=district_id,
            seq=last_seq + 1,
            prev_hash=last,
        )
        entry.hash = _python_hash(last, entry)
        entry.save()


# --- Sealing (PostgreSQL): the chain, after the writers' commits ------------------------------------------------

_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"([^"]+)"', re.IGNORECASE)


def audited_write(sql: str) -> bool:
    """Whether the statement may write an audited table (its trigger appends an entry). A write to a table
    without the trigger (a kept check, on every check) is not one; a write whose table is not recognised is."""
    if sql.lstrip()[:6].upper() not in ("INSERT", "UPDATE", "DELETE"):
        return False
    table = _WRITE.match(sql)
    return table is None or table.group(1) not in NOT_AUDITED


def seal(*, wait: bool = False, using: str = "default") -> int:
    """Seal the committed unsealed entries (and the calling transaction's own): how many were sealed, or -1 when
    another sealer held the lock (`wait`: wait for it instead). SQLite seals on writing: 0."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "postgresql":
        return 0
    with transaction.atomic(using=using), conn.cursor() as cursor:
        cursor.execute("SELECT audits_seal(%s)", [wait])
        return cursor.fetchone()[0]


def _seal_committed(using: str) -> int:
    """seal(), never raising: how many were sealed, -1 when another sealer was at it, 0 when sealing failed."""
    try:
        return seal(using=using)
    except Exception as failure:  # the beat task and the next writer seal what is left: the write itself is done
        if getattr(failure.__cause__, "pgcode", None) != "42883":  # 42883: no audits_seal() yet, a migrate under way
            logger.exception("sealing the audit trail after a commit failed")
        return 0


def seal_after_commit(using: str = "default") -> None:
    """Seal once the current transaction commits (at once outside one); once per transaction."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    if conn.in_atomic_block and any(isinstance(func, SealOnCommit) for _, func, _ in conn.run_on_commit):
        return
    transaction.on_commit(SealOnCommit(using), using=using)


class SealOnCommit:
    """The callback seal_after_commit leaves with the transaction (one per transaction): it seals at once when
    AUDIT_SEAL_DELAY_SECONDS is 0, else it wakes the process's sealer, which seals without the request waiting."""

    def __init__(self, using: str):
        self.using = using

    def __call__(self):
        delay = settings.AUDIT_SEAL_DELAY_SECONDS
        if delay <= 0:
            _seal_committed(self.using)
        else:
            Sealer.of_this_process(self.using).wake(delay)


class Sealer(ProcessThread):
    """The process's thread that seals shortly after audited commits (catalog.background), on a connection of its
    own: the writing request does not wait for the seal (a round trip and the chaining of every entry committed
    since the last one), and the commits of a busy moment are sealed together. An entry is sealed within the delay
    (plus the seal's own time) of its commit; a process that ends with a seal pending leaves it to the next seal
    (the beat task, another process's sealer, `verify`), as a busy lock does."""

    name = "audit-sealer"

    def work(self) -> bool:
        # -1: another process's sealer is at it, and may have taken its last look before our commits: again.
        return _seal_committed(self.key) == -1


class SealAfterAuditedWrites:
    """An execute wrapper kept on every PostgreSQL connection: an audited write schedules a seal for its commit,
    whatever wrote it (a model save, a queryset update, raw SQL through Django)."""

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if audited_write(sql):
            seal_after_commit(context["connection"].alias)
        return result


def watch_connection(sender, connection, **kwargs) -> None:
    """connection_created: keep the sealing wrapper on the connection (once, across reconnects). First in the
    list: a connection opened inside `connection.execute_wrapper(...)` (the audit middleware's) has that wrapper
    popped off the end when the block ends, and this one must stay."""
    if connection.vendor == "postgresql" and not any(
        isinstance(wrapper, SealAfterAuditedWrites) for wrapper in connection.execute_wrappers
    ):
        connection.execute_wrappers.insert(0, SealAfterAuditedWrites())


# --- Whose record an entry is: the district of the object it belongs to -------------------------------------
# An instalment's district is its contract's, a payment's its instalment's, a ballot's its application's, an
# item's its version's, a state change's its subject's. The same route serves SQLite (district_of, below) and the
# PostgreSQL trigger (audits_district(), generated from it by district_sql).


@dataclass(frozen=True)
class Route:
    """How a row finds its district: `column` (it has district_id), `parent` (follow the foreign key `attname`
    to `parent`), `subject` (a generic relation: content type and object id), or `none`."""

    kind: str
    attname: str = ""
    parent: type | None = None
    id_attname: str = ""


@cache
def _model_of(table: str):
    from django.apps import apps

    for label in AUDITED_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.db_table == table:
                return model
    return None


@cache
def district_route(model, _seen: frozenset = frozenset()) -> Route:
    """The first foreign key that leads to a district wins; links to people are tried last (a row is its
    author's district's only when nothing else says whose it is)."""
    from django.contrib.contenttypes.fields import GenericForeignKey
    from django.contrib.contenttypes.models import ContentType

    meta = model._meta
    if meta.db_table in DISTRICTLESS:
        return Route("none")
    names = {field.attname for field in meta.concrete_fields}
    if "district_id" in names:
        return Route("column")
    generic = [field for field in meta.private_fields if isinstance(field, GenericForeignKey)]
    if generic:
        ct_field = meta.get_field(generic[0].ct_field)
        return Route("subject", attname=ct_field.attname, id_attname=generic[0].fk_field)
    seen = _seen | {meta.db_table}
    keys = [
        field
        for field in meta.concrete_fields
        if field.is_relation
        and field.related_model is not ContentType
        and field.related_model._meta.app_label in AUDITED_APPS
        and field.related_model._meta.db_table not in seen
    ]
    keys.sort(key=lambda field: field.related_model._meta.label == settings.AUTH_USER_MODEL)
    for field in keys:
        if district_route(field.related_model, seen).kind != "none":
            return Route("parent", attname=field.attname, parent=field.related_model)
    return Route("none")


def district_of(model, values: dict | None, _depth: int = 0) -> int | None:
    """The district the row `values` (column names → values) belongs to, following its route."""
    if not values or _depth > 8:
        return None
    route = district_route(model)
    if route.kind == "column":
        return values.get("district_id")
    if route.kind == "parent":
        parent_id = values.get(route.attname)
        if parent_id is None:
            return None
        parent_values = route.parent._base_manager.filter(pk=parent_id).values().first()
        return district_of(route.parent, parent_values, _depth + 1)
    if route.kind == "subject":
        from django.contrib.contenttypes.models import ContentType

        ct_id, object_id = values.get(route.attname), values.get(route.id_attname)
        if ct_id is None or object_id is None:
            return None
        subject = ContentType.objects.get_for_id(ct_id).model_class()
        if subject is None or subject._meta.app_label not in AUDITED_APPS:
            return None
        return district_of(subject, subject._base_manager.filter(pk=object_id).values().first(), _depth + 1)
    return None


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def district_sql(models) -> str:
    """audits_district(table, row): the PostgreSQL twin of district_of, one branch per routed table."""
    branches, subjects = [], []
    for model in models:
        route, table = district_route(model), model._meta.db_table
        if route.kind == "parent":
            parent = route.parent._meta
            branches.append(
                f"WHEN {_sql_literal(table)} THEN\n"
                f'        SELECT to_jsonb(t) INTO parent FROM "{parent.db_table}" t\n'
                f'            WHERE t."{parent.pk.column}" = (p_row->>{_sql_literal(route.attname)})::bigint;\n'
                f"        RETURN audits_district({_sql_literal(parent.db_table)}, parent, p_depth + 1);"
            )
        elif route.kind == "subject":
            branches.append(
                f"WHEN {_sql_literal(table)} THEN\n"
                f"        SELECT app_label || '.' || model INTO label FROM django_content_type\n"
                f"            WHERE id = (p_row->>{_sql_literal(route.attname)})::int;\n"
                f"        subject_id := (p_row->>{_sql_literal(route.id_attname)})::bigint;\n"
                f"        CASE label\n__SUBJECTS__\n        ELSE RETURN NULL;\n        END CASE;"
            )
        if route.kind != "none":
            subjects.append(model)
    subject_branches = "\n".join(
        f"        WHEN {_sql_literal(f'{m._meta.app_label}.{m._meta.model_name}')} THEN\n"
        f'            SELECT to_jsonb(t) INTO parent FROM "{m._meta.db_table}" t\n'
        f'                WHERE t."{m._meta.pk.column}" = subject_id;\n'
        f"            RETURN audits_district({_sql_literal(m._meta.db_table)}, parent, p_depth + 1);"
        for m in subjects
        if not m._meta.auto_created and m._meta.pk.get_internal_type() in ("AutoField", "BigAutoField")
    )
    cases = "\n    ".join(branches).replace("__SUBJECTS__", subject_branches)
    return f"""
CREATE OR REPLACE FUNCTION audits_district(p_table text, p_row jsonb, p_depth int DEFAULT 0) RETURNS bigint AS $$
DECLARE
    parent jsonb;
    label text;
    subject_id bigint;
BEGIN
    IF p_row IS NULL OR p_depth > 8 THEN RETURN NULL; END IF;
    CASE p_table
    {cases}
    ELSE RETURN (p_row->>'district_id')::bigint;
    END CASE;
END $$ LANGUAGE plpgsql STABLE;
"""


@dataclass
class Problem:
    entry_id: int
    kind: str  # "tampered" or "missing"
    detail: str
    seq: int | None = None  # the chain number where the walk stopped (of the missing entry, for a gap)


# The sealed entries in chain order, each with the hash its stored content and stored prev_hash give.
EXPECTED_SQL = """
SELECT id, seq, prev_hash, hash, encode(sha256(convert_to(concat_ws('|', prev_hash,
       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), coalesce(actor_id::text, ''), actor,
       source_ip, action, object_type, object_id, coalesce(before::text, ''), coalesce(after::text, ''), note),
       'UTF8')), 'hex')
FROM audits_auditentry WHERE seq IS NOT NULL ORDER BY seq
"""


def verify() -> tuple[int, Problem | None]:
    """Seal what is committed, then walk the chain by `seq`; return how many entries were checked and the first
    tampered, missing or reordered one. A gap in `seq` is an entry missing; a hash that its content does not give
    is a tampered entry; a prev_hash that is not the hash before it is an entry missing, changed or moved."""
    previous, checked = "", 0
    if connection.vendor == "postgresql":
        seal(wait=True)
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(EXPECTED_SQL)
            rows = iter(lambda: cursor.fetchmany(2000), [])
            for chunk in rows:
                for entry_id, seq, prev_hash, stored, expected in chunk:
                    problem = _check(entry_id, seq, prev_hash, stored, expected, previous, checked)
                    if problem:
                        return checked, problem
                    previous, checked = stored, checked + 1
        return checked, None
    entries = AuditEntry.objects.filter(seq__isnull=False).order_by("seq")
    for entry in entries.iterator(chunk_size=2000):
        expected = _python_hash(entry.prev_hash, entry)
        problem = _check(entry.pk, entry.seq, entry.prev_hash, entry.hash, expected, previous, checked)
        if problem:
            return checked, problem
        previous, checked = entry.hash, checked + 1
    return checked, None


def _check(entry_id, seq, prev_hash, stored, expected, previous, checked) -> Problem | None:
    if seq != checked + 1:
        gap = f"#{checked + 1}" if seq == checked + 2 else f"#{checked + 1}–#{seq - 1}"
        return Problem(entry_id, "missing", f"the chain's entry {gap} before it is missing", checked + 1)
    if prev_hash != previous:
        return Problem(entry_id, "missing", "the entry before it is missing, was changed or was moved", seq)
    if stored != expected:
        return Problem(entry_id, "tampered", "its content does not match its hash", seq)
    return None


def unsealed() -> int:
    """Entries not yet in the chain (written, not yet sealed)."""
    return AuditEntry.objects.filter(seq__isnull=True).count()


# --- PostgreSQL: the functions and triggers ------------------------------------------------------------------

# The hash of an entry, from its columns (`r`) and the hash before it (`prev`): the formula of EXPECTED_SQL.
_DIGEST = """encode(sha256(convert_to(concat_ws('|', prev,
              to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), coalesce(r.actor_id::text, ''),
              r.actor, r.source_ip, r.action, r.object_type, r.object_id, coalesce(r.before::text, ''),
              coalesce(r.after::text, ''), r.note), 'UTF8')), 'hex')"""

FUNCTIONS_SQL = f"""
DROP FUNCTION IF EXISTS audits_append(bigint, text, text, text, text, text, jsonb, jsonb, text);
-- A writer appends its entry unsealed: no lock, no reading of the chain's head.
CREATE OR REPLACE FUNCTION audits_append(p_actor_id bigint, p_actor text, p_ip text, p_action text, p_type text,
                                         p_id text, p_before jsonb, p_after jsonb, p_note text,
                                         p_district bigint) RETURNS bigint AS $$
DECLARE
    new_id bigint;
BEGIN
    INSERT INTO audits_auditentry (at, actor_id, actor, source_ip, action, object_type, object_id, before, after,
                                   note, district_id, prev_hash, hash)
    VALUES (clock_timestamp(), p_actor_id, coalesce(p_actor, ''), coalesce(p_ip, ''), p_action, p_type,
            coalesce(p_id, ''), p_before, p_after, coalesce(p_note, ''), p_district, '', '')
    RETURNING id INTO new_id;
    RETURN new_id;
END $$ LANGUAGE plpgsql;

-- The sealer: one at a time (its advisory lock, held to its commit); the committed unsealed entries, in id order,
-- each get the next seq, the hash before them and their own hash. -1: another sealer holds the lock. It runs with
-- its owner's rights: the application's role keeps only SELECT and INSERT on the trail (docs/backup.md).
CREATE OR REPLACE FUNCTION audits_seal(p_wait boolean DEFAULT false) RETURNS int AS $$
DECLARE
    last_seq bigint;
    prev text;
    r audits_auditentry%ROWTYPE;
    digest text;
    sealed int := 0;
    batch int;
BEGIN
    IF p_wait THEN
        PERFORM pg_advisory_xact_lock({LOCK_KEY});
    ELSIF NOT pg_try_advisory_xact_lock({LOCK_KEY}) THEN
        RETURN -1;
    END IF;
    PERFORM set_config('audits.sealing', 'on', true);
    -- The entries are durable with their writers' commits; a seal lost in a crash is only sealed again.
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT seq, hash INTO last_seq, prev FROM audits_auditentry WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0);
    prev := coalesce(prev, '');
    -- Each pass reads a new snapshot: the entries committed while the lock was held (whose writers found it
    -- taken) are sealed by this sealer too, until a pass finds none (at most a few passes: the transaction ends).
    FOR pass IN 1..5 LOOP
        batch := 0;
        FOR r IN SELECT * FROM audits_auditentry WHERE seq IS NULL ORDER BY id LOOP
            digest := {_DIGEST};
            last_seq := last_seq + 1;
            UPDATE audits_auditentry SET seq = last_seq, prev_hash = prev, hash = digest WHERE id = r.id;
            prev := digest;
            batch := batch + 1;
        END LOOP;
        sealed := sealed + batch;
        EXIT WHEN batch = 0;
    END LOOP;
    PERFORM set_config('audits.sealing', 'off', true);
    RETURN sealed;
END $$ LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
-- An index scan of the unsealed entries marks the ones sealed since in the index as dead as it passes them (a
-- bitmap scan does not, so between two vacuums every seal would read all the entries sealed before it).
SET enable_bitmapscan = off;

CREATE OR REPLACE FUNCTION audits_row_change() RETURNS trigger AS $$
DECLARE
    b jsonb;
    a jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN b := to_jsonb(OLD) - 'password'; END IF;
    IF TG_OP <> 'DELETE' THEN a := to_jsonb(NEW) - 'password'; END IF;
    IF TG_OP = 'UPDATE' AND a = b THEN RETURN NULL; END IF;
    PERFORM audits_append(nullif(current_setting('audits.actor_id', true), '')::bigint,
                          current_setting('audits.actor', true), current_setting('audits.ip', true),
                          lower(TG_OP), TG_TABLE_NAME, coalesce(a->>'id', b->>'id', ''), b, a, '',
                          coalesce(audits_district(TG_TABLE_NAME, coalesce(a, b)),
                                   nullif(current_setting('audits.district_id', true), '')::bigint));
    RETURN NULL;
END $$ LANGUAGE plpgsql;

-- Append-only: no DELETE, and no UPDATE but the sealer's one setting of seq and the hashes on an unsealed entry,
-- its content unchanged.
-- The flag is a session setting anyone can set: the seal itself must be the one the sealer gives (the next seq
-- after an entry whose hash is its prev_hash, and the hash its content gives), and an entry is inserted unsealed.
CREATE OR REPLACE FUNCTION audits_refuse_change() RETURNS trigger AS $$
DECLARE
    r audits_auditentry%ROWTYPE := NEW;
    prev text := NEW.prev_hash;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.seq IS NULL AND NEW.hash = '' AND NEW.prev_hash = '' THEN RETURN NEW; END IF;
    ELSIF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND OLD.hash = '' AND OLD.prev_hash = ''
       AND current_setting('audits.sealing', true) = 'on'
       AND to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash' = to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash'
       AND NEW.hash = {_DIGEST}
       AND ((NEW.seq = 1 AND NEW.prev_hash = '')
            OR EXISTS (SELECT 1 FROM audits_auditentry p WHERE p.seq = NEW.seq - 1 AND p.hash = NEW.prev_hash)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'The audit trail is append-only: % is refused', TG_OP;
END $$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audits_append_only ON audits_auditentry;
CREATE TRIGGER audits_append_only BEFORE INSERT OR UPDATE OR DELETE ON audits_auditentry
    FOR EACH ROW EXECUTE FUNCTION audits_refuse_change();
DROP TRIGGER IF EXISTS audits_no_truncate ON audits_auditentry;
"""


def audited_tables() -> list[str]:
    from django.apps import apps

    tables = set()
    for label in AUDITED_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if not model._meta.proxy and model._meta.managed:
                tables.add(model._meta.db_table)
    return sorted(tables - NOT_AUDITED)


def install(using: str = "default") -> int:
    """Create the functions and (re)attach the row trigger to every audited table; safe to run again."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "postgresql":
        return 0
    existing = set(conn.introspection.table_names())
    tables = [t for t in audited_tables() if t in existing]
    from django.apps import apps

    models = [
        model
        for label in AUDITED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.db_table in tables
    ]
    with conn.cursor() as cursor:
        cursor.execute(district_sql(models))
        cursor.execute(FUNCTIONS_SQL)
        for table in tables:
            cursor.execute(f'DROP TRIGGER IF EXISTS audits_row_change ON "{table}"')
            cursor.execute(
                f'CREATE TRIGGER audits_row_change AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION audits_row_change()"
            )
    return len(tables)
