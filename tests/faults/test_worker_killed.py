"""A Celery worker killed with SIGKILL in the middle of a batch tally or a reminder run: another worker gets the
task again (acks_late, the message stays unacknowledged in Redis), and the end state is a clean run's, once."""

import sqlite3
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from approvals import services
from approvals.choices import ApplicationState, BatchState
from approvals.models import Application, ApplicationEvent, Ballot, Batch
from catalog.choices import Role, UnitKind
from catalog.models import Notification, Unit, User, WorkerHeartbeat

from .conftest import celery_client, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

VOTERS_PER_UNIT = 2


def consulting_batch(world, *, applications: int, consultation_ends, votes: bool) -> Batch:
    """A batch of 锦江区 whose applications each consult all 13 streets and communities. With `votes`, even
    applications are agreed by every unit (pass) and odd ones by two of 13 (rejected); without, nobody voted."""
    district = world.unit("锦江区")
    today = timezone.localdate()
    batch = Batch.objects.create(
        district=district,
        year=2026,
        month=10,
        intake_closes=today - timedelta(days=30),
        consultation_ends=consultation_ends,
        committee_meets=today + timedelta(days=10),
        state=BatchState.CONSULTING,
    )
    applicant = world.user("bumen")
    created = Application.objects.bulk_create(
        Application(
            district=district,
            applicant_unit=applicant.unit,
            created_by=applicant,
            title=f"协助开展第{n}项入户调查",
            reason="上级部门年度工作要求，需要社区协助入户登记。",
            requested_list="assistance",
            workload="每社区每年约2个工作日",
            start_date=today + timedelta(days=60),
            amount_per_community=Decimal("800.00"),
            state=ApplicationState.CONSULTING,
            batch=batch,
            submitted_at=timezone.now() - timedelta(days=31),
        )
        for n in range(applications)
    )
    units = list(
        Unit.objects.filter(district=district, kind__in=[UnitKind.STREET, UnitKind.COMMUNITY]).order_by("kind", "pk")
    )
    voters = User.objects.bulk_create(
        User(
            username=f"voter-{unit.pk}-{n}",
            role=Role.SECRETARY if unit.kind == UnitKind.COMMUNITY else Role.STREET_STAFF,
            unit=unit,
        )
        for unit in units
        for n in range(VOTERS_PER_UNIT)
    )
    voter_of = {user.unit_id: user for user in voters}
    ballots = []
    for index, application in enumerate(created):
        agreeing = len(units) if index % 2 == 0 else 2
        for position, unit in enumerate(units):
            vote = ("agree" if position < agreeing else "disagree") if votes else ""
            ballots.append(
                Ballot(
                    application=application,
                    unit=unit,
                    deadline=consultation_ends,
                    vote=vote,
                    comment="" if vote != "disagree" else "人手不够",
                    voted_at=timezone.now() if vote else None,
                    voted_by=voter_of[unit.pk] if vote else None,
                )
            )
    Ballot.objects.bulk_create(ballots)
    return batch


def batch_is_locked(batch: Batch) -> bool:
    """True while another process holds the batch in an open transaction: the tally has started, not committed."""
    if connection.vendor == "sqlite":
        probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    try:
        with transaction.atomic():
            Batch.objects.select_for_update(nowait=True).filter(pk=batch.pk).first()
        return False
    except DatabaseError:
        return True


def start_and_wait_ready(worker):
    """Start a worker and wait for its start-up heartbeat: it is consuming, and holds no lock any more."""
    before = WorkerHeartbeat.objects.count()
    process = worker.start()
    wait_for(
        lambda: WorkerHeartbeat.objects.count() > before or process.poll() is not None,
        timeout=90,
        what="the worker's start-up heartbeat",
        interval=0.1,
    )
    assert process.poll() is None, worker.output()
    return process


def deliveries(worker, task_id: str) -> int:
    return worker.output().count(f"[{task_id}] received")


def restart_after_visibility_timeout(worker, killed_at: float):
    """A new worker restores unacknowledged messages older than the visibility timeout (2 s in these tests)."""
    time.sleep(max(0.0, killed_at + 2.5 - time.monotonic()))
    return worker.start()


