"""Cached answers for the public reads every community repeats: the check and the catalogue search.

A published catalogue version never changes, so a search of one is cached under the version's id and needs no
invalidation. The check also depends on data that does change: the organisation tree, contracts in force
(funding), assessments held (audits) and approved urgent items (approvals). Its answers are cached under a
generation that every committed write to those models moves on (each app names its own models with
`invalidate_check_on`), so a stale answer is never served. The generation moves after the commit, not before:
a reader that computed an answer from the old data can only store it under the old generation.

What a district has in force on a date (which version, its district's name, the version that follows) is read
from the organisation tree and the published versions only: the search API's answers for `?district=&date=`,
the whole catalogue page shown to visitors who are not signed in and an item as published are kept under a
generation of their own that only those writes move on (`district_answer`, CATALOGUE), so a repeated search
costs one round trip and no query, and a contract signed or an assessment held anywhere does not retire it.

With read replicas (config/db_router.py) a replica may not yet have the write that moved the generation on: an
answer computed there within the replicas' lag bound of a move is computed on the primary instead (in a
transaction, which always reads the primary), so the new generation never holds an old answer.

The cache only saves work: when it cannot be reached (Redis down), every answer is computed, and the log says so.
"""

import functools
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from contextvars import ContextVar
from pathlib import Path
from uuid import uuid4

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import get_language

from .background import ProcessThread

log = logging.getLogger(__name__)

GENERATION = "check:generation"
CHECK_TTL = 3600  # bounds memory only: correctness comes from the generation
SEARCH_TTL = 24 * 3600
# What renders a kept answer besides the data: the project's code (the segmentation's domain words in
# catalog/search.py among it), templates and translations, the packages it runs on (the thesaurus among them) and
# the static files' hashed names a page links to. A deploy that changes any of them is a new code revision, and
# no answer kept before it is served after it (no generation moves on a deploy, and the cache outlives a restart).
_CODE_PARTS = (
    ("catalog", "*.py"),
    ("approvals", "*.py"),
    ("funding", "*.py"),
    ("audits", "*.py"),
    ("config", "*.py"),
    ("templates", "*.html"),
    ("locale", "*.mo"),
    ("requirements", "*.lock"),
)


@functools.cache
def code_revision() -> str:
    """A digest of what this process renders answers with (_CODE_PARTS and the static files' manifest), read
    once per process: the same on every server of one deployment, another after a deploy that changes any."""
    digest = hashlib.sha1()
    base = Path(settings.BASE_DIR)
    files = sorted(path for folder, pattern in _CODE_PARTS for path in (base / folder).rglob(pattern))
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    for path in [*files, manifest]:
        if path.is_file():
            digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path.name).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _cache(operation: str, *args, default=None):
    try:
        return getattr(cache, operation)(*args)
    except Exception as exc:  # any backend's connection error: the answer is computed instead
        log.warning("cache unavailable (%s): %s", operation, exc)
        return default


def keep_answer(key: str, answer, ttl: int) -> None:
    """Store a computed answer for the next asker. The request does not wait for it: its process's AnswerKeeper
    stores the answers of each moment (KEPT_ANSWERS_DELAY_SECONDS) in one round trip; with 0 (the tests) it is
    stored here. Late is never wrong: the key names the generation (or the published version) the answer was
    computed under, and a generation that moved on meanwhile is simply not asked for it any more."""
    delay = settings.KEPT_ANSWERS_DELAY_SECONDS
    if delay <= 0:
        _cache("set", key, answer, ttl)
    else:
        AnswerKeeper.of_this_process().keep(key, answer, ttl, delay)


class AnswerKeeper(ProcessThread):
    """The process's thread that stores computed answers a moment after their requests (catalog.background):
    one pipeline (MSET and the keys' expiries) for each moment's answers of one lifetime. At most MAX_PENDING
    wait; past that the oldest are not stored (each is only saved work: its next asker computes it). What waits
    when the process ends is stored first; a process killed outright loses it, which costs a computation."""

    name = "kept-answers"
    MAX_PENDING = 2_000
    BATCH = 200

    def __init__(self, key: str):
        self.pending: OrderedDict = OrderedDict()  # key → (answer, ttl); an answer asked twice is stored once
        self.lock = threading.Lock()
        super().__init__(key)

    def keep(self, key: str, answer, ttl: int, delay: float) -> None:
        if self.stopped.is_set():  # handed over as the process stops: nobody would read what waits any more
            _cache("set", key, answer, ttl)
            return
        with self.lock:
            self.pending[key] = (answer, ttl)
            while len(self.pending) > self.MAX_PENDING:
                self.pending.popitem(last=False)
        self.wake(delay)

    def work(self) -> bool:
        by_ttl: dict[int, dict] = {}
        with self.lock:
            for _n in range(min(self.BATCH, len(self.pending))):
                key, (answer, ttl) = self.pending.popitem(last=False)
                by_ttl.setdefault(ttl, {})[key] = answer
            more = bool(self.pending)
        for ttl, answers in by_ttl.items():
            _cache("set_many", answers, ttl)  # the cache out of reach: logged, and the answers are computed again
        return more


