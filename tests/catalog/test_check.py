"""The check: every verdict, its reason and basis, through the function, the API and the pages."""

import re
import subprocess
from datetime import date

import pytest

from catalog import check, selectors, services

pytestmark = pytest.mark.django_db

ON = date(2026, 11, 2)


@pytest.fixture
def community(world):
    return world.unit("牛沙路社区")


@pytest.fixture
def providers():
    """Lets a test register providers as the funding, audits and approvals apps will, then removes them."""
    saved = {kind: list(registered) for kind, registered in check._providers.items()}
    yield check
    for kind, registered in saved.items():
        check._providers[kind][:] = registered


def test_duties_must_be_done(community):
    result = check.check_demand(community=community, on=ON, q="调解邻里纠纷")
    assert result.verdict == "must_do"
    assert result.candidates[0].item.basis_article == "第三条第三项"
    assert result.version.number == 2


def test_withdrawn_work_is_refused_with_its_reason_and_where_it_belongs(community):
    result = check.check_demand(community=community, on=ON, q="协税")
    assert result.verdict == "refuse"
    assert "区税务局" in result.reason


def test_assistance_is_unfunded_until_a_contract_covers_it(community, providers):
    assert check.check_demand(community=community, on=ON, q="低保入户调查").verdict == "assist_unfunded"
    providers.register_funding_provider(
        lambda c, items, on: {i.key for i in items if "低保" in i.description}, reads=()
    )
    assert check.check_demand(community=community, on=ON, q="低保入户调查").verdict == "assist_funded"


def test_an_assessment_is_allowed_until_its_yearly_limit(community, providers):
    assert check.check_demand(community=community, on=ON, q="省级文明社区测评").verdict == "assessment_allowed"
    providers.register_assessment_counter(lambda c, items, on: {i.key: 1 for i in items}, reads=())
    result = check.check_demand(community=community, on=ON, q="省级文明社区测评")
    assert result.verdict == "assessment_limit_reached"
    assert result.candidates[0].held_this_year == 1


def test_an_assessment_outside_its_months_may_be_refused(community):
    result = check.check_demand(community=community, on=date(2026, 3, 2), q="省级文明社区测评")
    assert result.verdict == "assessment_limit_reached"
    assert "11" in result.reason


URGENT = check.UrgentItem(
    label="#7 紧急防汛排查（2026-11-01—2026-12-31）",
    title="紧急防汛排查",
    text="汛期暴雨，协助排查低洼院落和危房，通知危险区域居民转移。",
    lapses_on=date(2026, 12, 31),
)


def test_work_in_no_list_may_be_refused_unless_an_urgent_item_covers_it(community, providers):
    result = check.check_demand(community=community, on=ON, q="火星探测任务")
    assert result.verdict == "not_listed" and result.candidates == []
    providers.register_expedited_provider(lambda c, on: [URGENT], reads=())
    # Sharing nothing with the urgent item: still refusable.
    assert check.check_demand(community=community, on=ON, q="火星探测任务").verdict == "not_listed"
    result = check.check_demand(community=community, on=ON, q="暴雨汛期排查危房，通知低洼院落居民转移")
    assert result.verdict == "urgent_covered" and result.covered_by == URGENT.label
    assert result.covered_until == date(2026, 12, 31) and not result.hedged


def test_an_urgent_item_does_not_cover_a_demand_sharing_one_word_with_it(community, providers):
    """The cover needs the same strength as a catalogue match: 协助 or 通知 alone is not it."""
    providers.register_expedited_provider(lambda c, on: [URGENT], reads=())
    for demand in ["协助商场搞促销活动", "通知居民去参加楼盘开盘", "协助检查商户营业执照"]:
        result = check.check_demand(community=community, on=ON, q=demand)
        assert result.verdict != "urgent_covered" and result.covered_by is None, demand


def test_an_urgent_cover_says_so_in_the_headline_of_the_page_and_the_slip(client, community, providers, tmp_path):
    providers.register_expedited_provider(lambda c, on: [URGENT], reads=())
    params = {"community": community.pk, "q": "暴雨汛期排查危房，通知低洼院落居民转移", "date": "2026-11-02"}
    page = client.get("/check/", params)
    headline = re.search(r'data-testid="headline">([^<]*)<', page.content.decode()).group(1)
    assert "已批准的紧急事项：应当协助" in headline and "2026-12-31" in headline
    assert "可以拒绝" not in headline
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(issued_slip_pdf(client, params))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "已批准的紧急事项：应当协助" in text and "可以拒绝" not in text.split("已批准的紧急事项")[0]


def test_the_check_uses_the_catalogue_in_force_on_the_date(community):
    # 路口交通执勤 was withdrawn in 2015 and dropped from the list in 2021.
    assert (
        check.check_demand(community=community, on=date(2016, 5, 1), q="路口交通执勤").candidates[0].verdict == "refuse"
    )
    assert check.check_demand(community=community, on=date(2014, 1, 1), q="协税").version is None


