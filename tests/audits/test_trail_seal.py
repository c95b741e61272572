"""The trail's chain without a global lock: writers append unsealed entries concurrently, the sealer chains the
committed ones by `seq`, and verify still names the one entry tampered with or deleted."""

import itertools
import threading

import pytest
from django.db import connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits import trail
from audits.models import AuditEntry
from audits.tasks import seal_trail
from catalog.models import Unit

POSTGRES = connection.vendor == "postgresql"
pytestmark = pytest.mark.skipif(not POSTGRES, reason="the sealer and the triggers are PostgreSQL's")

WRITERS, WRITES = 6, 12


def _street() -> Unit:
    city = Unit.objects.create(kind="city", name="封存测试市")
    district = Unit.objects.create(kind="district", name="封存测试区", parent=city)
    return Unit.objects.create(kind="street", name="封存测试街道", parent=district)


def _write_concurrently(street: Unit) -> list[BaseException]:
    """WRITERS threads, each with its own connection, each writing WRITES audited changes in transactions of its
    own (a new community, then a rename: the row trigger appends an entry for each), all at once."""
    failures, start = [], threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(WRITES):
                with transaction.atomic():
                    unit = Unit.objects.create(kind="community", name=f"社区{n}-{i}", parent=street)
                    Unit.objects.filter(pk=unit.pk).update(name=f"社区{n}-{i}（改）")  # a bulk write: trigger only
        except BaseException as failure:
            failures.append(failure)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def _tampered(sql: str, params) -> tuple[int, trail.Problem | None]:
    """verify() after an owner's change of the trail behind its trigger, rolled back afterwards."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audits_auditentry DISABLE TRIGGER audits_append_only")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audits_auditentry ENABLE TRIGGER audits_append_only")
        found = trail.verify()
        transaction.set_rollback(True)
    return found


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_are_sealed_once_each_in_one_unbroken_chain_and_tampering_is_named():
    street = _street()
    trail.seal(wait=True)
    before = AuditEntry.objects.count()
    assert _write_concurrently(street) == []
    # Each commit sealed after itself where the lock was free; what a busy lock left, the next seal takes.
    trail.seal(wait=True)
    entries = list(AuditEntry.objects.order_by("seq").values("id", "seq", "object_type", "prev_hash", "hash"))
    written = [e for e in entries[before:] if e["object_type"] == "catalog_unit"]
    assert len(written) == WRITERS * WRITES * 2
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))  # all sealed, contiguous, once each
    assert len({e["id"] for e in entries}) == len(entries) == AuditEntry.objects.count()
    assert all(e["prev_hash"] == p["hash"] for p, e in itertools.pairwise(entries))
    assert trail.verify() == (len(entries), None)
    assert trail.unsealed() == 0

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(at=st.integers(0, len(entries) - 1), how=st.sampled_from(["note", "after", "at", "delete"]))
    def tampering_names_that_entry(at, how):
        victim = entries[at]
        if how == "delete":
            checked, problem = _tampered("DELETE FROM audits_auditentry WHERE id = %s", [victim["id"]])
            if at == len(entries) - 1:  # the newest entry gone leaves no gap behind it: the chain just ends sooner
                assert (checked, problem) == (len(entries) - 1, None)
                return
            assert (problem.kind, problem.seq, problem.entry_id) == ("missing", victim["seq"], entries[at + 1]["id"])
        else:
            change = {
                "note": "note = note || '（改）'",
                "after": "after = coalesce(after, '{}'::jsonb) || '{\"name\": \"x\"}'::jsonb",
                "at": "at = at + interval '1 microsecond'",
            }[how]
            checked, problem = _tampered(f"UPDATE audits_auditentry SET {change} WHERE id = %s", [victim["id"]])
            assert (problem.kind, problem.seq, problem.entry_id) == ("tampered", victim["seq"], victim["id"])
        assert checked == at

    tampering_names_that_entry()
    assert trail.verify() == (len(entries), None)  # every change above was rolled back


@pytest.mark.django_db(transaction=True)
def test_an_entry_committed_after_a_higher_id_is_sealed_after_it_and_the_chain_follows_seq():
    """Two writers: the one with the lower id commits last. The chain is the order of sealing, not of ids."""
    street = _street()
    trail.seal(wait=True)
    early = connections.create_connection("default")
    try:
        early.set_autocommit(False)
        with early.cursor() as cursor:  # the lower id, held open
            cursor.execute("SELECT audits_append(NULL, '', '', 'note', 'test', '', NULL, NULL, '先写后提交', NULL)")
            low = cursor.fetchone()[0]
        Unit.objects.create(kind="community", name="后写先提交", parent=street)  # a higher id, committed now
        high = AuditEntry.objects.latest("id")
        assert high.pk > low and AuditEntry.objects.get(pk=high.pk).sealed  # sealed after its own commit
        assert not AuditEntry.objects.filter(pk=low).exists()  # not committed: neither seen nor sealed
        early.commit()
    finally:
        early.close()
    assert AuditEntry.objects.get(pk=low).seq is None
    trail.seal()
    assert AuditEntry.objects.get(pk=low).seq == AuditEntry.objects.get(pk=high.pk).seq + 1
    assert trail.verify() == (AuditEntry.objects.count(), None)


@pytest.mark.django_db(transaction=True)
def test_a_writer_never_waits_for_a_sealer_at_work():
    street = _street()
    sealer = connections.create_connection("default")
    try:
        sealer.set_autocommit(False)
        with sealer.cursor() as cursor:
            cursor.execute("SELECT audits_seal()")  # holds the sealer's lock until it commits
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        Unit.objects.create(kind="community", name="锁被占用时写入", parent=street)  # no wait, no error
        assert trail.seal() == -1 and AuditEntry.objects.latest("id").seq is None
    finally:
        sealer.rollback()
        sealer.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert seal_trail() >= 1 and trail.unsealed() == 0  # the beat task takes what the busy lock left


@pytest.mark.django_db
def test_a_connection_opened_inside_another_execute_wrapper_keeps_the_sealing_one_after_it():
    """A request's first query opens the connection inside the audit middleware's execute_wrapper block: the
    sealing wrapper the new connection gets must outlive the block, and the middleware's must not."""

    def passing(execute, sql, params, many, context):
        return execute(sql, params, many, context)

    fresh = connections.create_connection("default")
    try:
        with fresh.execute_wrapper(passing):
            fresh.ensure_connection()
        assert [type(wrapper) for wrapper in fresh.execute_wrappers] == [trail.SealAfterAuditedWrites]
        fresh.close()
        fresh.ensure_connection()  # a reconnect adds no second one
        assert [type(wrapper) for wrapper in fresh.execute_wrappers] == [trail.SealAfterAuditedWrites]
    finally:
        fresh.close()


