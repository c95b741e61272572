"""A computed answer (the check, a district's search, the reviewer's queue) is stored for the next asker by its
process's thread a moment after the request (catalog.answers.AnswerKeeper), the answers of each moment in one
round trip. Stored late, an answer is still never served once a write retired it: its key names the generation it
was computed under.

Each test gives the thread a long delay and stops it (`stop_all`, which stores what waits) where the test wants
the answers stored, so that nothing here depends on timing.
"""

import logging
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import answers
from catalog.answers import AnswerKeeper

pytestmark = pytest.mark.django_db
DEMANDS = ["协助开展养老服务补贴审核", "协税护税", "开具居住证明", "填报流动人口信息", "组织创建文明城市检查"]


@pytest.fixture
def kept_later(settings):
    settings.KEPT_ANSWERS_DELAY_SECONDS = 30  # only a stop stores them, where the test says
    yield
    AnswerKeeper.stop_all()


@pytest.fixture
def cache_calls(monkeypatch):
    """Every cache operation of catalog.answers, with the thread that made it."""
    calls = []
    real = answers._cache

    def spied(operation, *args, **kwargs):
        calls.append((threading.current_thread().name, operation, args))
        return real(operation, *args, **kwargs)

    monkeypatch.setattr(answers, "_cache", spied)
    return calls


def check(api_client, community, q):
    response = api_client.get("/api/v1/check/", {"community": community.pk, "q": q})
    assert response.status_code == 200, response.content
    return response.json()


def _selects(captured) -> list[str]:
    return [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]


def test_the_answers_of_a_moment_are_stored_together_after_their_requests(api_client, world, kept_later, cache_calls):
    community = world.unit("牛沙路社区")
    first = [check(api_client, community, q) for q in DEMANDS]
    search = api_client.get("/api/v1/items/", {"district": community.district_id, "q": "低保"})
    assert search.status_code == 200
    stored_in_requests = [c for c in cache_calls if c[1] in ("set", "set_many") and c[0] == "MainThread"]
    assert stored_in_requests == []  # the requests did not wait for the cache's answer

    AnswerKeeper.stop_all()
    stored = [(name, args) for name, operation, args in cache_calls if operation == "set_many"]
    assert {name for name, _args in stored} == {"kept-answers-default"}
    # One round trip per lifetime: the checks' (an hour) and the search's (a day).
    assert sorted(len(args[0]) for _name, args in stored) == [1, len(DEMANDS)]

    with CaptureQueriesContext(connection) as seen:
        again = [check(api_client, community, q) for q in DEMANDS]
    assert again == first
    assert _selects(seen.captured_queries) == []  # answered from what the thread stored: nothing computed


def test_an_answer_asked_twice_in_a_moment_is_stored_once(api_client, world, kept_later, cache_calls):
    community = world.unit("牛沙路社区")
    check(api_client, community, DEMANDS[0])
    keeper = AnswerKeeper.of_this_process()
    answers.keep_answer("check:again", {"n": 1}, 60)
    answers.keep_answer("check:again", {"n": 2}, 60)
    assert len(keeper.pending) == 2
    AnswerKeeper.stop_all()
    from django.core.cache import cache

    assert cache.get("check:again") == {"n": 2}


def test_past_the_bound_the_oldest_waiting_answers_are_not_stored(kept_later, monkeypatch):
    from django.core.cache import cache

    monkeypatch.setattr(AnswerKeeper, "MAX_PENDING", 50)
    for n in range(55):
        answers.keep_answer(f"check:bound:{n}", n, 60)
    assert len(AnswerKeeper.of_this_process().pending) == 50
    AnswerKeeper.stop_all()  # 50 waiting, 200 at a time: all of them in one round
    assert [cache.get(f"check:bound:{n}") for n in range(5)] == [None] * 5
    assert [cache.get(f"check:bound:{n}") for n in range(5, 55)] == list(range(5, 55))


def test_a_cache_out_of_reach_is_logged_and_the_next_answers_are_computed(
    api_client, world, kept_later, monkeypatch, caplog
):
    from django.core.cache import caches

    community = world.unit("牛沙路社区")
    monkeypatch.setattr(type(caches["default"]), "set_many", _refused)  # the thread has its own instance
    first = check(api_client, community, DEMANDS[1])
    with caplog.at_level(logging.WARNING, logger="catalog.answers"):
        AnswerKeeper.stop_all()
    assert "cache unavailable (set_many)" in caplog.text
    monkeypatch.undo()
    assert check(api_client, community, DEMANDS[1]) == first  # computed again, the same answer


def _refused(self, *args, **kwargs):
    raise ConnectionError("the cache is out of reach")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("ask"), st.integers(0, 2)),
            st.tuples(st.just("rename"), st.integers(0, 99)),
            st.tuples(st.just("store"), st.none()),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_an_answer_stored_late_is_never_served_after_a_write_retired_it(
    api_client, world, kept_later, django_capture_on_commit_callbacks, steps
):
    """Whatever the order of checks, writes and the thread's storing, every answer names the community as it
    is at that moment (a rename retires the kept answers), and an answer is kept again only while nothing
    changed."""
    community = world.unit("牛沙路社区")
    last: dict[int, tuple[str, dict]] = {}
    try:
        for kind, value in steps:
            if kind == "ask":
                answer = check(api_client, community, DEMANDS[value])
                community.refresh_from_db()
                assert answer["community"]["name"] == community.name
                if value in last and last[value][0] == community.name:
                    assert answer == last[value][1]
                last[value] = (community.name, answer)
            elif kind == "rename":
                _rename(community, f"牛沙路社区{value}", django_capture_on_commit_callbacks)
            else:
                AnswerKeeper.stop_all()
    finally:  # the next example starts from the world as it was
        _rename(community, "牛沙路社区", django_capture_on_commit_callbacks)


def _rename(community, name, on_commit):
    with on_commit(execute=True):
        community.name = name
        community.save()
