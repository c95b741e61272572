"""The audit trail as auditors read it: who, what in Chinese, when in Beijing time, from where, each changed field
before and after; filters as choices; exports in CSV and XLSX; the same reading in the API."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from audits import trail, trail_view
from audits.models import AuditEntry
from catalog.demo import DEMO_PASSWORD
from catalog.models import Unit
from catalog.selectors import version_in_force
from funding import services as funding

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"
BEIJING = ZoneInfo("Asia/Shanghai")

# What an auditor must never read: the tables the trail is written from and the triggers' verbs.
RAW_VERBS = re.compile(r"\b(insert|update|delete|login_failed|locked_out|session_expired|token_issued)\b", re.I)


def _raw_codes(text: str) -> set[str]:
    tables = set(trail.audited_tables()) | {"audits_auditentry", "catalog_user", "funding_payment"}
    found = {table for table in tables if table in text}
    return found | {match.group(0) for match in RAW_VERBS.finditer(text)}


def _signed_contract(world, *, number: str, schedule):
    """A signed contract of 区卫生健康局 for two communities, 1,800.00 元 each a year."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    jinjiang = world.unit("锦江区")
    item = version_in_force(district_id=jinjiang.pk, on=date(2026, 11, 1)).items.get(
        title="协助开展爱国卫生运动和健康教育"
    )
    payer = world.user("bumen")
    made = funding.contract_create(
        actor=payer,
        payer=Unit.objects.get(name="区卫生健康局", district=jinjiang),
        number=number,
        item=item,
        communities=[world.unit("牛沙路社区"), world.unit("五福桥社区")],
        amount_per_community=Decimal("1800.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=schedule,
    )
    document = SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n", content_type="application/pdf")
    return funding.contract_sign(contract=made, actor=payer, document=document)


@pytest.fixture
def contract(world):
    return _signed_contract(world, number="WJ-2026-088", schedule=[(date(2026, 9, 30), Decimal(100))])


@pytest.fixture
def contract_by_month(world):
    """Paid in six instalments a community: twelve payments to record."""
    shares = zip(range(2, 8), (20, 20, 20, 20, 10, 10), strict=True)
    return _signed_contract(
        world, number="WJ-2026-089", schedule=[(date(2026, month, 28), Decimal(share)) for month, share in shares]
    )


def _pay(client, world, contract, voucher="记-2026-0901", ip="10.8.0.7", instalment=None):
    instalment = instalment or contract.instalments.order_by("community__name", "due_on", "id").first()
    client.force_login(world.user("bumen"))
    body = {"instalment": instalment.pk, "amount": str(instalment.amount), "paid_on": "2026-09-20", "voucher": voucher}
    response = client.post(f"/funding/contracts/{contract.pk}/pay/", body | {"note": ""}, REMOTE_ADDR=ip)
    assert response.status_code == 302, response.status_code
    return instalment


def _line(entry) -> trail_view.Line:
    return trail_view.describe([entry])[0]


def test_a_payment_reads_who_what_when_from_where_with_a_link_and_its_fields(client, world, contract):
    instalment = _pay(client, world, contract)
    entry = AuditEntry.objects.filter(object_type="funding_payment", action="insert").latest("id")
    line = _line(entry)
    bumen = world.user("bumen")
    assert (line.who, line.unit, line.ip) == (bumen.get_full_name(), "锦江区 区卫生健康局", "10.8.0.7")
    assert line.summary.startswith("记录付款 1,800.00 元，凭证号 记-2026-0901")
    assert instalment.community.name in line.summary and "WJ-2026-088" in line.summary
    assert line.url == f"/funding/contracts/{contract.pk}/"
    assert line.at.tzinfo is not None and line.at.utcoffset() == timedelta(hours=8)
    fields = {change.field: (change.before, change.after) for change in line.changes}
    assert fields["金额"] == ("—", "1,800.00 元")
    assert fields["付款日期"] == ("—", "2026-09-20")
    assert fields["出资单位"] == ("—", "区卫生健康局")  # a foreign key by the object's name
    assert (line.action, line.object) == ("新建", "付款")


@pytest.mark.skipif(not POSTGRES, reason="the triggers keep the value before a change (CI runs PostgreSQL)")
def test_a_change_lists_each_changed_field_before_and_after_in_words(client, world):
    jinjiang = world.unit("锦江区")
    client.force_login(world.user("minzheng"))
    form = {
        "pass_threshold_percent": "65",
        "pass_rate_basis": "consulted",
        "first_batch_month": "1",
        "second_batch_month": "7",
        "expedited_notice_working_days": "3",
        "intake_close_day": "5",
        "consultation_end_day": "20",
        "committee_day": "28",
    }
    client.post(f"/districts/{jinjiang.pk}/policy/", form, REMOTE_ADDR="10.1.2.3")
    line = _line(AuditEntry.objects.filter(object_type="catalog_districtpolicy", action="update").latest("id"))
    assert line.summary == "修改区准入规则「锦江区」"
    assert [(c.field, c.before, c.after) for c in line.changes] == [("征求意见通过率门槛（%）", "60%", "65%")]
    assert line.url == f"/districts/{jinjiang.pk}/policy/"


def test_publishing_a_catalogue_and_submitting_an_application_read_as_those_steps(world):
    version = AuditEntry.objects.filter(object_type="catalog_catalogueversion", action="update").order_by("id")
    published = [_line(e).summary for e in version if (e.after or {}).get("state") == "published"]
    # SQLite's signals keep no value before a change: a step is told from its before and after on PostgreSQL only.
    assert published and all(
        summary.startswith("发布目录「" if POSTGRES else "修改清单版本「") for summary in published
    )
    from approvals import services as approvals

    jinjiang, applicant = world.unit("锦江区"), world.user("bumen")
    application = approvals.application_save(
        actor=applicant,
        scope_streets=None,
        scope_communities=None,
        title="协助开展老年人健康体检组织工作",
        reason="国家基本公共卫生服务项目要求65岁以上老年人每年体检一次，需要社区通知和组织居民。",
        basis_document="国家基本公共卫生服务规范（第三版）",
        requested_list="assistance",
        item_type="work_task",
        scope="all",
        workload="每社区每年约5个工作日",
        start_date=date(2027, 3, 1),
        payer=Unit.objects.get(name="区卫生健康局", district=jinjiang),
        amount_per_community=Decimal("1200.00"),
    )
    approvals.application_submit(application=application, actor=applicant, today=date(2026, 12, 1))
    entry = AuditEntry.objects.filter(object_type="approvals_application", object_id=str(application.pk)).latest("id")
    if POSTGRES:  # SQLite's signals keep no value before the change
        assert _line(entry).summary == f"提交申请「{application.title}」"
    assert _line(entry).url == f"/applications/{application.pk}/"


def test_a_login_reads_as_a_login_and_its_sign_in_time_is_folded(client, world):
    client.post("/accounts/login/", {"username": "jiedao", "password": DEMO_PASSWORD}, REMOTE_ADDR="10.2.0.9")
    jiedao = world.user("jiedao")
    shown = list(trail_view.trail_entries(user=world.user("admin"), person=jiedao))
    assert [e.action for e in shown] == ["login"]
    assert _line(shown[0]).summary == "登录" and _line(shown[0]).who == jiedao.get_full_name()
    everything = list(trail_view.trail_entries(user=world.user("admin"), person=jiedao, routine=True))
    assert len(everything) == 2
    assert {_line(e).summary for e in everything} == {"登录", "登录（更新最近登录时间）"}


def test_the_trail_page_and_its_exports_show_no_table_names_or_raw_verbs(client, world, contract):
    _pay(client, world, contract)
    client.post("/accounts/login/", {"username": "shuji", "password": "wrong"})
    client.force_login(world.user("shuji"))
    client.get("/funding/report/")  # refused: a denied request in the trail
    client.force_login(world.user("admin"))
    pages = [client.get("/supervision/trail/", {"routine": "on"})]
    pages += [client.get("/supervision/trail/", {"object": kind}) for kind, _label in trail_view.object_kind_choices()]
    pages += [client.get("/supervision/trail/", {"action": kind}) for kind in trail_view.ActionKind.values]
    for page in pages:
        assert page.status_code == 200
        assert _raw_codes(page.content.decode()) == set(), page.request
    client.get("/supervision/trail/export.csv", {"action": "created"})  # an export, described in the next ones
    body = b"".join(client.get("/supervision/trail/export.csv", {"routine": "on"}).streaming_content).decode()
    assert _raw_codes(body) == set()
    workbook = load_workbook(io.BytesIO(b"".join(client.get("/supervision/trail/export.xlsx").streaming_content)))
    cells = " ".join(str(c) for row in workbook.active.iter_rows(values_only=True) for c in row if c is not None)
    assert _raw_codes(cells) == set()
    assert "记录付款 1,800.00 元" in body and "记录付款 1,800.00 元" in cells


def test_the_exports_have_chinese_headers_beijing_time_and_chinese_file_names(client, world, contract):
    _pay(client, world, contract)
    client.force_login(world.user("shenji"))
    response = client.get("/supervision/trail/export.csv", {"object": "funding.payment"})
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97" in response["Content-Disposition"]  # 审计日志
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "时间（北京时间）", "操作人"]
    entry = AuditEntry.objects.filter(object_type="funding_payment").latest("id")
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[str(entry.pk)][1] == entry.at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    response = client.get("/supervision/trail/export.xlsx", {"object": "funding.payment"})
    assert response["Content-Disposition"].endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert header[1] == "时间（北京时间）" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    row = next(line for line in lines if line[0] == entry.pk)
    assert row[1] == entry.at.astimezone(BEIJING).replace(tzinfo=None, microsecond=row[1].microsecond)
    exports = AuditEntry.objects.filter(action="export", actor="shenji").order_by("id")
    assert [e.note for e in exports] == ["object=funding.payment&format=csv", "object=funding.payment&format=xlsx"]
    assert _line(exports.last()).summary == "导出审计日志（XLSX），筛选条件：付款"


