"""The catalogue: drafts, publication, what was in force when, differences, import and export."""

import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from catalog import imports, selectors, services
from catalog import io as catalogue_io
from catalog.choices import ItemList, VersionState
from catalog.models import CatalogueItem, CatalogueVersion
from catalog.models.catalogue import PublishedVersionError

pytestmark = pytest.mark.django_db


@pytest.fixture
def jinjiang(world):
    return world.unit("锦江区")


@pytest.fixture
def minzheng(world):
    return world.user("minzheng")


def test_what_was_in_force_is_answerable_for_any_date(jinjiang):
    assert selectors.version_in_force(district_id=jinjiang.pk, on=date(2014, 12, 31)) is None
    assert selectors.version_in_force(district_id=jinjiang.pk, on=date(2015, 1, 1)).number == 1
    assert selectors.version_in_force(district_id=jinjiang.pk, on=date(2020, 12, 31)).number == 1
    assert selectors.version_in_force(district_id=jinjiang.pk, on=date(2021, 1, 1)).number == 2


def test_a_new_draft_copies_the_latest_version_and_keeps_item_keys(jinjiang, minzheng):
    latest = selectors.version_in_force(district_id=jinjiang.pk, on=date.max)
    draft = services.draft_start(district=jinjiang, actor=minzheng)
    assert set(draft.items.values_list("key", flat=True)) == set(latest.items.values_list("key", flat=True))
    assert services.draft_start(district=jinjiang, actor=minzheng) == draft  # one open draft


def test_the_database_allows_one_draft_per_district(jinjiang, minzheng):
    services.draft_start(district=jinjiang, actor=minzheng)
    with pytest.raises(IntegrityError), transaction.atomic():
        CatalogueVersion.objects.create(district=jinjiang)


def test_only_the_districts_civil_affairs_staff_edit_its_catalogue(world, jinjiang):
    for username in ("minzheng_jn", "shenji", "shiju", "jiedao", "bumen", "shuji"):
        with pytest.raises(PermissionDenied):
            services.draft_start(district=jinjiang, actor=world.user(username))


def test_a_published_version_never_changes(jinjiang):
    version = selectors.version_in_force(district_id=jinjiang.pk, on=date.max)
    item = version.items.first()
    item.title = "改过的标题"
    with pytest.raises(PublishedVersionError):
        item.save()
    with pytest.raises(PublishedVersionError):
        item.delete()


def test_publishing_makes_the_next_version_in_force_from_its_date(jinjiang, minzheng):
    draft = services.draft_start(district=jinjiang, actor=minzheng)
    services.item_save(
        draft=draft,
        actor=minzheng,
        list=ItemList.ASSISTANCE,
        type="work_task",
        title="协助开展基层应急演练",
        delegating_unit="区应急管理局",
        standard_funding=Decimal("1000.00"),
    )
    version = services.version_publish(draft=draft, actor=minzheng, effective_from=date(2027, 1, 1))
    assert (version.number, version.state) == (3, VersionState.PUBLISHED)
    assert selectors.version_in_force(district_id=jinjiang.pk, on=date(2026, 12, 31)).number == 2
    in_force = selectors.version_in_force(district_id=jinjiang.pk, on=date(2027, 1, 1))
    assert in_force.items.filter(title="协助开展基层应急演练").exists()


def test_a_version_cannot_be_published_into_the_past(jinjiang, minzheng):
    draft = services.draft_start(district=jinjiang, actor=minzheng)
    with pytest.raises(services.CatalogueError, match="2021-01-01"):
        services.version_publish(draft=draft, actor=minzheng, effective_from=date(2020, 6, 1))
    draft.refresh_from_db()
    assert draft.is_draft


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"list": "assistance", "title": "协助某事", "standard_funding": Decimal("10")}, "delegating_unit"),
        ({"list": "assistance", "title": "协助某事", "delegating_unit": "区民政局"}, "standard_funding"),
        ({"list": "assessments", "title": "市级考核", "issuing_level": "city", "max_per_year": 1}, "issuing_level"),
        ({"list": "assessments", "title": "省级考核", "issuing_level": "province"}, "max_per_year"),
        ({"list": "withdrawn", "title": "某项退出事务"}, "withdrawal_reason"),
    ],
)
def test_each_list_requires_what_its_rule_needs(jinjiang, minzheng, fields, error_field):
    from django.core.exceptions import ValidationError

    draft = services.draft_start(district=jinjiang, actor=minzheng)
    before = draft.items.count()
    with pytest.raises(ValidationError) as excinfo:
        services.item_save(draft=draft, actor=minzheng, type="work_task", **fields)
    assert error_field in excinfo.value.message_dict
    assert draft.items.count() == before


