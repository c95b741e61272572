"""Reads scaled out on a real PostgreSQL streaming replica (config/db_router.py).

A replica of the private cluster is made with `pg_basebackup -R` and started on a port of its own; gunicorn serves
the app with DATABASE_URL on the primary and DATABASE_REPLICA_URLS on the replica. With the replica's replay
paused, a write made through the app is seen at once by its writer (read-your-writes) and not by another reader
(whose read went to the replica); once the replica lags beyond the bound, every read is answered by the primary.
Then the replica is stopped under load, with one read held in the middle of a query on it: every request is
answered (0 errors), the held one again from the primary.
"""

import json
import threading
import time
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg2

from catalog.demo import DEMO_PASSWORD

from .conftest import Browser, PostgresCluster, WebServer, app_env, wait_for

DATABASE = "replicated"
MAX_LAG = 3  # seconds; the writer's pin is then at least 3.5 s
REPORT = "/api/v1/funding-report/?group=payer"
CHECK_Q = "%E5%8D%8F%E5%8A%A9%E5%BC%80%E5%B1%95%E5%85%BB%E8%80%81"  # 协助开展养老


class Replica(PostgresCluster):
    """A hot standby of `primary`, streaming from it (`pg_basebackup -R` writes standby.signal and the
    primary_conninfo)."""

    def __init__(self, primary: PostgresCluster):
        super().__init__()
        self.primary = primary

    def init(self) -> None:
        self._run(
            *("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"),
            *("-D", str(self.data), "-R", "-X", "stream", "-c", "fast", "--no-sync"),
        )


def paid(browser: Browser) -> Decimal:
    status, _headers, body, _ = browser.request(REPORT)
    assert status == 200, (status, body[:300])
    return Decimal(json.loads(body)["totals"]["paid"])  # paid in the report's period (this year by default)


def replica_sessions(replica: Replica) -> int:
    return int(
        replica.psql(
            "postgres",
            f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DATABASE}' AND backend_type = 'client backend'",
        )
    )


def forget_pin(browser: Browser) -> None:
    for cookie in [c for c in browser.cookies if c.name == "primary_reads"]:
        browser.cookies.clear(cookie.domain, cookie.path, cookie.name)


def caught_up(primary: PostgresCluster, replica: Replica) -> float:
    """A commit on the primary, waited for on the replica: its last replayed transaction is a moment old.
    Returns the time just before the commit."""
    before = time.monotonic()
    marker = primary.psql("postgres", "WITH new AS (INSERT INTO probe DEFAULT VALUES RETURNING id) SELECT id FROM new")
    wait_for(
        lambda: replica.psql("postgres", f"SELECT count(*) FROM probe WHERE id = {marker}") == "1",
        timeout=10,
        what="the replica to replay the probe",
    )
    return before


