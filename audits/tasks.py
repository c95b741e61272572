"""Scheduled by Celery beat; each is safe to run twice and late."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def remind_notices() -> dict:
    return services.notices_remind()


@shared_task(acks_late=True)
def propose_findings() -> int:
    return services.findings_propose()
