"""Every catalogue page and endpoint answers in a fixed number of queries, whatever the catalogue's size."""

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from catalog import selectors, services
from catalog.models import CatalogueItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls(world):
    jinjiang = world.unit("锦江区")
    v1, v2 = jinjiang.catalogue_versions.order_by("number")
    item = v2.items.first()
    community = world.unit("牛沙路社区")
    return {
        "pages": [
            "/",
            "/catalogue/",
            f"/catalogue/{jinjiang.pk}/",
            f"/catalogue/{jinjiang.pk}/items/{item.pk}/",
            f"/catalogue/{jinjiang.pk}/versions/",
            f"/catalogue/{jinjiang.pk}/versions/{v2.pk}/diff/",
            f"/catalogue/{jinjiang.pk}/versions/{v2.pk}/diff/?against={v1.pk}",
            "/check/",
            f"/check/?district={jinjiang.pk}",
            f"/check/?community={community.pk}&q=协税",
            f"/catalogue/{jinjiang.pk}/export.xlsx",
            f"/catalogue/{jinjiang.pk}/export.json",
            "/org/",
            f"/org/{jinjiang.pk}/",
        ],
        "api": [
            "/api/v1/versions/",
            f"/api/v1/versions/{v2.pk}/",
            f"/api/v1/items/?district={jinjiang.pk}",
            f"/api/v1/items/?version={v1.pk}",
            f"/api/v1/items/{item.pk}/",
        ],
    }


def test_pages_have_a_query_budget(client, urls, django_assert_max_num_queries):
    for url in urls["pages"]:
        # A check of a demand also keeps it (catalog.demands): one INSERT, in a savepoint as every test runs in a
        # transaction (SAVEPOINT and RELEASE are two more queries here, none in a request).
        budget = 8 + 3 if url.startswith("/check/?community=") else 8
        with django_assert_max_num_queries(budget, info=url):
            assert client.get(url).status_code == 200, url


def test_endpoints_have_a_query_budget(api_client, urls, django_assert_max_num_queries):
    for url in urls["api"]:
        with django_assert_max_num_queries(4, info=url):
            assert api_client.get(url).status_code == 200, url


def test_the_budget_does_not_grow_with_the_catalogue(client, world):
    """The same page costs the same number of queries with 32 items or 232."""
    jinjiang = world.unit("锦江区")
    minzheng = world.user("minzheng")

    def count():
        from django.test.utils import CaptureQueriesContext, override_settings

        dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
        with override_settings(CACHES=dummy), CaptureQueriesContext(connection) as ctx:  # computed, not kept
            client.get(f"/catalogue/{jinjiang.pk}/")
            client.get(f"/api/v1/items/?district={jinjiang.pk}&q=协助")
        return len(ctx)

    before = count()
    draft = services.draft_start(district=jinjiang, actor=minzheng)
    for n in range(200):
        services.item_save(draft=draft, actor=minzheng, list="duties", type="ledger", title=f"协助台账第{n}号")
    services.version_publish(draft=draft, actor=minzheng, effective_from=timezone.localdate())
    assert count() == before


def test_search_uses_the_full_text_index_on_postgresql(world):
    jinjiang = world.unit("锦江区")
    version = selectors.version_in_force(district_id=jinjiang.pk, on=date.max)
    if connection.vendor != "postgresql":
        # SQLite has no full-text index: the same tokens are ranked in Python.
        assert selectors.items_search(items=version.items.all(), q="协税")[0].title == "协税护税"
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalogue_item_search_vector'")
        assert "gin" in cursor.fetchone()[0].lower()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        from django.contrib.postgres.search import SearchQuery

        qs = CatalogueItem.objects.filter(search_vector=SearchQuery("'协税'", search_type="raw", config="simple"))
        assert "catalogue_item_search_vector" in qs.explain()
    # The trigger keeps the stored vector in step with the tokens.
    assert CatalogueItem.objects.filter(search_vector__isnull=True).count() == 0