# --- Filters: choices, and every one of them holds ------------------------------------------------------------


def _matches(entry, filters, people_units) -> bool:
    if "person" in filters and entry.actor_id != filters["person"].pk:
        return False
    if "unit" in filters and people_units.get(entry.actor_id) != filters["unit"].pk:
        return False
    if "action" in filters and entry.action not in trail_view.KIND_ACTIONS[filters["action"]]:
        return False
    if "object" in filters and entry.object_type not in trail_view._tables_of_kind(filters["object"]):
        return False
    day = timezone.localtime(entry.at).date()
    if "since" in filters and day < filters["since"]:
        return False
    if "until" in filters and day > filters["until"]:
        return False
    return "routine" in filters or not trail_view._routine(entry)


@pytest.fixture
def busy_trail(client, world, contract):
    _pay(client, world, contract)
    for username in ("shenji", "jiedao", "shuji"):
        client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    client.post("/accounts/login/", {"username": "bumen", "password": "wrong"})
    return world


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_every_filter_keeps_exactly_the_entries_it_names(busy_trail, data):
    """For any combination of the filters' choices, the trail holds every visible entry that fits, and no other."""
    from catalog.models import User

    reader = busy_trail.user(data.draw(st.sampled_from(["shenji", "shiju", "admin"])))
    form = trail_view.TrailFilter(user=reader)
    today = timezone.localdate()
    choices = {
        "unit": list(form.fields["unit"].queryset),
        "person": list(form.fields["person"].queryset),
        "action": list(trail_view.ActionKind),
        "object": [value for value, _label in trail_view.object_kind_choices()],
        "since": [today - timedelta(days=1), today, today + timedelta(days=1)],
        "until": [today - timedelta(days=1), today, today + timedelta(days=1)],
        "routine": [True],
    }
    names = data.draw(st.sets(st.sampled_from(sorted(choices)), max_size=3))
    filters = {name: data.draw(st.sampled_from(choices[name])) for name in names if choices[name]}
    got = [e.pk for e in trail_view.trail_entries(user=reader, **filters)]
    visible = list(trail_view.trail_entries(user=reader, routine=True))
    people_units = dict(User.objects.values_list("pk", "unit_id"))
    expected = [e.pk for e in visible if _matches(e, filters, people_units)]
    assert got == expected, filters