def test_picking_an_item_gives_its_verdict(community):
    version = selectors.version_in_force(district_id=community.district_id, on=ON)
    item = version.items.get(title="招商引资")
    assert check.check_demand(community=community, on=ON, item=item).verdict == "refuse"


def test_check_api_returns_ranked_candidates_with_verdicts(api_client, community, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):  # the check, the index of the version (once), the INSERT that keeps it
        response = api_client.get(
            "/api/v1/check/", {"community": community.pk, "q": "街道让我们帮忙统计辖区企业", "date": "2026-11-02"}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "refuse"
    assert body["candidates"][0]["item"]["title"] == "辖区企业登记统计"
    assert body["version"]["number"] == 2
    assert all("verdict" in c for c in body["candidates"])


def test_check_api_explains_bad_input(api_client, community):
    response = api_client.get("/api/v1/check/", {"community": community.pk})
    assert response.status_code == 400 and "q" in response.json()
    response = api_client.get("/api/v1/check/", {"community": 999999, "q": "协税"})
    assert response.status_code == 400 and "community" in response.json()
    response = api_client.get("/api/v1/check/", {"community": community.pk, "q": "协税", "date": "2026-13-01"})
    assert response.status_code == 400 and "date" in response.json()


def test_check_page_works_without_login_and_preselects_the_secretarys_community(client, world, community):
    response = client.get("/check/", {"community": community.pk, "q": "协税"})
    assert response.status_code == 200 and response.context["result"].verdict == "refuse"
    client.force_login(world.user("shuji"))
    assert client.get("/check/").context["community"] == community


def issued_slip_pdf(client, params) -> bytes:
    """Issue a slip as the check page's form does, and fetch the PDF the answer leads to."""
    issued = client.post("/check/slip/", params)
    assert issued.status_code == 303, issued.content
    response = client.get(issued["Location"])
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_reply_slip_is_a_pdf(client, community):
    assert issued_slip_pdf(client, {"community": community.pk, "q": "协税"}).startswith(b"%PDF")
    assert client.post("/check/slip/").status_code == 400
    assert client.get("/check/slip/").status_code == 405  # issuing keeps a slip: never on a GET


def test_reply_slip_embeds_a_chinese_font_and_its_text_reads_back(client, community, tmp_path):
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(issued_slip_pdf(client, {"community": community.pk, "q": "协税"}))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if re.search(r"WenQuanYi|Noto|CJK|Hei", line, re.I)]
    assert cjk and all(" yes " in line for line in cjk)  # embedded: it prints the same on any machine
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "协税护税" in text and "牛沙路社区" in text


# --- Versions and items through the API -----------------------------------------------------------------


def test_items_in_force_are_public_and_searchable(api_client, world, django_assert_max_num_queries):
    jinjiang = world.unit("锦江区")
    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/items/", {"district": jinjiang.pk, "q": "协税"})
    assert response.json()["results"][0]["title"] == "协税护税"
    with django_assert_max_num_queries(6):
        response = api_client.get(
            "/api/v1/items/", {"district": jinjiang.pk, "list": "withdrawn", "date": "2016-01-01"}
        )
    assert response.json()["count"] == 12
    assert api_client.get("/api/v1/items/").status_code == 400


def test_a_draft_is_invisible_outside_the_district_staff(api_client, world):
    jinjiang = world.unit("锦江区")
    draft = services.draft_start(district=jinjiang, actor=world.user("minzheng"))
    assert api_client.get(f"/api/v1/versions/{draft.pk}/").status_code == 404
    for username, expected in [
        ("minzheng", 200),
        ("shenji", 200),
        ("shiju", 200),
        ("minzheng_sb", 404),
        ("shuji", 404),
        ("bumen", 404),
    ]:
        api_client.force_authenticate(world.user(username))
        assert api_client.get(f"/api/v1/versions/{draft.pk}/").status_code == expected, username


def test_publishing_through_the_api(api_client, world):
    jinjiang = world.unit("锦江区")
    draft = services.draft_start(district=jinjiang, actor=world.user("minzheng"))
    api_client.force_authenticate(world.user("shenji"))
    assert api_client.post(f"/api/v1/versions/{draft.pk}/publish/", {"effective_from": "2027-01-01"}).status_code == 403
    api_client.force_authenticate(world.user("minzheng"))
    response = api_client.post(f"/api/v1/versions/{draft.pk}/publish/", {"effective_from": "2019-01-01"})
    assert response.status_code == 400 and "2021-01-01" in response.json()["detail"]
    response = api_client.post(f"/api/v1/versions/{draft.pk}/publish/", {"effective_from": "2027-01-01"})
    assert response.status_code == 200 and response.json()["number"] == 3


