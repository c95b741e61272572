"""The process's sealer (AUDIT_SEAL_DELAY_SECONDS > 0, as in production): a writing request never runs the seal
itself, and every committed entry is sealed shortly after, in one unbroken chain, also when another sealer held
the lock at the moment of the commit."""

import itertools
import threading
import time

import pytest
from django.db import connection, connections

from audits import trail
from audits.models import AuditEntry
from catalog.models import Unit

from .test_trail_seal import WRITERS, WRITES, _street, _write_concurrently

POSTGRES = connection.vendor == "postgresql"
pytestmark = [
    pytest.mark.skipif(not POSTGRES, reason="the sealer and the triggers are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]
DELAY = 0.05


@pytest.fixture
def sealing_later(settings):
    settings.AUDIT_SEAL_DELAY_SECONDS = DELAY
    trail.seal(wait=True)
    yield
    trail.Sealer.stop_all()  # before the test's tables are emptied


def _sealed_soon(timeout: float = 10.0) -> float:
    """Seconds until nothing is left unsealed, asking only (never sealing)."""
    started = time.monotonic()
    while trail.unsealed():
        assert time.monotonic() - started < timeout, "entries left unsealed"
        time.sleep(0.02)
    return time.monotonic() - started


def test_writers_never_seal_and_the_process_sealer_chains_every_commit_once(sealing_later, monkeypatch):
    sealed_from, seal = [], trail.seal
    monkeypatch.setattr(trail, "seal", lambda **kw: sealed_from.append(threading.current_thread().name) or seal(**kw))
    street = _street()
    before = AuditEntry.objects.count()
    assert _write_concurrently(street) == []
    _sealed_soon()
    assert sealed_from and set(sealed_from) == {"audit-sealer-default"}  # never a writer's thread
    assert len(sealed_from) < WRITERS * WRITES  # the commits of a moment are sealed together
    entries = list(AuditEntry.objects.order_by("seq").values("id", "seq", "prev_hash", "hash"))
    assert len(entries) == before + WRITERS * WRITES * 2
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert all(e["prev_hash"] == p["hash"] for p, e in itertools.pairwise(entries))
    assert trail.verify() == (len(entries), None)


def test_a_commit_made_while_another_sealer_holds_the_lock_is_sealed_when_it_lets_go(sealing_later):
    street = _street()
    _sealed_soon()
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT audits_seal()")  # another process's sealer, at work and holding the lock
        Unit.objects.create(kind="community", name="锁被占用时提交", parent=street)
        time.sleep(DELAY * 6)
        assert AuditEntry.objects.latest("id").seq is None  # the lock is taken: not sealed yet, and not lost
    finally:
        other.rollback()
        other.close()
    _sealed_soon()  # tried again without any further commit
    assert trail.verify() == (AuditEntry.objects.count(), None)


def test_a_forked_process_gets_a_sealer_of_its_own(sealing_later, monkeypatch):
    import os

    Unit.objects.create(kind="city", name="分叉测试市")
    first = trail.Sealer.of_this_process()
    assert trail.Sealer.of_this_process() is first
    pid = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: pid + 1)  # what a child of a preloading server sees
    child = trail.Sealer.of_this_process()
    assert child is not first and child.thread.is_alive() and child.pid == pid + 1
    monkeypatch.undo()
    first.stopped.set()
    first.due.set()
    first.thread.join(timeout=10)
    _sealed_soon()


def test_a_stopped_sealer_seals_what_is_pending_and_leaves_no_session_behind(sealing_later):
    street = _street()
    for n in range(3):
        Unit.objects.create(kind="community", name=f"停止前写入{n}", parent=street)  # each wakes the sealer
    sealer = trail.Sealer.of_this_process()
    started = time.monotonic()
    trail.Sealer.stop_all()  # asked at once, while a seal is due
    assert not sealer.thread.is_alive() and time.monotonic() - started < 2
    assert trail.unsealed() == 0
    # A closed connection's server process leaves pg_stat_activity a moment after the client lets go (another
    # test's thread may have closed one just before): a session left behind is still there seconds later.
    deadline = time.monotonic() + 3
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            others = cursor.fetchone()[0]
            if others == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert others == 0