def test_the_database_refuses_an_assessment_below_province_level(jinjiang, minzheng):
    draft = services.draft_start(district=jinjiang, actor=minzheng)
    with pytest.raises(IntegrityError), transaction.atomic():
        CatalogueItem.objects.bulk_create(
            [
                CatalogueItem(
                    version=draft, list="assessments", title="区级评比", issuing_level="district", max_per_year=1
                )
            ]
        )


def test_the_difference_between_two_versions_lists_added_removed_and_changed_fields(jinjiang):
    v1, v2 = CatalogueVersion.objects.filter(district=jinjiang).order_by("number")
    diff = selectors.versions_diff(old=v1, new=v2)
    assert "组织社区志愿服务" in {item.title for item in diff["added"]}
    assert {item.title for item in diff["removed"]} == {"路口交通执勤"}
    changed = {row["item"].title: row["changes"] for row in diff["changed"]}
    assert changed["协助做好最低生活保障对象的调查核实"] == [
        {
            "field": "standard_funding",
            "label": str(CatalogueItem._meta.get_field("standard_funding").verbose_name),
            "old": Decimal("3000.00"),
            "new": Decimal("4000.00"),
        }
    ]


def test_items_keep_where_they_came_from(jinjiang):
    v2 = CatalogueVersion.objects.get(district=jinjiang, number=2)
    assert v2.items.get(title="协税护税").source_reference == "锦江区社区工作目录清单（2015年版）"
    assert v2.items.get(title="组织社区志愿服务").source_reference == "锦江区社区工作目录清单（2021年修订）"


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("协税", "协税护税"),
        ("街道让我们帮忙统计辖区企业", "辖区企业登记统计"),
        ("低保入户调查", "协助做好最低生活保障对象的调查核实"),
        ("拆除违章建筑", "拆迁拆违"),
        ("文明社区测评", "省级文明社区测评"),
    ],
)
def test_chinese_search_finds_the_items_a_demand_is_about(jinjiang, query, expected_first):
    version = selectors.version_in_force(district_id=jinjiang.pk, on=date(2026, 11, 1))
    results = selectors.items_search(items=version.items.all(), q=query)
    assert results and results[0].title == expected_first


def test_search_for_unrelated_words_finds_nothing(jinjiang):
    version = selectors.version_in_force(district_id=jinjiang.pk, on=date(2026, 11, 1))
    assert selectors.items_search(items=version.items.all(), q="火星探测") == []


# --- Import and export -------------------------------------------------------------------------------


