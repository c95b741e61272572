"""The audit trail (审计日志): append-only and hash-chained, kept at least 180 days (网络安全法 第二十一条).

On PostgreSQL the database writes it: a row trigger on every audited table appends an entry for each INSERT,
UPDATE and DELETE (bulk updates included), `audits_append()` chains each entry to the previous one with
SHA-256 under an advisory lock, and a trigger refuses UPDATE and DELETE on the trail itself (TRUNCATE stays possible for
the database owner, as the test suite's flush needs; revoke it from the application's role in production). The
web request's user and address reach the triggers through session settings set before its first write.
On SQLite (the zero-server demo) model saves and deletes are recorded from Django signals instead, with the
same chain computed in Python.
"""

import contextvars
import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEntry

AUDITED_APPS = ("catalog", "approvals", "funding", "audits")
# A kept check (catalog_checkrecord) is itself a log, written on every check: chaining it would serialise the
# check behind the trail's lock. Its review is audited through the StateEvent and the item's new wording.
NOT_AUDITED = {"audits_auditentry", "catalog_workerheartbeat", "catalog_notification", "catalog_checkrecord"}
LOCK_KEY = 727274  # the advisory lock that serialises the chain


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
    """REMOTE_ADDR, or the first X-Forwarded-For address when the deployment trusts its proxy; never anything
    that is not an IP address (a forged header cannot write arbitrary text into the trail)."""
    from django.conf import settings

    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.TRUST_X_FORWARDED_FOR:
        # The last entry is the one the trusted proxy added; anything before it is what the client sent.
        candidate = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip() or candidate
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return ""


def actor_of(request) -> Actor:
    user = getattr(request, "user", None)
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
    if district_id is None:  # whose record it is: the row's district, else the acting user's
        rows = [values for values in (after, before) if isinstance(values, dict) and values.get("district_id")]
        district_id = rows[0]["district_id"] if rows else actor.district_id
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
        return
    with transaction.atomic():
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or ""
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
            prev_hash=last,
        )
        entry.hash = _python_hash(last, entry)
        entry.save()


@dataclass
class Problem:
    entry_id: int
    kind: str  # "tampered" or "missing"
    detail: str


EXPECTED_SQL = """
SELECT id, prev_hash, hash, encode(sha256(convert_to(concat_ws('|', prev_hash,
       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), coalesce(actor_id::text, ''), actor,
       source_ip, action, object_type, object_id, coalesce(before::text, ''), coalesce(after::text, ''), note),
       'UTF8')), 'hex')
FROM audits_auditentry ORDER BY id
"""


def verify() -> tuple[int, Problem | None]:
    """Walk the chain; return how many entries were checked and the first tampered or missing one."""
    previous, checked = "", 0
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(EXPECTED_SQL)
            rows = iter(lambda: cursor.fetchmany(2000), [])
            for chunk in rows:
                for entry_id, prev_hash, stored, expected in chunk:
                    problem = _check(entry_id, prev_hash, stored, expected, previous)
                    if problem:
                        return checked, problem
                    previous, checked = stored, checked + 1
        return checked, None
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        problem = _check(entry.pk, entry.prev_hash, entry.hash, _python_hash(entry.prev_hash, entry), previous)
        if problem:
            return checked, problem
        previous, checked = entry.hash, checked + 1
    return checked, None


def _check(entry_id, prev_hash, stored, expected, previous) -> Problem | None:
    if prev_hash != previous:
        return Problem(entry_id, "missing", "the entry before it is missing or was changed")
    if stored != expected:
        return Problem(entry_id, "tampered", "its content does not match its hash")
    return None


# --- PostgreSQL: the functions and triggers ------------------------------------------------------------------

FUNCTIONS_SQL = f"""
DROP FUNCTION IF EXISTS audits_append(bigint, text, text, text, text, text, jsonb, jsonb, text);
CREATE OR REPLACE FUNCTION audits_append(p_actor_id bigint, p_actor text, p_ip text, p_action text, p_type text,
                                         p_id text, p_before jsonb, p_after jsonb, p_note text,
                                         p_district bigint) RETURNS bigint AS $$
DECLARE
    prev text;
    ts timestamptz := clock_timestamp();
    digest text;
    new_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    SELECT hash INTO prev FROM audits_auditentry ORDER BY id DESC LIMIT 1;
    prev := coalesce(prev, '');
    digest := encode(sha256(convert_to(concat_ws('|', prev,
              to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
              coalesce(p_actor_id::text, ''), coalesce(p_actor, ''), coalesce(p_ip, ''), p_action, p_type,
              coalesce(p_id, ''), coalesce(p_before::text, ''), coalesce(p_after::text, ''), coalesce(p_note, '')),
              'UTF8')), 'hex');
    INSERT INTO audits_auditentry (at, actor_id, actor, source_ip, action, object_type, object_id, before, after,
                                   note, district_id, prev_hash, hash)
    VALUES (ts, p_actor_id, coalesce(p_actor, ''), coalesce(p_ip, ''), p_action, p_type, coalesce(p_id, ''),
            p_before, p_after, coalesce(p_note, ''), p_district, prev, digest)
    RETURNING id INTO new_id;
    RETURN new_id;
END $$ LANGUAGE plpgsql;

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
                          coalesce(a->>'district_id', b->>'district_id')::bigint);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audits_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % is refused', TG_OP;
END $$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audits_append_only ON audits_auditentry;
CREATE TRIGGER audits_append_only BEFORE UPDATE OR DELETE ON audits_auditentry
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
    with conn.cursor() as cursor:
        cursor.execute(FUNCTIONS_SQL)
        for table in tables:
            cursor.execute(f'DROP TRIGGER IF EXISTS audits_row_change ON "{table}"')
            cursor.execute(
                f'CREATE TRIGGER audits_row_change AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION audits_row_change()"
            )
    return len(tables)
