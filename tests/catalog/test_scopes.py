"""Every role sees only its scope: another district's data answers 404 (or 403 for a forbidden write)."""

import pytest

pytestmark = pytest.mark.django_db

JINJIANG = {"minzheng", "jiedao", "bumen", "shuji", "shenji"}

# username → (users they may see, districts whose rules they may read, may they change 锦江区's rules)
SCOPES = {
    "admin": (
        {"admin", "shiju", "minzheng_jn", "minzheng_sb", "shuji_sb"} | JINJIANG,
        {"锦江区", "金牛区", "市北区"},
        True,
    ),
    "shiju": ({"shiju", "minzheng_jn"} | JINJIANG, {"锦江区", "金牛区"}, False),
    "minzheng": (JINJIANG, {"锦江区"}, True),
    "shenji": (JINJIANG, {"锦江区"}, False),
    "jiedao": ({"jiedao", "shuji"}, {"锦江区"}, False),
    "bumen": ({"bumen"}, {"锦江区"}, False),
    "shuji": ({"shuji"}, {"锦江区"}, False),
    "minzheng_sb": ({"minzheng_sb", "shuji_sb"}, {"市北区"}, True),
}
ALL_DISTRICTS = {"锦江区", "金牛区", "市北区"}


@pytest.fixture
def as_user(world, api_client):
    def login(username):
        user = world.user(username)
        api_client.force_authenticate(user)
        return api_client

    return login


@pytest.mark.parametrize("username", SCOPES)
def test_api_lists_only_the_users_in_scope(username, as_user):
    client = as_user(username)
    response = client.get("/api/v1/users/", {"page_size": 200})
    assert response.status_code == 200
    assert {row["username"] for row in response.json()["results"]} == SCOPES[username][0]


@pytest.mark.parametrize("username", SCOPES)
def test_api_lists_only_the_district_rules_in_scope(username, as_user):
    response = as_user(username).get("/api/v1/policies/")
    assert {row["district_name"] for row in response.json()["results"]} == SCOPES[username][1]


@pytest.mark.parametrize("username", SCOPES)
def test_rules_of_a_district_out_of_scope_are_not_found(username, as_user, world):
    client = as_user(username)
    for name in ALL_DISTRICTS - SCOPES[username][1]:
        district = world.unit(name)
        assert client.get(f"/api/v1/policies/{district.pk}/").status_code == 404
        assert client.patch(f"/api/v1/policies/{district.pk}/", {"pass_threshold_percent": "70"}).status_code == 404


@pytest.mark.parametrize("username", SCOPES)
def test_only_civil_affairs_of_the_district_and_administrators_change_its_rules(username, as_user, world):
    jinjiang = world.unit("锦江区")
    response = as_user(username).patch(f"/api/v1/policies/{jinjiang.pk}/", {"pass_threshold_percent": "66.5"})
    may_read, may_edit = "锦江区" in SCOPES[username][1], SCOPES[username][2]
    expected = 200 if may_read and may_edit else 403 if may_read else 404
    assert response.status_code == expected, response.content
    jinjiang.policy.refresh_from_db()
    assert (str(jinjiang.policy.pass_threshold_percent) == "66.50") is (expected == 200)


@pytest.mark.parametrize("username", SCOPES)
def test_policy_page_answers_404_outside_scope_and_shows_rules_inside(username, client, world):
    client.force_login(world.user(username))
    for name in ALL_DISTRICTS:
        response = client.get(f"/districts/{world.unit(name).pk}/policy/")
        assert response.status_code == (200 if name in SCOPES[username][1] else 404)


@pytest.mark.parametrize("username", SCOPES)
def test_people_in_scope_are_only_those_of_the_users_scope(username, client, world):
    from catalog.selectors import users_visible_to

    shown = {person.username for person in users_visible_to(world.user(username))}
    assert shown == SCOPES[username][0]
    client.force_login(world.user(username))
    html = client.get("/home/").content.decode()
    for outsider in {"minzheng_sb", "shuji_sb"} - SCOPES[username][0]:
        assert world.user(outsider).first_name not in html


@pytest.mark.parametrize("username", ["shenji", "shiju", "jiedao", "bumen", "shuji"])
def test_policy_page_refuses_a_post_from_a_reader(username, client, world):
    client.force_login(world.user(username))
    jinjiang = world.unit("锦江区")
    response = client.post(f"/districts/{jinjiang.pk}/policy/", {"pass_threshold_percent": "50"})
    assert response.status_code == 403


def test_civil_affairs_changes_the_rules_in_the_browser_form(client, world):
    client.force_login(world.user("minzheng"))
    jinjiang = world.unit("锦江区")
    form = {
        "pass_threshold_percent": "65",
        "pass_rate_basis": "votes_cast",
        "first_batch_month": "1",
        "second_batch_month": "7",
        "expedited_notice_working_days": "3",
        "intake_close_day": "5",
        "consultation_end_day": "20",
        "committee_day": "28",
    }
    response = client.post(f"/districts/{jinjiang.pk}/policy/", form, follow=True)
    assert response.status_code == 200
    jinjiang.policy.refresh_from_db()
    assert jinjiang.policy.pass_rate_basis == "votes_cast"


def test_bad_batch_months_get_a_clear_error_and_change_nothing(client, world):
    client.force_login(world.user("minzheng"))
    jinjiang = world.unit("锦江区")
    form = {
        "pass_threshold_percent": "65",
        "pass_rate_basis": "consulted",
        "first_batch_month": "7",
        "second_batch_month": "1",
        "expedited_notice_working_days": "3",
        "intake_close_day": "5",
        "consultation_end_day": "20",
        "committee_day": "28",
    }
    response = client.post(f"/districts/{jinjiang.pk}/policy/", form)
    assert response.status_code == 200
    assert "second_batch_month" in response.context["form"].errors
    jinjiang.policy.refresh_from_db()
    assert jinjiang.policy.first_batch_month == 1


def test_anonymous_users_are_sent_to_log_in_and_get_no_private_api(client, api_client, world):
    response = client.get("/home/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert api_client.get("/api/v1/users/").status_code in (401, 403)
    assert api_client.get("/api/v1/policies/").status_code in (401, 403)
    assert client.get(f"/districts/{world.unit('锦江区').pk}/policy/").status_code == 302