_GENERATIONS: list["Generation"] = []


class Generation:
    """Answers kept under a generation that every committed write to some models moves on (`retire_on`), so that
    a stale answer is never served. The generation moves after the commit, not before: a reader that computed an
    answer from the old data can only store it under the old generation."""

    def __init__(self, key: str, *, primary_model: str, keeps_reads: bool = False):
        self.key = key  # the cache key holding the current generation
        self.primary_model = primary_model  # a model its answers read, for where the router sends reads
        self.keeps_reads = keeps_reads  # computing under it, kept_read may answer from the process
        self.seen: str | None = None  # the generation this process saw last
        self.pending = False  # a generation this process had to move on, but could not reach the cache to
        self.failed_at = 0.0
        _GENERATIONS.append(self)  # for the heartbeat's retry_pending_invalidation

    def answer(self, kind: str, parts: str, compute, ttl: int):
        """The answer stored under the current generation, or `compute()`'s (stored for the next asker).

        A hit costs one cache round trip: the generation this process saw last and the answer stored under it
        are fetched together, and the answer is used only if that generation is still the current one.
        """
        if self.pending and not self.retry_pending():
            return compute()  # a write this process committed has not retired the kept answers yet
        seen = self.seen
        revision = code_revision()
        if seen is not None:
            kept = f"{kind}:{seen}:{revision}:{parts}"
            found = _cache("get_many", [self.key, kept], default={})
            generation = found.get(self.key)
            if generation == seen and (answer := found.get(kept)) is not None:
                return answer
        else:
            generation = _cache("get", self.key)
        if generation is None:
            _cache("add", self.key, _new_generation(), None)
            generation = _cache("get", self.key)
            if generation is None:  # no cache to keep answers in
                return compute()
        key = f"{kind}:{generation}:{revision}:{parts}"
        answer = _cache("get", key) if generation != seen else None
        self.seen = generation
        if answer is None:
            token = _computing.set(generation) if self.keeps_reads else None
            try:
                answer = self.computed_after(generation, compute)
            finally:
                if token is not None:
                    _computing.reset(token)
            keep_answer(key, answer, ttl)
        return answer

    def computed_after(self, generation: str, compute):
        """`compute()`, on the primary if a replica answering this request might not have the write that moved
        the generation on: a replica in use lags at most the bound, as measured at most a check period ago."""
        if "@" not in generation:
            return compute()
        window = (
            settings.DATABASE_REPLICA_MAX_LAG_SECONDS + settings.DATABASE_REPLICA_LAG_CHECK_SECONDS + CLOCK_SKEW_SECONDS
        )
        moved_at = float(generation.rpartition("@")[2])
        just_moved = time.time() - moved_at < window
        if just_moved and router.db_for_read(apps.get_model(self.primary_model)) != DEFAULT_DB_ALIAS:
            with transaction.atomic():
                return compute()
        return compute()

    def retire(self) -> None:
        """Retire every answer kept under this generation once the current transaction commits (at once outside
        one)."""
        transaction.on_commit(self.move_on)

    def move_on(self) -> None:
        if self.pending and time.monotonic() - self.failed_at < 5:
            return  # the cache was unreachable a moment ago: do not make every write of a burst wait for it
        self.pending = _cache("set", self.key, _new_generation(), None, default=False) is False
        self.failed_at = time.monotonic() if self.pending else 0.0

    def retry_pending(self) -> bool:
        """Move the generation on if an earlier attempt failed; True when nothing is pending any more."""
        if self.pending:
            self.failed_at = 0.0
            self.move_on()
        return not self.pending

    def retire_on(self, *models) -> None:
        """Writes to these models (saves, deletes, many-to-many changes) retire the kept answers.

        Bulk `QuerySet.update()` and `bulk_create()` send no signal: a service that bulk-writes one of them
        calls `retire()` itself.
        """

        def changed(sender, **kwargs):
            self.retire()

        for model in models:
            label = model._meta.label
            uid = f"{self.key}-{label}"
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}-save")
            post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}-delete")
            for field in model._meta.local_many_to_many:
                through = field.remote_field.through
                m2m_changed.connect(changed, sender=through, weak=False, dispatch_uid=f"{uid}-m2m-{through}")


