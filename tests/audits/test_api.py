"""The supervision API: burden reports, assessments held, inspections, findings and notices.

It reads through the pages' selectors (every role's list is exactly the selector's scope), writes through the
pages' services (a wrong state is 409, bad input a 400 naming the field), and keeps the reporter of a burden
report anonymous to the demanding unit through every endpoint and filter.
"""

import json
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits import selectors, services
from audits.models import AssessmentHeld, BurdenReport, Finding, Notice
from catalog.models import Unit, User

pytestmark = pytest.mark.django_db
API = "/api/v1"
USERS = ["admin", "minzheng", "jiedao", "bumen", "shuji", "shenji", "shiju", "minzheng_jn", "shuji_sb", "chengguan"]


@pytest.fixture
def demo(world):
    from audits.demo import load_demo_audits

    load_demo_audits()
    return world


def _all_ids(client, url) -> list[int]:
    """Every id of a list, following its cursor to the end."""
    ids, page = [], url
    while page:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code, response.content[:300])
        body = response.json()
        ids += [row["id"] for row in body["results"]]
        page = body["next"]
    return ids


SCOPES = {
    "burden-reports": selectors.reports_visible_to,
    "assessments": selectors.assessments_visible_to,
    "inspections": selectors.inspections_visible_to,
    "findings": selectors.findings_visible_to,
    "notices": selectors.notices_visible_to,
}


@pytest.mark.parametrize("username", USERS)
def test_every_role_lists_exactly_what_the_pages_selectors_let_it_see(api_client, demo, username):
    from audits.demo import load_demo_audits

    load_demo_audits()
    user = User.objects.get(username=username)
    api_client.force_authenticate(user)
    for resource, visible_to in SCOPES.items():
        expected = sorted(visible_to(user).values_list("pk", flat=True), reverse=True)
        assert _all_ids(api_client, f"{API}/{resource}/?page_size=2") == expected, (username, resource)
        for pk in expected[:3]:
            assert api_client.get(f"{API}/{resource}/{pk}/").status_code == 200


def test_the_public_reads_published_notices_and_nothing_else(api_client, demo):
    published = Notice.objects.exclude(state=Notice.State.DRAFT)
    assert _all_ids(api_client, f"{API}/notices/") == sorted(published.values_list("pk", flat=True), reverse=True)
    for resource in ("burden-reports", "assessments", "inspections", "findings"):
        assert api_client.get(f"{API}/{resource}/").status_code in (401, 403)


# --- The reporter stays anonymous to the demanding unit ------------------------------------------------------


@pytest.fixture
def economy(world):
    return Unit.objects.get(name="区市场监督管理局", district=world.unit("锦江区"))


@pytest.fixture
def economy_staff(economy):
    return User.objects.create(username="scjg", role="department_staff", unit=economy, first_name="市场监管局 王")


@pytest.fixture
def second_secretary(world):
    return User.objects.create(
        username="shuji-wfq", role="secretary", unit=world.unit("五福桥社区"), first_name="五福桥 张书记"
    )


def _pdf(name="截图.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj\n%%EOF\n", content_type="application/pdf")


def _anonymous_report(world, economy, secretary, demand="市场监管局要求社区统计辖区企业并上报", day=2):
    office = world.user("minzheng")
    report = services.report_submit(
        actor=secretary,
        demanding_unit=economy,
        demand=demand,
        demanded_on=timezone.localdate() - timedelta(days=day),
        reveal_reporter=False,
        files=[_pdf()],
    )
    services.report_triage(report=report, actor=office, decision="ask", note="请说明依据")
    return BurdenReport.objects.get(pk=report.pk)