def test_a_worker_killed_mid_tally_leaves_nothing_and_the_redelivered_task_tallies_once(
    world, redis_server, worker, capsys
):
    yesterday = timezone.localdate() - timedelta(days=1)
    batch = consulting_batch(world, applications=160, consultation_ends=yesterday, votes=True)
    applications = list(batch.applications.select_related("district__policy"))
    expected = {a.pk: services.tally_of(a) for a in applications}  # what a clean run decides, computed first
    assert sum(t.passes for t in expected.values()) == 80
    staff = User.objects.filter(unit=world.user("bumen").unit, is_active=True).count()

    first = start_and_wait_ready(worker)
    result = celery_client(redis_server.url).send_task("approvals.tasks.advance_batches", queue=worker.queue)
    wait_for(lambda: batch_is_locked(batch), timeout=60, what="the tally to start", interval=0.005)
    killed_at = time.monotonic()
    worker.kill(first)

    batch.refresh_from_db()
    assert batch.state == BatchState.CONSULTING  # the half-done tally was rolled back with the worker
    assert not batch.applications.exclude(state=ApplicationState.CONSULTING).exists()
    assert not ApplicationEvent.objects.filter(application__batch=batch).exists()

    restart_after_visibility_timeout(worker, killed_at)
    assert result.get(timeout=90) == {"opened": 0, "tallied": 1}
    assert deliveries(worker, result.id) == 2, worker.output()

    batch.refresh_from_db()
    assert batch.state == BatchState.REVIEW
    for application in Application.objects.filter(batch=batch):
        tally = expected[application.pk]
        assert application.state == (ApplicationState.UNDER_REVIEW if tally.passes else ApplicationState.REJECTED)
        assert (application.agree_count, application.pass_rate) == (tally.agree, tally.rate)
    events = ApplicationEvent.objects.filter(application__batch=batch)
    assert events.count() == 160  # one decision per application, not two
    assert not events.values("application").annotate(n=Count("id")).filter(n__gt=1).exists()
    rejected = [f"/applications/{pk}/" for pk, tally in expected.items() if not tally.passes]
    told = Notification.objects.filter(url__in=rejected)  # the applicant's staff hear of each rejection
    assert told.count() == 80 * staff
    assert not told.values("recipient", "url").annotate(n=Count("id")).filter(n__gt=1).exists()
    passed = [f"/applications/{pk}/" for pk, tally in expected.items() if tally.passes]
    assert not Notification.objects.filter(url__in=passed).exists()  # a pass goes to the office's review quietly
    assert services.batches_advance() == {"opened": 0, "tallied": 0}  # a third run changes nothing
    with capsys.disabled():
        print("\n[faults] tally: 160 applications, worker SIGKILLed mid-tally, redelivered 1, duplicates 0")


def test_a_worker_killed_mid_reminders_is_redelivered_and_each_reminder_is_sent_once(
    world, redis_server, worker, capsys
):
    tomorrow = timezone.localdate() + timedelta(days=1)
    batch = consulting_batch(world, applications=20, consultation_ends=tomorrow, votes=False)
    pending = Ballot.objects.filter(application__batch=batch).select_related("unit")
    expected = {
        (user_id, f"ballot-{ballot.pk}-reminder")
        for ballot in pending
        for user_id in User.objects.filter(
            unit=ballot.unit, role__in=[Role.SECRETARY, Role.STREET_STAFF], is_active=True
        ).values_list("pk", flat=True)
    }
    assert len(expected) >= 20 * 13 * VOTERS_PER_UNIT
    reminders = Notification.objects.filter(dedupe_key__startswith="ballot-")

    first = start_and_wait_ready(worker)
    result = celery_client(redis_server.url).send_task("approvals.tasks.remind_ballots", queue=worker.queue)
    wait_for(lambda: reminders.count() >= 50, timeout=60, what="the first reminders", interval=0.01)
    killed_at = time.monotonic()
    worker.kill(first)
    sent_before_kill = reminders.count()
    assert 0 < sent_before_kill < len(expected), "the run must be killed part-way"

    restart_after_visibility_timeout(worker, killed_at)
    sent_by_rerun = result.get(timeout=120)
    assert deliveries(worker, result.id) == 2, worker.output()

    assert sent_by_rerun == len(expected) - sent_before_kill  # the rerun sent only what was missing
    assert set(reminders.values_list("recipient_id", "dedupe_key")) == expected
    assert reminders.count() == len(expected)  # each reminder once
    assert services.ballots_remind() == 0
    with capsys.disabled():
        print(
            f"\n[faults] reminders: {len(expected)} due, worker SIGKILLed after {sent_before_kill}, "
            f"redelivered 1, rerun sent {sent_by_rerun}, duplicates 0"
        )
