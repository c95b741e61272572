"""Processes the fault tests start, break and stop themselves: Redis, a Celery worker, a web server and a private
PostgreSQL cluster, each on a free port of its own, never the shared services. Every one is torn down, its whole
process group, even when the test fails."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stop_group(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 20) -> None:
    """Signal the process and every child it started (they share its session), then reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def database_url_of_tests() -> str:
    """The pytest-django test database, for processes that must see what a transactional test commits."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def app_env(**overrides) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "faults-test-not-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_TESTING": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.update(overrides)
    return env


# --- Redis ---------------------------------------------------------------------------------------------------


class RedisServer:
    def __init__(self, workdir: Path):
        self.port, self.workdir, self.process = free_port(), workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir), "--logfile", ""),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.ping, timeout=20, what=f"redis-server on port {self.port}")

    def ping(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
            self.process = None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def celery_client(broker_url: str):
    """A Celery app of the test's own, on the private broker: the project's app keeps its configuration."""
    from celery import Celery

    # Not the current app: the project's shared tasks must keep resolving to the project's app in this process.
    return Celery("faults-client", broker=broker_url, backend=broker_url, set_as_current=False)


# --- Celery worker -------------------------------------------------------------------------------------------


class Worker:
    """`celery -A config worker` against the private Redis and the test database, on a queue of its own."""

    def __init__(self, broker_url: str, queue: str, log: Path):
        self.broker_url, self.queue, self.log, self.processes = broker_url, queue, log, []

    def start(self) -> subprocess.Popen:
        env = app_env(
            DATABASE_URL=database_url_of_tests(),
            DJANGO_CONN_MAX_AGE="0",
            REDIS_URL=self.broker_url,
            CELERY_BROKER_URL=self.broker_url,
            CELERY_RESULT_BACKEND=self.broker_url,
            # A killed worker's task comes back after 2 s instead of an hour (production: CELERY_VISIBILITY_TIMEOUT).
            CELERY_VISIBILITY_TIMEOUT="2",
            CELERY_UNACKED_RESTORE_INTERVAL="1",
        )
        with self.log.open("a") as log:
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", f"{self.queue},celery"),
                    *("--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"),
                    f"--hostname=fault-{uuid.uuid4().hex[:6]}@%h",
                ],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL, as the out-of-memory killer or a lost host would: no warm shutdown, nothing acknowledged."""
        stop_group(process, signal.SIGKILL)

    def stop_all(self) -> None:
        for process in self.processes:
            stop_group(process)

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


@pytest.fixture
def worker(redis_server, tmp_path):
    supervisor = Worker(redis_server.url, f"faults-{uuid.uuid4().hex[:8]}", tmp_path / "worker.log")
    yield supervisor
    supervisor.stop_all()


# --- Web server ----------------------------------------------------------------------------------------------


class WebServer:
    """gunicorn serving config.wsgi, as in production (DEBUG off, real error handling)."""

    def __init__(self, env: dict, log: Path, workers: int = 2):
        self.port, self.env, self.log, self.workers, self.process = free_port(), env, log, workers, None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{self.port}"),
                    *("-w", str(self.workers), "--timeout", "60", "--graceful-timeout", "5"),
                    "--no-control-socket",  # its default path is shared by every gunicorn of the machine
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._answers, timeout=60, what="gunicorn to answer", interval=0.2)

    def _answers(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()
        try:
            urllib.request.urlopen(self.base + "/healthz", timeout=2)
        except urllib.error.HTTPError:
            return True  # answering, even if unhealthy
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, signal.SIGINT)  # gunicorn's quick shutdown
            self.process = None

    def served_log(self) -> str:
        """What the server logged while serving, before the shutdown the test asked for."""
        return self.log.read_text().split("Handling signal")[0]


class Browser:
    """A cookie-keeping HTTP client that logs in with the login form, as a person would."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path: str, data: dict | None = None, timeout: float = 10, headers: dict | None = None):
        """Returns (status, headers, body, seconds); never raises for an HTTP error status."""
        body = None
        headers = dict(headers or {})
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}, doseq=True).encode()
            headers["Referer"] = self.base + path
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.headers, response.read().decode(), time.monotonic() - started
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(), time.monotonic() - started

    def csrf(self) -> str:
        token = next((c.value for c in self.cookies if c.name == "csrftoken"), None)
        if token is None:
            self.request("/accounts/login/")
            token = next(c.value for c in self.cookies if c.name == "csrftoken")
        return token

    def login(self, username: str, password: str) -> None:
        status, _headers, body, _ = self.request("/accounts/login/", {"username": username, "password": password})
        assert status == 200 and 'data-testid="home"' in body, f"login as {username} failed: {status}"


def password_the_server_reads(username: str, password: str) -> None:
    """The suite stores MD5 hashes for speed, which a server with the production hashers does not read: give the
    user of the test database a PBKDF2 hash (few iterations: only the format matters here)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.utils.crypto import get_random_string

    from catalog.models import User

    encoded = PBKDF2PasswordHasher().encode(password, get_random_string(12), iterations=1000)
    assert User.objects.filter(username=username).update(password=encoded) == 1


# --- A private PostgreSQL cluster ----------------------------------------------------------------------------


class PostgresCluster:
    """initdb'd in a temporary directory, listening on 127.0.0.1 at a free port. initdb refuses to run as root,
    so as root the cluster belongs to the `postgres` system user."""

    def __init__(self):
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.base / "data"
        self.logfile = self.base / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def tool(self, name: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(PG_BIN / name), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def psql(self, database: str, sql: str) -> str:
        return self.tool("psql", "-d", database, "-tAX", "-v", "ON_ERROR_STOP=1", "-c", sql).stdout.strip()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


def manage(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=app_env(DATABASE_URL=database_url, REDIS_URL="", DJANGO_LOG_LEVEL="ERROR"),
        check=check,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def pg_cluster():
    """A private cluster whose database `app` holds the migrated schema and the demo data (written by the app,
    so its audit trail was written by the triggers)."""
    cluster = PostgresCluster()
    try:
        cluster.init()
        cluster.start()
        cluster.tool("createdb", "app")
        manage(cluster.url("app"), "migrate", "--noinput", "-v0")
        manage(cluster.url("app"), "load_demo")
        yield cluster
    finally:
        cluster.destroy()