def test_reads_go_to_the_replica_the_writer_reads_its_writes_and_a_lost_replica_costs_no_request(
    pg_cluster, tmp_path, capsys
):
    primary = pg_cluster
    assert primary.psql("postgres", "SHOW wal_level") in {"replica", "logical"}
    assert int(primary.psql("postgres", "SHOW max_wal_senders")) > 0
    primary.psql("postgres", f"DROP DATABASE IF EXISTS {DATABASE}")
    primary.tool("createdb", "-T", "app", DATABASE)  # the demo, written by the app
    primary.psql("postgres", "CREATE TABLE IF NOT EXISTS probe (id serial PRIMARY KEY)")
    replica, web = Replica(primary), None
    try:
        replica.init()
        replica.start()
        wait_for(lambda: replica.psql("postgres", "SELECT pg_is_in_recovery()") == "t", timeout=20, what="standby")
        _password(primary)
        web = WebServer(
            app_env(
                DATABASE_URL=primary.url(DATABASE),
                DATABASE_REPLICA_URLS=replica.url(DATABASE),
                DATABASE_REPLICA_MAX_LAG_SECONDS=str(MAX_LAG),
                DATABASE_REPLICA_PIN_SECONDS="1",
                DATABASE_REPLICA_RETRY_SECONDS="1",
                DJANGO_CONN_MAX_AGE="600",
                REDIS_URL="",
                DJANGO_LOG_LEVEL="WARNING",
            ),
            tmp_path / "web.log",
        )
        web.start()
        _read_your_writes(primary, replica, web)
        _replica_lost_under_load(primary, replica, web, capsys)
    finally:
        if web is not None:
            web.stop()
        replica.destroy()
        primary.psql("postgres", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _password(primary: PostgresCluster) -> None:
    """The demo's passwords in a hash the server's production hashers read (few iterations: only the format
    matters here)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    encoded = PBKDF2PasswordHasher().encode(DEMO_PASSWORD, "replicasalt1", iterations=1000)
    primary.psql(DATABASE, f"UPDATE catalog_user SET password = '{encoded}' WHERE username IN ('bumen', 'shenji')")


def _read_your_writes(primary, replica, web) -> None:
    payer, auditor = Browser(web.base), Browser(web.base)
    payer.login("bumen", DEMO_PASSWORD)
    auditor.login("shenji", DEMO_PASSWORD)
    instalment = primary.psql(
        DATABASE,
        "SELECT i.id FROM funding_instalment i JOIN funding_contract c ON c.id = i.contract_id "
        "WHERE c.state = 'in_force' AND i.paid + 100 <= i.amount ORDER BY i.id LIMIT 1",
    )
    for browser in (payer, auditor):  # as if the logins were long ago: their pins are over
        forget_pin(browser)
    caught_up(primary, replica)
    before = paid(auditor)
    assert paid(payer) == before
    assert replica_sessions(replica) >= 1, "the reads went to the primary"

    probed = caught_up(primary, replica)
    replica.psql("postgres", "SELECT pg_wal_replay_pause()")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    status, _h, body, _ = payer.request(
        "/api/v1/payments/",
        {"instalment": instalment, "paid_on": today, "amount": "12.34", "voucher": "REPLICA-RYW-1"},
        headers={"Accept": "application/json"},
    )
    assert status == 201, (status, body[:300])
    assert paid(payer) == before + Decimal("12.34")  # its writer reads it at once: pinned to the primary
    seen, elapsed = paid(auditor), time.monotonic() - probed
    assert elapsed < MAX_LAG, f"{elapsed:.1f} s: too slow to catch the replica within its lag bound"
    assert seen == before  # another reader's read went to the paused replica

    # Lagging beyond the bound, the replica answers nobody: the primary does.
    wait_for(lambda: paid(auditor) == before + Decimal("12.34"), timeout=MAX_LAG + 5, what="the lag bound")
    assert time.monotonic() - probed >= MAX_LAG  # not before: the lag is measured from the probe's commit
    replica.psql("postgres", "SELECT pg_wal_replay_resume()")
    caught_up(primary, replica)
    assert paid(auditor) == before + Decimal("12.34")


def _replica_lost_under_load(primary, replica, web, capsys) -> None:
    district, item = primary.psql(
        DATABASE,
        "SELECT v.district_id, i.id FROM catalog_catalogueitem i JOIN catalog_catalogueversion v "
        "ON v.id = i.version_id WHERE v.state = 'published' ORDER BY i.id LIMIT 1",
    ).split("|")
    community = primary.psql(DATABASE, "SELECT id FROM catalog_unit WHERE kind = 'community' ORDER BY id LIMIT 1")
    title = primary.psql(DATABASE, f"SELECT title FROM catalog_catalogueitem WHERE id = {item}")
    public, auditor = Browser(web.base), Browser(web.base)
    auditor.login("shenji", DEMO_PASSWORD)
    forget_pin(auditor)
    targets = [
        (public, "/catalogue/"),
        (public, f"/api/v1/check/?community={community}&q={CHECK_Q}"),
        (public, f"/catalogue/{district}/"),
        (auditor, REPORT),
    ]
    log, stop = [], threading.Event()

    def load():
        while not stop.is_set():
            for browser, path in targets:
                started = time.monotonic()
                status, _headers, body, _ = browser.request(path, timeout=20)
                log.append((started, time.monotonic(), path, status, body))

    held = {}

    def held_read():
        # With a query string: a visitor's plain item page may be answered from the kept pages, without a query.
        held["answer"] = public.request(f"/catalogue/{district}/items/{item}/?held=1", timeout=30)

    client = threading.Thread(target=load)
    client.start()
    try:
        time.sleep(1)
        assert replica_sessions(replica) >= 1
        # An exclusive lock taken on the primary is replayed on the replica: a read of the table waits there.
        locker = psycopg2.connect(primary.url(DATABASE))  # in a transaction until rolled back
        try:
            locker.cursor().execute("LOCK TABLE catalog_catalogueitem IN ACCESS EXCLUSIVE MODE")
            # The lock's WAL record waits in the primary's buffers until something flushes them: a committed
            # transaction from another session does (the load's reads may write nothing).
            flusher = psycopg2.connect(primary.url(DATABASE))
            flusher.autocommit = True
            flusher.cursor().execute("SELECT txid_current()")
            flusher.close()
            wait_for(
                lambda: (
                    replica.psql(
                        DATABASE,
                        "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' "
                        "AND relation = 'catalog_catalogueitem'::regclass",
                    )
                    != "0"
                ),
                timeout=20,
                what="the lock to reach the replica",
            )
            reader = threading.Thread(target=held_read)
            reader.start()
            wait_for(
                lambda: (
                    replica.psql(
                        "postgres",
                        "SELECT count(*) FROM pg_stat_activity "
                        f"WHERE datname = '{DATABASE}' AND wait_event_type = 'Lock'",
                    )
                    != "0"
                ),
                timeout=10,
                what="a read held in the middle of a query on the replica",
            )
            stopping = time.monotonic()
            replica.stop("immediate")  # the replica's host is lost
            stopped = time.monotonic()
        finally:
            locker.rollback()
            locker.close()
        reader.join(timeout=30)
        time.sleep(2)
    finally:
        stop.set()
        client.join(timeout=30)

    status, _headers, body, _ = held["answer"]
    assert status == 200 and title in body  # the held read, answered again by the primary
    statuses = [(path, status) for _s, _e, path, status, _b in log if status != 200]
    assert statuses == [], statuses
    after = [r for r in log if r[0] > stopped]
    assert len(after) >= 8, len(after)
    served = web.served_log()
    assert "answered from the primary" in served
    assert "Internal Server Error" not in served and "Service Unavailable" not in served
    with capsys.disabled():
        print(
            f"\n[faults] read replica: {len(log)} requests under load, 0 errors; the replica stopped "
            f"{stopped - stopping:.1f}s with a read held on it, answered again from the primary; "
            f"{len(after)} requests after the stop, all answered by the primary; "
            f"{served.count('answered from the primary')} reads failed over"
        )
