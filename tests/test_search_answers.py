"""A repeated search (the API's `?district=&date=&q=`, the catalogue page) is kept under the check's generation
(catalog.answers.district_answer): answered with no query, never stale once a version is published, and the page
kept for visitors who are not signed in carries nothing of another visitor's (their CSRF token, messages, menu).

Writes run under `django_capture_on_commit_callbacks(execute=True)` because the generation moves after commit.
"""

import re
from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import services as catalog
from catalog.selectors import version_in_force

pytestmark = pytest.mark.django_db
LATER = date(2027, 3, 1)  # after every demo version: what is in force then is the latest one published
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def api(client, district, q, on=None, **extra):
    params = {"district": district.pk, "q": q, "page_size": 20, **({"date": on.isoformat()} if on else {})}
    response = client.get("/api/v1/items/", params, **extra)
    assert response.status_code == 200, response.content
    return response.json()


def page(client, district, q, on=None, **extra):
    response = client.get(f"/catalogue/{district.pk}/", {"q": q, **({"date": on.isoformat()} if on else {})}, **extra)
    assert response.status_code == 200
    return response.content.decode()


def titles(answer) -> list[str]:
    return [item["title"] for item in answer["results"]]


def without_tokens(html: str) -> str:
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', html)


def visitor_secret(client) -> str:
    return client.cookies[django_settings.CSRF_COOKIE_NAME].value


def test_a_repeated_search_is_answered_without_a_query(client, world):
    district = world.unit("锦江区")
    first_api, first_page = api(client, district, "低保", LATER), page(client, district, "低保", LATER)
    assert first_api["results"] and "低保" in first_page
    with CaptureQueriesContext(connection) as context:
        assert api(client, district, "低保", LATER) == first_api
        assert without_tokens(page(client, district, "低保", LATER)) == without_tokens(first_page)
    assert context.captured_queries == []
    # Other words, another district or another date are other answers.
    assert api(client, district, "协税", LATER) != first_api
    assert "低保" not in titles(api(client, district, "协税", LATER))[0]
    other = world.unit("金牛区")
    assert {item["version"] for item in api(client, other, "低保", LATER)["results"]} == {
        version_in_force(district_id=other.pk, on=LATER).pk
    }


def test_an_item_changed_in_a_draft_is_searched_as_published_once_published_and_not_before(
    client, world, django_capture_on_commit_callbacks
):
    district, staff = world.unit("锦江区"), world.user("minzheng")
    before_api, before_page = api(client, district, "低保", LATER), page(client, district, "低保", LATER)
    old_title = before_api["results"][0]["title"]
    with django_capture_on_commit_callbacks(execute=True):
        draft = catalog.draft_start(district=district, actor=staff)
        item = draft.items.get(title=old_title)
        catalog.item_save(draft=draft, actor=staff, item=item, title="低保家庭入户核对（改）")
    # A draft is nobody's answer: the published version is still what is searched.
    assert api(client, district, "低保", LATER) == before_api
    assert without_tokens(page(client, district, "低保", LATER)) == without_tokens(before_page)
    with django_capture_on_commit_callbacks(execute=True):
        published = catalog.version_publish(draft=draft, actor=staff, effective_from=LATER)
    after_api, after_page = api(client, district, "低保", LATER), page(client, district, "低保", LATER)
    assert "低保家庭入户核对（改）" in titles(after_api) and old_title not in titles(after_api)
    assert "低保家庭入户核对（改）" in after_page
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert f"version {published.number}, in force from {LATER}" in page(client, district, "低保", LATER)
    # The version in force a day earlier is answered as before.
    assert titles(api(client, district, "低保", LATER - timedelta(days=1))) == titles(before_api)


