"""The API fuzzed from its own OpenAPI schema: no answer is a server error, and every answer is one the schema
promises (its status code, content type and body).

Schemathesis reads the schema the application serves (`/api/v1/schema/`) and generates requests for every
operation, both fitting the schema and breaking it, as four callers: anonymous, district civil-affairs staff, a
department (files applications, pays contracts) and a community secretary (votes). Half the examples aim at
objects that exist and that the caller can see (the first one its list answers with), so that actions reach
their rules and not just a 404. Requests go to the Django application in-process (WSGI), each inside a savepoint
of the test's transaction that is rolled back: every example starts from the same demo world, the run is
repeatable, and nothing is left behind.
"""

from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = [None, "minzheng", "bumen", "shuji"]
EXAMPLES_PER_MODE = 8  # per operation, caller and mode (fitting / breaking the schema)
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_MODE,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is repeatable
    database=None,
    phases=[Phase.explicit, Phase.generate],  # report the first failure as found; shrinking costs minutes
    suppress_health_check=list(HealthCheck),
)


def _served_schema():
    """The schema as the application serves it (generating it needs no database, so it loads at collection)."""
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


SCHEMA = _served_schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)  # an accepted upload is written here, and removed with it


@pytest.fixture
def wsgi_app(world):
    """The deployed WSGI application, kept inside the test's transaction: Django closes "old" connections at the
    start and end of each request, which would end the transaction (its own test client does the same)."""
    from django.core.wsgi import get_wsgi_application

    from catalog.demo import load_demo

    load_demo()  # the whole demo: applications in every state, contracts, payments, burden reports
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _headers(world, username) -> dict:
    """The headers that authenticate a demo user by API token (none for an anonymous caller)."""
    from rest_framework.authtoken.models import Token

    if username is None:
        return {}
    token, _created = Token.objects.get_or_create(user=world.user(username))
    return {"Authorization": f"Token {token.key}"}


def _visible_ids(client, headers) -> dict[str, dict]:
    """For each list endpoint, the path parameters of the first object the caller can see in it."""
    found = {}
    for operation in OPERATIONS:
        if operation.method != "get" or "{" in operation.path:
            continue
        response = client.get(operation.path, headers=headers)
        if response.status_code != 200:
            continue
        body = response.get_json()
        rows = body.get("results", []) if isinstance(body, dict) else body
        if rows and isinstance(rows[0], dict):
            found[operation.path] = rows[0]
    return found


def _real_path_parameters(operation, visible: dict[str, dict]) -> dict | None:
    if "{" not in operation.path:
        return None
    collection = operation.path.split("{")[0]
    row = visible.get(collection)
    if row is None:
        return None
    names = [p.name for p in operation.path_parameters]
    if not all(name in row or name == "id" for name in names):
        return None
    return {name: row.get(name, row.get("id")) for name in names}


def _describe(exc: BaseException) -> str:
    """What failed and how to reproduce it, without the full response bodies."""
    text = str(exc) if not isinstance(exc, BaseExceptionGroup) else "\n".join(str(e) for e in exc.exceptions)
    return "\n".join(line[:300] for line in text.splitlines()[:40])


@pytest.mark.parametrize("username", ROLES, ids=lambda username: username or "anonymous")
def test_no_answer_is_a_server_error_or_breaks_the_schema(world, wsgi_app, username):
    from werkzeug import Client

    headers = _headers(world, username)
    visible = _visible_ids(Client(wsgi_app), headers)
    failures, examples, statuses = [], [0], Counter()

    for operation in OPERATIONS:
        # An operation without parameters or body has nothing to break: only fitting requests exist.
        has_input = bool(operation.path_parameters or operation.query or operation.body)
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if has_input else (GenerationMode.POSITIVE,)
        for mode in modes:
            strategy = operation.as_strategy(generation_mode=mode)
            real = _real_path_parameters(operation, visible)
            if real:
                strategy = st.one_of(strategy, operation.as_strategy(generation_mode=mode, path_parameters=real))

            @FUZZ_SETTINGS
            @given(case=strategy)
            def fuzz(case):
                examples[0] += 1
                with transaction.atomic():
                    try:
                        response = case.call(headers=headers, app=wsgi_app)
                        statuses[response.status_code] += 1
                        case.validate_response(response, checks=CHECKS, headers=headers)
                    finally:
                        transaction.set_rollback(True)

            try:
                fuzz()
            except (Exception, BaseExceptionGroup) as exc:  # a check's failures, or a crash: both are findings
                failures.append(f"--- {username or 'anonymous'} {operation.label} ({mode}):\n{_describe(exc)}")
                break

    print(
        f"{username or 'anonymous'}: {len(OPERATIONS)} operations, {examples[0]} examples, "
        f"{len(visible)} lists with a visible object; answers {dict(sorted(statuses.items()))}"
    )
    assert not failures, "\n\n".join(failures)


# The trail's readers are not among ROLES (the others all get 403 there): its endpoint is fuzzed as them too, the
# auditor of one district and the overseer of a city, with the filters' real choices among the generated ones.
READERS = ["shenji", "shiju"]
READ_AS_READERS = ("/api/v1/trail/",)


@pytest.mark.parametrize("username", READERS)
def test_the_trail_answers_its_readers_within_the_schema(world, wsgi_app, username):
    headers = _headers(world, username)
    operations = [operation for operation in OPERATIONS if operation.path.startswith(READ_AS_READERS)]
    assert operations, "the trail is in the schema"
    failures, statuses = [], Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @FUZZ_SETTINGS
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case):
                with transaction.atomic():
                    try:
                        response = case.call(headers=headers, app=wsgi_app)
                        statuses[response.status_code] += 1
                        case.validate_response(response, checks=CHECKS, headers=headers)
                    finally:
                        transaction.set_rollback(True)

            try:
                fuzz()
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"--- {username} {operation.label} ({mode}):\n{_describe(exc)}")
    assert statuses[200], f"no fitting request was answered: {dict(statuses)}"
    assert not failures, "\n\n".join(failures)