def _csv(text: str, encoding="utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def test_an_import_with_any_bad_row_changes_nothing_and_says_where(jinjiang, minzheng):
    draft = services.draft_start(district=jinjiang, actor=minzheng)
    before = sorted(draft.items.values_list("title", flat=True))
    upload = _csv(
        "清单,类型,事项名称,委托单位,每社区每年经费（元）,发文层级,每年最多次数\n"
        "履职,工作事项,组织居民议事会,,,,\n"
        "协助,工作事项,协助开展人口抽样调查,区统计局,-5,,\n"
        "考核,检查评比,区级卫生评比,,,区,1\n"
        "不存在,工作事项,某事项,,,,\n"
    )
    with pytest.raises(catalogue_io.ImportRejected) as excinfo:
        imports.import_propose(draft=draft, actor=minzheng, upload=upload, filename="list.csv")
    found = {(e.row, e.column) for e in excinfo.value.errors}
    assert (3, "每社区每年经费（元）") in found
    assert (4, "发文层级") in found
    assert (5, "清单") in found
    assert sorted(draft.items.values_list("title", flat=True)) == before


def test_an_import_taken_as_the_whole_list_replaces_that_list_and_keeps_keys_of_same_titles(jinjiang, minzheng):
    draft = services.draft_start(district=jinjiang, actor=minzheng)
    key = draft.items.get(title="协税护税").key
    duties_before = draft.items.filter(list="duties").count()
    upload = _csv(
        "清单,类型,事项名称,退出理由,应由何处承担\n"
        "退出,工作事项,协税护税,税收征管是税务机关的法定职责,区税务局\n"
        "退出,证明盖章,出具居住证明,由公安派出所出具,公安派出所\n",
        encoding="gb18030",  # Excel on Chinese Windows
    )
    record = imports.import_propose(draft=draft, actor=minzheng, upload=upload, filename="退出清单.csv")
    assert draft.items.filter(list="withdrawn").count() == 13  # a proposal changes nothing
    imports.import_apply(record=record, actor=minzheng, whole_lists=["withdrawn"])
    assert draft.items.filter(list="withdrawn").count() == 2
    assert draft.items.get(title="协税护税").key == key
    assert draft.items.filter(list="duties").count() == duties_before


def test_an_export_imports_back_unchanged(jinjiang, minzheng, client):
    version = selectors.version_in_force(district_id=jinjiang.pk, on=date.max)
    content = client.get(f"/catalogue/{jinjiang.pk}/export.xlsx").content
    draft = services.draft_start(district=jinjiang, actor=minzheng)
    record = imports.import_propose(draft=draft, actor=minzheng, upload=io.BytesIO(content), filename="export.xlsx")
    assert (record.counts["added"], record.counts["changed"], record.counts["removed"]) == (0, 0, 0)
    imports.import_apply(record=record, actor=minzheng, whole_lists=list(ItemList.values))
    diff = selectors.versions_diff(old=version, new=draft)
    assert diff == {"added": [], "removed": [], "changed": []}


# Malformed files and formulas in exports: tests/security/test_bad_input.py, for every entry point at once.


def test_the_template_has_the_import_headers(client):
    workbook = load_workbook(io.BytesIO(client.get("/catalogue/template.xlsx").content))
    header = [cell.value for cell in next(workbook.active.iter_rows(min_row=2, max_row=2))]
    assert header == catalogue_io.header_row()  # below the row that says what the file holds


def test_csv_export_streams_the_lists_in_force_on_a_date(client, jinjiang):
    response = client.get(f"/catalogue/{jinjiang.pk}/export.csv?date=2016-06-01")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "路口交通执勤" in body and "组织社区志愿服务" not in body


def test_json_export_carries_the_version(client, jinjiang):
    body = client.get(f"/catalogue/{jinjiang.pk}/export.json").json()
    assert body["version"]["number"] == 2 and len(body["items"]) == 33


def test_item_keys_are_stable_uuids(jinjiang):
    v1, v2 = CatalogueVersion.objects.filter(district=jinjiang).order_by("number")
    shared = set(v1.items.values_list("key", flat=True)) & set(v2.items.values_list("key", flat=True))
    assert len(shared) == 28 and all(isinstance(k, uuid.UUID) for k in shared)


def test_the_burden_dashboard_counts_lists_and_types_per_version(client, world):
    client.force_login(world.user("minzheng"))
    history = client.get("/catalogue/dashboard/").context["history"]
    # each version with the election duty (居委会换届选举)
    assert [(row["number"], row["total"]) for row in history] == [(1, 29), (2, 33)]
    assert history[1]["lists"]["withdrawn"] == 13 and history[1]["types"]["certificate"] == 3


def test_the_burden_dashboard_never_stacks_the_withdrawn_list_into_the_burden(client, world):
    # Withdrawing work is taken away from communities: it must never look like more burden.
    client.force_login(world.user("minzheng"))
    context = client.get("/catalogue/dashboard/").context
    for row in context["history"]:
        lists = row["lists"]
        assert row["given"] == lists["duties"] + lists["assistance"] + lists["assessments"]
        assert sum(row["given_types"].values()) == row["given"]
    stacks = {series["name"]: series["stack"] for series in context["given_chart"]["series"]}
    assert stacks.pop("已退出（退出清单）") == "withdrawn"
    assert set(stacks.values()) == {"given"} and len(stacks) == 3
