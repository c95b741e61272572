import pytest

pytestmark = pytest.mark.django_db


def test_the_organisation_tree_is_public_and_filterable_by_parent(api_client, world):
    chengdu = world.unit("成都市")
    response = api_client.get("/api/v1/districts/", {"city": chengdu.pk})
    assert response.status_code == 200
    assert {row["name"] for row in response.json()["results"]} == {"锦江区", "金牛区"}

    street = world.unit("双桂路街道")
    names = {row["name"] for row in api_client.get("/api/v1/communities/", {"street": street.pk}).json()["results"]}
    assert names == {"牛沙路社区", "五福桥社区", "静居寺社区", "双桂路社区"}

    jinniu = world.unit("金牛区")
    names = {row["name"] for row in api_client.get("/api/v1/streets/", {"district": jinniu.pk}).json()["results"]}
    assert names == {"黄忠街道", "抚琴街道", "驷马桥街道"}


def test_communities_are_searchable_by_name(api_client, world):
    response = api_client.get("/api/v1/communities/", {"search": "牛沙路"})
    assert [row["full_name"] for row in response.json()["results"]] == ["成都市 锦江区 双桂路街道 牛沙路社区"]


def test_departments_belong_to_their_district(api_client, world):
    shibei = world.unit("市北区")
    rows = api_client.get("/api/v1/departments/", {"district": shibei.pk}).json()["results"]
    assert rows and all(row["district"] == shibei.pk for row in rows)


@pytest.mark.parametrize("endpoint", ["cities", "districts", "streets", "communities", "departments"])
def test_unit_lists_use_a_fixed_number_of_queries(endpoint, api_client, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert api_client.get(f"/api/v1/{endpoint}/").status_code == 200


def test_user_list_queries_do_not_grow_with_rows(api_client, world, django_assert_max_num_queries):
    api_client.force_authenticate(world.user("admin"))
    with django_assert_max_num_queries(3):
        assert api_client.get("/api/v1/users/").status_code == 200


def test_me_returns_the_unit_and_role(api_client, world):
    api_client.force_authenticate(world.user("shuji"))
    body = api_client.get("/api/v1/me/").json()
    assert body["role"] == "secretary"
    assert body["unit"]["name"] == "牛沙路社区"


def test_a_token_authenticates_api_calls(api_client, world):
    from catalog.demo import DEMO_PASSWORD

    token = api_client.post("/api/v1/auth/token/", {"username": "minzheng", "password": DEMO_PASSWORD}).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/me/").json()["username"] == "minzheng"


def test_invalid_policy_values_are_explained_per_field(api_client, world):
    api_client.force_authenticate(world.user("minzheng"))
    jinjiang = world.unit("锦江区")
    response = api_client.patch(
        f"/api/v1/policies/{jinjiang.pk}/", {"pass_threshold_percent": "120", "second_batch_month": "13"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"pass_threshold_percent", "second_batch_month"}


def test_the_openapi_schema_generates_and_docs_are_served(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/districts/", "/api/v1/streets/", "/api/v1/communities/", "/api/v1/policies/{district}/"} <= set(
        paths
    )
    assert client.get("/api/v1/docs/").status_code == 200


def test_schema_generation_raises_no_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
