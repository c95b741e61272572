"""Cached answers (catalog.answers): served without touching the database, never stale after a committed write.

Each test writes through the services the way the apps do, and asks the API again: the answer must change.
Writes run under `django_capture_on_commit_callbacks(execute=True)` because the cache moves on after commit.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import services as approvals
from audits import services as audits
from catalog.selectors import version_in_force
from funding import services as funding
from tests.approvals.conftest import applicant, file_application, office  # noqa: F401 (fixtures)
from tests.funding.conftest import health, health_item, make_contract, payer_user, pdf  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
ON = date(2026, 11, 20)


def only_the_record_kept(context) -> bool:
    """A cached answer touches the database once: the INSERT that keeps the check (catalog.demands), inside a
    savepoint when the caller is in a transaction (as every test is)."""
    writes = [q["sql"] for q in context.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    return len(writes) == 1 and writes[0].startswith('INSERT INTO "catalog_checkrecord"')


def ask(client, community, q, on=ON, **headers):
    response = client.get("/api/v1/check/", {"community": community.pk, "q": q, "date": on.isoformat()}, **headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_repeated_check_is_answered_without_a_query_but_the_one_that_keeps_it(client, world):
    community = world.unit("牛沙路社区")
    first = ask(client, community, "低保入户调查")
    with CaptureQueriesContext(connection) as context:
        again = ask(client, community, "低保入户调查")
    assert again == first
    assert only_the_record_kept(context), context.captured_queries
    # Another demand, date, community or language is another answer.
    assert ask(client, community, "协税护税")["verdict"] == "refuse"
    assert ask(client, world.unit("五福桥社区"), "低保入户调查")["community"]["name"] == "五福桥社区"
    english = ask(client, community, "低保入户调查", HTTP_ACCEPT_LANGUAGE="en")
    assert english["reason"] != first["reason"]


def test_an_unknown_community_is_a_clear_error_and_is_not_cached(client, world):
    response = client.get("/api/v1/check/", {"community": 99999999, "q": "低保"})
    assert response.status_code == 400 and "99999999" in response.json()["community"]
    assert client.get("/api/v1/check/", {"community": 99999999, "q": "低保"}).status_code == 400


def test_a_contract_coming_into_force_changes_the_answer(
    client, world, make_contract, payer_user, pdf, django_capture_on_commit_callbacks
):
    community = world.unit("牛沙路社区")
    assert ask(client, community, "爱国卫生运动")["verdict"] == "assist_unfunded"
    with django_capture_on_commit_callbacks(execute=True):
        contract = make_contract()
        funding.contract_sign(contract=contract, actor=payer_user, document=pdf(), today=date(2025, 12, 1))
    assert ask(client, community, "爱国卫生运动")["verdict"] == "assist_unfunded"  # signed, not yet in force
    with django_capture_on_commit_callbacks(execute=True):
        funding.contracts_advance(today=date(2026, 1, 1))  # a bulk update: no signal, the service retires answers
    assert ask(client, community, "爱国卫生运动")["verdict"] == "assist_funded"


def test_an_assessment_held_and_disputed_changes_the_answer(client, world, django_capture_on_commit_callbacks):
    community = world.unit("牛沙路社区")
    civilised = version_in_force(district_id=world.unit("锦江区").pk, on=ON).items.get(title="省级文明社区测评")
    assert ask(client, community, "省级文明社区测评")["verdict"] == "assessment_allowed"
    with django_capture_on_commit_callbacks(execute=True):
        held = audits.assessment_enter(
            actor=world.user("bumen"), community=community, title="", held_on=date(2026, 11, 3), item=civilised
        )
    assert ask(client, community, "省级文明社区测评")["verdict"] == "assessment_limit_reached"
    with django_capture_on_commit_callbacks(execute=True):
        audits.assessment_answer(assessment=held, actor=world.user("shuji"), confirm=False, reason="当天没有来过")
    assert ask(client, community, "省级文明社区测评")["verdict"] == "assessment_allowed"


def test_an_urgent_approval_covers_unlisted_work_at_once(
    client, world, file_application, applicant, office, django_capture_on_commit_callbacks
):
    community, on = world.unit("牛沙路社区"), date(2026, 12, 5)
    with django_capture_on_commit_callbacks(execute=True):
        urgent = file_application(
            title="协助开展台风灾后房屋安全排查",
            reason="台风过境，需要社区协助逐户排查房屋安全隐患。",
            is_urgent=True,
            urgency_justification="台风灾后24小时内必须完成排查",
            start_date=on,
        )
        approvals.application_submit(application=urgent, actor=applicant, today=date(2026, 11, 23))
    assert ask(client, community, "台风灾后房屋安全排查", on)["covered_by"] is None
    with django_capture_on_commit_callbacks(execute=True):
        approvals.urgent_decide(application=urgent, actor=office, approve=True)
    assert f"#{urgent.pk}" in ask(client, community, "台风灾后房屋安全排查", on)["covered_by"]


def test_a_renamed_community_is_answered_under_its_new_name(client, world, django_capture_on_commit_callbacks):
    community = world.unit("牛沙路社区")
    ask(client, community, "低保入户调查")
    with django_capture_on_commit_callbacks(execute=True):
        community.name = "牛沙路新社区"
        community.save()
    assert ask(client, community, "低保入户调查")["community"]["name"] == "牛沙路新社区"


def test_a_write_that_rolls_back_leaves_the_cached_answer_in_place(client, world):
    community = world.unit("牛沙路社区")
    ask(client, community, "低保入户调查")
    community.name = "不会提交的名字"
    community.save()  # the test's transaction never commits: no on-commit callback runs
    with CaptureQueriesContext(connection) as context:
        assert ask(client, community, "低保入户调查")["community"]["name"] == "牛沙路社区"
    assert only_the_record_kept(context), context.captured_queries


def test_a_search_of_a_published_version_is_cached_but_a_draft_is_not(
    client, world, django_assert_max_num_queries, django_assert_num_queries
):
    from catalog import services as catalog

    district = world.unit("锦江区")
    url = f"/api/v1/items/?district={district.pk}&q=低保&page_size=20"
    first = client.get(url).json()
    assert first["results"]
    with django_assert_num_queries(0):  # not even which version is in force: the answer is kept under the generation
        assert client.get(url).json() == first
    staff = world.user("minzheng")
    draft = catalog.draft_start(district=district, actor=staff)
    client.force_login(staff)
    draft_url = f"/api/v1/items/?version={draft.pk}&q=低保&page_size=20"
    before = client.get(draft_url).json()
    catalog.item_delete(item=draft.items.get(pk=before["results"][0]["id"]), actor=staff)
    assert client.get(draft_url).json()["count"] == before["count"] - 1  # staff edit a draft and see it at once


def test_the_catalogue_page_renders_a_published_versions_results_once(client, world, django_assert_max_num_queries):
    district = world.unit("锦江区")
    url = f"/catalogue/{district.pk}/?q=低保"
    first = client.get(url).content.decode()
    assert "低保" in first
    with django_assert_max_num_queries(3):  # the district, the version in force and the one that follows it
        again = client.get(url).content.decode()
    results = lambda html: html[html.index('<section class="counts"') :]  # noqa: E731 (the form's CSRF token differs)
    assert results(again) == results(first)
    assert "协税护税" in client.get(f"/catalogue/{district.pk}/?q=协税").content.decode()


def test_page_links_keep_the_search_words(rf):
    from django.template import Context, Template

    request = rf.get("/catalogue/1/", {"q": "低保", "list": "assistance", "page": "1"})
    html = Template("{% load catalog_tags %}{% page_url 2 %}").render(Context({"request": request}))
    assert html == "?q=%E4%BD%8E%E4%BF%9D&amp;list=assistance&amp;page=2"


def test_a_write_that_cannot_reach_the_cache_is_never_answered_stale(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import caches

    from catalog import answers

    community = world.unit("牛沙路社区")
    ask(client, community, "低保入户调查")

    def unreachable(key, *args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(caches["default"], "set", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        community.name = "牛沙路新社区"
        community.save()
    assert answers.CHECK.pending  # the generation could not be moved on
    # The old answer is still in the cache, but this process knows it may be stale: it computes instead.
    assert ask(client, community, "低保入户调查")["community"]["name"] == "牛沙路新社区"
    monkeypatch.undo()  # Redis is back
    assert answers.retry_pending_invalidation()  # the worker's heartbeat, a minute later
    assert ask(client, community, "低保入户调查")["community"]["name"] == "牛沙路新社区"
