"""Scheduled by Celery beat; each is safe to run twice and late."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def remind_notices() -> dict:
    return services.notices_remind()


@shared_task(acks_late=True)
def propose_findings() -> int:
    return services.findings_propose()


@shared_task(acks_late=True, soft_time_limit=60)
def read_evidence(evidence_id: int) -> bool:
    """The words of a burden report's picture, for searching reports by what the evidence says."""
    evidence = services.evidence_read(evidence_id=evidence_id)
    return bool(evidence and evidence.text)


@shared_task(acks_late=True, ignore_result=True)
def seal_trail() -> int:
    """Seal the audit trail's committed entries a busy sealer's lock left over (each commit tries first)."""
    from . import trail

    return trail.seal()
