import logging
import os

import pytest

# The environment the settings need in tests is set in pyproject.toml ([tool.pytest.ini_options] env).


# --- The server log of the whole run holds no unhandled exception --------------------------------------------
# Django logs every request that ends in an exception (a 500) to `django.request` at ERROR. A handler watches
# that logger for the whole session; a test that provoked one fails the run at the end, naming the test and the
# request, unless it is marked `server_error_expected`. (503 is the designed answer to a lost database.)
# SERVER_ERROR_CHECK=0 turns the check off for a local run.


class _ServerErrors(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records, self.current, self.allowed, self.reported = [], None, False, 0

    def emit(self, record):
        if self.allowed or getattr(record, "status_code", 500) == 503:
            return
        self.records.append((self.current, record.getMessage()))


_server_errors = _ServerErrors()


def pytest_configure(config):
    if os.environ.get("SERVER_ERROR_CHECK", "1") != "0":
        logging.getLogger("django.request").addHandler(_server_errors)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _server_errors.current = item.nodeid  # from its setup on: a fixture's request is the test's too
    _server_errors.allowed = item.get_closest_marker("server_error_expected") is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """The phase (setup, call or teardown) in which an unhandled server error was logged fails: a parallel run's
    worker reports it as it reports any failure (a worker's own exit status does not reach the run's); the
    session's summary below still lists them all."""
    report = yield
    provoked = [message for test, message in _server_errors.records[_server_errors.reported :] if test == item.nodeid]
    _server_errors.reported = len(_server_errors.records)
    if provoked and report.passed:
        report.outcome = "failed"
        report.longrepr = f"unhandled server error logged in {call.when}: " + "; ".join(provoked[:5])
    if call.when == "teardown":
        _server_errors.allowed = False
    return report


# --- Parallel runs (pytest -n 2, as make test does) ---------------------------------------------------------------
# Tests that start servers and real workers, drive Chromium, or share the broker run one after another in one
# process (xdist's loadgroup); the rest are spread over the processes, each with its own test database.
SERIAL_PATHS = ("tests/e2e/", "tests/faults/", "tests/test_celery_worker.py")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.startswith(SERIAL_PATHS) or item.get_closest_marker("worker") or item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("serial"))


def pytest_sessionfinish(session, exitstatus):
    if _server_errors.records:
        lines = "\n".join(f"  {test}: {message}" for test, message in _server_errors.records[:50])
        session.config.get_terminal_writer().line(
            f"\n{len(_server_errors.records)} unhandled server error(s) were logged during the run:\n{lines}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached answers are keyed by ids, which a rolled-back test hands out again."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def world(db):
    """The demo world: three districts in two cities, one login per role."""
    from .snapshot import load_demo_world

    load_demo_world(extras=False)
    return World()


class World:
    """Looks up demo units and users by name."""

    def unit(self, name, kind=None):
        from catalog.models import Unit

        qs = Unit.objects.filter(name=name)
        return (qs.filter(kind=kind) if kind else qs).get()

    def user(self, username):
        from catalog.models import User

        return User.objects.select_related("unit").get(username=username)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(scope="session", autouse=True)
def _no_session_left_on_the_test_database(django_db_setup, django_db_blocker):
    """Before the test database is dropped: the process's threads (catalog.background) stopped, and no other
    session left on it (a thread's connection a test did not close would make the drop fail and leave the
    database behind); one that is left is named, then ended."""
    yield
    import warnings

    from django.db import connection

    from catalog.background import ProcessThread

    ProcessThread.stop_all()
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, state, left(query, 200) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        left = cursor.fetchall()
        for pid, *_ in left:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    if left:
        warnings.warn(f"sessions left on the test database, ended: {left}", stacklevel=1)


def trail_queries(queries: int) -> int:
    """`queries`, the ones the audited writes of a request add where the trail is written from Django's signals
    (SQLite: each entry's district read from its object's parents, the chain's head and the entry); none on
    PostgreSQL, whose trigger writes the entry inside the statement. For query budgets that hold on both."""
    from django.db import connection

    return 0 if connection.vendor == "postgresql" else queries