def test_when_the_day_moves_to_the_next_version_the_search_follows_it(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    district, staff = world.unit("锦江区"), world.user("minzheng")
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        draft = catalog.draft_start(district=district, actor=staff)
        item = draft.items.get(title=api(client, district, "低保")["results"][0]["title"])
        catalog.item_save(draft=draft, actor=staff, item=item, title="明天起的低保事项")
        tomorrow_version = catalog.version_publish(draft=draft, actor=staff, effective_from=today + timedelta(days=1))
    # Asked today with no date (and its answer kept), the search answers what is in force today.
    assert "明天起的低保事项" not in titles(api(client, district, "低保"))
    assert "明天起的低保事项" not in page(client, district, "低保")
    monkeypatch.setattr(timezone, "localdate", lambda *args: today + timedelta(days=1))  # the next morning
    assert version_in_force(district_id=district.pk, on=timezone.localdate()) == tomorrow_version
    assert "明天起的低保事项" in titles(api(client, district, "低保"))
    assert "明天起的低保事项" in page(client, district, "低保")


def test_a_renamed_district_is_shown_under_its_new_name(client, world, django_capture_on_commit_callbacks):
    district = world.unit("锦江区")
    assert "锦江区" in page(client, district, "低保", LATER)
    with django_capture_on_commit_callbacks(execute=True):
        district.name = "锦江新区"
        district.save()
    assert "锦江新区 " in page(client, district, "低保", LATER)


def test_the_page_kept_for_visitors_carries_each_visitors_own_csrf_token(world):
    district = world.unit("锦江区")
    a, b = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_a = page(a, district, "低保", LATER)
    with CaptureQueriesContext(connection) as context:
        page_b = page(b, district, "低保", LATER)
    assert context.captured_queries == []  # B was answered the page kept for A's request
    assert "csrf-token-of-this-visitor" not in page_a + page_b
    (token_a,), (token_b,) = TOKEN.findall(page_a), TOKEN.findall(page_b)
    assert _unmask_cipher_token(token_a) == visitor_secret(a) != visitor_secret(b) == _unmask_cipher_token(token_b)
    assert without_tokens(page_a) == without_tokens(page_b)
    # B's token is a working one: B's language switch posts with it (and A's token is refused for B).
    switch = {"language": "en", "next": f"/catalogue/{district.pk}/"}
    assert b.post("/i18n/setlang/", {**switch, "csrfmiddlewaretoken": token_a}).status_code == 403
    assert b.post("/i18n/setlang/", {**switch, "csrfmiddlewaretoken": token_b}).status_code == 302
    assert "Log in" in page(b, district, "低保", LATER) and "登录" not in page(b, district, "低保", LATER)


def test_languages_are_kept_apart(world):
    district = world.unit("锦江区")
    english = Client()
    english.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    chinese = Client()
    zh_first = page(chinese, district, "低保", LATER)
    en_first = page(english, district, "低保", LATER)
    assert 'lang="zh-hans"' in zh_first and 'lang="en"' in en_first and "Catalogues" in en_first
    assert without_tokens(page(chinese, district, "低保", LATER)) == without_tokens(zh_first)
    assert without_tokens(page(english, district, "低保", LATER)) == without_tokens(en_first)
    zh_api = api(chinese, district, "低保", LATER)
    en_api = api(english, district, "低保", LATER, HTTP_ACCEPT_LANGUAGE="en")
    assert zh_api["results"][0]["list_label"] != en_api["results"][0]["list_label"]


def test_a_signed_in_visitor_and_a_waiting_message_are_never_kept_nor_shown_to_another(client, world):
    district = world.unit("锦江区")
    staff = Client()
    staff.force_login(world.user("minzheng"))
    signed_in = page(staff, district, "低保", LATER)
    draft_link = f'href="/catalogue/{district.pk}/draft/"'
    assert 'data-testid="who"' in signed_in and draft_link in signed_in
    assert len(TOKEN.findall(signed_in)) == 2  # the logout form's and the language switch's
    anonymous = page(client, district, "低保", LATER)
    assert 'data-testid="who"' not in anonymous and draft_link not in anonymous
    assert len(TOKEN.findall(anonymous)) == 1  # the language switch's; no logout form
    # A visitor with a message waiting (after logging out, say) reads it, and the page kept for others has none.
    storage = CookieStorage(RequestFactory().get("/"))
    waiting = Client()
    waiting.cookies[storage.cookie_name] = storage._encode([Message(constants.SUCCESS, "只给这位访客的消息")])
    assert "只给这位访客的消息" in page(waiting, district, "低保", LATER)
    assert "只给这位访客的消息" not in page(Client(), district, "低保", LATER)
    assert 'data-testid="who"' not in page(Client(), district, "低保", LATER)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # Words, characters HTML escapes, and the very text that stands for the token in the kept page.
    q=st.lists(
        st.sampled_from(["低保", "协税", "养老", " ", '"', "'", "<", "&", "=", "csrf-token-of-this-visitor"])
    ).map("".join),
    chosen=st.sampled_from(["", "assistance", "duties"]),
    partial=st.booleans(),
)
def test_the_kept_page_is_the_page_each_visitor_would_have_been_rendered(world, q, chosen, partial):
    """Whatever is asked, a visitor answered from the kept page reads what rendering it for them would show."""
    district = world.unit("锦江区")
    headers = {"HTTP_HX_REQUEST": "true"} if partial else {}
    params = {"q": q, "list": chosen, "date": LATER.isoformat()}
    url = f"/catalogue/{district.pk}/"
    Client().get(url, params, **headers)  # kept
    kept, fresh = Client(), Client()
    served = kept.get(url, params, **headers)
    with override_settings(CACHES=NO_CACHE):
        rendered = fresh.get(url, params, **headers)
    assert served.status_code == rendered.status_code == 200
    assert without_tokens(served.content.decode()) == without_tokens(rendered.content.decode())
    assert served["Vary"] == rendered["Vary"] and served["Content-Type"] == rendered["Content-Type"]
    for token in TOKEN.findall(served.content.decode()):
        assert _unmask_cipher_token(token) == visitor_secret(kept)


