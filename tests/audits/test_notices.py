"""Findings, public notices with a correction deadline (全区通报并限期改正), and a unit's compliance record."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audits import services
from audits.models import Finding, Notice
from catalog.models import Notification, Unit, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit(world):
    return Unit.objects.get(name="区市场监督管理局", district=world.unit("锦江区"))


@pytest.fixture
def unit_user(unit):
    return User.objects.create(username="scjg", role="department_staff", unit=unit)


@pytest.fixture
def finding(world, unit):
    return services.finding_record(
        actor=world.user("minzheng"),
        unit=unit,
        kind="withdrawn_assigned",
        description="要求社区开展辖区企业登记统计，该事项已列入退出清单。",
    )


@pytest.fixture
def notice(world, finding):
    return services.notice_issue(
        finding=finding,
        actor=world.user("minzheng"),
        title="关于区市场监督管理局违规下派事项的通报",
        body="责令限期改正。",
        correct_by=timezone.localdate() + timedelta(days=10),
    )


def test_a_notice_is_public_once_published_and_the_unit_is_told(client, unit_user, notice):
    assert client.get("/notices/").status_code == 200
    assert notice.title in client.get(f"/notices/{notice.pk}/").content.decode()
    assert Notification.objects.filter(recipient=unit_user, url=f"/notices/{notice.pk}/").exists()


def test_the_unit_answers_and_civil_affairs_verifies_closes_or_reopens(world, notice, unit_user):
    office = world.user("minzheng")
    with pytest.raises(PermissionDenied):
        services.notice_answer(notice=notice, actor=world.user("bumen"), answer="不是我们")
    services.notice_answer(notice=notice, actor=unit_user, answer="已停止下派，向社区致歉")
    services.notice_verify(notice=notice, actor=office, accept=False, verification="回访社区，仍在要求报表")
    assert Notice.objects.get(pk=notice.pk).state == "published"
    services.notice_answer(notice=notice, actor=unit_user, answer="已撤回全部报表要求")
    closed = services.notice_verify(notice=notice, actor=office, accept=True, verification="暗访核实已改正")
    assert closed.state == "closed" and closed.closed_at


def test_a_deadline_in_the_past_is_refused(world, finding):
    with pytest.raises(ValidationError):
        services.notice_issue(
            finding=finding, actor=world.user("minzheng"), title="t", body="b", correct_by=timezone.localdate()
        )


def test_reminders_before_the_deadline_and_escalation_after_it_happen_once(world, notice, unit_user):
    due = notice.correct_by
    assert services.notices_remind(today=due - timedelta(days=2))["reminded"] == 1
    assert services.notices_remind(today=due - timedelta(days=1))["reminded"] == 0
    assert services.notices_remind(today=due + timedelta(days=1))["escalated"] == 1
    assert services.notices_remind(today=due + timedelta(days=2))["escalated"] == 0
    assert Notice.objects.get(pk=notice.pk).is_overdue or timezone.localdate() <= due


def test_the_system_proposes_findings_once(world):

    first = services.findings_propose(today=date(2026, 11, 23))
    assert first > 0  # 锦江区's assistance items have had no contract since 2021
    assert services.findings_propose(today=date(2026, 11, 23)) == 0
    proposal = Finding.objects.filter(state="proposed", kind="unfunded").first()
    assert proposal.unit.kind in ("department", "street")
    services.finding_decide(finding=proposal, actor=world.user("minzheng"), confirm=True)
    assert Finding.objects.get(pk=proposal.pk).state == "confirmed"


def test_the_compliance_page_shows_findings_notices_and_obligations(
    client, world, notice, unit, unit_user, django_assert_max_num_queries
):
    for username in ("minzheng", "shenji", "shiju"):
        client.force_login(world.user(username))
        with django_assert_max_num_queries(14):
            response = client.get(f"/supervision/units/{unit.pk}/")
        assert [n.pk for n in response.context["open_notices"]] == [notice.pk]
    client.force_login(unit_user)
    assert client.get(f"/supervision/units/{unit.pk}/").status_code == 200
    client.force_login(world.user("minzheng_sb"))
    assert client.get(f"/supervision/units/{unit.pk}/").status_code == 404


def test_a_unit_sees_only_its_own_confirmed_findings(client, world, finding, unit_user):
    client.force_login(unit_user)
    assert [f.pk for f in client.get("/supervision/findings/").context["page"]] == [finding.pk]
    client.force_login(world.user("bumen"))
    assert list(client.get("/supervision/findings/").context["page"]) == []


def test_the_demo_shows_reports_an_overdue_notice_and_a_closed_one(world):
    from catalog.demo import load_demo

    load_demo()
    states = sorted(Notice.objects.values_list("state", flat=True))
    assert states == ["closed", "published"]
    assert Notice.objects.get(state="published").is_overdue
    load_demo()
    assert Notice.objects.count() == 2


def test_auditors_change_nothing_in_supervision(client, world, finding, unit):
    auditor = world.user("shenji")
    with pytest.raises(PermissionDenied):
        services.finding_record(actor=auditor, unit=unit, kind="other", description="x")
    with pytest.raises(PermissionDenied):
        services.notice_issue(
            finding=finding, actor=auditor, title="t", body="b", correct_by=timezone.localdate() + timedelta(days=5)
        )
    client.force_login(auditor)
    assert (
        client.post("/supervision/findings/new/", {"unit": unit.pk, "kind": "other", "description": "x"}).status_code
        == 403
    )


def test_the_office_plans_an_inspection_in_the_browser(client, world, unit):
    client.force_login(world.user("minzheng"))
    page = client.get("/supervision/findings/").content.decode()
    assert page.count('id="id_unit"') == 1 and 'id="id_inspection-unit"' in page
    client.post(
        "/supervision/inspections/new/",
        {"inspection-unit": unit.pk, "inspection-title": "专项督查", "inspection-planned_on": "2026-12-01"},
    )
    from audits.models import Inspection

    assert Inspection.objects.get().unit == unit


@pytest.mark.parametrize(
    ("username", "link"),
    [
        ("minzheng", "/supervision/findings/"),
        ("minzheng", "/notices/"),
        ("shenji", "/supervision/trail/"),
        ("bumen", "/supervision/units/"),
    ],
)
def test_the_home_page_links_to_supervision(client, world, username, link):
    client.force_login(world.user(username))
    assert link in client.get("/home/").content.decode()
