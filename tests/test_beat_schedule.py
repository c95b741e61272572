"""Every periodic job the apps define runs: Celery beat's schedule names each of them, and nothing else."""

from django.conf import settings

from config.celery import app

APPS = ("catalog", "approvals", "funding", "audits")
# Tasks that are sent on demand (by a request or another task), not by the clock. A task added to an app's tasks.py
# is periodic unless it is named here, so a job nobody schedules cannot slip in unnoticed.
ON_DEMAND: set[str] = {
    "audits.tasks.read_evidence",  # a burden report's picture, sent when the report is committed
}


def _app_tasks() -> set[str]:
    app.loader.import_default_modules()  # autodiscovery: every installed app's tasks.py
    return {name for name in app.tasks if name.split(".")[0] in APPS}


def test_every_periodic_job_of_the_apps_is_on_the_beat_schedule():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    periodic = _app_tasks() - ON_DEMAND
    assert periodic - scheduled == set(), "periodic tasks nobody schedules"
    assert scheduled - _app_tasks() == set(), "scheduled tasks that do not exist"


def test_the_notice_reminders_escalation_and_proposed_findings_are_scheduled():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"audits.tasks.remind_notices", "audits.tasks.propose_findings"} <= scheduled