def test_the_demanding_unit_never_reads_the_reporter_through_any_endpoint_or_filter(
    api_client, world, economy, economy_staff, second_secretary
):
    secretary = world.user("shuji")
    office = world.user("minzheng")
    report = _anonymous_report(world, economy, secretary)
    finding = services.finding_record(
        actor=office, unit=economy, kind="unlisted_work", description="下派清单外工作。", burden_report=report
    )
    notice = services.notice_issue(
        finding=finding,
        actor=office,
        title="关于区市场监督管理局的通报",
        body="限期改正。",
        correct_by=timezone.localdate() + timedelta(days=7),
    )
    community = secretary.unit
    secrets = {community.name, community.full_name, secretary.username, "牛沙路", secretary.get_full_name() or "∅"}
    secrets |= {second_secretary.unit.name, second_secretary.username, second_secretary.first_name}
    secrets |= {report.evidence.get().name}
    api_client.force_authenticate(economy_staff)

    communities = list(Unit.objects.communities().filter(district=economy.district).values_list("pk", flat=True))
    urls = [
        f"{API}/burden-reports/",
        f"{API}/burden-reports/{report.pk}/",
        f"{API}/burden-reports/?state={report.state}",
        f"{API}/burden-reports/?demanding_unit={economy.pk}",
        f"{API}/burden-reports/?search=牛沙路",
        f"{API}/burden-reports/?ordering=community",
        f"{API}/burden-reports/?ordering=-reporter__username",
        f"{API}/burden-reports/?reporter={secretary.pk}",
        f"{API}/findings/",
        f"{API}/findings/{finding.pk}/",
        f"{API}/findings/?inspection=",
        f"{API}/notices/",
        f"{API}/notices/{notice.pk}/",
        f"{API}/notices/?mine=1",
        f"{API}/assessments/",
        f"{API}/inspections/",
    ] + [f"{API}/burden-reports/?community={pk}" for pk in communities]
    answers = {}
    for url in urls:
        response = api_client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        text = response.content.decode()
        assert not [s for s in secrets if s in text], (url, text[:500])
        answers[url] = response.json()

    listed = answers[f"{API}/burden-reports/"]["results"]
    assert [row["id"] for row in listed] == [report.pk]
    for row in (*listed, answers[f"{API}/burden-reports/{report.pk}/"]):
        assert row["community"] is None and row["community_name"] is None and row["reporter"] is None
        assert row["check_result"] is None and row["evidence"] is None
    detail = answers[f"{API}/burden-reports/{report.pk}/"]
    assert detail["unit_view"]["version"] and detail["question"] == "请说明依据"
    # Filtering by community tells nothing: the answer is the same for the reporter's community and any other.
    by_community = {json.dumps(answers[f"{API}/burden-reports/?community={pk}"]) for pk in communities}
    assert len(by_community) == 1 and json.loads(by_community.pop())["results"] == []
    assert api_client.get(f"{API}/burden-reports/?community=牛沙路社区").status_code == 400  # ids only
    # The finding does not say which report it came from.
    assert answers[f"{API}/findings/{finding.pk}/"]["burden_report"] is None
    # The evidence stays out of reach, and so does the report page's download.
    evidence = report.evidence.get()
    api_client.force_login(economy_staff)
    assert api_client.get(f"/supervision/reports/{report.pk}/evidence/{evidence.pk}/").status_code == 403

    # Explaining answers the unit's reading too, still without the reporter.
    response = api_client.post(f"{API}/burden-reports/{report.pk}/explain/", {"explanation": "已停止"}, format="json")
    assert response.status_code == 200
    assert not [s for s in secrets if s in response.content.decode()]
    assert response.json()["reporter"] is None and response.json()["community"] is None


def test_a_reporter_who_allowed_it_is_named_to_the_unit(api_client, world, economy, economy_staff):
    report = services.report_submit(
        actor=world.user("shuji"),
        demanding_unit=economy,
        demand="市场监管局要求社区统计辖区企业并上报",
        demanded_on=timezone.localdate(),
        reveal_reporter=True,
    )
    services.report_triage(report=report, actor=world.user("minzheng"), decision="ask", note="请说明")
    api_client.force_authenticate(economy_staff)
    row = api_client.get(f"{API}/burden-reports/?community={world.unit('牛沙路社区').pk}").json()["results"][0]
    assert row["community_name"] == "牛沙路社区" and row["reporter"] == world.user("shuji").get_full_name()
    assert row["check_result"] is None  # as on the list page: the check was computed for the community