@pytest.fixture
def replica_1():
    """A replica that has replayed everything: here, the test database's own connection under a replica's name."""
    from django.db import connections

    connections._connections.replica_1 = connections["default"]
    yield "replica_1"
    del connections._connections.replica_1


@pytest.mark.django_db(transaction=True)
def test_a_search_kept_just_after_the_generation_moved_is_computed_on_the_primary(world, replica_1, monkeypatch):
    """With replicas taking the reads, an answer computed within the lag bound of a move (a version published a
    moment ago, which a replica may not have replayed) reads the primary, so it is never kept stale."""
    import time

    from django.core.cache import cache
    from django.db import router

    from catalog import answers, selectors
    from catalog.models import CatalogueVersion
    from config import db_router

    district, seen = world.unit("锦江区"), []
    in_force = selectors.version_in_force

    def version_in_force(**kwargs):
        seen.append(router.db_for_read(CatalogueVersion))  # where this read goes
        return in_force(**kwargs)

    monkeypatch.setattr(selectors, "version_in_force", version_in_force)
    for moved_at, expected in ((time.time(), "default"), (time.time() - 600, replica_1)):
        for ask in (page, api):
            cache.clear()
            cache.set(answers.CATALOGUE.key, f"{ask.__name__}{moved_at}@{moved_at:.3f}")
            seen.clear()
            with db_router.reads_from(replica_1):
                ask(Client(), district, "低保", LATER)
            assert seen == [expected], (ask.__name__, moved_at)


