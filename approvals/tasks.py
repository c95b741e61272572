"""Scheduled by Celery beat (stored in the database, editable in the admin). Each is safe to run twice or late."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def advance_batches() -> dict:
    """Close intake (open consultation) and tally at the consultation deadline."""
    return services.batches_advance()


@shared_task(acks_late=True)
def remind_ballots() -> int:
    return services.ballots_remind()


@shared_task(acks_late=True)
def escalate_urgent() -> int:
    return services.urgent_escalate()


@shared_task(acks_late=True)
def lapse_expedited() -> int:
    return services.expedited_lapse()