def _comparable(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("id", "created_at")}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    demand=st.sampled_from(["省级文明社区测评", "要求社区协税护税", "市场监管局要求社区统计辖区企业并上报"]),
    day=st.integers(min_value=0, max_value=30),
    explained=st.booleans(),
    then=st.sampled_from(["", "open", "dismiss"]),
    shared=st.booleans(),
)
def test_what_the_unit_reads_through_the_api_does_not_depend_on_the_reporters_community(
    api_client, world, economy, economy_staff, second_secretary, demand, day, explained, then, shared
):
    bodies = []
    for secretary in (world.user("shuji"), second_secretary):
        report = _anonymous_report(world, economy, secretary, demand=demand, day=day)
        if explained:
            services.report_explain(report=report, actor=economy_staff, explanation="已停止下派")
            if then:
                services.report_triage(
                    report=report, actor=world.user("minzheng"), decision=then, note="已核实", internal=not shared
                )
        api_client.force_authenticate(economy_staff)
        detail = api_client.get(f"{API}/burden-reports/{report.pk}/").json()
        listed = [r for r in api_client.get(f"{API}/burden-reports/").json()["results"] if r["id"] == report.pk]
        bodies.append((_comparable(detail), [_comparable(r) for r in listed]))
    assert bodies[0] == bodies[1]


# --- Writes through the pages' services ---------------------------------------------------------------------


