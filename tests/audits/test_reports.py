"""Burden reports from communities and assessments held: anonymity, triage, the check's assessment limit."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audits import services
from audits.models import AssessmentHeld, BurdenReport
from catalog.check import check_demand
from catalog.models import Unit
from catalog.selectors import version_in_force

pytestmark = pytest.mark.django_db


@pytest.fixture
def economy(world):
    return Unit.objects.get(name="区市场监督管理局", district=world.unit("锦江区"))


@pytest.fixture
def report(world, economy):
    return services.report_submit(
        actor=world.user("shuji"),
        demanding_unit=economy,
        demand="街道和市场监管局要求我们社区统计辖区企业并上报",
        demanded_on=date(2026, 11, 2),
        reveal_reporter=False,
    )


def test_a_report_runs_the_check_on_the_demand(report):
    assert report.check_result["verdict"] == "refuse"
    assert report.check_result["candidates"][0]["title"] == "辖区企业登记统计"


def test_the_unit_sees_the_report_only_when_asked_to_explain_and_never_who_reported(client, world, report):
    staff = world.user("minzheng").unit.children.get(name="区市场监督管理局")
    from catalog.models import User

    unit_user = User.objects.create(username="scjg", role="department_staff", unit=staff)
    client.force_login(unit_user)
    assert client.get(f"/supervision/reports/{report.pk}/").status_code == 404
    services.report_triage(report=report, actor=world.user("minzheng"), decision="ask", note="请说明为何下派")
    page = client.get(f"/supervision/reports/{report.pk}/")
    assert page.status_code == 200 and "牛沙路社区" not in page.content.decode() and "郭昕" not in page.content.decode()
    client.post(f"/supervision/reports/{report.pk}/explain/", {"explanation": "已停止下派，由本局自行统计"})
    report.refresh_from_db()
    assert report.state == "explained" and report.explanation.startswith("已停止")


def test_a_secretary_never_sees_another_communitys_report(client, world, report):
    from catalog.models import User

    other = User.objects.create(username="shuji-wfq", role="secretary", unit=world.unit("五福桥社区"))
    client.force_login(other)
    assert client.get(f"/supervision/reports/{report.pk}/").status_code == 404
    assert list(client.get("/supervision/reports/").context["page"]) == []


def test_triage_needs_a_reason_and_the_districts_civil_affairs(world, report):
    with pytest.raises(PermissionDenied):
        services.report_triage(report=report, actor=world.user("minzheng_jn"), decision="dismiss", note="x")
    with pytest.raises(ValidationError):
        services.report_triage(report=report, actor=world.user("minzheng"), decision="dismiss", note=" ")
    services.report_triage(report=report, actor=world.user("minzheng"), decision="open", note="立案督查")
    assert BurdenReport.objects.get(pk=report.pk).state == "case_opened"


def test_the_secretary_files_a_report_on_the_phone_form(client, world, economy):
    client.force_login(world.user("shuji"))
    response = client.post(
        "/supervision/reports/new/",
        {"demanding_unit": economy.pk, "demand": "要求社区协税护税", "demanded_on": "2026-11-01"},
        follow=True,
    )
    report = BurdenReport.objects.get()
    assert response.redirect_chain[-1][0] == f"/supervision/reports/{report.pk}/"
    assert report.check_result["verdict"] == "refuse" and not report.reveal_reporter


@pytest.fixture
def civilised(world):
    version = version_in_force(district_id=world.unit("锦江区").pk, on=date(2026, 11, 2))
    return version.items.get(title="省级文明社区测评")  # at most once a year, in November


def test_assessments_held_feed_the_checks_yearly_limit(world, civilised):
    community, unit_user = world.unit("牛沙路社区"), world.user("bumen")
    assert (
        check_demand(community=community, on=date(2026, 11, 20), q="省级文明社区测评").verdict == "assessment_allowed"
    )
    held = services.assessment_enter(
        actor=unit_user, community=community, title="", held_on=date(2026, 11, 3), item=civilised
    )
    assert not held.is_finding
    assert (
        check_demand(community=community, on=date(2026, 11, 20), q="省级文明社区测评").verdict
        == "assessment_limit_reached"
    )
    services.assessment_answer(assessment=held, actor=world.user("shuji"), confirm=False, reason="当天没有来过")
    assert (
        check_demand(community=community, on=date(2026, 11, 20), q="省级文明社区测评").verdict == "assessment_allowed"
    )


def test_an_assessment_off_the_list_or_outside_its_months_is_a_finding(world, civilised):
    community, unit_user = world.unit("牛沙路社区"), world.user("bumen")
    off_list = services.assessment_enter(
        actor=unit_user, community=community, title="卫生健康示范社区评比", held_on=date(2026, 5, 1)
    )
    wrong_month = services.assessment_enter(
        actor=unit_user, community=community, title="", item=civilised, held_on=date(2026, 5, 1)
    )
    assert off_list.is_finding and wrong_month.is_finding
    assert set(AssessmentHeld.objects.filter(on_the_list=False).values_list("title", flat=True)) == {
        "卫生健康示范社区评比"
    }


@pytest.mark.parametrize("username", ["shuji", "minzheng", "shenji", "bumen"])
def test_supervision_pages_have_query_budgets(client, world, report, username, django_assert_max_num_queries):
    client.force_login(world.user(username))
    for url in ["/supervision/reports/", f"/supervision/reports/{report.pk}/", "/supervision/assessments/"]:
        with django_assert_max_num_queries(12, info=url):
            assert client.get(url).status_code in (200, 404)
