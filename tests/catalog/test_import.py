"""The spreadsheet round trip (issue 16): an import is a proposal, then a decision; tolerant reading, strict
meaning; exports that say what they hold; errors written back into the file; a template that helps."""

import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from catalog import imports, services
from catalog import io as cio
from catalog.aliases import clean_aliases
from catalog.choices import ImportState, ItemList, Role, UnitKind
from catalog.models import CatalogueImport, CatalogueItem, StateEvent, User
from catalog.transitions import StateConflict

pytestmark = pytest.mark.django_db


def english(client) -> dict:
    """Pages in English: the person's choice (the language cookie), as the header switch sets it."""
    client.cookies["django_language"] = "en"
    return {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English source text (pages choose their language per request)."""
    with translation.override("en"):
        yield


@pytest.fixture
def district():
    city = services.unit_create(kind=UnitKind.CITY, name="成都市", parent=None)
    return services.unit_create(kind=UnitKind.DISTRICT, name="锦江区", parent=city)


@pytest.fixture
def staff(district):
    return User.objects.create_user("minzheng", password="x", role=Role.CIVIL_AFFAIRS, unit=district)


NEGATIVE = [
    ("TC-01", "招商引资"),
    ("TC-02", "协税护税"),
    ("TC-03", "经济创收"),
    ("TC-04", "行政执法"),
    ("TC-05", "拆迁拆违"),
    ("TC-06", "环境整治责任主体"),
]


@pytest.fixture
def draft(district, staff):
    """A draft holding a published version's items: two duties, one assistance item, six withdrawn, one
    assessment."""
    draft = services.draft_start(district=district, actor=staff)
    save = lambda **fields: services.item_save(draft=draft, actor=staff, **fields)  # noqa: E731
    save(code="LZ-01", list="duties", type="work_task", title="召开居民会议", description="每年至少两次。")
    save(code="LZ-02", list="duties", type="work_task", title="调解民间纠纷", description="调解居民之间的纠纷。")
    save(
        code="XZ-01",
        list="assistance",
        type="work_task",
        title="协助低保调查",
        delegating_unit="区民政局",
        standard_funding=Decimal("3000"),
        description="入户调查核实。",
    )
    for code, title in NEGATIVE:
        save(code=code, list="withdrawn", type="work_task", title=title, withdrawal_reason="不属于社区职责")
    save(
        code="KH-01",
        list="assessments",
        type="inspection",
        title="省级文明社区测评",
        issuing_level="province",
        max_per_year=1,
        allowed_months=[10, 11],
    )
    services.version_publish(
        draft=draft, actor=staff, effective_from=timezone.localdate() - timedelta(days=30), history=True
    )
    return services.draft_start(district=district, actor=staff)


def xlsx(rows, *, merges=()) -> io.BytesIO:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    for ref in merges:
        workbook.active.merge_cells(ref)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def propose(draft, staff, upload, name="清单.xlsx"):
    return imports.import_propose(draft=draft, actor=staff, upload=upload, filename=name)


def titles(draft, lst):
    return sorted(draft.items.filter(list=lst).values_list("title", flat=True))


def contents(draft):
    return sorted((str(i.key), *map(str, i.diff_values().values())) for i in draft.items.all())


# --- A proposal, then a decision -------------------------------------------------------------------------


def test_an_upload_is_a_proposal_and_changes_nothing_until_applied(draft, staff):
    before = contents(draft)
    upload = csv("清单,事项名称,事项内容\n履职,召开居民会议,每年至少三次。\n履职,组织邻里节,每年一次。\n")
    record = propose(draft, staff, upload, "清单.csv")
    assert record.state == ImportState.PROPOSED
    assert contents(draft) == before
    plan = imports.plan_import(draft=draft, record=record)
    assert [c.title for c in plan.of("added")] == ["组织邻里节"]
    [changed] = plan.of("changed")
    assert [(f.label, f.before, f.after) for f in changed.fields] == [("事项内容", "每年至少两次。", "每年至少三次。")]
    assert record.counts["lists"]["duties"] == {
        "added": 1,
        "changed": 1,
        "unchanged": 0,
        "removed": 0,
        "kept": 1,
        "before": 2,
        "after_if_whole": 2,
        "after": 3,
    }

    imports.import_apply(record=record, actor=staff)
    assert titles(draft, "duties") == ["召开居民会议", "组织邻里节", "调解民间纠纷"]
    assert draft.items.get(title="召开居民会议").description == "每年至少三次。"


def test_the_decision_is_recorded_with_who_when_and_the_counts(draft, staff):
    record = propose(draft, staff, csv("清单,事项名称\n履职,组织邻里节\n"), "清单.csv")
    record = imports.import_apply(record=record, actor=staff, whole_lists=["duties"])
    record.refresh_from_db()
    assert (record.state, record.decided_by, record.whole_lists) == (ImportState.APPLIED, staff, ["duties"])
    assert (record.counts["added"], record.counts["removed"]) == (1, 2)
    [event] = imports.IMPORT.history(record)
    assert (event.action, event.actor, event.to_state) == ("apply", staff, "applied")
    assert "1 added" in event.note and "2 removed" in event.note
    with pytest.raises(StateConflict):  # decided once
        imports.import_apply(record=record, actor=staff)


def test_columns_missing_from_the_sheet_change_nothing(draft, staff):
    """The sheet that wiped 事项内容 and 来源依据 on 23 items: now it proposes no change at all."""
    rows = [["清单", "事项名称"], *[["履职", t] for t in ("召开居民会议", "调解民间纠纷")]]
    record = propose(draft, staff, xlsx(rows))
    plan = imports.plan_import(draft=draft, record=record)
    assert plan.of("changed") == [] and plan.of("added") == []
    imports.import_apply(record=record, actor=staff)
    assert draft.items.get(title="召开居民会议").description == "每年至少两次。"


def test_a_shrunken_negative_list_warns_and_removes_nothing_unless_the_sheet_is_the_whole_list(draft, staff):
    rows = [["清单", "事项名称", "退出理由"], *[["退出", t, "不属于社区职责"] for _c, t in NEGATIVE[:3]]]
    record = propose(draft, staff, xlsx(rows))
    plan = imports.plan_import(draft=draft, record=record)
    assert plan.shrinking() == {"withdrawn": (6, 3)}
    assert any("shrinks from 6 to 3" in w for w in plan.warnings)
    assert [c.title for c in plan.of("missing")] == [t for _c, t in NEGATIVE[3:]]
    imports.import_apply(record=record, actor=staff)  # not chosen as the whole list
    assert len(titles(draft, "withdrawn")) == 6

    record = propose(draft, staff, xlsx(rows))
    imports.import_apply(record=record, actor=staff, whole_lists=["withdrawn"])
    assert titles(draft, "withdrawn") == sorted(t for _c, t in NEGATIVE[:3])
    assert len(titles(draft, "duties")) == 2  # a list the sheet does not hold is never touched


def test_emptied_fields_and_lost_keys_are_flagged(draft, staff):
    item = draft.items.get(title="召开居民会议")
    rows = [["编号键", "清单", "事项名称", "事项内容"], ["", "履职", "召开居民会议", ""]]
    plan = imports.plan_import(draft=draft, record=propose(draft, staff, xlsx(rows)))
    [change] = plan.of("changed")
    assert change.item == item
    assert [(f.field, f.emptied) for f in change.fields] == [("description", True)]
    assert any("would be emptied" in w for w in plan.warnings)
    assert any("lost their 编号键" in w for w in plan.warnings)


def test_an_item_deleted_and_reimported_is_matched_by_number_and_title(draft, staff):
    """Its key is from the published version; the draft had deleted it. It comes back as the same item."""
    item = draft.items.get(title="招商引资")
    services.item_delete(item=item, actor=staff)
    draft_key = draft.items.get(title="协税护税").key
    rows = [
        ["编号键", "序号", "清单", "事项名称", "退出理由"],
        [str(uuid.uuid4()), "TC-02", "退出", "协税护税", "不属于社区职责"],  # a key from elsewhere, matched by title
    ]
    plan = imports.plan_import(draft=draft, record=propose(draft, staff, xlsx(rows)))
    assert plan.of("added") == [] and [c.title for c in plan.of("unchanged")] == ["协税护税"]
    assert plan.of("unchanged")[0].item.key == draft_key


def test_a_stale_proposal_is_refused(draft, staff, client):
    record = propose(draft, staff, csv("清单,事项名称\n履职,组织邻里节\n"), "清单.csv")
    services.item_save(draft=draft, actor=staff, item=draft.items.get(title="召开居民会议"), description="改了")
    with pytest.raises(imports.StaleImport):
        imports.import_apply(record=record, actor=staff)
    assert not draft.items.filter(title="组织邻里节").exists()
    client.force_login(staff)
    url = f"/catalogue/{draft.district_id}/draft/imports/{record.pk}/"
    assert "has changed since" in client.get(url, **english(client)).content.decode()
    response = client.post(url, {"action": "apply"}, **english(client))
    assert response.status_code == 409 and "Upload the file again" in response.content.decode()
    assert not draft.items.filter(title="组织邻里节").exists()


def test_the_preview_page_reads_counts_values_and_can_be_filtered_and_confirmed(draft, staff, client):
    client.force_login(staff)
    sheet = xlsx(
        [
            ["清单", "事项名称", "发文层级", "每年最多次数", "允许月份"],
            ["考核", "省级文明社区测评", "省级以上", "1", "9月"],
            ["履职", "组织邻里节", "", "", ""],
        ]
    )
    response = client.post(
        f"/catalogue/{draft.district_id}/draft/import/", {"file": SimpleUploadedFile("表.xlsx", sheet.read())}
    )
    record = CatalogueImport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/imports/{record.pk}/")
    page = client.get(response["Location"], **english(client)).content.decode()
    assert "10月、11月" in page and "9月" in page and "[10, 11]" not in page
    assert "“省级以上” read as 省" in page
    only = client.get(response["Location"] + "?list=duties", **english(client)).content.decode()
    assert "组织邻里节" in only and "省级文明社区测评" not in only
    response = client.post(response["Location"], {"action": "apply"})
    assert response.status_code == 302
    assert draft.items.get(title="省级文明社区测评").allowed_months == [9]


def test_cancelling_a_proposal_changes_nothing(draft, staff, client):
    before = contents(draft)
    record = propose(draft, staff, csv("清单,事项名称\n履职,组织邻里节\n"), "清单.csv")
    client.force_login(staff)
    client.post(f"/catalogue/{draft.district_id}/draft/imports/{record.pk}/", {"action": "cancel"})
    record.refresh_from_db()
    assert record.state == ImportState.CANCELLED and contents(draft) == before


# --- Tolerant reading, strict meaning ---------------------------------------------------------------------


def test_a_title_row_merged_headers_and_merged_list_cells_are_read(draft, staff):
    rows = [
        ["锦江区社区工作事项清单（2026年修订）", None, None, None, None, None],
        ["序号", "清单", "事项名称", "依据", None, None],
        [None, None, None, "文件", "文号", "条款"],
        ["LZ-09", "履职", "组织邻里节", "居委会组织法", "主席令第21号", "第三条"],
        ["LZ-10", None, "开展文化活动", "", "", ""],
    ]
    merges = ["A1:F1", "A2:A3", "B2:B3", "C2:C3", "D2:F2", "B4:B5"]
    record = propose(draft, staff, xlsx(rows, merges=merges))
    assert record.fields == ["code", "list", "title", "basis_document", "basis_number", "basis_article"]
    added = imports.plan_import(draft=draft, record=record).of("added")
    assert [(c.values["list"], c.title, c.row) for c in added] == [
        ("duties", "组织邻里节", 4),
        ("duties", "开展文化活动", 5),
    ]
    assert added[0].values["basis_number"] == "主席令第21号"


@pytest.mark.parametrize(
    ("written", "months"),
    [("9月", [9]), ("6月、12月", [6, 12]), ("全年", []), ("3,6,9", [3, 6, 9]), ("3-5月", [3, 4, 5]), ("十一月", [11])],
)
def test_months_are_read_as_people_write_them(written, months):
    assert cio.parse_months(written) == months


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        ("3,000元", Decimal(3000)),
        ("３０００", Decimal(3000)),
        ("３，０００.５０元", Decimal("3000.50")),
        ("0.3万元", 3000),
    ],
)
def test_amounts_are_read_as_people_write_them(written, amount):
    assert cio.parse_amount(written) == amount


@pytest.mark.parametrize(
    ("written", "level"), [("省级", "province"), ("省级以上", "province"), ("国家级", "national"), ("省", "province")]
)
def test_levels_are_read_as_people_write_them(written, level):
    assert cio.parse_choice("issuing_level", written) == level


def test_what_is_truly_ambiguous_is_refused_with_its_row_and_column(draft, staff):
    rows = [
        ["清单", "事项名称", "委托单位", "每社区每年经费（元）", "发文层级", "每年最多次数", "允许月份"],
        ["协助", "协助人口抽样调查", "区统计局", "3000-5000元", "", "", ""],
        ["考核", "某项测评", "", "", "省市两级", "1", "每季度"],
    ]
    before = contents(draft)
    with pytest.raises(cio.ImportRejected) as excinfo:
        propose(draft, staff, xlsx(rows))
    found = {(e.row, e.column) for e in excinfo.value.errors}
    assert {(2, "每社区每年经费（元）"), (3, "发文层级"), (3, "允许月份")} <= found
    assert contents(draft) == before
    assert excinfo.value.record.state == ImportState.REFUSED


# --- Errors come back in the file -------------------------------------------------------------------------


def test_the_refused_file_comes_back_with_each_wrong_cell_marked(draft, staff, client):
    client.force_login(staff)
    rows = [
        ["标题行"],
        ["清单", "事项名称", "每年最多次数"],
        ["履职", "组织邻里节", ""],
        ["不存在", "某事项", "两三次"],
    ]
    response = client.post(
        f"/catalogue/{draft.district_id}/draft/import/", {"file": SimpleUploadedFile("表.xlsx", xlsx(rows).read())}
    )
    assert response.status_code == 400
    page = response.content.decode()
    record = CatalogueImport.objects.get(state=ImportState.REFUSED)
    errors_url = f"/catalogue/{draft.district_id}/draft/imports/{record.pk}/errors.xlsx"
    assert errors_url in page and 'action="/catalogue/' in page  # the file, and a new upload in place
    sheet = load_workbook(io.BytesIO(client.get(errors_url).content)).active
    assert sheet["A4"].comment and sheet["A4"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["C4"].comment and "两三次" in sheet["C4"].comment.text
    assert sheet["A3"].comment is None and sheet["B4"].comment is None


# --- Exports, the template, numbering, the title ---------------------------------------------------------


def test_the_draft_export_holds_the_draft_and_says_so(draft, staff, client):
    services.item_save(draft=draft, actor=staff, list="duties", type="work_task", title="组织邻里节")
    client.force_login(staff)
    response = client.get(f"/catalogue/{draft.district_id}/draft/export.xlsx")
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''"
        + __import__("urllib.parse").parse.quote(f"锦江区_社区工作事项清单_草稿_{today}.xlsx")
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == f"锦江区 社区工作事项清单 · 草稿（基于第1版） · 导出于 {today}"
    assert "组织邻里节" in [row[4] for row in sheet.iter_rows(min_row=3, values_only=True)]


def test_the_template_has_dropdowns_instructions_a_frozen_header_and_an_example_per_list(client):
    workbook = load_workbook(io.BytesIO(client.get("/catalogue/template.xlsx").content))
    sheet = workbook.worksheets[0]
    assert sheet.freeze_panes == "C3"
    listed = {str(v.sqref).split(":")[0][:1]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert listed == {
        "C": '"履职,协助,退出,考核"',
        "D": '"工作事项,台账报表,证明盖章,检查评比,机构牌子"',
        "M": '"国家,省,市,区"',
    }
    assert sorted(row[2] for row in sheet.iter_rows(min_row=3, values_only=True)) == ["协助", "履职", "考核", "退出"]
    assert "编号键" in sheet["A2"].comment.text
    assert workbook.worksheets[1].title == "填写说明"
    assert any("编号键" in (row[1] or "") for row in workbook.worksheets[1].iter_rows(values_only=True))


def test_the_template_imports_as_one_row_per_list(draft, staff, client):
    record = propose(draft, staff, io.BytesIO(client.get("/catalogue/template.xlsx").content))
    plan = imports.plan_import(draft=draft, record=record)
    assert sorted(c.values["list"] for c in plan.changes if c.kind != "missing") == sorted(ItemList.values)


def test_empty_numbers_are_filled_per_list_and_given_ones_kept(draft, staff):
    rows = [
        ["序号", "清单", "事项名称", "退出理由"],
        ["", "履职", "甲", ""],
        ["LZ-07", "履职", "乙", ""],
        ["", "退出", "丙", "因"],
    ]
    plan = imports.plan_import(draft=draft, record=propose(draft, staff, xlsx(rows)))
    assert [(c.title, c.values["code"]) for c in plan.of("added")] == [
        ("甲", "LZ-08"),
        ("乙", "LZ-07"),
        ("丙", "TC-07"),
    ]


def test_the_new_versions_title_is_suggested_from_the_date(draft, staff, client):
    client.force_login(staff)
    form = client.get(f"/catalogue/{draft.district_id}/draft/", **english(client)).context["publish_form"]
    today = timezone.localdate()
    assert form.initial["title"] == services.version_title_suggestion(district=draft.district, on=today)
    assert str(today.year) in form.initial["title"]


# --- Discard and revert -----------------------------------------------------------------------------------


def test_discarding_asks_first_then_the_draft_holds_the_published_version_again(draft, staff, client):
    published = contents(draft)
    services.item_save(draft=draft, actor=staff, list="duties", type="work_task", title="组织邻里节")
    client.force_login(staff)
    url = f"/catalogue/{draft.district_id}/draft/discard/"
    assert client.get(url).status_code == 200 and draft.items.filter(title="组织邻里节").exists()
    client.post(url)
    assert contents(draft) == published


def test_one_item_is_reverted_and_the_others_keep_their_edits(draft, staff, client):
    edited = draft.items.get(title="召开居民会议")
    services.item_save(draft=draft, actor=staff, item=edited, description="改了")
    other = draft.items.get(title="调解民间纠纷")
    services.item_save(draft=draft, actor=staff, item=other, description="也改了")
    added = services.item_save(draft=draft, actor=staff, list="duties", type="work_task", title="组织邻里节")
    client.force_login(staff)
    client.post(f"/catalogue/{draft.district_id}/draft/revert/{edited.key}/")
    client.post(f"/catalogue/{draft.district_id}/draft/revert/{added.key}/")
    assert draft.items.get(title="召开居民会议").description == "每年至少两次。"
    assert draft.items.get(title="调解民间纠纷").description == "也改了"
    assert not draft.items.filter(title="组织邻里节").exists()


# --- The round trip, over generated drafts ----------------------------------------------------------------

TEXT = st.text(alphabet="社区居民协助调查=+-@'，、：（）ab12 ", min_size=1, max_size=12).map(str.strip).filter(bool)
OPTIONAL = st.one_of(st.just(""), TEXT)


@st.composite
def items(draw):
    lst = draw(st.sampled_from(ItemList.values))
    fields = {
        "key": uuid.uuid4(),
        "code": draw(st.one_of(st.just(""), st.from_regex(r"[A-Z]{2}-[0-9]{2}", fullmatch=True))),
        "list": lst,
        "type": draw(st.sampled_from(["work_task", "ledger", "certificate", "inspection", "plaque"])),
        "title": draw(TEXT),
        "description": draw(OPTIONAL),
        "basis_document": draw(OPTIONAL),
        "responsible_department": draw(OPTIONAL),
        "source_reference": draw(OPTIONAL),
        # As a draft holds them: normalised and kept once each (catalog.aliases).
        "aliases": draw(st.lists(TEXT.filter(lambda t: "、" not in t), max_size=3).map(clean_aliases)),
    }
    if lst == "assistance":
        fields["delegating_unit"] = draw(TEXT)
        fields["standard_funding"] = draw(st.decimals(min_value=0, max_value=10**9, places=2))
    if lst == "assessments":
        fields["issuing_level"] = draw(st.sampled_from(["national", "province"]))
        fields["max_per_year"] = draw(st.integers(1, 52))
        fields["allowed_months"] = draw(st.lists(st.integers(1, 12), unique=True, max_size=12).map(sorted))
    if lst == "withdrawn":
        fields["withdrawal_reason"] = draw(TEXT)
        fields["belongs_to"] = draw(OPTIONAL)
    return fields


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=st.lists(items(), min_size=1, max_size=8), fmt=st.sampled_from(["xlsx", "csv"]))
def test_exporting_a_draft_and_importing_it_unchanged_proposes_no_change(draft, staff, client, generated, fmt):
    draft.items.all().delete()
    CatalogueItem.objects.bulk_create(CatalogueItem(version=draft, **fields) for fields in generated)
    client.force_login(staff)
    response = client.get(f"/catalogue/{draft.district_id}/draft/export.{fmt}")
    content = b"".join(response.streaming_content) if fmt == "csv" else response.content
    record = propose(draft, staff, io.BytesIO(content), f"草稿.{fmt}")
    plan = imports.plan_import(draft=draft, record=record)
    proposed = sorted((c.kind, str(c.item.key), [(f.field, f.before, f.after) for f in c.fields]) for c in plan.changes)
    assert proposed == sorted(("unchanged", str(fields["key"]), []) for fields in generated)
    assert plan.warnings == []


def test_the_same_import_needs_the_staff_of_the_district(draft, staff, district):
    other = User.objects.create_user("shenji", password="x", role=Role.AUDITOR, unit=district)
    with pytest.raises(Exception) as excinfo:
        propose(draft, other, csv("清单,事项名称\n履职,组织邻里节\n"), "清单.csv")
    assert excinfo.type.__name__ == "PermissionDenied"
    assert not StateEvent.objects.exists() and not CatalogueImport.objects.exists()


def test_the_api_proposes_applies_and_answers_409_to_a_stale_proposal(draft, staff, client):
    client.force_login(staff)
    sheet = SimpleUploadedFile("清单.csv", "清单,事项名称\n履职,组织邻里节\n".encode())
    response = client.post(f"/api/v1/versions/{draft.pk}/import/", {"file": sheet})
    assert response.status_code == 201, response.content
    proposal = response.json()
    assert (proposal["state"], proposal["counts"]["added"], proposal["stale"]) == ("proposed", 1, False)
    assert [c["title"] for c in proposal["changes"] if c["kind"] == "added"] == ["组织邻里节"]
    assert not draft.items.filter(title="组织邻里节").exists()

    services.item_save(draft=draft, actor=staff, item=draft.items.get(title="召开居民会议"), description="改了")
    assert client.get(f"/api/v1/imports/{proposal['id']}/").json()["stale"] is True
    response = client.post(
        f"/api/v1/imports/{proposal['id']}/apply/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409 and "Upload the file again" in str(response.json())
    assert not draft.items.filter(title="组织邻里节").exists()

    sheet = SimpleUploadedFile("清单.csv", "清单,事项名称\n履职,组织邻里节\n".encode())
    fresh = client.post(f"/api/v1/versions/{draft.pk}/import/", {"file": sheet}).json()
    body = {"whole_lists": ["duties"]}
    response = client.post(f"/api/v1/imports/{fresh['id']}/apply/", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["counts"]["removed"] == 2
    assert titles(draft, "duties") == ["组织邻里节"]


def test_the_api_refuses_a_wrong_sheet_with_each_rows_problem(draft, staff, client):
    client.force_login(staff)
    sheet = SimpleUploadedFile("清单.csv", "清单,事项名称\n不存在,某事项\n".encode())
    response = client.post(f"/api/v1/versions/{draft.pk}/import/", {"file": sheet}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert any("Row 2" in error and "清单" in error for error in response.json()["errors"])