def test_adding_an_item_to_the_draft_through_the_api(api_client, world):
    jinjiang = world.unit("锦江区")
    api_client.force_authenticate(world.user("minzheng"))
    payload = {"list": "assistance", "type": "work_task", "title": "协助开展人口抽样调查"}
    response = api_client.post("/api/v1/items/", payload, format="json")
    assert response.status_code == 400 and "delegating_unit" in response.json()
    payload |= {"delegating_unit": "区统计局", "standard_funding": "500.00"}
    response = api_client.post("/api/v1/items/", payload, format="json")
    assert response.status_code == 201
    published = selectors.version_in_force(district_id=jinjiang.pk, on=date.max).items.first()
    response = api_client.patch(f"/api/v1/items/{published.pk}/", {"title": "改"}, format="json")
    assert response.status_code == 400


def test_version_diff_api(api_client, world, django_assert_max_num_queries):
    v2 = world.unit("锦江区").catalogue_versions.get(number=2)
    with django_assert_max_num_queries(6):
        body = api_client.get(f"/api/v1/versions/{v2.pk}/diff/").json()
    assert body["old"]["number"] == 1
    assert [item["title"] for item in body["removed"]] == ["路口交通执勤"]
    assert any(c["field"] == "standard_funding" for row in body["changed"] for c in row["changes"])


@pytest.mark.parametrize("query", ["", "?q=协税", "?list=assistance&type=work_task", "?date=2016-01-01"])
def test_public_catalogue_page_query_budget(client, world, query, django_assert_max_num_queries):
    jinjiang = world.unit("锦江区")
    with django_assert_max_num_queries(8):
        assert client.get(f"/catalogue/{jinjiang.pk}/{query}").status_code == 200


def test_pages_for_staff_stay_within_their_query_budgets(client, world, django_assert_max_num_queries):
    jinjiang = world.unit("锦江区")
    client.force_login(world.user("minzheng"))
    client.post(f"/catalogue/{jinjiang.pk}/draft/", {"action": "start"})
    with django_assert_max_num_queries(14):
        assert client.get(f"/catalogue/{jinjiang.pk}/draft/").status_code == 200
    client.force_login(world.user("shiju"))
    with django_assert_max_num_queries(14):
        response = client.get("/catalogue/compare/")
    assert {row["district"].name for row in response.context["districts"]} == {"锦江区", "金牛区"}
    assert any(
        c["assigned_in"] == "金牛区" and c["withdrawn"].title == "辖区企业登记统计"
        for c in response.context["conflicts"]
    )
    with django_assert_max_num_queries(8):
        assert client.get("/catalogue/dashboard/").status_code == 200


def test_only_civil_affairs_of_the_district_open_its_draft(client, world):
    jinjiang = world.unit("锦江区")
    for username, expected in [
        ("minzheng", 200),
        ("admin", 200),
        ("shenji", 403),
        ("jiedao", 403),
        ("minzheng_jn", 404),
        ("minzheng_sb", 404),
    ]:
        client.force_login(world.user(username))
        assert client.get(f"/catalogue/{jinjiang.pk}/draft/").status_code == expected, username


def test_the_comparison_is_for_overseers(client, world):
    client.force_login(world.user("minzheng"))
    assert client.get("/catalogue/compare/").status_code == 403


def test_a_secretary_can_pick_an_item_instead_of_typing(client, world, community):
    client.force_login(world.user("shuji"))
    page = client.get("/check/")
    titles = {item.title for item in page.context["pickable"]}
    assert {"招商引资", "调解民间纠纷"} <= titles
    item = next(item for item in page.context["pickable"] if item.title == "招商引资")
    response = client.get("/check/", {"community": community.pk, "item": item.pk})
    assert response.context["result"].verdict == "refuse"


def test_the_comparison_exports_as_the_page_shows_it(client, world, django_assert_max_num_queries):
    import csv
    import io
    from urllib.parse import quote

    from openpyxl import load_workbook

    client.force_login(world.user("shiju"))
    page = client.get("/catalogue/compare/", {"date": "2026-11-01"})
    districts = page.context["districts"]
    with django_assert_max_num_queries(14):
        response = client.get("/catalogue/compare/export.xlsx", {"date": "2026-11-01"})
    assert quote("成都市各区工作清单对比_2026-11-01.xlsx") in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["各区对比"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [row[0] for row in rows] == [*(d["district"].name for d in districts), "合计"]
    assert rows[0][3] == districts[0]["lists"]["duties"] and sheet.freeze_panes == "B3"
    assert rows[-1][3] == sum(d["lists"]["duties"] for d in districts)
    assert sheet["C3"].is_date
    conflicts = list(book["撤出与仍在派"].iter_rows(min_row=3, values_only=True))
    assert len(conflicts) == len(page.context["conflicts"]) > 0
    body = b"".join(client.get("/catalogue/compare/export.csv").streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[1][0] == "区" and lines[2 + len(districts)][0] == "合计"
    client.force_login(world.user("minzheng"))
    assert client.get("/catalogue/compare/export.csv").status_code == 403