# Web servers' clocks agree within this (NTP); the generation carries the time of the host that moved it.
CLOCK_SKEW_SECONDS = 1.0


def _new_generation() -> str:
    return f"{uuid4().hex}@{time.time():.3f}"  # when it moved, for computed_after


# The check's answers: the organisation tree, published versions, contracts in force, assessments held and
# approved urgent items move it on (each app names its own models).
CHECK = Generation(GENERATION, primary_model="catalog.CatalogueVersion", keeps_reads=True)
# The district's searches and pages, and an item as published: the organisation tree and the versions only
# (catalog.apps), so that the writes the check alone reads do not retire them.
CATALOGUE = Generation("catalogue:generation", primary_model="catalog.CatalogueVersion")


def check_answer(*, community_id: int, on, q: str, item_id: int | None, compute):
    """The cached answer to a check, or `compute()`'s (cached for the next asker) if there is none."""
    parts = f"{get_language()}:{community_id}:{on}:{item_id or ''}:{_digest(q)}"
    return CHECK.answer("check", parts, compute, CHECK_TTL)


# --- What a check answer is read from, kept in the process under the generation ------------------------
#
# A check computed under a generation reads the community, the version in force and what the providers say;
# the cached answer already holds all of them until the generation moves on, so the next answer computed under
# the same generation (another demand of the same community, or of the district) may read them from here.

KEPT_READS = 4096  # entries: a community with its parents, a version, a provider's answer (a few KB at most)
_computing: ContextVar[str | None] = ContextVar("check_generation", default=None)
_kept: OrderedDict = OrderedDict()
_kept_lock = threading.Lock()
_MISSING = object()


def kept_read(key: tuple, read):
    """`read()`, or what it gave under the same generation in this process, while a check answer is computed
    under one (check_answer); anywhere else (the page, a notice, no cache) `read()` itself."""
    generation = _computing.get()
    if generation is None:
        return read()
    key = (generation, *key)
    with _kept_lock:
        value = _kept.get(key, _MISSING)
        if value is not _MISSING:
            _kept.move_to_end(key)
            return value
    value = read()
    with _kept_lock:
        _kept[key] = value
        while len(_kept) > KEPT_READS:
            _kept.popitem(last=False)
    return value


def search_answer(*, kind: str, version, params, known: set, extra: str = "", compute):
    """A search of a catalogue version: cached under the version's id when it is published (drafts change).

    `kind` keeps the page's and the API's answers apart. Only a request made of the `known` parameters is cached:
    a key made of whatever a caller sends would let anyone fill the cache, and its page links would carry them.
    """
    if version is None or version.state != "published" or not set(params) <= known:
        return compute()
    key = f"search:{kind}:{code_revision()}:{get_language()}:{version.pk}:{params_digest(params, extra)}"
    answer = _cache("get", key)
    if answer is None:
        answer = compute()
        keep_answer(key, answer, SEARCH_TTL)
    return answer


def params_digest(params, extra: str = "") -> str:
    """A digest that tells any two requests apart: every value of every parameter (a repeated one too), written
    so that no value can pass for another parameter (`q=a%26b%3Dc` is not `q=a&b=c`)."""
    asked = sorted(params.lists()) if hasattr(params, "lists") else sorted((k, [v]) for k, v in params.items())
    return _digest(json.dumps([asked, extra], ensure_ascii=False, default=str))


def district_answer(*, kind: str, district_id: int, on, params, known: set, extra: str = "", compute):
    """What a district has in force on a date, searched (the search API's `?district=&date=`, the catalogue
    page), or an item as published, kept under the catalogue's generation, which publishing a version or changing
    the organisation tree moves on (and nothing else: a contract or an assessment is not in these answers).

    A hit is one cache round trip and no query: not even which version is in force. `extra` is what else the
    answer is made of (the API's host, in its page links; the page's full path, in its language switch). Only a
    request made of the `known` parameters is cached, as in `search_answer`.
    """
    if not set(params) <= known:
        return compute()
    parts = f"{get_language()}:{district_id}:{on}:{params_digest(params, extra)}"
    return CATALOGUE.answer(f"district-{kind}", parts, compute, SEARCH_TTL)


def invalidate_check_answers() -> None:
    """Retire every cached check answer once the current transaction commits (at once outside one)."""
    CHECK.retire()


def invalidate_check_on(*models) -> None:
    """Writes to these models retire the cached check answers (Generation.retire_on)."""
    CHECK.retire_on(*models)


def retry_pending_invalidation() -> bool:
    """Move on every generation an earlier attempt failed to (the worker's heartbeat calls this every minute);
    True when nothing is pending any more."""
    return all([generation.retry_pending() for generation in _GENERATIONS])  # a list: every one is tried
