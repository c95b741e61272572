"""`GET /api/v1/applications/?brief=1`: the reviewer's queue in one query. It says what the full representation
says about every application it lists, to every reader, and lists exactly what the full list lists."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.choices import ApplicationState, RequestedList, Scope
from approvals.models import Application
from catalog.models import Unit, User

pytestmark = pytest.mark.django_db

SHARED = [
    "id",
    "title",
    "state",
    "is_urgent",
    "district",
    "applicant_unit",
    "applicant_unit_name",
    "requested_list",
    "scope",
    "start_date",
    "end_date",
    "submitted_at",
    "lapses_on",
    "batch",
]
LISTS = [{}, {"queue": "1"}, {"mine": "1"}, {"state": "submitted"}, {"search": "社区"}]


def _rows(api_client, **params):
    response = api_client.get("/api/v1/applications/", {"page_size": 200, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None  # the whole list on one page: the comparison covers every row
    return body["results"]


def _more(world, n: int) -> None:
    """n more applications of 锦江区, their scope by streets or by chosen communities."""
    from approvals import services

    applicant = world.user("bumen")
    streets = list(Unit.objects.streets().filter(district=world.unit("锦江区")).order_by("-id")[:2])
    communities = list(Unit.objects.communities().filter(district=world.unit("锦江区")).order_by("-id")[:3])
    for i in range(n):
        services.application_save(
            actor=applicant,
            title=f"协助开展第{i}次入户调查",
            reason="需要社区通知居民。",
            requested_list="assistance",
            item_type="work_task",
            scope="streets" if i % 2 else "communities",
            scope_streets=streets if i % 2 else [],
            scope_communities=[] if i % 2 else communities,
            workload="每社区约1个工作日",
            start_date=date(2027, 3, 1),
            payer=applicant.unit,
            amount_per_community=Decimal("800.00"),
        )


def test_the_brief_list_says_what_the_full_list_says_to_every_reader(api_client, world):
    _more(world, 4)
    units = dict(Unit.objects.values_list("id", "name"))
    compared = scoped = 0
    for user in User.objects.filter(is_active=True).select_related("unit"):
        api_client.force_authenticate(user)
        for params in LISTS:
            full, brief = _rows(api_client, **params), _rows(api_client, brief="1", **params)
            assert [row["id"] for row in brief] == [row["id"] for row in full], (user.username, params)
            for f, b in zip(full, brief, strict=True):
                assert {k: b[k] for k in SHARED} == {k: f[k] for k in SHARED}
                assert b["scope_streets"] == sorted(f["scope_streets"])
                assert b["scope_communities"] == sorted(f["scope_communities"])
                assert b["state_display"] == ApplicationState(f["state"]).label
                assert b["requested_list_display"] == RequestedList(f["requested_list"]).label
                assert b["scope_display"] == Scope(f["scope"]).label
                assert b["district_name"] == units[f["district"]]
                compared += 1
                scoped += bool(b["scope_streets"] or b["scope_communities"])
    assert compared and scoped  # the demo's applications, some of them with streets or communities named


def test_the_brief_list_gives_the_batch_deadlines(api_client, world):
    from approvals import services

    _more(world, 2)
    for application in Application.objects.filter(title__startswith="协助开展第"):
        services.application_submit(application=application, actor=world.user("bumen"))
    batched = Application.objects.filter(batch__isnull=False, district=world.unit("锦江区")).select_related("batch")
    expected = {a.pk: (str(a.batch.consultation_ends), str(a.batch.committee_meets)) for a in batched}
    api_client.force_authenticate(world.user("minzheng"))
    rows = {row["id"]: row for row in _rows(api_client, brief="1") if row["batch"]}
    assert len(expected) >= 2
    assert {pk: (r["batch_consultation_ends"], r["batch_committee_meets"]) for pk, r in rows.items()} == expected


def test_a_reviewer_of_another_district_sees_nothing_more_in_brief(api_client, world):
    _more(world, 2)
    jinjiang = set(Application.objects.filter(district=world.unit("锦江区")).values_list("pk", flat=True))
    for username in ("minzheng_sb", "minzheng_jn", "shuji_sb"):
        api_client.force_authenticate(world.user(username))
        for params in LISTS:
            assert not jinjiang & {row["id"] for row in _rows(api_client, brief="1", **params)}
    api_client.force_authenticate(world.user("minzheng"))
    assert {row["id"] for row in _rows(api_client, brief="1")} == jinjiang


def test_the_brief_list_costs_one_query_whatever_it_holds(api_client, world, django_capture_on_commit_callbacks):
    office = world.user("minzheng")
    api_client.force_authenticate(office)

    def cost():
        with CaptureQueriesContext(connection) as context:
            rows = _rows(api_client, brief="1")
        return len(context), len(rows)

    before, listed = cost()
    assert cost() == (0, listed)  # asked again: kept, no query
    with django_capture_on_commit_callbacks(execute=True):  # the commits that retire the kept queue
        _more(world, 6)
    after, listed_after = cost()
    assert listed_after == listed + 6
    assert before == after == 1  # force_authenticate: no session or token to read; the rows with their scopes


def test_the_review_pages_list_the_brief_rows(client, world):
    _more(world, 2)
    client.force_login(world.user("minzheng"))
    queue = client.get("/applications/", {"all": "1"})
    rows = list(queue.context["page"])
    assert rows and {row["id"] for row in rows} <= set(
        Application.objects.filter(district=world.unit("锦江区")).values_list("pk", flat=True)
    )
    for row in rows[:3]:
        assert row["state_display"] in queue.content.decode()
        assert row["applicant_unit_name"] in queue.content.decode()
