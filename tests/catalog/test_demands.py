"""The system learns its district's words: every check kept, the unanswered ones reviewed by civil-affairs."""

from datetime import date

import pytest
from django.utils import translation

from catalog import demands, services
from catalog.choices import DemandState
from catalog.departments import department_named, district_units_named
from catalog.models import CheckRecord, StateEvent
from catalog.transitions import StateConflict

pytestmark = pytest.mark.django_db
UNLISTED = "区卫健局要求社区每周组织居民观看养生讲座并拍照"


# --- Which department a demand names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("卫健局让社区上报老年人体检台账", "区卫生健康局"),
        ("区卫生健康委员会通知", "区卫生健康局"),
        ("人社局要求社区统计失业人员", "区人力资源和社会保障局"),
        ("城管让我们每天巡查", "区城市管理局"),
        ("派出所要社区配合入户登记", "区公安分局"),
        ("税务所要求社区协助", "区税务局"),
        ("市场监管所让社区去后厨", "区市场监督管理局"),
        ("市监局通知", "区市场监督管理局"),
        ("應急局要求排查", "区应急管理局"),  # traditional characters, normalised first
        ("双桂路街道办让社区报数", "街道办事处"),
    ],
)
def test_a_department_is_resolved_from_how_demands_name_it(text, name):
    assert department_named(text) == name


def test_the_first_department_named_is_the_one_that_asks_and_a_demand_may_name_none():
    assert department_named("卫健局要求社区配合派出所开展排查") == "区卫生健康局"
    assert department_named("要求社区组织居民参加商场的推广活动") == ""
    assert department_named("") == ""


def test_resolved_names_find_the_districts_own_units(world):
    jinjiang = world.unit("锦江区")
    units = district_units_named(district_id=jinjiang.pk, names=["区卫生健康局", "区税务局", ""])
    assert units["区卫生健康局"].name == "区卫生健康局" and units["区卫生健康局"].district_id == jinjiang.pk
    assert "区税务局" not in units  # named, but not a department of the demo tree


# --- Every check is kept ----------------------------------------------------------------------------------


@pytest.fixture
def community(world):
    return world.unit("牛沙路社区")


def test_a_check_on_the_page_is_kept_and_an_unanswered_one_waits_for_review(client, world, community):
    client.force_login(world.user("shuji"))  # the community's secretary
    client.get("/check/", {"community": community.pk, "q": "协税护税", "date": "2026-11-02"})
    client.get("/check/", {"community": community.pk, "q": UNLISTED + " 联系电话13800138000"})
    answered, waiting = CheckRecord.objects.order_by("id")
    assert answered.verdict == "refuse" and answered.state == DemandState.ANSWERED and answered.item is not None
    assert answered.asked_on == date(2026, 11, 2) and answered.version is not None
    assert 0 < answered.confidence <= 1 and answered.hedged is False
    assert waiting.verdict == "not_listed" and waiting.state == DemandState.OPEN
    assert waiting.named_unit == "区卫生健康局" and waiting.district_id == community.district_id
    assert "13800138000" not in waiting.text and "***" in waiting.text


def test_the_api_keeps_every_check_also_when_the_answer_is_cached(api_client, world, community):
    api_client.force_authenticate(world.user("shuji"))
    for _ in range(3):
        response = api_client.get("/api/v1/check/", {"community": community.pk, "q": UNLISTED})
        assert response.status_code == 200
    assert 0 <= response.json()["confidence"] <= 1
    assert response.json()["verdict"] == "not_listed" or response.json()["hedged"]  # what the queue takes
    records = CheckRecord.objects.filter(community=community)
    assert records.count() == 3 and {r.state for r in records} == {DemandState.OPEN}


