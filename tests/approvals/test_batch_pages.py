"""The batch in the browser and the API: irreversible steps ask first and then say what happened; secretaries
do not see the running tally; the applicant sees the count and the rate, never each unit's vote."""

from datetime import date

import pytest
from django.utils import timezone

from approvals import services
from approvals.choices import ApplicationState, BatchState
from tests.approvals.test_batch import FILED, VOTING, open_consultation_on, vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def on(monkeypatch):
    def set_today(day):
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)

    return set_today


@pytest.fixture
def filed(file_application, applicant, world):
    application = file_application(
        scope="communities", scope_communities=list(world.unit("双桂路街道").children.order_by("name"))
    )
    services.application_submit(application=application, actor=applicant, today=FILED)
    application.refresh_from_db()
    return application


def test_closing_intake_asks_first_and_then_says_exactly_what_happened(client, world, filed, on):
    on(date(2026, 12, 20))
    client.force_login(world.user("minzheng"))
    url = f"/batches/{filed.batch_id}/"
    asked = client.post(url, {"action": "open_consultation"})
    assert asked.status_code == 200 and 'name="confirm"' in asked.content.decode()
    assert "5" in asked.content.decode()  # five units will receive the form
    filed.batch.refresh_from_db()
    assert filed.batch.state == BatchState.INTAKE  # nothing happened yet
    done = client.post(url, {"action": "open_consultation", "confirm": "yes"}, follow=True)
    filed.batch.refresh_from_db()
    assert filed.batch.state == BatchState.CONSULTING
    text = done.content.decode()
    assert "已截止受理：1 件申请、5 个单位收到征求意见表" in text
    assert "已完成" not in text
    # The consulted units nobody can vote for are listed on the batch page with what the office can do.
    unreachable = done.context["unreachable"]
    assert {row["name"] for row in unreachable} == {"五福桥社区", "静居寺社区", "双桂路社区"}
    assert "60" in done.content.decode() and 'data-testid="unreachable"' in text


def test_tallying_early_asks_for_the_recorded_reason(client, world, filed, on, office):
    services.batch_open_consultation(batch=filed.batch, actor=office)
    filed.refresh_from_db()
    vote(filed, agree=2)
    on(VOTING)
    client.force_login(world.user("minzheng"))
    url = f"/batches/{filed.batch_id}/"
    asked = client.post(url, {"action": "tally"})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    without_reason = client.post(url, {"action": "tally", "confirm": "yes", "reason": ""})
    assert without_reason.status_code == 200  # asked again, nothing tallied
    filed.batch.refresh_from_db()
    assert filed.batch.state == BatchState.CONSULTING
    done = client.post(url, {"action": "tally", "confirm": "yes", "reason": "主任办公会决定提前截止"}, follow=True)
    filed.batch.refresh_from_db()
    assert filed.batch.state == BatchState.REVIEW and filed.batch.closed_early_reason == "主任办公会决定提前截止"
    assert "已计票" in done.content.decode()


def test_the_batch_page_offers_the_steps_of_the_table(client, world, filed, office):
    client.force_login(world.user("minzheng"))
    page = client.get(f"/batches/{filed.batch_id}/")
    assert [a.name for a in page.context["actions"]] == ["open_consultation"]
    client.force_login(world.user("shenji"))  # an auditor reads, never acts
    assert client.get(f"/batches/{filed.batch_id}/").context["actions"] == []


def test_secretaries_do_not_see_the_running_tally_and_the_applicant_sees_no_single_vote(
    client, world, file_application, applicant, office
):
    application = open_consultation_on(file_application, applicant, list(world.unit("双桂路街道").children.all()))
    ballot = application.ballots.get(unit__name="牛沙路社区")
    services.ballot_cast(
        ballot=ballot, actor=world.user("shuji"), vote="disagree", comment="人手严重不足", today=VOTING
    )
    client.force_login(world.user("jiedao"))  # the consulted street office
    page = client.get(f"/applications/{application.pk}/")
    assert page.context["tally"] is None and 'data-testid="tally"' not in page.content.decode()
    client.force_login(world.user("shuji"))
    assert client.get(f"/applications/{application.pk}/").context["tally"] is None
    client.force_login(world.user("bumen"))  # the applicant: the count and rate, not who said what
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert 'data-testid="tally"' in page
    assert "人手严重不足" not in page and 'data-testid="ballots"' not in page
    client.force_login(world.user("minzheng"))
    assert "人手严重不足" in client.get(f"/applications/{application.pk}/").content.decode()


def test_the_api_answers_409_for_a_batch_in_the_wrong_state_and_400_for_an_early_tally(
    api_client, world, filed, office, on
):
    api_client.force_authenticate(world.user("minzheng"))
    on(VOTING)
    assert api_client.post(f"/api/v1/batches/{filed.batch_id}/tally/").status_code == 409  # still taking applications
    assert api_client.post(f"/api/v1/batches/{filed.batch_id}/open/").status_code == 200
    assert api_client.post(f"/api/v1/batches/{filed.batch_id}/open/").status_code == 409
    early = api_client.post(f"/api/v1/batches/{filed.batch_id}/tally/")
    assert early.status_code == 400 and "2027-01-20" in str(early.json())
    done = api_client.post(f"/api/v1/batches/{filed.batch_id}/tally/", {"reason": "提前截止"}, format="json")
    assert done.status_code == 200 and done.json()["closed_early_reason"] == "提前截止"
    assert done.json()["pass_threshold_percent"] == "60.00"
    filed.refresh_from_db()
    assert filed.state == ApplicationState.REJECTED  # 0 of 5 agreed


def test_publishing_and_removing_an_item_ask_first(client, world):
    from catalog.models import CatalogueVersion

    district = world.unit("锦江区")
    client.force_login(world.user("minzheng"))
    client.post(f"/catalogue/{district.pk}/draft/", {"action": "start"})
    draft = CatalogueVersion.objects.get(district=district, state="draft")
    item = draft.items.first()
    asked = client.post(f"/catalogue/{district.pk}/draft/items/{item.pk}/delete/")
    assert asked.status_code == 200 and 'name="confirm"' in asked.content.decode()
    assert draft.items.filter(pk=item.pk).exists()
    client.post(f"/catalogue/{district.pk}/draft/items/{item.pk}/delete/", {"confirm": "yes"})
    assert not draft.items.filter(pk=item.pk).exists()
    data = {"action": "publish", "effective_from": "2027-01-01", "title": "", "note": ""}
    asked = client.post(f"/catalogue/{district.pk}/draft/", data)
    assert asked.status_code == 200 and 'name="confirm"' in asked.content.decode()
    draft.refresh_from_db()
    assert draft.state == "draft"
    done = client.post(f"/catalogue/{district.pk}/draft/", {**data, "confirm": "yes"}, follow=True)
    draft.refresh_from_db()
    assert draft.state != "draft" and "2027-01-01" in done.content.decode()