def test_the_filters_are_choices_and_a_wrong_one_is_reported_not_obeyed(client, world):
    client.force_login(world.user("shenji"))
    page = client.get("/supervision/trail/").content.decode()
    for name in ("unit", "person", "action", "object"):
        assert re.search(rf'<select name="{name}"', page), name
    assert 'type="date" name="since"' in page and 'type="date" name="until"' in page
    refused = client.get("/supervision/trail/", {"since": "2026-12-31", "until": "2026-01-01", "person": "x"})
    assert refused.status_code == 200
    assert "截止日期早于起始日期" in refused.content.decode()
    jinniu = world.user("minzheng_jn")  # not a person of 锦江区: not a choice for its auditor
    assert client.get("/api/v1/trail/", {"person": jinniu.pk}).status_code == 400


# --- The API: the same readers, the same wording ------------------------------------------------------------


def test_the_api_reads_the_trail_as_the_page_does_in_the_readers_scope(client, world, contract):
    _pay(client, world, contract)
    client.force_login(world.user("shenji"))
    response = client.get("/api/v1/trail/", {"object": "funding.payment"})
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    first = body["results"][0]
    assert first["summary"].startswith("记录付款 1,800.00 元") and first["url"] == f"/funding/contracts/{contract.pk}/"
    assert first["at"].endswith("+08:00") and first["unit"] == "锦江区 区卫生健康局"
    assert {"field": "金额", "before": "—", "after": "1,800.00 元"} in first["changes"]
    page = client.get("/supervision/trail/", {"object": "funding.payment"}).content.decode()
    assert first["summary"] in page.replace("&#x27;", "'")
    jinjiang = world.unit("锦江区").pk
    for username, allowed in (
        ("shenji", {jinjiang}),
        ("shiju", set(Unit.objects.filter(city=world.unit("成都市")).values_list("district_id", flat=True))),
    ):
        client.force_login(world.user(username))
        ids, cursor = [], {"page_size": 200}
        while True:
            answer = client.get("/api/v1/trail/", cursor | {"routine": "true"}).json()
            ids += [row["id"] for row in answer["results"]]
            if not answer["next"]:
                break
            cursor = {"cursor": parse_qs(urlsplit(answer["next"]).query)["cursor"][0]}
        districts = set(AuditEntry.objects.filter(pk__in=ids).values_list("district_id", flat=True))
        assert districts <= allowed and None not in districts, username
        assert len(ids) == len(set(ids)) == AuditEntry.objects.filter(district_id__in=allowed).count()
    for username in ("minzheng", "bumen", "shuji"):
        client.force_login(world.user(username))
        assert client.get("/api/v1/trail/").status_code == 403


