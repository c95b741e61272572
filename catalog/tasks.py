import socket
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from . import answers
from .models import WorkerHeartbeat


@shared_task
def record_heartbeat() -> dict:
    """Scheduled every minute: proves to staff that the worker and beat are running."""
    beat = WorkerHeartbeat.objects.create(hostname=socket.gethostname())
    answers.retry_pending_invalidation()  # a write of this worker's that could not reach the cache (Redis down)
    return {"id": beat.pk, "hostname": beat.hostname, "beat_at": beat.beat_at.isoformat()}


@shared_task
def prune_heartbeats(keep_days: int = 7) -> int:
    """Keeps the heartbeat table small; safe to run twice."""
    deleted, _ = WorkerHeartbeat.objects.filter(beat_at__lt=timezone.now() - timedelta(days=keep_days)).delete()
    return deleted


@worker_ready.connect
def _heartbeat_on_start(sender=None, **kwargs):
    # The first scheduled beat is a minute away; report at once so the home page is right from the start.
    record_heartbeat.delay()
