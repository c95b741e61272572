"""A notice split into its demands: numbered points or asking sentences; never its heading, addressee or signature.
Each demand is judged as the same words typed into the check are."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import check
from catalog.notice import check_notice, split_notice

ON = date(2026, 11, 2)

NOTICE = """关于做好冬季安全工作的通知
各社区：
为进一步做好冬季安全工作，现将有关事项通知如下：
一、请于12月10日前报送辖区商铺名单。
二、组织居民开展防诈骗宣传活动。
某某街道办事处
2026年12月1日"""


def test_a_notice_is_its_heading_addressee_demands_and_signature():
    notice = split_notice(NOTICE)
    assert notice.heading == "关于做好冬季安全工作的通知"
    assert notice.addressee == "各社区："
    assert notice.signature == "某某街道办事处 2026年12月1日"
    assert [(d.number, d.text) for d in notice.demands] == [
        ("一、", "请于12月10日前报送辖区商铺名单。"),
        ("二、", "组织居民开展防诈骗宣传活动。"),
    ]
    for demand in notice.demands:
        assert NOTICE[demand.start : demand.end] == demand.text


def test_section_titles_head_their_points_and_a_wrapped_point_stays_one_demand():
    text = """关于做好人口普查工作的通知
各社区居委会：
一、工作要求
（一）请各社区于12月5日前完成入户登记，
并将登记表报送街道统计站。
（二）务必做好宣传发动工作。
二、有关事项
联系人：王某，电话：12345678。
XX街道办事处
2026年11月30日"""
    notice = split_notice(text)
    assert [d.text for d in notice.demands] == [
        "请各社区于12月5日前完成入户登记， 并将登记表报送街道统计站。",
        "务必做好宣传发动工作。",
    ]
    assert "联系人" in notice.signature


def test_without_numbers_the_sentences_that_ask_are_the_demands():
    text = (
        "各社区：\n接区应急局通知，近期将开展防汛演练。请各社区于本周五前上报参演人员名单。务必确保人员到位。"
        "\n街道应急办"
    )
    demands = ["请各社区于本周五前上报参演人员名单。", "务必确保人员到位。"]
    assert [d.text for d in split_notice(text).demands] == demands


# --- Properties ------------------------------------------------------------------------------------------------

_HEADINGS = st.sampled_from(
    ["关于开展消防安全检查的通知", "关于做好2026年人口普查工作的通知", "紧急通知", "关于报送困难群众名单的函"]
)
_ADDRESSEES = st.sampled_from(["各社区：", "各社区居委会：", "各村（社区）：", "全体网格员："])
_ISSUERS = st.sampled_from(["某某街道办事处", "区民政局", "XX街道党工委", "锦江区应急管理局"])
_DATES = st.builds(lambda y, m, d: f"{y}年{m}月{d}日", st.integers(2020, 2030), st.integers(1, 12), st.integers(1, 28))
_ASKING = st.sampled_from(["请", "务必", "要求各社区", "请于12月10日前", "各社区须"])
_WORK = st.sampled_from(
    ["报送辖区商铺名单", "上报困难群众信息", "组织居民参加消防演练", "开展防诈骗宣传", "统计养犬户数量", "张贴海报"]
)
_CN = "一二三四五六七八九十"
_STYLES = st.sampled_from(
    [
        lambda i: f"{_CN[i]}、",
        lambda i: f"（{_CN[i]}）",
        lambda i: f"{i + 1}.",
        lambda i: f"{i + 1}、",
        lambda i: f"（{i + 1}）",
    ]
)


@st.composite
def notices(draw):
    points = draw(st.lists(st.tuples(_ASKING, _WORK), min_size=1, max_size=8))
    style = draw(_STYLES)
    bodies = [f"{ask}{work}。" for ask, work in points]
    lines = [draw(_HEADINGS), draw(_ADDRESSEES)]
    if draw(st.booleans()):
        lines.append("为做好相关工作，现将有关事项通知如下：")
    lines += [style(i) + body for i, body in enumerate(bodies)]
    lines += [draw(_ISSUERS), draw(_DATES)]
    return "\n".join(lines), bodies, lines


@settings(max_examples=150, deadline=None)
@given(notices())
def test_numbered_points_always_split_and_heading_addressee_signature_never_become_demands(generated):
    text, bodies, lines = generated
    notice = split_notice(text)
    assert [d.text for d in notice.demands] == bodies
    top_and_bottom = {lines[0], lines[1], lines[-2], lines[-1]}
    for demand in notice.demands:
        assert text[demand.start : demand.end] == demand.text
        assert not any(line in demand.text for line in top_and_bottom)


@settings(max_examples=100, deadline=None)
@given(_HEADINGS, _ADDRESSEES, _ISSUERS, _DATES, st.booleans())
def test_a_notice_without_a_body_makes_no_demand(heading, addressee, issuer, day, contact):
    lines = [heading, addressee, issuer, day] + (["联系人：王某，电话：12345678。"] if contact else [])
    assert split_notice("\n".join(lines)).demands == []


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300))
def test_every_demand_is_a_piece_of_the_text_where_it_says(text):
    for demand in split_notice(text).demands:
        assert demand.text.strip() and 0 <= demand.start < demand.end <= len(text)
        assert demand.text.replace(" ", "") == "".join(text[demand.start : demand.end].split())


# --- Judged as typed text ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_demand_gets_the_verdict_the_same_words_get_typed(world):
    community = world.unit("牛沙路社区")
    text = "关于近期工作的通知\n各社区：\n一、请协助做好协税工作。\n二、调解邻里纠纷。\n街道办\n2026年11月1日"
    result = check_notice(community=community, on=ON, text=text)
    assert [j.demand.text for j in result.demands] == ["请协助做好协税工作。", "调解邻里纠纷。"]
    for judged in result.demands:
        typed = check.check_demand(community=community, on=ON, q=judged.demand.text)
        assert (judged.result.verdict, judged.result.reason) == (typed.verdict, typed.reason)
    assert [j.result.verdict for j in result.demands] == ["refuse", "must_do"]
    assert result.version.number == 2


@pytest.mark.django_db
def test_the_notice_api_judges_a_corrected_text_without_a_picture(api_client, world):
    community = world.unit("牛沙路社区")
    text = "各社区：\n一、请协助做好协税工作。\n二、调解邻里纠纷。\n街道办"
    response = api_client.post(
        "/api/v1/check/notice/", {"text": text, "community": community.pk, "date": "2026-11-02"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [d["verdict"] for d in body["demands"]] == ["refuse", "must_do"]
    first = body["demands"][0]
    assert text[first["span"]["start"] : first["span"]["end"]] == first["text"]
    assert first["candidates"][0]["item"]["title"] and first["boxes"] == []
    assert body["width"] == 0 and body["addressee"] == "各社区："


@pytest.mark.django_db
def test_the_notice_api_explains_bad_input(api_client, world):
    community = world.unit("牛沙路社区")
    response = api_client.post("/api/v1/check/notice/", {"text": "请协税", "community": 999999}, format="json")
    assert response.status_code == 400 and "community" in response.json()
    response = api_client.post("/api/v1/check/notice/", {"text": "请" * 5001, "community": community.pk}, format="json")
    assert response.status_code == 400 and "text" in response.json()