# --- Budgets: the queries do not grow with the rows ---------------------------------------------------------


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_the_trail_page_and_endpoint_cost_the_same_for_few_and_many_rows(client, world, contract_by_month):
    contract = contract_by_month
    client.force_login(world.user("admin"))
    _pay(client, world, contract, voucher="记-A")
    client.force_login(world.user("admin"))
    few = {
        url: _queries(client, url)
        for url in ("/supervision/trail/?object=funding.payment", "/api/v1/trail/?object=funding.payment")
    }
    for n, instalment in enumerate(contract.instalments.order_by("community__name", "due_on", "id")[1:]):
        _pay(client, world, contract, voucher=f"记-B{n}", ip=f"10.9.0.{n}", instalment=instalment)
    client.force_login(world.user("admin"))
    many = {url: _queries(client, url) for url in few}
    assert AuditEntry.objects.filter(object_type="funding_payment").count() == 12
    assert many == few
    assert max(few.values()) <= 14


def test_the_xlsx_export_never_runs_what_was_typed_as_a_user_name(client, world):
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    typed = '=HYPERLINK("http://attacker.invalid/","点击")'
    assert authenticate(RequestFactory().post("/accounts/login/"), username=typed, password="wrong") is None
    client.force_login(world.user("admin"))
    content = b"".join(client.get("/supervision/trail/export.xlsx", {"action": "failed_login"}).streaming_content)
    cells = [cell for row in load_workbook(io.BytesIO(content)).active.iter_rows() for cell in row]
    planted = [cell for cell in cells if isinstance(cell.value, str) and "HYPERLINK" in cell.value]
    assert planted and all(cell.data_type == "s" and cell.value == "'" + typed for cell in planted)
