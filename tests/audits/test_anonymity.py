"""The reporter's anonymity and the unit under investigation: what the demanding unit sees of a burden report
never depends on which community reported it; a case the office opens stays its own; internal notes stay
internal; a unit's record shows only what the office confirmed. State changes go through one table each."""

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits import selectors, services
from audits.models import BurdenReport, Finding
from catalog.models import Unit, User
from catalog.selectors import version_in_force

pytestmark = pytest.mark.django_db
ON = date(2026, 11, 20)


@pytest.fixture
def economy(world):
    return Unit.objects.get(name="区市场监督管理局", district=world.unit("锦江区"))


@pytest.fixture
def economy_staff(economy):
    return User.objects.create(username="scjg", role="department_staff", unit=economy)


@pytest.fixture
def two_communities(world):
    """牛沙路社区 has held this year's civilised-community assessment and has a funding contract for health
    education; 五福桥社区 has neither: the check answers differently for the two."""
    from audits.models import AssessmentHeld
    from funding import services as funding

    jinjiang = world.unit("锦江区")
    niusha, wufu = world.unit("牛沙路社区"), world.unit("五福桥社区")
    version = version_in_force(district_id=jinjiang.pk, on=ON)
    civilised = version.items.get(title="省级文明社区测评")
    AssessmentHeld.objects.create(
        community=niusha,
        district=jinjiang,
        unit=world.unit("双桂路街道"),
        item_key=civilised.key,
        title=civilised.title,
        held_on=date(2026, 11, 3),
        on_the_list=True,
        state=AssessmentHeld.State.CONFIRMED,
        entered_by=world.user("jiedao"),
    )
    health = Unit.objects.get(name="区卫生健康局", district=jinjiang)
    funding.contract_create(
        actor=world.user("bumen"),
        payer=health,
        number="WJ-ANON-1",
        item=version.items.get(title="协助开展爱国卫生运动和健康教育"),
        communities=[niusha],
        amount_per_community=Decimal("1200.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 12, 31), Decimal("100"))],
    )
    secretary_wufu = User.objects.create(username="shuji-wfq", role="secretary", unit=wufu)
    return world.user("shuji"), secretary_wufu


def _unit_page(client, report) -> str:
    """The page as the unit reads it, with what differs between any two reports anyway (their numbers, the
    form's one-time token) taken out."""
    html = client.get(f"/supervision/reports/{report.pk}/").content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return html.replace(f"/reports/{report.pk}/", "/reports/N/").replace(f"#{report.pk}", "#N")


DEMANDS = [
    "省级文明社区测评",
    "协助开展爱国卫生运动和健康教育",
    "要求社区协税护税",
    "街道和市场监管局要求我们社区统计辖区企业并上报",
    "周末组织居民参加广场舞比赛",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    demand=st.sampled_from(DEMANDS),
    day=st.integers(min_value=1, max_value=20),
    explained=st.booleans(),
    then=st.sampled_from(["", "open", "dismiss"]),
    shared=st.booleans(),
)
def test_the_units_view_of_a_report_does_not_depend_on_the_reporters_community(
    client, world, economy, economy_staff, two_communities, demand, day, explained, then, shared
):
    office = world.user("minzheng")
    reports = []
    for secretary in two_communities:
        report = services.report_submit(
            actor=secretary,
            demanding_unit=economy,
            demand=demand,
            demanded_on=date(2026, 11, day),
            reveal_reporter=False,
        )
        services.report_triage(report=report, actor=office, decision="ask", note="请说明为何下派此项工作")
        if explained:
            services.report_explain(report=report, actor=economy_staff, explanation="已停止下派")
            if then:
                services.report_triage(report=report, actor=office, decision=then, note="已核实", internal=not shared)
        reports.append(BurdenReport.objects.get(pk=report.pk))
    first, second = reports
    assert first.community != second.community
    assert selectors.report_as_seen_by_unit(first) == selectors.report_as_seen_by_unit(second)
    client.force_login(economy_staff)
    assert _unit_page(client, first) == _unit_page(client, second)
    listed = client.get("/supervision/reports/").content.decode()
    assert "牛沙路社区" not in listed and "五福桥社区" not in listed


def test_the_check_answer_for_the_community_is_not_what_the_unit_reads(world, economy, two_communities):
    """The two reports' own check answers differ (the premise of the property above), the unit's views do not."""
    office = world.user("minzheng")
    reports = [
        services.report_submit(
            actor=secretary, demanding_unit=economy, demand="省级文明社区测评", demanded_on=ON, reveal_reporter=False
        )
        for secretary in two_communities
    ]
    assert reports[0].check_result["verdict"] != reports[1].check_result["verdict"]
    for report in reports:
        services.report_triage(report=report, actor=office, decision="ask", note="请说明")
    views = [selectors.report_as_seen_by_unit(BurdenReport.objects.get(pk=r.pk)) for r in reports]
    assert views[0] == views[1] and views[0].reading[0].title == "省级文明社区测评"


@pytest.fixture
def report(world, economy):
    return services.report_submit(
        actor=world.user("shuji"),
        demanding_unit=economy,
        demand="街道和市场监管局要求我们社区统计辖区企业并上报",
        demanded_on=date(2026, 11, 2),
        reveal_reporter=False,
    )


def test_a_case_opened_directly_stays_with_the_office_and_internal_notes_stay_internal(
    client, world, economy_staff, report
):
    office = world.user("minzheng")
    client.force_login(economy_staff)
    services.report_triage(report=report, actor=office, decision="open", note="内部：拟约谈该局负责人")
    assert client.get(f"/supervision/reports/{report.pk}/").status_code == 404
    assert list(client.get("/supervision/reports/").context["page"]) == []
    assert not selectors.reports_visible_to(economy_staff).exists()

    other = services.report_submit(
        actor=world.user("shuji"),
        demanding_unit=report.demanding_unit,
        demand="要求社区协税护税",
        demanded_on=date(2026, 11, 3),
        reveal_reporter=False,
    )
    services.report_triage(report=other, actor=office, decision="ask", note="请说明依据")
    services.report_explain(report=other, actor=economy_staff, explanation="系误会")
    services.report_triage(report=other, actor=office, decision="open", note="内部：说明不成立，立案")
    page = client.get(f"/supervision/reports/{other.pk}/").content.decode()
    assert "请说明依据" in page and "系误会" in page  # what it was asked and what it answered
    assert "说明不成立" not in page  # the note marked internal, never

    services.report_triage(report=report, actor=office, decision="ask", note="请说明为何下派")
    page = client.get(f"/supervision/reports/{report.pk}/").content.decode()
    assert "请说明为何下派" in page and "拟约谈" not in page


def test_a_note_the_office_shares_is_read_by_the_unit(client, world, economy_staff, report):
    office = world.user("minzheng")
    services.report_triage(report=report, actor=office, decision="ask", note="请说明")
    services.report_explain(report=report, actor=economy_staff, explanation="已停止")
    services.report_triage(report=report, actor=office, decision="dismiss", note="说明成立，结案", internal=False)
    client.force_login(economy_staff)
    assert "说明成立，结案" in client.get(f"/supervision/reports/{report.pk}/").content.decode()


def test_a_units_compliance_page_shows_only_findings_the_office_confirmed(client, world, economy, economy_staff):
    proposed = Finding.objects.create(
        district=economy.district,
        unit=economy,
        kind=Finding.Kind.ASSESSMENT,
        description="系统提出：评比次数超过上限（待核实）",
        state=Finding.State.PROPOSED,
        proposal_key="test-proposed",
    )
    services.finding_record(actor=world.user("minzheng"), unit=economy, kind="other", description="已核实的问题")
    for user in (economy_staff, world.user("minzheng"), world.user("shenji")):
        client.force_login(user)
        page = client.get(f"/supervision/units/{economy.pk}/").content.decode()
        assert "已核实的问题" in page and "待核实" not in page, user.username
    services.finding_decide(finding=proposed, actor=world.user("minzheng"), confirm=True)
    assert "待核实" in client.get(f"/supervision/units/{economy.pk}/").content.decode()


# --- One way to change state: the table, who/when/why, 409 for a wrong state -----------------------------------


def test_every_report_transition_records_who_when_and_why(world, economy_staff, report):
    office = world.user("minzheng")
    services.report_triage(report=report, actor=office, decision="ask", note="请说明")
    services.report_explain(report=report, actor=economy_staff, explanation="已停止")
    history = [(e.action, e.from_state, e.to_state, e.actor, e.note) for e in services.REPORT.history(report)]
    assert history == [
        ("ask", "new", "explanation_requested", office, "请说明"),
        ("explain", "explanation_requested", "explained", economy_staff, ""),
    ]


def test_a_wrong_state_answers_409_on_every_supervision_page(client, world, economy, economy_staff, report):
    office = world.user("minzheng")
    client.force_login(office)
    url = f"/supervision/reports/{report.pk}/triage/"
    assert client.post(url, {"decision": "dismiss", "note": "不属实"}).status_code == 302
    again = client.post(url, {"decision": "ask", "note": "请说明"})
    assert again.status_code == 409 and 'data-testid="triage"' not in again.content.decode()

    finding = services.finding_record(actor=office, unit=economy, kind="other", description="问题")
    finding.state = Finding.State.PROPOSED
    finding.save()
    assert client.post(f"/supervision/findings/{finding.pk}/", {"action": "confirm"}).status_code == 302
    assert client.post(f"/supervision/findings/{finding.pk}/", {"action": "dismiss"}).status_code == 409

    finding.refresh_from_db()
    notice = services.notice_issue(
        finding=finding, actor=office, title="关于区市场监管局的通报", body="限期改正", correct_by=date(2099, 1, 1)
    )
    client.force_login(economy_staff)
    answer = {"action": "answer", "answer": "已整改"}
    assert client.post(f"/notices/{notice.pk}/", answer).status_code == 302
    assert client.post(f"/notices/{notice.pk}/", answer).status_code == 409
    assert [e.action for e in services.NOTICE.history(notice)] == ["publish", "answer"]


def test_the_pages_offer_exactly_the_actions_the_tables_allow(client, world, economy_staff, report):
    office = world.user("minzheng")
    client.force_login(office)
    offered = set(
        re.findall(r'name="decision" value="(\w+)"', client.get(f"/supervision/reports/{report.pk}/").content.decode())
    )
    assert offered == {a.name for a in services.REPORT.actions(report)} & set(services.TRIAGE_ACTIONS)
    services.report_triage(report=report, actor=office, decision="ask", note="请说明")
    page = client.get(f"/supervision/reports/{report.pk}/").content.decode()
    assert 'name="decision"' not in page  # waiting for the unit: nothing to triage


def test_the_units_view_of_a_report_has_a_query_budget(
    client, world, economy_staff, report, django_assert_max_num_queries
):
    services.report_triage(report=report, actor=world.user("minzheng"), decision="ask", note="请说明")
    client.force_login(economy_staff)
    with django_assert_max_num_queries(12):
        assert client.get(f"/supervision/reports/{report.pk}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/supervision/reports/").status_code == 200
