import pytest

pytestmark = pytest.mark.django_db


def test_the_public_landing_page_lists_districts_without_login(client, world):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "锦江区" in html and "市北区" in html
    assert "社区工作准入系统" in html  # Chinese by default


def test_the_interface_switches_to_english(client, world):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert "Community work access system" in response.content.decode()


def test_org_pages_are_public(client, world):
    street = world.unit("双桂路街道")
    response = client.get(f"/org/{street.pk}/")
    assert response.status_code == 200
    assert "牛沙路社区" in response.content.decode()
    assert client.get("/org/").status_code == 200


@pytest.mark.parametrize("username", ["admin", "shiju", "minzheng", "shenji", "jiedao", "bumen", "shuji"])
def test_every_role_lands_on_its_home_page(username, client, world, django_assert_max_num_queries):
    user = world.user(username)
    client.force_login(user)
    with django_assert_max_num_queries(22):  # the workbench: one query per kind of task and figure
        response = client.get("/home/")
    assert response.status_code == 200
    assert response.context["role"] == user.role


def test_the_admin_home_page_shows_whether_the_worker_is_alive(client, world):
    from catalog.tasks import record_heartbeat

    client.force_login(world.user("admin"))
    assert "尚无后台任务进程上报" in client.get("/home/").content.decode()
    record_heartbeat()
    assert "最近一次上报" in client.get("/home/").content.decode()


def test_demo_data_is_idempotent(world):
    from catalog.demo import load_demo
    from catalog.models import Unit, User

    load_demo()  # the whole demo, later apps' parts included
    units, users = Unit.objects.count(), User.objects.count()
    assert load_demo()["users_created"] == []
    assert (Unit.objects.count(), User.objects.count()) == (units, users)
