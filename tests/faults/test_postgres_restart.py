"""PostgreSQL restarted under load (a private cluster): while it is down every request gets a short 503 with
Retry-After, never a 500 or a traceback; once it is back requests succeed again, with the same app processes."""

import threading
import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError

from catalog.demo import DEMO_PASSWORD

from .conftest import Browser, WebServer, app_env

OUTAGE_SECONDS = 2


def failing_queries(error: Exception):
    return mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=error)


@pytest.mark.django_db
def test_a_lost_database_answers_503_with_retry_after_as_a_page_or_as_json(client):
    client.raise_request_exception = False
    with failing_queries(OperationalError("the database system is shutting down")):
        page = client.get("/")
        api = client.get("/api/v1/versions/")
    assert (page.status_code, page["Retry-After"]) == (503, "30")
    assert 'data-testid="unavailable"' in page.content.decode() and "shutting down" not in page.content.decode()
    assert (api.status_code, api["Retry-After"], api.json()["retry_after"]) == (503, "30", 30)


@pytest.mark.django_db
@pytest.mark.server_error_expected
def test_any_other_error_is_still_a_500(client):
    client.raise_request_exception = False
    with failing_queries(ValueError("a bug")):
        response = client.get("/")
    assert response.status_code == 500 and "Retry-After" not in response


def children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def test_postgresql_restarted_under_load_answers_503_then_recovers_without_restarting_the_app(
    pg_cluster, tmp_path, capsys
):
    web = WebServer(
        app_env(DATABASE_URL=pg_cluster.url("app"), REDIS_URL="", DJANGO_CONN_MAX_AGE="600"), tmp_path / "web.log"
    )
    web.start()
    try:
        office = Browser(web.base)
        office.login("minzheng", DEMO_PASSWORD)
        public = Browser(web.base)
        targets = [(office, "/home/"), (public, "/catalogue/"), (public, "/api/v1/versions/"), (office, "/inbox/")]
        workers_before = children(web.process.pid)

        log, stop = [], threading.Event()

        def load():
            while not stop.is_set():
                for browser, path in targets:
                    started = time.monotonic()
                    status, headers, body, _ = browser.request(path, timeout=15)
                    log.append((started, time.monotonic(), path, status, headers.get("Retry-After"), body))

        client = threading.Thread(target=load)
        client.start()
        try:
            time.sleep(1)
            stopping = time.monotonic()
            pg_cluster.stop("fast")  # pg_ctl restart -m fast, with the outage held open long enough to measure
            down = time.monotonic()
            time.sleep(OUTAGE_SECONDS)
            starting = time.monotonic()
            pg_cluster.start()
            up = time.monotonic()
            time.sleep(1.5)
        finally:
            stop.set()
            client.join(timeout=30)
        workers_after = children(web.process.pid)
    finally:
        web.stop()

    before = [r for r in log if r[1] < stopping]
    during = [r for r in log if r[0] > down and r[1] < starting]
    after = [r for r in log if r[0] > up]
    assert len(before) >= 4 and len(during) >= 4 and len(after) >= 4, (len(before), len(during), len(after))
    assert {r[3] for r in log} <= {200, 503}, "no request may fail with anything but a clean 503"
    assert all(r[3] == 200 for r in before + after), [(r[2], r[3]) for r in before + after if r[3] != 200]
    for _started, _ended, path, status, retry_after, body in during:
        assert status == 503 and retry_after == "30", (path, status)
        assert "Traceback" not in body and "OperationalError" not in body
        assert ('"retry_after"' in body) if path.startswith("/api/") else ('data-testid="unavailable"' in body)
    assert workers_after == workers_before  # the same gunicorn workers: nothing was restarted
    assert "Internal Server Error" not in web.served_log()  # the server log has no 500 either
    with capsys.disabled():
        print(
            f"\n[faults] postgres restart: {len(log)} requests, before {len(before)} (all 200), during "
            f"{len(during)} (all 503 + Retry-After), after {len(after)} (all 200), "
            f"{len(log) - len(before) - len(during) - len(after)} at the edges (200 or 503), 0 errors; "
            f"outage {starting - stopping:.1f}s, back {up - starting:.1f}s after start, same app processes"
        )
