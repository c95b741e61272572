"""Regressions for what a second reading of the code found: scope leaks, wrong pairings, stranded work, 500s."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals import services as approvals
from audits import services as audits
from audits.models import AuditEntry
from catalog import services as catalog
from catalog.models import Unit
from funding import services as funding
from tests.approvals.conftest import applicant, file_application, office  # noqa: F401 (fixtures)
from tests.funding.conftest import health, health_item, make_contract, payer_user  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_an_auditor_reads_only_the_trail_of_their_district(client, world):
    other = Unit.objects.get(name="区市场监督管理局", district=world.unit("市北区"))
    audits.report_submit(
        actor=world.user("shuji_sb"),
        demanding_unit=other,
        demand="青岛秘密投诉内容",
        demanded_on=date(2026, 11, 1),
        reveal_reporter=False,
    )
    assert AuditEntry.objects.filter(object_type="audits_burdenreport").exists()
    client.force_login(world.user("shenji"))
    body = b"".join(client.get("/supervision/trail/export.csv").streaming_content).decode()
    assert "青岛秘密投诉内容" not in body
    client.force_login(world.user("admin"))
    body = b"".join(client.get("/supervision/trail/export.csv").streaming_content).decode()
    assert "青岛秘密投诉内容" in body


def test_a_forged_forwarded_for_header_is_not_written_into_the_trail(client, world):
    client.post(
        "/accounts/login/",
        {"username": "shuji", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="8.8.8.8|" + "x" * 60,
        REMOTE_ADDR="10.0.0.7",
    )
    assert AuditEntry.objects.filter(action="login_failed").latest("id").source_ip == "10.0.0.7"


def test_only_the_units_own_urgent_item_can_be_regularised(world, file_application, applicant, office):
    urgent = file_application(is_urgent=True, urgency_justification="防汛", start_date=date(2026, 12, 1))
    approvals.application_submit(application=urgent, actor=applicant, today=date(2026, 11, 23))
    street = world.user("jiedao")
    with pytest.raises(ValidationError):
        approvals.application_save(
            actor=street,
            title="转常规",
            reason="r",
            requested_list="assistance",
            workload="w",
            start_date=date(2027, 3, 1),
            regularises=urgent,
        )


def test_a_regularising_application_is_approved_after_the_urgent_item_lapsed(
    world, file_application, applicant, office
):
    urgent = file_application(is_urgent=True, urgency_justification="防汛", start_date=date(2026, 12, 1))
    approvals.application_submit(application=urgent, actor=applicant, today=date(2026, 11, 23))
    approvals.urgent_decide(application=urgent, actor=office, approve=True)
    regular = file_application(
        title="协助开展防汛排查（常规）",
        regularises=urgent,
        scope="communities",
        scope_communities=[world.unit("牛沙路社区")],
        start_date=date(2027, 3, 1),
    )
    approvals.application_submit(application=regular, actor=applicant, today=date(2026, 12, 1))
    approvals.expedited_lapse(today=date(2027, 1, 2))  # the half-year ended before the committee met
    regular.refresh_from_db()
    approvals.batch_open_consultation(batch=regular.batch)
    for ballot in regular.ballots.select_related("unit"):
        voter = world.user("shuji") if ballot.unit.kind == "community" else world.user("jiedao")
        approvals.ballot_cast(ballot=ballot, actor=voter, vote="agree", today=date(2027, 1, 10))
    approvals.batch_tally(batch=regular.batch)
    approvals.office_review(application=regular, actor=office, opinion="转为常规")
    approvals.committee_decide(application=regular, actor=office, approve=True, minutes="同意")
    urgent.refresh_from_db()
    assert urgent.state == "regularised"


def test_a_batch_opened_early_sends_new_applications_to_the_next_one(file_application, applicant, office):
    first = file_application()
    approvals.application_submit(application=first, actor=applicant, today=date(2026, 12, 1))
    first.refresh_from_db()
    approvals.batch_open_consultation(batch=first.batch, actor=office)
    later = file_application(title="协助开展第二项工作", start_date=date(2027, 9, 1))
    approvals.application_submit(application=later, actor=applicant, today=date(2026, 12, 20))
    later.refresh_from_db()
    assert (later.batch.year, later.batch.month) == (2027, 7)


def test_a_contract_funds_only_items_of_the_payers_published_catalogue(world):
    payer = Unit.objects.get(name="区卫生健康局", district=world.unit("锦江区"))
    draft = catalog.draft_start(district=world.unit("金牛区"), actor=world.user("minzheng_jn"))
    secret = catalog.item_save(
        draft=draft,
        actor=world.user("minzheng_jn"),
        list="assistance",
        type="work_task",
        title="机密草稿事项XYZ",
        delegating_unit="区民政局",
        standard_funding=Decimal("1"),
    )
    with pytest.raises(ValidationError) as excinfo:
        funding.contract_create(
            actor=world.user("bumen"),
            payer=payer,
            number="X-1",
            item=secret,
            communities=[world.unit("牛沙路社区")],
            amount_per_community=Decimal("100"),
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            schedule=[(date(2026, 6, 30), Decimal(100))],
        )
    assert "item" in excinfo.value.message_dict


def test_instalment_amounts_follow_their_due_dates_whatever_the_order_entered(make_contract):
    contract = make_contract(amount="1000.00", schedule=((date(2026, 9, 30), 70), (date(2026, 3, 31), 30)))
    rows = list(
        contract.instalments.filter(community__name="牛沙路社区").order_by("due_on").values_list("due_on", "amount")
    )
    assert rows == [(date(2026, 3, 31), Decimal("300.00")), (date(2026, 9, 30), Decimal("700.00"))]


def test_a_secretarys_ocds_export_holds_only_their_community(client, world, make_contract, payer_user):
    contract = make_contract()
    funding.contract_sign(
        contract=contract,
        actor=payer_user,
        today=date(2026, 11, 23),
        document=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF"),
    )
    client.force_login(world.user("shuji"))
    data = json.loads(client.get(f"/funding/contracts/{contract.pk}/ocds.json").content)
    assert {m["title"].split(" ")[0] for m in data["contracts"][0]["milestones"]} == {"牛沙路社区"}
    api = client.get(f"/api/v1/contracts/{contract.pk}/").json()
    assert {i["community_name"] for i in api["instalments"]} == {"牛沙路社区"}


def test_a_stale_draft_cannot_change_a_published_version(world):
    jinjiang, minzheng = world.unit("锦江区"), world.user("minzheng")
    draft = catalog.draft_start(district=jinjiang, actor=minzheng)
    catalog.version_publish(draft=draft, actor=minzheng, effective_from=date(2027, 1, 1))
    with pytest.raises(catalog.CatalogueError):
        catalog.items_replace(draft=draft, actor=minzheng, rows=[], lists={"duties"})
    assert draft.items.filter(list="duties").count() == 11


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("shenji", "/supervision/trail/?since=abc"),
        ("admin", "/catalogue/compare/?city=abc"),
        ("shuji", "/api/v1/items/?version=99999999999999999999999"),
        ("shuji", "/api/v1/items/?district=99999999999999999999999"),
    ],
)
def test_bad_query_strings_get_an_answer_not_a_crash(client, world, username, url):
    client.force_login(world.user(username))
    assert client.get(url).status_code in (200, 400, 404)


def test_reversing_with_a_bad_payment_id_is_an_error_message(client, world, make_contract):
    contract = make_contract()
    client.force_login(world.user("bumen"))
    response = client.post(f"/funding/contracts/{contract.pk}/reverse/", {"payment": "abc"}, follow=True)
    assert response.status_code == 200 and [m.level_tag for m in response.context["messages"]] == ["error"]


# --- A second reading of the performance and security change ------------------------------------------------


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_added(client, world, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    client.post(
        "/accounts/login/",
        {"username": "shuji", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",  # the client wrote the first, the proxy appended the last
        REMOTE_ADDR="10.0.0.7",
    )
    assert AuditEntry.objects.filter(action="login_failed").latest("id").source_ip == "203.0.113.9"


def test_a_reader_cannot_slip_past_the_write_guard_with_a_lowercase_token(client, world):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world.user("shenji"))
    response = client.post(
        "/api/v1/payments/", {}, content_type="application/json", HTTP_AUTHORIZATION=f"token  {token.key}"
    )
    assert response.status_code == 403 and "不能修改" in response.json()["detail"]


def test_a_token_of_a_role_that_must_use_two_factors_but_has_none_is_refused(client, world, settings):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world.user("minzheng"))  # issued before the requirement was set
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    settings.TWO_FACTOR_REQUIRED_ROLES = ["civil_affairs", "admin"]
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code in (401, 403)


def test_searches_with_parameters_the_view_does_not_read_are_not_cached(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    district = world.unit("锦江区")
    url = f"/catalogue/{district.pk}/?q=低保"

    def queries(path):
        with CaptureQueriesContext(connection) as context:
            assert client.get(path).status_code == 200
        return len(context)

    queries(url)
    assert queries(url) == 0  # the whole page is kept for visitors who are not signed in (catalog.answers)
    queries(url + "&junk=1")
    assert queries(url + "&junk=1") > 3  # computed again: a key of whatever a caller sends would fill the cache