def _forge(sql: str, params=()) -> None:
    """A session of the application's role that sets the sealer's flag itself and writes the trail."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('audits.sealing', 'on', true)")
        cursor.execute(sql, params)


@pytest.mark.django_db(transaction=True)
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    seq_step=st.sampled_from([0, 2, 10**9]),
    prev=st.sampled_from(["head", "bogus"]),
    digest=st.sampled_from(["right", "bogus"]),
)
def test_only_the_seal_the_sealer_would_give_is_accepted_whoever_sets_the_sealing_flag(seq_step, prev, digest):
    """Setting `audits.sealing` in one's own session lets no one seal an entry out of the chain: a seq that does
    not follow the head, a prev_hash that is not the head's hash or a hash its content does not give is refused;
    nor can a sealed entry be inserted directly."""
    trail.seal(wait=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT audits_append(NULL, '', '', 'note', 'test', '', NULL, NULL, '待封存', NULL)")
        victim = cursor.fetchone()[0]
    head = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").values("seq", "hash").first()
    head_seq, head_hash = (head["seq"], head["hash"]) if head else (0, "")
    seq = head_seq + 1 + seq_step
    prev_hash = head_hash if prev == "head" else "f" * 64
    digest_sql = "'0' || repeat('a', 63)" if digest == "bogus" else trail._DIGEST.replace("prev,", "%s,", 1)
    update = f"UPDATE audits_auditentry r SET seq = %s, prev_hash = %s, hash = {digest_sql} WHERE id = %s"
    params = [seq, prev_hash, *([prev_hash] if digest == "right" else []), victim]
    if (seq_step, prev, digest) == (0, "head", "right"):  # exactly the sealer's seal: harmless, accepted
        _forge(update, params)
    else:
        with pytest.raises(Exception, match="append-only"):
            _forge(update, params)
    with pytest.raises(Exception, match="append-only"):
        _forge(
            "INSERT INTO audits_auditentry (at, actor_id, actor, source_ip, action, object_type, object_id, note, "
            "district_id, seq, prev_hash, hash) VALUES (now(), NULL, '', '', 'note', 't', '', '', NULL, %s, %s, %s)",
            [seq + 5, prev_hash, "a" * 64],
        )
    trail.seal(wait=True)
    assert trail.verify() == (AuditEntry.objects.count(), None)
