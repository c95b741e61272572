"""Scheduled by Celery beat; each is safe to run twice and to run late."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def advance_contracts() -> dict:
    return services.contracts_advance()


@shared_task(acks_late=True)
def remind_instalments() -> int:
    return services.instalments_remind()


@shared_task(acks_late=True)
def snapshot_funding() -> int:
    return services.snapshot_month()