def test_an_item_as_published_is_kept_for_visitors_and_a_draft_item_never_is(client, world):
    """The item page and the item API, asked again by a visitor who is not signed in: no query, the same
    answer but for the visitor's own CSRF token. An item of a draft answers 404 to them every time, and a
    signed-in user's answer is theirs, computed."""
    from catalog.models import CatalogueItem

    district = world.unit("锦江区")
    item = CatalogueItem.objects.filter(version__district=district, version__state="published").first()
    catalog.draft_start(district=district, actor=world.user("minzheng"))  # the draft copies the items in force
    draft = (
        CatalogueItem.objects.filter(version__district=district, version__state="draft")
        .select_related("version")
        .first()
    )
    page_path, api_path = f"/catalogue/{district.pk}/items/{item.pk}/", f"/api/v1/items/{item.pk}/"
    first_page, first_api = client.get(page_path), client.get(api_path)
    assert first_page.status_code == first_api.status_code == 200 and item.title in first_page.content.decode()
    other = Client()
    with CaptureQueriesContext(connection) as context:
        again_page, again_api = other.get(page_path), other.get(api_path)
    assert context.captured_queries == []
    assert again_api.json() == first_api.json()
    assert without_tokens(again_page.content.decode()) == without_tokens(first_page.content.decode())
    mine = TOKEN.search(again_page.content.decode()).group(1)
    assert _unmask_cipher_token(mine) == visitor_secret(other)  # the visitor's own token, not the first one's
    for _ in range(2):
        assert client.get(f"/catalogue/{draft.version.district_id}/items/{draft.pk}/").status_code == 404
        assert client.get(f"/api/v1/items/{draft.pk}/").status_code == 404
    staff = Client()
    staff.force_login(world.user("minzheng"))  # civil-affairs staff of 锦江区
    if draft.version.district_id == district.pk:
        assert staff.get(f"/api/v1/items/{draft.pk}/").status_code == 200  # their own draft's items
    with CaptureQueriesContext(connection) as context:
        assert staff.get(page_path).status_code == 200
    assert context.captured_queries  # computed for them


