"""Read replicas, the Django way: a database router and the middleware that decides, per request, where reads go.

Only these reads may be answered by a replica (settings.DATABASE_REPLICAS, from DATABASE_REPLICA_URLS):
- a GET or HEAD request whose path is one of DATABASE_REPLICA_PATHS (public pages, the check, search, reports),
  and there its view's reads only: who is asking (the session, the user and their unit, read by the middleware)
  is read on the primary, so that a deactivated user or a revoked token is refused at once;
- from a browser or client that has written nothing for DATABASE_REPLICA_PIN_SECONDS: every unsafe request sets a
  signed cookie that keeps its sender's reads on the primary that long (read-your-writes; the pin lasts at least
  the lag bound plus the lag check's period, after which any replica in use has the write);
- outside a transaction, and not of the models a request reads and writes back (sessions, tokens, login
  throttling, two factors, beat's schedule);
- from a replica whose lag was at most DATABASE_REPLICA_MAX_LAG_SECONDS when this process last looked (at most
  DATABASE_REPLICA_LAG_CHECK_SECONDS ago). A replica that could not be reached is left alone for
  DATABASE_REPLICA_RETRY_SECONDS; its connections time out after DATABASE_REPLICA_CONNECT_TIMEOUT.

Everything else reads the primary: every write, work pages, Celery tasks and management commands (no request
set a replica for them). A replica that fails in the middle of a read request does not fail the request: it is
answered again from the primary, once.
"""

import functools
import logging
import math
import random
import re
import time
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

PIN_COOKIE = "primary_reads"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Rows a request reads in order to write them back, or whose staleness would be a security matter: the primary's.
PRIMARY_ONLY_APPS = frozenset(
    {"sessions", "authtoken", "security", "axes", "otp_totp", "otp_static", "django_otp", "django_celery_beat"}
)

# The lag of a replica: 0 when it has replayed what the primary had written just before (the LSN read there),
# otherwise the age of the last transaction it replayed (an upper bound on how stale it is). A server that is not
# in recovery is a primary itself, and current.
PRIMARY_LSN_SQL = "SELECT pg_current_wal_lsn()"
REPLICA_LAG_SQL = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn, "
    "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
)


@dataclass
class Reading:
    """Where the current request's reads go: `alias`, a replica's, or None for the primary. The request's
    middleware (its session, its user, two factors) reads the primary; its view reads `replica`."""

    replica: str | None
    alias: str | None = None


_reading: ContextVar[Reading | None] = ContextVar("replica_reading", default=None)


@contextmanager
def reads_from(alias: str | None):
    """Reads in this block go to `alias` (None: the primary), as in a request the middleware sent there; for
    scripts that read a replica on purpose, and for tests."""
    token = _reading.set(Reading(alias, alias))
    try:
        yield
    finally:
        _reading.reset(token)


class ReplicaRouter:
    """Reads go where the request's middleware decided (the primary unless it chose a replica); writes, always to
    the primary. Migrations run on the primary only: the replicas receive them by replication."""

    def db_for_read(self, model, **hints):
        reading = _reading.get()
        if reading is None or reading.alias is None:
            return DEFAULT_DB_ALIAS
        if model._meta.app_label in PRIMARY_ONLY_APPS or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        instance = hints.get("instance")
        if instance is not None and instance._state.db == DEFAULT_DB_ALIAS:
            return DEFAULT_DB_ALIAS  # what an object read or written on the primary leads to, read there too
        return reading.alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the primary and its replicas hold the same rows

    def allow_migrate(self, db, app_label, **hints):
        return False if db in settings.DATABASE_REPLICAS else None


# --- Which requests, and which replica ------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _paths(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns) or r"(?!)")


def eligible(request) -> bool:
    """A read a replica may answer: GET or HEAD of one of DATABASE_REPLICA_PATHS."""
    return request.method in SAFE_METHODS and bool(
        _paths(tuple(settings.DATABASE_REPLICA_PATHS)).match(request.path_info)
    )


def pin_seconds() -> float:
    """How long a writer's reads stay on the primary: never shorter than it may take a replica in use to have
    the write (its lag bound, plus the time since its lag was last measured)."""
    return max(
        settings.DATABASE_REPLICA_PIN_SECONDS,
        settings.DATABASE_REPLICA_MAX_LAG_SECONDS + settings.DATABASE_REPLICA_LAG_CHECK_SECONDS,
    )


def pinned(request) -> bool:
    # The signature's timestamp is in whole seconds: one more second so that a pin never ends early.
    value = request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_COOKIE, max_age=pin_seconds() + 1)
    return value is not None


