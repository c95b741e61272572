"""The gate in the browser and the API: forms, actions, scope, and query budgets."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals import services
from approvals.choices import ApplicationState
from approvals.models import Application

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2026, 11, 23))


def form_data(world, **overrides):
    data = {
        "title": "协助开展老年人健康体检组织工作",
        "reason": "65岁以上老年人每年体检一次，需要社区通知和组织居民。",
        "basis_document": "国家基本公共卫生服务规范",
        "requested_list": "assistance",
        "item_type": "work_task",
        "scope": "all",
        "workload": "每社区每年约5个工作日",
        "start_date": "2027-03-01",
        "amount_per_community": "1200.00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_applicant_files_and_submits_through_the_form(client, world, today):
    client.force_login(world.user("bumen"))
    payer = world.user("bumen").unit
    response = client.post("/applications/new/", form_data(world, payer=payer.pk, submit="1"), follow=True)
    application = Application.objects.get()
    assert application.state == ApplicationState.SUBMITTED
    assert response.redirect_chain[-1][0] == f"/applications/{application.pk}/"
    assert application.batch.month == 1


def test_refusals_at_filing_come_back_as_messages_and_the_draft_stays(client, world, today):
    client.force_login(world.user("bumen"))
    response = client.post("/applications/new/", form_data(world, submit="1"), follow=True)
    application = Application.objects.get()
    assert application.state == ApplicationState.DRAFT
    text = " ".join(str(m) for m in response.context["messages"])
    assert "谁委托谁出钱" in text


def test_only_staff_of_streets_and_departments_file(client, world):
    for username in ("shuji", "shenji", "shiju"):
        client.force_login(world.user(username))
        assert client.get("/applications/new/").status_code == 403


def test_attachments_are_checked_by_content(client, world, file_application):
    application = file_application()
    client.force_login(world.user("bumen"))
    fake = SimpleUploadedFile("通知.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(f"/applications/{application.pk}/attach/", {"file": fake}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert application.attachments.count() == 0
    real = SimpleUploadedFile("通知.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    client.post(f"/applications/{application.pk}/attach/", {"file": real})
    attachment = application.attachments.get()
    assert client.get(f"/applications/{application.pk}/attachments/{attachment.pk}/").status_code == 200
    client.force_login(world.user("minzheng_sb"))
    assert client.get(f"/applications/{application.pk}/attachments/{attachment.pk}/").status_code == 404


def test_another_districts_application_is_not_found(client, api_client, world, file_application):
    application = file_application()
    for username in ("minzheng_sb", "minzheng_jn", "shuji_sb"):
        client.force_login(world.user(username))
        assert client.get(f"/applications/{application.pk}/").status_code == 404
        api_client.force_authenticate(world.user(username))
        assert api_client.get(f"/api/v1/applications/{application.pk}/").status_code == 404


def test_an_applicant_cannot_set_what_the_office_decides(api_client, world, file_application):
    application = file_application()
    api_client.force_authenticate(world.user("bumen"))
    response = api_client.patch(
        f"/api/v1/applications/{application.pk}/",
        {"state": "approved", "decision_minutes": "自己批准", "pass_rate": "100"},
        format="json",
    )
    assert response.status_code == 200
    application.refresh_from_db()
    assert (application.state, application.decision_minutes, application.pass_rate) == ("draft", "", None)


def test_the_api_runs_the_whole_urgent_path(api_client, world, file_application, today):
    application = file_application(is_urgent=True, urgency_justification="防汛", start_date=date(2026, 11, 24))
    api_client.force_authenticate(world.user("bumen"))
    response = api_client.post(f"/api/v1/applications/{application.pk}/submit/")
    assert response.status_code == 400 and "2026-11-26" in str(response.json()["start_date"])
    api_client.patch(f"/api/v1/applications/{application.pk}/", {"start_date": "2026-11-26"}, format="json")
    assert api_client.post(f"/api/v1/applications/{application.pk}/submit/").status_code == 200
    api_client.force_authenticate(world.user("shenji"))
    assert api_client.post(f"/api/v1/applications/{application.pk}/decide/", {"approve": True}).status_code == 403
    api_client.force_authenticate(world.user("minzheng"))
    queue = api_client.get("/api/v1/applications/", {"queue": "1"}).json()["results"]
    assert [row["id"] for row in queue] == [application.pk]
    response = api_client.post(f"/api/v1/applications/{application.pk}/decide/", {"approve": True, "text": "同意"})
    assert response.status_code == 200 and response.json()["lapses_on"] == "2026-12-31"
    again = api_client.post(f"/api/v1/applications/{application.pk}/decide/", {"approve": False, "text": "不同意"})
    assert again.status_code == 409 and "detail" in again.json()  # decided already: a conflict, not bad input


def test_secretaries_vote_on_their_phone_page(client, world, file_application, applicant, today):
    application = file_application(scope="communities", scope_communities=[world.unit("牛沙路社区")])
    services.application_submit(application=application, actor=applicant, today=date(2026, 11, 23))
    application.refresh_from_db()
    services.batch_open_consultation(batch=application.batch)
    client.force_login(world.user("shuji"))
    page = client.get("/ballots/")
    ballot = page.context["page"][0]
    asked = client.post(f"/ballots/{ballot.pk}/vote/", {"vote": "agree", "comment": ""})
    assert asked.status_code == 200 and 'name="confirm"' in asked.content.decode()  # a ballot counts once: ask first
    ballot.refresh_from_db()
    assert ballot.vote == ""
    response = client.post(
        f"/ballots/{ballot.pk}/vote/", {"vote": "agree", "comment": "", "confirm": "yes"}, follow=True
    )
    assert response.status_code == 200
    ballot.refresh_from_db()
    assert ballot.vote == "agree" and ballot.voted_by == world.user("shuji")


@pytest.mark.parametrize("username", ["minzheng", "shenji", "shiju", "bumen", "jiedao", "shuji", "admin"])
def test_pages_stay_within_their_query_budgets(
    username, client, world, file_application, applicant, office, django_assert_max_num_queries
):
    for n in range(3):
        application = file_application(
            title=f"协助开展第{n}项健康宣传",
            scope="communities",
            scope_communities=[world.unit("牛沙路社区"), world.unit("五福桥社区")],
        )
        services.application_submit(application=application, actor=applicant, today=date(2026, 11, 23))
    application.refresh_from_db()
    services.batch_open_consultation(batch=application.batch)
    client.force_login(world.user(username))
    urls = [
        "/applications/",
        f"/applications/{application.pk}/",
        "/ballots/",
        "/review/",
        "/batches/",
        f"/batches/{application.batch_id}/",
        "/inbox/",
        "/home/",
    ]
    for url in urls:
        # The workbench asks one query per kind of task and figure (its own budget: tests/test_page_budgets.py).
        with django_assert_max_num_queries(22 if url == "/home/" else 16, info=url):
            status = client.get(url).status_code
        assert status in (200, 403, 404), (url, status)


@pytest.mark.parametrize("endpoint", ["applications", "batches", "ballots"])
def test_endpoints_stay_within_their_query_budgets(
    endpoint, api_client, world, file_application, applicant, django_assert_max_num_queries
):
    for n in range(4):
        application = file_application(title=f"协助开展第{n}项健康宣传")
        services.application_submit(application=application, actor=applicant, today=date(2026, 11, 23))
    api_client.force_authenticate(world.user("minzheng"))
    with django_assert_max_num_queries(6):
        assert api_client.get(f"/api/v1/{endpoint}/").status_code == 200


def test_admin_pages_open_for_the_administrator(client, world, file_application):
    file_application()
    client.force_login(world.user("admin"))
    for url in [
        "/admin/",
        "/admin/approvals/application/",
        "/admin/approvals/calendarday/",
        "/admin/approvals/calendaryear/",
        "/admin/approvals/batch/",
        "/admin/catalog/catalogueversion/",
        "/admin/catalog/notification/",
        "/admin/django_celery_beat/periodictask/",
        "/admin/catalog/unit/",
    ]:
        assert client.get(url).status_code == 200, url


def test_a_secretary_votes_in_the_dialog_once_asked_and_the_ballot_counts_once(client, world, file_application, today):
    application = file_application(scope="communities", scope_communities=[world.unit("牛沙路社区")])
    services.application_submit(application=application, actor=world.user("bumen"), today=date(2026, 11, 23))
    application.refresh_from_db()
    services.batch_open_consultation(batch=application.batch)
    client.force_login(world.user("shuji"))
    page = client.get("/ballots/")
    assert "data-asks-first" in page.content.decode()
    ballot = page.context["page"][0]
    htmx = {"HTTP_HX_REQUEST": "true"}
    dialog = {**htmx, "HTTP_HX_TARGET": "div#confirm-dialog-body"}
    asked = client.post(f"/ballots/{ballot.pk}/vote/", {"vote": "agree", "comment": "同意"}, **dialog)
    assert asked.status_code == 200 and "HX-Retarget" not in asked
    assert "data-confirm-step" in asked.content.decode() and "同意" in asked.content.decode()
    ballot.refresh_from_db()
    assert ballot.vote == ""  # asking changes nothing
    done = client.post(f"/ballots/{ballot.pk}/vote/", {"vote": "agree", "comment": "同意", "confirm": "yes"}, **htmx)
    assert done.status_code == 204 and done["HX-Redirect"]
    ballot.refresh_from_db()
    assert ballot.vote == "agree"