ITEM_PATHS = st.one_of(
    st.sampled_from(["{id}", "+{id}", "0{id}", "{id}%20", "%20{id}", "{other}", "abc", "0", "-1", "１{id}", "{id}x"]),
    st.text(alphabet="0123456789+- abc١", min_size=1, max_size=6),
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(asked=st.lists(ITEM_PATHS, min_size=1, max_size=6))
def test_a_kept_item_answer_is_always_the_answer_its_own_path_computes(world, asked):
    """Whatever was asked before, in whatever spelling of an id, `/api/v1/items/<x>/` answers a visitor who is
    not signed in what it computes for that very path (a look-alike id must not fill another path's key)."""
    from catalog.models import CatalogueItem

    first, other = CatalogueItem.objects.filter(version__state="published").order_by("id")[:2]
    visitor = Client()
    for shape in asked:
        path = "/api/v1/items/" + shape.format(id=first.pk, other=other.pk).replace("/", "") + "/"
        kept = visitor.get(path)
        with override_settings(CACHES=NO_CACHE):
            computed = Client().get(path)
        assert kept.status_code == computed.status_code, path
        if computed.status_code == 200:
            assert kept.json() == computed.json(), path


WRITES_THE_CHECK_ALONE_READS = ("contract", "assessment")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.sampled_from(["api", "page"]), st.sampled_from(["低保", "养老", "证明"])),
            st.tuples(st.sampled_from([*WRITES_THE_CHECK_ALONE_READS, "rename"]), st.integers(0, 9)),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_a_districts_kept_search_outlives_the_writes_only_the_check_reads_and_never_a_write_it_reads(
    world, django_capture_on_commit_callbacks, steps
):
    """The district's searches (API and page) are kept under the catalogue's generation (catalog.answers
    .CATALOGUE): a contract changed or an assessment held retires the check's answers and not these, a district
    renamed retires both; whatever the order, every answer is what its request computes at that moment, and a
    search asked again with only the check's writes between costs no query."""
    from django.core.cache import cache

    from audits.models import AssessmentHeld
    from catalog import answers
    from funding.models import Contract

    district, visitor = world.unit("锦江区"), Client()
    contract = Contract.objects.filter(district=district).order_by("pk").first() or Contract.objects.create(
        district=district,
        payer=world.user("bumen").unit,
        created_by=world.user("bumen"),
        number="锦民协",
        item_key=uuid4(),
        item_title="协助开展爱国卫生运动和健康教育",
        amount_per_community=Decimal("1000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    community = world.unit("牛沙路社区")
    asked_since_write: set = set()
    try:
        for kind, value in steps:
            if kind in ("api", "page"):
                ask = api if kind == "api" else page
                with CaptureQueriesContext(connection) as context:
                    kept = ask(visitor, district, value, LATER)
                queries = list(context.captured_queries)  # read now: the next request empties Django's log
                with override_settings(CACHES=NO_CACHE):
                    computed = ask(Client(), district, value, LATER)
                if kind == "page":
                    kept, computed = without_tokens(kept), without_tokens(computed)
                assert kept == computed, (kind, value)
                if (kind, value) in asked_since_write:
                    assert queries == [], (kind, value)
                asked_since_write.add((kind, value))
                continue
            check_generation = cache.get(answers.GENERATION)
            with django_capture_on_commit_callbacks(execute=True):
                if kind == "contract":
                    contract.number = f"锦民协-{value}"
                    contract.save()
                elif kind == "assessment":
                    AssessmentHeld.objects.create(
                        community=community,
                        district=district,
                        unit=district,
                        title=f"考核{value}",
                        held_on=date(2026, 11, 2),
                        entered_by=world.user("minzheng"),
                    )
                else:
                    district.name = f"锦江区{value}"
                    district.save()
                    asked_since_write.clear()  # the district's answers are retired: computed again
            if check_generation is not None:
                assert cache.get(answers.GENERATION) != check_generation  # the check's answers are retired
    finally:
        with django_capture_on_commit_callbacks(execute=True):
            district.name = "锦江区"
            district.save()


def test_no_answer_kept_before_a_deploy_is_served_after_it(client, world, settings, tmp_path, monkeypatch):
    """A deploy moves no generation and the cache outlives it: a page kept before links the old static files'
    hashed names. The keys name the code revision (catalog.answers.code_revision), which a change of the code, a
    template, a translation, a locked package or the static files' manifest moves on. (Found by a review.)"""
    from catalog import answers

    district = world.unit("锦江区")
    settings.STATIC_ROOT = str(tmp_path)
    (tmp_path / "staticfiles.json").write_text('{"paths": {"app.css": "app.1111.css"}}')
    answers.code_revision.cache_clear()
    before = answers.code_revision()
    kept = page(client, district, "低保", LATER)
    (tmp_path / "staticfiles.json").write_text('{"paths": {"app.css": "app.2222.css"}}')
    answers.code_revision.cache_clear()  # a new process of the new deploy
    try:
        assert answers.code_revision() != before
        settings.STATIC_URL = "/static-v2/"  # what the new deploy's pages link to
        with CaptureQueriesContext(connection) as context:
            fresh = page(client, district, "低保", LATER)
        assert context.captured_queries  # computed by the new code, not the kept page
        assert "/static-v2/" in fresh and "/static-v2/" not in kept
        assert api(client, district, "低保", LATER)["results"]
    finally:
        answers.code_revision.cache_clear()


# Files a kept answer is rendered by (the static manifest under STATIC_ROOT), and files it is not.
RENDERED_BY = [
    "catalog/search.py",
    "catalog/api/serializers.py",
    "funding/selectors.py",
    "config/settings.py",
    "templates/catalog/item_detail.html",
    "locale/zh_Hans/LC_MESSAGES/django.mo",
    "requirements/prod.lock",
    "static/staticfiles.json",
]
NOT_RENDERED_BY = ["docs/performance.md", "tests/test_x.py"]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    changed=st.sampled_from([*RENDERED_BY, "catalog/new_module.py"]),
    content=st.binary(min_size=1, max_size=20),
)
def test_the_code_revision_moves_with_any_file_an_answer_is_rendered_by_and_no_other(changed, content):
    """Whatever the deploy changes among the code, templates, translations, locked packages and the static
    manifest (a file edited or added), the revision moves on; a change elsewhere (the docs, the tests) leaves it."""
    import tempfile
    from pathlib import Path

    from catalog import answers

    with tempfile.TemporaryDirectory() as base, override_settings(BASE_DIR=base, STATIC_ROOT=f"{base}/static"):
        for name in RENDERED_BY + NOT_RENDERED_BY:
            (Path(base) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(base) / name).write_bytes(b"first " + name.encode())

        def revision():
            answers.code_revision.cache_clear()
            return answers.code_revision()

        try:
            before = revision()
            for unrelated in NOT_RENDERED_BY:
                (Path(base) / unrelated).write_bytes(content)
            assert revision() == before
            path = Path(base) / changed
            old = path.read_bytes() if path.exists() else None
            path.write_bytes(content if content != old else content + b"!")
            assert revision() != before, changed
        finally:
            answers.code_revision.cache_clear()