def pin(response) -> None:
    response.set_signed_cookie(
        PIN_COOKIE,
        "1",
        salt=PIN_COOKIE,
        max_age=math.ceil(pin_seconds()) + 1,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def read_alias_for(request) -> str | None:
    """The replica that answers this request's reads, or None for the primary."""
    if not settings.DATABASE_REPLICAS or not eligible(request) or pinned(request):
        return None
    return replica_for_reads()


@dataclass
class Health:
    usable: bool
    until: float  # time.monotonic() when it must be measured again
    lag: float | None  # seconds; None when it could not be reached


_health: dict[str, Health] = {}  # per process: each process measures for itself


def replica_for_reads() -> str | None:
    """A usable replica, starting from a random one so that processes spread their reads; None if none is."""
    replicas = list(settings.DATABASE_REPLICAS)
    start = random.randrange(len(replicas))
    now = time.monotonic()
    for alias in replicas[start:] + replicas[:start]:
        health = _health.get(alias)
        if health is None or now >= health.until:
            health = _measure(alias, now)
            if health is None:
                return None  # the primary did not answer: the request meets the outage there
            _log_change(alias, _health.get(alias), health)
            _health[alias] = health
        if health.usable:
            return alias
    return None


def primary_lsn() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(PRIMARY_LSN_SQL)
        return cursor.fetchone()[0]


def replica_lag(alias: str, lsn: str) -> float:
    """Seconds the replica may be behind the primary whose WAL position was `lsn` a moment ago (0 when it has
    replayed all of it, infinite when it has replayed no transaction since it started)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(REPLICA_LAG_SQL, [lsn])
        in_recovery, caught_up, behind = cursor.fetchone()
    if not in_recovery or caught_up:
        return 0.0
    return float(behind) if behind is not None else math.inf


def _measure(alias: str, now: float) -> Health | None:
    try:
        lsn = primary_lsn()
    except DatabaseError:
        return None
    try:
        lag = replica_lag(alias, lsn)
    except Exception as exc:  # down, refusing, timing out, misconfigured: whatever it is, the primary answers
        _close(alias)
        log.debug("replica %s: %s", alias, exc)
        return Health(False, now + settings.DATABASE_REPLICA_RETRY_SECONDS, None)
    usable = lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
    return Health(usable, now + settings.DATABASE_REPLICA_LAG_CHECK_SECONDS, lag)


def _log_change(alias: str, before: Health | None, after: Health) -> None:
    if before is not None and before.usable == after.usable:
        return
    if after.usable:
        if before is not None:
            log.warning("replica %s answers reads again (lag %.1f s)", alias, after.lag)
    elif after.lag is None:
        log.warning("replica %s cannot be reached: reads go to the primary", alias)
    else:
        log.warning(
            "replica %s lags %.1f s (more than %s s): reads go to the primary",
            alias,
            after.lag,
            settings.DATABASE_REPLICA_MAX_LAG_SECONDS,
        )


def mark_failed(alias: str) -> None:
    """A replica that failed mid-request is left alone for DATABASE_REPLICA_RETRY_SECONDS."""
    _close(alias)
    _health[alias] = Health(False, time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS, None)


def _close(alias: str) -> None:
    with suppress(Exception):
        connections[alias].close()


def _replica_failed(reading: Reading | None) -> bool:
    return reading is not None and reading.alias is not None and connections[reading.alias].errors_occurred


# --- The middleware ---------------------------------------------------------------------------------------------


class ReplicaReadsMiddleware:
    """Chooses where the request's view reads, pins a writer to the primary, and answers again from the primary a
    read that a replica failed in the middle of. Early in MIDDLEWARE: a request it answers again passes through
    the middleware after it once more."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DATABASE_REPLICAS:
            return self.get_response(request)
        alias = read_alias_for(request)
        response = self.get_response(request) if alias is None else self._on_replica(request, alias)
        if request.method not in SAFE_METHODS:
            pin(response)
        return response

    def _on_replica(self, request, alias: str):
        reading = Reading(alias)
        # Set only by a failed connection attempt this process made earlier: this request starts clean.
        connections[alias].errors_occurred = False
        token = _reading.set(reading)
        try:
            response = self.get_response(request)
            if response.status_code >= 500 and _replica_failed(reading):
                # It failed outside the view (in a middleware): the whole request again, on the primary.
                self._fail_over(request, reading, "server error")
                return self.get_response(request)
            if response.streaming and reading.alias is not None:
                response.streaming_content = _streamed(reading, response.streaming_content)
            return response
        finally:
            _reading.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Who is asking was read on the primary (a deactivated user is refused at once): the view reads the
        replica."""
        reading = _reading.get()
        if reading is not None and reading.replica is not None:
            reading.alias = reading.replica

    def process_exception(self, request, exception):
        """The view (or its template) failed on the replica: call it again, reading from the primary."""
        reading = _reading.get()
        if not isinstance(exception, DatabaseError) or not _replica_failed(reading):
            return None
        self._fail_over(request, reading, exception)
        match = request.resolver_match
        response = match.func(request, *match.args, **match.kwargs)
        if callable(getattr(response, "render", None)) and not response.is_rendered:
            response = response.render()
        return response

    @staticmethod
    def _fail_over(request, reading: Reading, why) -> None:
        log.warning(
            "replica %s failed during %s %s (%s): answered from the primary",
            reading.alias,
            request.method,
            request.path,
            str(why).strip().splitlines()[0] if str(why).strip() else why.__class__.__name__,
        )
        mark_failed(reading.alias)
        reading.alias = reading.replica = None


def _streamed(reading: Reading, content):
    """A streamed answer (an export) reads its rows as it is sent, after the middleware returned: on the same
    replica. A replica lost mid-stream ends the download; it cannot be answered again."""
    previous = _reading.get()
    _reading.set(reading)
    try:
        yield from content
    finally:
        _reading.set(previous)
