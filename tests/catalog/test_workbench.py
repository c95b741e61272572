"""The workbench (工作台): each role's home page leads with what waits for them, each count a link to the list
that shows exactly those rows, in a number of queries that does not grow with the data."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from catalog.workbench import Task, tasks_for

pytestmark = pytest.mark.django_db

USERS = ["minzheng", "shenji", "shiju", "jiedao", "bumen", "shuji", "chengguan", "admin"]
DUMMY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture
def demo(world):
    from catalog.demo import load_demo

    load_demo()
    return world


def _listed(response) -> int:
    """How many rows the list page shows (its paginator's count, or the rows of the owed table)."""
    context = response.context
    if "page" in context:
        return context["page"].paginator.count
    return len(context["rows"])


def _double_everything() -> None:
    """Every row the workbench counts, copied once more: the same kinds of data, twice as much of it."""
    from approvals.models import Application
    from audits.models import AssessmentHeld, BurdenReport, Finding, Notice
    from funding.models import Contract

    for application in list(Application.objects.all()):
        ballots = list(application.ballots.all())
        application.pk = None
        application.save()
        for ballot in ballots:
            ballot.pk, ballot.application = None, application
            ballot.save()
    for contract in list(Contract.objects.all()):
        instalments = list(contract.instalments.all())
        contract.pk, contract.number = None, f"{contract.number}-2"
        contract.save()
        for instalment in instalments:
            instalment.pk, instalment.contract = None, contract
            instalment.save()
    for model in (BurdenReport, AssessmentHeld, Finding, Notice):
        for row in list(model.objects.all()):
            row.pk = None
            if model is Finding:
                row.proposal_key = ""
            row.save()


def _home_queries(client, user) -> int:
    client.force_login(user)
    with override_settings(CACHES=DUMMY_CACHE), CaptureQueriesContext(connection) as queries:
        assert client.get("/home/").status_code == 200
    return len(queries)


@pytest.mark.parametrize("username", USERS)
def test_each_count_links_to_a_list_that_shows_exactly_those_rows(username, demo, client):
    user = demo.user(username)
    client.force_login(user)
    tasks = tasks_for(user, today=timezone.localdate())
    assert tasks, f"{username} has nothing on the workbench"
    for task in tasks:
        response = client.get(task.url)
        assert response.status_code == 200, task
        assert _listed(response) == task.count, task


@pytest.mark.parametrize("username", USERS)
def test_the_home_page_costs_the_same_queries_with_twice_the_data(username, demo, client):
    user = demo.user(username)
    before = _home_queries(client, user)
    counts_before = [t.count for t in tasks_for(user, today=timezone.localdate())]
    _double_everything()
    assert _home_queries(client, user) == before
    counts_after = [t.count for t in tasks_for(user, today=timezone.localdate())]
    # The copies are counted (the count follows the data) where there was something to count.
    assert [after == 2 * prior for prior, after in zip(counts_before, counts_after, strict=True)] == [True] * len(
        counts_before
    )


def test_the_deadline_says_how_many_days_are_left_or_how_late_it_is():
    from django.utils import translation

    today = date(2026, 3, 10)
    with translation.override("zh-hans"):
        assert Task("征求意见", 2, "/", due=today + timedelta(days=2)).deadline_text(today) == "2 天后截止"
        assert Task("征求意见", 2, "/", due=today).deadline_text(today) == "今天截止"
        late = Task("通报整改", 1, "/", due=today - timedelta(days=3), overdue=1)
        assert late.deadline_text(today) == "已逾期 3 天"
        some = Task("通报整改", 3, "/", due=today - timedelta(days=1), overdue=1)
        assert some.deadline_text(today) == "1 项已逾期 · 已逾期 1 天"
        assert Task("待我审批", 3, "/").deadline_text(today) == ""


def test_the_home_page_no_longer_lists_people(demo, client):
    client.force_login(demo.user("minzheng"))
    response = client.get("/home/")
    assert "colleagues" not in response.context
    html = response.content.decode()
    assert demo.user("shuji").first_name not in html  # a secretary of the district is not listed


def test_the_secretarys_home_leads_with_the_check_and_the_ballots(demo, client):
    client.force_login(demo.user("shuji"))
    html = client.get("/home/").content.decode()
    check, tasks = html.index('data-testid="home-check"'), html.index('data-testid="tasks"')
    assert check < tasks
    assert html.index("/ballots/?open=1") < html.index('data-testid="figures"')