def test_a_record_that_cannot_be_written_never_breaks_the_check(api_client, client, community, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(CheckRecord, "save", broken)
    response = api_client.get("/api/v1/check/", {"community": community.pk, "q": "协税护税"})
    assert response.status_code == 200 and response.json()["verdict"] == "refuse"
    assert client.get("/check/", {"community": community.pk, "q": "协税护税"}).status_code == 200
    assert CheckRecord.objects.count() == 0


def test_an_item_picked_from_the_list_is_kept_but_never_queued(client, community):
    item = community.district.catalogue_versions.get(number=2).items.first()
    client.get("/check/", {"community": community.pk, "item": item.pk})
    record = CheckRecord.objects.get()
    assert record.state == DemandState.ANSWERED and record.item == item and record.confidence == 1.0


def test_an_anonymous_check_is_kept_but_never_fills_the_queue_or_the_burden(client, api_client, world, community):
    """Anyone may check, and every check is kept; only someone signed in to the district adds to its queue and to
    what a department is said to ask (an anonymous caller could otherwise inflate both at will)."""
    for _ in range(3):
        client.get("/check/", {"community": community.pk, "q": UNLISTED})
        api_client.get("/api/v1/check/", {"community": community.pk, "q": UNLISTED})
    api_client.force_authenticate(world.user("shuji_sb"))  # signed in, but to another city's district
    api_client.get("/api/v1/check/", {"community": community.pk, "q": UNLISTED})
    assert CheckRecord.objects.filter(community=community).count() == 7
    assert not CheckRecord.objects.filter(state=DemandState.OPEN).exists()
    api_client.force_authenticate(world.user("jiedao"))  # the community's street office
    api_client.get("/api/v1/check/", {"community": community.pk, "q": UNLISTED})
    assert CheckRecord.objects.filter(state=DemandState.OPEN).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("durable", [False, True])
def test_a_kept_check_alone_commits_without_waiting_for_the_disk(world, settings, durable):
    """The record's own one-row transaction turns synchronous commit off (unless the district asks for durable
    commits); the connection's next transaction, and a caller's transaction the record joins, keep the server's
    setting."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("synchronous commit is PostgreSQL's")
    settings.CHECK_RECORDS_DURABLE_COMMIT = durable
    community = world.unit("牛沙路社区")
    ask = dict(community_id=community.pk, district_id=community.district_id, on=date(2026, 11, 2), verdict="refuse")

    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    server = setting()
    with CaptureQueriesContext(connection) as seen:
        assert demands.check_record(text="协税护税", **ask) is not None
    turned_off = [q["sql"] for q in seen.captured_queries if "synchronous_commit" in q["sql"]]
    assert turned_off == ([] if durable else ["SET LOCAL synchronous_commit TO OFF"])
    assert setting() == server  # SET LOCAL ended with the record's transaction
    with transaction.atomic(), CaptureQueriesContext(connection) as seen:
        demands.check_record(text="协税护税", **ask)  # inside the caller's transaction: a savepoint, nothing more
        assert not [q for q in seen.captured_queries if "synchronous_commit" in q["sql"]]
        assert setting() == server
    assert CheckRecord.objects.filter(community=community).count() == 2


def _records_soon(community, count, timeout=10.0):
    import time

    started = time.monotonic()
    while CheckRecord.objects.filter(community=community).count() < count:
        assert time.monotonic() - started < timeout, "kept checks not written"
        time.sleep(0.02)
    return CheckRecord.objects.filter(community=community).order_by("id")


@pytest.fixture
def records_soon(settings):
    from catalog.background import ProcessThread

    settings.CHECK_RECORDS_DELAY_SECONDS = 0.05
    yield
    ProcessThread.stop_all()


@pytest.mark.django_db(transaction=True)
def test_the_checks_of_a_moment_are_kept_by_the_process_thread_in_one_insert(
    api_client, client, world, records_soon, monkeypatch
):
    """As in production: the request hands its record over and answers; the thread writes what a moment brought
    (one INSERT for several), with the same fields a record written in the request has."""
    import threading

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the thread writes on PostgreSQL only")
    community = world.unit("牛沙路社区")
    inserts = []
    from django.db.models import QuerySet

    real_bulk = QuerySet.bulk_create

    def counted(self, objs, *args, **kwargs):
        inserts.append((threading.current_thread().name, len(objs)))
        return real_bulk(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", counted)
    api_client.force_authenticate(world.user("shuji"))
    with CaptureQueriesContext(connection) as seen:
        for n in range(4):
            assert (
                api_client.get("/api/v1/check/", {"community": community.pk, "q": f"{UNLISTED}{n}"}).status_code == 200
            )
        client.force_login(world.user("shuji"))
        assert client.get("/check/", {"community": community.pk, "q": "协税护税 13800138000"}).status_code == 200
    assert not [q for q in seen.captured_queries if "catalog_checkrecord" in q["sql"] and "INSERT" in q["sql"]]
    records = _records_soon(community, 5)
    assert {name for name, _ in inserts} == {"check-records-default"} and sum(n for _, n in inserts) == 5
    assert len(inserts) < 5  # the moment's checks went together
    assert [r.state for r in records] == [DemandState.OPEN] * 4 + [DemandState.ANSWERED]
    assert "13800138000" not in records[4].text and records[4].verdict == "refuse"


@pytest.mark.django_db(transaction=True)
def test_a_kept_check_that_cannot_be_written_costs_none_of_the_others_and_stopping_writes_what_waits(
    world, records_soon
):
    from django.db import connection

    from catalog.demands import RecordWriter

    if connection.vendor != "postgresql":
        pytest.skip("the thread writes on PostgreSQL only")
    community = world.unit("牛沙路社区")
    ask = dict(district_id=community.district_id, asked_on=date(2026, 11, 2), verdict="refuse", text="协税护税")
    writer = RecordWriter.of_this_process()
    writer.keep(CheckRecord(community_id=community.pk, **ask), 30)  # due in 30 s: only the stop writes them now
    writer.keep(CheckRecord(community_id=10**9, **ask), 30)  # no such community: refused by its foreign key
    writer.keep(CheckRecord(community_id=community.pk, **ask), 30)
    RecordWriter.stop_all()
    assert not writer.thread.is_alive()
    assert CheckRecord.objects.filter(community=community).count() == 2
    assert not CheckRecord.objects.filter(community_id=10**9).exists()


@pytest.mark.django_db(transaction=True)
def test_stopping_writes_every_waiting_check_and_an_outage_keeps_them_waiting(world, records_soon, monkeypatch):
    """More checks than one INSERT takes wait when the process ends: all are written. While the database cannot
    be reached they wait and are tried again, in order; nothing is lost."""
    from django.db import OperationalError, connection
    from django.db.models import QuerySet

    from catalog.demands import RecordWriter

    if connection.vendor != "postgresql":
        pytest.skip("the thread writes on PostgreSQL only")
    community = world.unit("牛沙路社区")
    ask = dict(district_id=community.district_id, asked_on=date(2026, 11, 2), verdict="refuse")
    real_bulk, outage = QuerySet.bulk_create, {"left": 2}

    def flaky(self, objs, *args, **kwargs):
        if self.model is CheckRecord and outage["left"]:
            outage["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return real_bulk(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", flaky)
    writer = RecordWriter.of_this_process()
    for n in range(RecordWriter.BATCH * 2 + 500):
        writer.keep(CheckRecord(community_id=community.pk, text=f"第{n}条", **ask), 30)
    RecordWriter.stop_all()
    texts = list(CheckRecord.objects.filter(community=community).order_by("id").values_list("text", flat=True))
    assert outage["left"] == 0 and len(texts) == RecordWriter.BATCH * 2 + 500
    assert texts == [f"第{n}条" for n in range(len(texts))]  # in the order they were asked
    assert not writer.pending


# --- The queue and its review -------------------------------------------------------------------------------


@pytest.fixture
def waiting(client, world, community):
    client.force_login(world.user("shuji"))
    client.get("/check/", {"community": community.pk, "q": UNLISTED})
    return CheckRecord.objects.get(state=DemandState.OPEN)


def test_civil_affairs_see_their_districts_queue_by_department_and_others_do_not(client, world, waiting):
    client.force_login(world.user("minzheng"))
    page = client.get(f"/catalogue/{waiting.district_id}/demands/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "区卫生健康局" in html and "养生讲座" in html
    assert page.context["by_unit"][0][:2] == ("区卫生健康局", 1)
    assert page.context["by_unit"][0][2].name == "区卫生健康局"  # the district's own unit
    filtered = client.get(f"/catalogue/{waiting.district_id}/demands/", {"unit": "区城市管理局"})
    assert list(filtered.context["page"]) == []
    client.force_login(world.user("minzheng_jn"))  # another district's civil affairs: not found
    assert client.get(f"/catalogue/{waiting.district_id}/demands/").status_code == 404
    assert client.get(f"/catalogue/{waiting.district_id}/demands/{waiting.pk}/").status_code == 404
    client.force_login(world.user("shuji"))  # a reader of the district: forbidden
    assert client.get(f"/catalogue/{waiting.district_id}/demands/").status_code == 403


def test_linking_a_demand_adds_its_wording_to_the_drafts_item_published_with_the_next_version(world, waiting):
    staff = world.user("minzheng")
    draft = services.draft_start(district=waiting.district, actor=staff)
    item = draft.items.first()
    record = demands.demand_link(record=waiting, item=item, actor=staff, wording="  组织居民观看养生讲座 ")
    item.refresh_from_db()
    assert item.aliases[-1] == "组织居民观看养生讲座"
    assert record.state == DemandState.LINKED and record.linked_item == item and record.reviewed_by == staff
    assert StateEvent.objects.filter(object_id=record.pk, action="link", actor=staff).exists()
    version = services.version_publish(draft=draft, actor=staff, effective_from=date(2027, 1, 1))
    assert "组织居民观看养生讲座" in version.items.get(key=item.key).aliases
    with pytest.raises(StateConflict):  # already linked
        demands.demand_link(record=record, item=item, actor=staff, wording="再来一次")


def test_linking_without_a_draft_says_so_and_changes_nothing(world, waiting):
    staff = world.user("minzheng")
    item = waiting.district.catalogue_versions.get(number=2).items.first()
    with translation.override("en"), pytest.raises(demands.DemandError, match="no open draft"):
        demands.demand_link(record=waiting, item=item, actor=staff, wording="养生讲座")
    waiting.refresh_from_db()
    assert waiting.state == DemandState.OPEN and not StateEvent.objects.filter(object_id=waiting.pk).exists()


def test_a_wording_too_long_for_an_alias_is_refused_with_the_bound(world, waiting):
    staff = world.user("minzheng")
    draft = services.draft_start(district=waiting.district, actor=staff)
    with pytest.raises(demands.DemandError, match="100"):
        demands.demand_link(record=waiting, item=draft.items.first(), actor=staff, wording="讲" * 101)


def test_marking_a_demand_truly_unlisted_keeps_who_and_when_and_shows_as_burden(client, world, waiting):
    staff = world.user("minzheng")
    client.force_login(staff)
    response = client.post(
        f"/catalogue/{waiting.district_id}/demands/{waiting.pk}/", {"action": "unlisted", "note": "无依据"}
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == DemandState.UNLISTED and waiting.reviewed_by == staff and waiting.reviewed_at
    assert waiting.review_note == "无依据"
    again = client.post(f"/catalogue/{waiting.district_id}/demands/{waiting.pk}/", {"action": "unlisted"})
    assert again.status_code == 400  # already reviewed: said on the page, nothing changes
    client.force_login(world.user("shiju"))  # the city overseer: city-wide, per district
    burden = client.get("/catalogue/demands/")
    assert burden.status_code == 200
    (row,) = burden.context["rows"]
    assert row["district"] == waiting.district
    assert row["units"][0]["named_unit"] == "区卫生健康局" and row["units"][0]["unlisted"] == 1
    client.force_login(world.user("minzheng_sb"))  # another city's civil affairs see nothing of 锦江区
    assert client.get("/catalogue/demands/").context["rows"] == []
    client.force_login(world.user("shuji"))
    assert client.get("/catalogue/demands/").status_code == 403


def test_the_queue_page_links_a_demand_through_the_form(client, world, waiting):
    staff = world.user("minzheng")
    draft = services.draft_start(district=waiting.district, actor=staff)
    item = draft.items.first()
    client.force_login(staff)
    url = f"/catalogue/{waiting.district_id}/demands/{waiting.pk}/"
    assert "养生讲座" in client.get(url).content.decode()
    response = client.post(url, {"action": "link", "item": item.pk, "wording": "养生讲座拍照"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert "养生讲座拍照" in item.aliases
