"""A check computed under a generation of the answer cache (catalog.answers) reads the community, the version in
force and the providers' answers once per process: the cached answers hold them until the generation moves on,
so a new demand of the same community under the same generation needs only the INSERT that keeps it."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import answers

pytestmark = pytest.mark.django_db
ON = date(2026, 11, 20)


def ask(client, community, q):
    response = client.get("/api/v1/check/", {"community": community.pk, "q": q, "date": ON.isoformat()})
    assert response.status_code == 200, response.content
    return response.json()


def writes(context):
    return [q["sql"] for q in context.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


@pytest.mark.parametrize("demand", ["协助开展养老", "社区配合开展城市管理执法巡查", "低保入户调查"])
def test_a_new_demand_of_the_same_community_reads_only_what_it_judges(client, world, demand):
    community = world.unit("牛沙路社区")
    first = ask(client, community, f"{demand} 1")
    with CaptureQueriesContext(connection) as context:
        second = ask(client, community, f"{demand} 2")
    assert second["verdict"] == first["verdict"] and second["query"] != first["query"]
    assert len(writes(context)) == 1 and writes(context)[0].startswith('INSERT INTO "catalog_checkrecord"')


def test_a_write_that_moves_the_generation_on_is_read_anew(client, world, django_capture_on_commit_callbacks):
    community = world.unit("牛沙路社区")
    assert ask(client, community, "协助开展养老 1")["community"]["name"] == "牛沙路社区"
    with django_capture_on_commit_callbacks(execute=True):
        community.name = "牛沙路新社区"
        community.save()
    with CaptureQueriesContext(connection) as context:
        answer = ask(client, community, "协助开展养老 2")
    assert answer["community"]["name"] == "牛沙路新社区"
    assert len(writes(context)) > 1  # the community and the version read again


def test_outside_a_cached_check_every_read_is_made():
    calls = []
    for _ in range(2):
        answers.kept_read(("x",), lambda: calls.append(1))
    assert len(calls) == 2


def test_the_kept_reads_are_bounded(monkeypatch):
    monkeypatch.setattr(answers, "KEPT_READS", 3)
    token = answers._computing.set("a-generation")
    try:
        for n in range(10):
            assert answers.kept_read(("n", n), lambda n=n: n * n) == n * n
        assert len(answers._kept) <= 3
        assert answers.kept_read(("n", 9), lambda: "read again") == 81  # the newest are kept
        assert answers.kept_read(("n", 0), lambda: "read again") == "read again"
    finally:
        answers._computing.reset(token)