def test_a_secretary_files_a_report_with_evidence_and_bad_fields_are_named(api_client, world, economy):
    api_client.force_authenticate(world.user("shuji"))
    today = timezone.localdate()
    response = api_client.post(
        f"{API}/burden-reports/",
        {
            "demanding_unit": economy.pk,
            "demand": "要求社区统计企业",
            "demanded_on": str(today),
            "evidence": [_pdf()],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["community_name"] == "牛沙路社区" and body["evidence"] == ["截图.pdf"] and body["state"] == "new"
    assert body["check_result"]["verdict"]

    other = Unit.objects.get(name="区卫生健康局", district=world.unit("金牛区"))
    response = api_client.post(
        f"{API}/burden-reports/",
        {"demanding_unit": other.pk, "demand": " ", "demanded_on": str(today + timedelta(days=2))},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"demand"}  # the serializer refuses a blank text first
    response = api_client.post(
        f"{API}/burden-reports/",
        {"demanding_unit": other.pk, "demand": "要求", "demanded_on": str(today + timedelta(days=2))},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()) == {"demanding_unit", "demanded_on"}
    assert BurdenReport.objects.count() == 1

    api_client.force_authenticate(world.user("bumen"))
    response = api_client.post(
        f"{API}/burden-reports/",
        {"demanding_unit": economy.pk, "demand": "要求", "demanded_on": str(today)},
        format="json",
    )
    assert response.status_code == 403


def test_triage_and_explanation_follow_the_reports_states(api_client, world, economy, economy_staff):
    report = services.report_submit(
        actor=world.user("shuji"),
        demanding_unit=economy,
        demand="要求社区统计企业",
        demanded_on=timezone.localdate(),
        reveal_reporter=False,
    )
    api_client.force_authenticate(economy_staff)
    assert api_client.get(f"{API}/burden-reports/{report.pk}/").status_code == 404  # not asked yet

    api_client.force_authenticate(world.user("minzheng"))
    url = f"{API}/burden-reports/{report.pk}"
    response = api_client.post(f"{url}/triage/", {"decision": "ask", "note": ""}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    response = api_client.post(f"{url}/triage/", {"decision": "ask", "note": "请说明"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "explanation_requested"
    response = api_client.post(f"{url}/triage/", {"decision": "dismiss", "note": "驳回"}, format="json")
    assert response.status_code == 409 and "已要求单位说明" in response.json()["detail"]  # says the state it is in
    assert api_client.post(f"{url}/explain/", {"explanation": "x"}, format="json").status_code == 403

    api_client.force_authenticate(economy_staff)
    assert api_client.post(f"{url}/triage/", {"decision": "open", "note": "x"}, format="json").status_code == 403
    response = api_client.post(f"{url}/explain/", {"explanation": "已停止"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "explained"
    assert api_client.post(f"{url}/explain/", {"explanation": "再次"}, format="json").status_code == 409


def test_a_unit_records_an_assessment_and_the_community_confirms_or_disputes_it(api_client, world):
    community = world.unit("牛沙路社区")
    api_client.force_authenticate(world.user("jiedao"))
    held_on = str(timezone.localdate() - timedelta(days=1))
    response = api_client.post(f"{API}/assessments/", {"community": community.pk, "held_on": held_on}, format="json")
    assert response.status_code == 400 and "title" in response.json()
    response = api_client.post(
        f"{API}/assessments/", {"community": community.pk, "held_on": held_on, "item": 999999999}, format="json"
    )
    assert response.status_code == 400 and "item" in response.json()
    outside = Unit.objects.communities().filter(district=world.unit("金牛区")).first()
    response = api_client.post(
        f"{API}/assessments/", {"community": outside.pk, "held_on": held_on, "title": "评比"}, format="json"
    )
    assert response.status_code == 400 and "community" in response.json()
    first, second = (
        api_client.post(
            f"{API}/assessments/", {"community": community.pk, "held_on": held_on, "title": t}, format="json"
        ).json()
        for t in ("卫生评比", "文明评比")
    )
    assert first["is_finding"] and first["state"] == "entered"

    assert api_client.post(f"{API}/assessments/{first['id']}/confirm/").status_code == 403
    api_client.force_authenticate(world.user("shuji"))
    assert api_client.post(f"{API}/assessments/{first['id']}/confirm/").json()["state"] == "confirmed"
    assert api_client.post(f"{API}/assessments/{first['id']}/confirm/").status_code == 409
    response = api_client.post(f"{API}/assessments/{second['id']}/dispute/", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = api_client.post(f"{API}/assessments/{second['id']}/dispute/", {"reason": "未举行"}, format="json")
    assert response.status_code == 200 and response.json()["dispute_reason"] == "未举行"
    assert AssessmentHeld.objects.get(pk=second["id"]).state == AssessmentHeld.State.DISPUTED
    assert _all_ids(api_client, f"{API}/assessments/?findings=1") == [second["id"], first["id"]]


def test_the_office_records_inspections_and_findings_and_notifies_and_the_unit_answers(
    api_client, world, economy, economy_staff
):
    from approvals.models import Application

    api_client.force_authenticate(world.user("minzheng"))
    planned = str(timezone.localdate())
    response = api_client.post(
        f"{API}/inspections/", {"unit": economy.pk, "title": "专项督查", "planned_on": planned}, format="json"
    )
    assert response.status_code == 201, response.content
    inspection = response.json()["id"]
    outside = Unit.objects.get(name="区卫生健康局", district=world.unit("金牛区"))
    response = api_client.post(
        f"{API}/inspections/", {"unit": outside.pk, "title": "督查", "planned_on": planned}, format="json"
    )
    assert response.status_code == 400 and "unit" in response.json()

    foreign_application = Application.objects.create(
        district=outside.district,
        applicant_unit=outside,
        created_by=world.user("minzheng_jn"),
        title="他区申请",
        start_date=timezone.localdate(),
    )
    body = {"unit": economy.pk, "kind": "unlisted_work", "description": "下派清单外工作。", "inspection": inspection}
    response = api_client.post(f"{API}/findings/", {**body, "application": foreign_application.pk}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"application"}
    response = api_client.post(f"{API}/findings/", {**body, "kind": "?", "description": ""}, format="json")
    assert response.status_code == 400 and {"kind", "description"} <= set(response.json())
    response = api_client.post(f"{API}/findings/", body, format="json")
    assert response.status_code == 201 and response.json()["inspection_title"] == "专项督查"
    finding = response.json()["id"]
    assert api_client.post(f"{API}/findings/{finding}/dismiss/").status_code == 409  # recorded confirmed

    deadline = str(timezone.localdate() + timedelta(days=10))
    notice_body = {"title": "通报", "body": "限期改正。", "correct_by": str(timezone.localdate())}
    response = api_client.post(f"{API}/findings/{finding}/notice/", notice_body, format="json")
    assert response.status_code == 400 and "correct_by" in response.json()
    response = api_client.post(
        f"{API}/findings/{finding}/notice/", {**notice_body, "correct_by": deadline}, format="json"
    )
    assert response.status_code == 201
    notice = response.json()["id"]
    assert response.json()["state"] == "published" and response.json()["unit_name"] == "区市场监督管理局"

    assert api_client.post(f"{API}/notices/{notice}/close/", {"verification": "核实"}, format="json").status_code == 409
    assert api_client.post(f"{API}/notices/{notice}/answer/", {"answer": "改"}, format="json").status_code == 403
    api_client.force_authenticate(economy_staff)
    assert api_client.get(f"{API}/inspections/").json()["results"] == []  # a visit may be unannounced
    assert api_client.post(f"{API}/notices/{notice}/answer/", {"answer": ""}, format="json").status_code == 400
    response = api_client.post(f"{API}/notices/{notice}/answer/", {"answer": "已停止下派"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "answered"
    assert api_client.post(f"{API}/notices/{notice}/answer/", {"answer": "再"}, format="json").status_code == 409
    api_client.force_authenticate(world.user("minzheng"))
    response = api_client.post(f"{API}/notices/{notice}/reopen/", {"verification": "未改正"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "published"


def test_a_proposed_finding_is_confirmed_once(api_client, world, economy):
    finding = Finding.objects.create(
        district=economy.district, unit=economy, kind="other", description="系统提出", state=Finding.State.PROPOSED
    )
    api_client.force_authenticate(world.user("shenji"))
    assert api_client.post(f"{API}/findings/{finding.pk}/confirm/").status_code == 403
    api_client.force_authenticate(world.user("minzheng"))
    assert api_client.post(f"{API}/findings/{finding.pk}/confirm/").json()["state"] == "confirmed"
    assert api_client.post(f"{API}/findings/{finding.pk}/confirm/").status_code == 409
    api_client.force_authenticate(world.user("minzheng_jn"))
    assert api_client.post(f"{API}/findings/{finding.pk}/confirm/").status_code == 404


# --- Findings name their application and contract by foreign key -------------------------------------------


def test_a_finding_refers_to_its_application_and_contract_of_the_same_district(world, economy):
    from django.core.exceptions import ValidationError

    from approvals.models import Application

    office = world.user("minzheng")
    own = Application.objects.create(
        district=economy.district, applicant_unit=economy, created_by=office, title="本区申请", start_date=date.today()
    )
    finding = services.finding_record(
        actor=office, unit=economy, kind="other", description="有关申请。", application=own
    )
    assert finding.application == own and list(own.findings.all()) == [finding]
    outside = Unit.objects.get(name="区卫生健康局", district=world.unit("金牛区"))
    foreign = Application.objects.create(
        district=outside.district, applicant_unit=outside, created_by=office, title="他区申请", start_date=date.today()
    )
    with pytest.raises(ValidationError) as refused:
        services.finding_record(actor=office, unit=economy, kind="other", description="x", application=foreign)
    assert set(refused.value.message_dict) == {"application"}


# --- Query budgets: bounded, and the same with more rows ------------------------------------------------------


def _supervision_rows(world, economy, economy_staff, n: int) -> dict:
    """n of everything the supervision API lists, in 锦江区, each reaching every reader of the test below."""
    office, secretary, street = world.user("minzheng"), world.user("shuji"), world.user("jiedao")
    today = timezone.localdate()
    last = {}
    for i in range(n):
        report = services.report_submit(
            actor=secretary,
            demanding_unit=economy,
            demand=f"要求社区统计辖区企业（第{i}次）",
            demanded_on=today,
            reveal_reporter=i % 2 == 0,
            files=[_pdf(f"截图{i}.pdf")],
        )
        services.report_triage(report=report, actor=office, decision="ask", note="请说明")
        inspection = services.inspection_plan(actor=office, unit=economy, title=f"督查{i}", planned_on=today)
        held = services.assessment_enter(actor=street, community=secretary.unit, title=f"评比{i}", held_on=today)
        finding = services.finding_record(
            actor=office,
            unit=economy,
            kind="unlisted_work",
            description=f"清单外工作{i}",
            inspection=inspection,
            burden_report=report,
        )
        notice = services.notice_issue(
            finding=finding, actor=office, title=f"通报{i}", body="限期改正。", correct_by=today + timedelta(days=5)
        )
        last = {"burden-reports": report, "inspections": inspection, "assessments": held, "findings": finding}
        last["notices"] = notice
    return last


READERS = {  # who reads each list in the test below (each sees the rows _supervision_rows makes)
    "burden-reports": ["minzheng", "shuji", "scjg"],
    "assessments": ["minzheng", "shuji", "jiedao"],
    "inspections": ["minzheng", "shenji"],
    "findings": ["minzheng", "scjg"],
    "notices": [None, "minzheng", "scjg"],
}
API_BOUND = 6  # the session and the user (2), then the rows in one query and what a reader's scope needs


def _counts(client, world, last) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for resource, usernames in READERS.items():
        for username in usernames:
            client.logout()
            if username:
                client.force_login(User.objects.get(username=username))
            for url in (f"{API}/{resource}/", f"{API}/{resource}/{last[resource].pk}/"):
                client.get(url)
                with CaptureQueriesContext(connection) as context:
                    status = client.get(url).status_code
                assert status == 200, (username, url, status)
                counts[(username, url.replace(str(last[resource].pk), "N"))] = len(context)
    return counts


def test_the_supervision_api_costs_the_same_with_more_rows(client, world, economy, economy_staff):
    few = _counts(client, world, _supervision_rows(world, economy, economy_staff, 2))
    many = _counts(client, world, _supervision_rows(world, economy, economy_staff, 12))
    assert few == many
    assert max(few.values()) <= API_BOUND, few


def test_the_finding_form_refuses_an_application_of_another_district_and_saves_nothing(client, world, economy):
    from approvals.models import Application

    outside = Unit.objects.get(name="区卫生健康局", district=world.unit("金牛区"))
    foreign = Application.objects.create(
        district=outside.district,
        applicant_unit=outside,
        created_by=world.user("minzheng_jn"),
        title="他区申请",
        start_date=date.today(),
    )
    client.cookies["django_language"] = "en"
    client.force_login(world.user("minzheng"))
    form = {"unit": economy.pk, "kind": "other", "description": "有关申请。", "application": foreign.pk}
    response = client.post("/supervision/findings/new/", form, follow=True)
    assert f"No application #{foreign.pk} in 锦江区." in response.content.decode()
    assert not Finding.objects.filter(description="有关申请。").exists()
    own = Application.objects.create(
        district=economy.district,
        applicant_unit=economy,
        created_by=world.user("minzheng"),
        title="本区申请",
        start_date=date.today(),
    )
    response = client.post("/supervision/findings/new/", {**form, "application": own.pk})
    finding = Finding.objects.get(description="有关申请。")
    assert response.status_code == 302 and finding.application == own
    page = client.get(f"/supervision/findings/{finding.pk}/").content.decode()
    assert f'href="/applications/{own.pk}/"' in page
