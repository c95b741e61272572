"""The read-replica router's rules (config/db_router.py), without a replica: which reads may leave the primary,
the writer's pin, and what an unreachable replica costs. tests/faults/test_read_replicas.py runs them against a
real streaming replica."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connection, router
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from catalog import answers
from catalog.models import CatalogueItem, Unit, User
from config import db_router
from config.models import TokenUse

REPLICA = "replica_1"

READS = ["/", "/org/", "/org/5/", "/catalogue/", "/catalogue/3/", "/catalogue/3/items/9/", "/catalogue/3/export.csv"]
READS += ["/catalogue/compare/", "/catalogue/dashboard/", "/catalogue/demands/", "/check/", "/check/slip.pdf"]
READS += ["/funding/report/", "/funding/report/export.xlsx", "/funding/unfunded/", "/api/v1/check/"]
READS += ["/api/v1/items/", "/api/v1/items/4/", "/api/v1/versions/", "/api/v1/districts/", "/api/v1/funding-report/"]
WORK = ["/home/", "/inbox/", "/catalogue/3/draft/", "/catalogue/3/draft/items/new/", "/catalogue/3/demands/"]
WORK += ["/catalogue/3/demands/7/", "/applications/", "/review/", "/ballots/", "/funding/contracts/", "/notices/"]
WORK += ["/supervision/trail/", "/accounts/login/", "/admin/", "/api/v1/applications/", "/api/v1/payments/"]
WORK += ["/api/v1/imports/2/", "/api/v1/me/", "/healthz", "/districts/3/policy/"]


@pytest.mark.parametrize("path", READS)
def test_public_pages_the_check_search_and_reports_may_be_read_from_a_replica_by_get_and_head(path):
    factory = RequestFactory()
    assert db_router.eligible(factory.get(path)) and db_router.eligible(factory.head(path))
    for method in ("post", "put", "patch", "delete", "options"):
        assert not db_router.eligible(getattr(factory, method)(path)), method


@pytest.mark.parametrize("path", WORK)
def test_work_pages_and_everything_else_read_the_primary(path):
    assert not db_router.eligible(RequestFactory().get(path))


MODELS = [Session, Token, TokenUse, User, Unit, CatalogueItem]


@given(
    chosen=st.sampled_from([None, REPLICA]),
    model=st.sampled_from(MODELS),
    instance_on=st.sampled_from([None, DEFAULT_DB_ALIAS, REPLICA]),
)
def test_a_read_leaves_the_primary_only_where_the_request_sent_it_and_a_write_never_does(chosen, model, instance_on):
    hints = {}
    if instance_on is not None:
        instance = model()
        instance._state.db = instance_on
        hints["instance"] = instance
    with db_router.reads_from(chosen):
        read = router.db_for_read(model, **hints)
        write = router.db_for_write(model, **hints)
    primary_only = model._meta.app_label in db_router.PRIMARY_ONLY_APPS
    expected = REPLICA if chosen and not primary_only and instance_on != DEFAULT_DB_ALIAS else DEFAULT_DB_ALIAS
    assert (read, write) == (expected, DEFAULT_DB_ALIAS)
    assert router.db_for_read(model) == DEFAULT_DB_ALIAS  # outside a request the middleware sent: the primary


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_reads_are_the_primarys():
    from django.db import transaction

    with db_router.reads_from(REPLICA):
        assert router.db_for_read(Unit) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(Unit) == DEFAULT_DB_ALIAS


@given(
    pin=st.floats(0, 60),
    lag=st.floats(0, 60),
    check=st.floats(0, 5),
)
def test_the_writers_pin_outlasts_the_time_a_replica_in_use_may_lack_the_write(pin, lag, check):
    from django.test import override_settings

    with override_settings(
        DATABASE_REPLICA_PIN_SECONDS=pin, DATABASE_REPLICA_MAX_LAG_SECONDS=lag, DATABASE_REPLICA_LAG_CHECK_SECONDS=check
    ):
        assert db_router.pin_seconds() >= max(pin, lag + check)


@pytest.mark.django_db
def test_without_replicas_nothing_changes(client, settings):
    assert settings.DATABASE_REPLICAS == []  # DATABASE_REPLICA_URLS is not set in the tests
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and db_router.PIN_COOKIE not in response.cookies


@pytest.mark.django_db
def test_a_write_pins_its_sender_to_the_primary_with_a_signed_cookie(client, settings):
    settings.DATABASE_REPLICAS = [REPLICA]
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = response.cookies[db_router.PIN_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= db_router.pin_seconds()
    factory = RequestFactory()
    pinned = factory.get("/catalogue/")
    pinned.COOKIES[db_router.PIN_COOKIE] = cookie.value
    assert db_router.pinned(pinned) and db_router.read_alias_for(pinned) is None
    forged = factory.get("/catalogue/")
    forged.COOKIES[db_router.PIN_COOKIE] = cookie.value[:-2] + "xx"
    assert not db_router.pinned(forged)


@pytest.mark.django_db
def test_a_replica_that_cannot_be_reached_leaves_the_reads_on_the_primary(client, settings):
    settings.DATABASE_REPLICAS = ["replica_that_is_not_there"]
    db_router._health.clear()
    try:
        response = client.get("/catalogue/")
        assert response.status_code == 200
        health = db_router._health.get("replica_that_is_not_there")
        if connection.vendor == "postgresql":  # the primary told its position; the replica could not be asked
            assert health is not None and not health.usable and health.lag is None
            assert health.until > time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS - 2
        else:  # SQLite is no PostgreSQL primary: no replica is ever used
            assert health is None
        assert db_router.read_alias_for(RequestFactory().get("/catalogue/")) is None
    finally:
        db_router._health.clear()


@pytest.mark.django_db(transaction=True)
def test_a_check_answer_computed_just_after_a_write_reads_the_primary_even_when_replicas_take_the_reads():
    seen = []

    def compute():
        seen.append((router.db_for_read(Unit), connection.in_atomic_block))
        return {"answer": len(seen)}

    just_moved = f"{'a' * 32}@{time.time():.3f}"
    long_ago = f"{'b' * 32}@{time.time() - 600:.3f}"
    with db_router.reads_from(REPLICA):
        answers.CHECK.computed_after(just_moved, compute)
        answers.CHECK.computed_after(long_ago, compute)
        answers.CHECK.computed_after("c" * 32, compute)  # a generation from before replicas: no time in it
    answers.CHECK.computed_after(just_moved, compute)  # no replica: nothing to avoid
    assert seen == [(DEFAULT_DB_ALIAS, True), (REPLICA, False), (REPLICA, False), (DEFAULT_DB_ALIAS, False)]


def test_a_streamed_answer_reads_its_rows_where_its_view_did_and_only_while_it_is_sent():
    rows = (router.db_for_read(CatalogueItem) for _ in range(3))  # evaluated as the answer is sent
    sent = db_router._streamed(db_router.Reading(REPLICA, REPLICA), rows)
    assert router.db_for_read(CatalogueItem) == DEFAULT_DB_ALIAS
    assert list(sent) == [REPLICA] * 3
    assert router.db_for_read(CatalogueItem) == DEFAULT_DB_ALIAS
