"""A real Celery worker process takes a task from the real broker (Redis in CI) and writes to the test database."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from catalog.models import WorkerHeartbeat
from catalog.tasks import record_heartbeat

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue():
    queue = f"test-{uuid.uuid4().hex[:8]}"  # a queue of its own: no other worker can take the task
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "DJANGO_CONN_MAX_AGE": "0"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield queue
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    if "Traceback" in output:
        print(output)


def test_a_real_worker_runs_the_heartbeat_task_through_the_broker(worker_queue, settings):
    result = record_heartbeat.apply_async(queue=worker_queue)
    payload = result.get(timeout=90)

    beat = WorkerHeartbeat.objects.get(pk=payload["id"])
    assert beat.hostname == payload["hostname"]
    if os.environ.get("CI"):
        # CI must exercise the production broker, not the embedded one.
        assert settings.CELERY_BROKER_URL.startswith("redis://")
        assert connection.vendor == "postgresql"
