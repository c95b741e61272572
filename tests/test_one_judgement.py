"""One judgement of a demand (catalog.judgement), asked by the check, the gate at filing, the burden report
and the urgent cover: the same text against the same version on the same day gets the same answer."""

from datetime import date
from decimal import Decimal

import opencc
import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import check, judgement, selectors
from catalog.choices import ItemList

pytestmark = pytest.mark.django_db

ON = date(2026, 11, 2)
POSITIVE = {"must_do", "assist_funded", "assist_unfunded", "assessment_allowed", "urgent_covered"}


@pytest.fixture
def community(world):
    return world.unit("牛沙路社区")


def _department(world, name):
    from catalog.models import Unit

    return Unit.objects.get(name=name, district=world.unit("锦江区"))


def _application(world, **fields):
    from approvals import services

    applicant = world.user("bumen")
    values = {
        "title": "协助开展老年人健康体检组织工作",
        "reason": "国家基本公共卫生服务项目要求65岁以上老年人每年体检一次，需要社区通知和组织居民。",
        "basis_document": "国家基本公共卫生服务规范（第三版）",
        "requested_list": "assistance",
        "item_type": "work_task",
        "scope": "all",
        "workload": "每社区每年约5个工作日",
        "start_date": date(2027, 3, 1),
        "payer": _department(world, "区卫生健康局"),
        "amount_per_community": Decimal("1200.00"),
    } | fields
    return services.application_save(actor=applicant, scope_streets=None, scope_communities=None, **values)


@pytest.mark.parametrize("text", ["社区配合开展城市管理执法巡查", "城管让社区配合执法巡查", "要求社区配合城管执法"])
def test_the_gate_refuses_what_the_check_refuses_citing_the_same_item(world, community, text):
    """Before: "社区配合开展城市管理执法巡查" passed the gate (its own word match) while the check refused it. Now the
    gate asks the check's judgement of the same text: a refusal there is a refusal at filing, citing the same
    item; a hedged answer there ("可能属于…") is a warning at filing naming the same item, never silence."""
    from approvals import services

    answer = check.check_demand(community=community, on=date(2027, 3, 1), q=text)
    assert answer.candidates and answer.candidates[0].item.list == ItemList.WITHDRAWN
    cited = answer.candidates[0].item
    application = _application(world, title=text, reason=text)
    filing = services.filing_check(application, today=date(2026, 11, 23))
    if answer.verdict == "refuse":
        assert not answer.hedged
        assert f"“{cited.title}”" in " ".join(filing.errors.get("title", []))
        with pytest.raises(ValidationError):
            services.application_submit(application=application, actor=world.user("bumen"), today=date(2026, 11, 23))
    else:
        assert answer.hedged
        assert any(f"“{cited.title}”" in warning for warning in filing.warnings)


def test_the_gate_judges_against_the_version_in_force_when_the_work_starts(world, community):
    """路口交通执勤 was on the withdrawn list of version 1 and is not in version 2 (from 2021)."""
    from approvals import services

    v1 = selectors.version_in_force(district_id=community.district_id, on=date(2016, 5, 1))
    assert v1.items.filter(title="路口交通执勤", list=ItemList.WITHDRAWN).exists()
    text = "安排社区人员路口交通执勤"
    early = _application(world, title=text, reason="早晚高峰路口执勤。", start_date=date(2016, 5, 1))
    filing = services.filing_check(early, today=date(2026, 11, 23))
    assert any("路口交通执勤" in message for message in filing.errors.get("title", []))
    late = _application(world, title=text, reason="早晚高峰路口执勤。", start_date=date(2027, 3, 1))
    assert not any(
        "路口交通执勤" in m for m in services.filing_check(late, today=date(2026, 11, 23)).errors.get("title", [])
    )


def test_the_burden_report_keeps_the_checks_verdict(world, community):
    from audits import services

    demand = "税务所让社区帮忙催缴商户欠税"
    report = services.report_submit(
        actor=world.user("shuji"),
        demanding_unit=_department(world, "区卫生健康局"),
        demand=demand,
        demanded_on=ON,
        reveal_reporter=False,
    )
    answer = check.check_demand(community=community, on=ON, q=demand)
    assert report.check_result["verdict"] == answer.verdict == "refuse"
    assert report.check_result["hedged"] is answer.hedged is False
    assert report.check_result["confidence"] == answer.confidence


# --- Properties ---------------------------------------------------------------------------------------

_T2S = opencc.OpenCC("s2t")
DEMANDS = [
    "税务局让社区帮忙催缴商户欠税",
    "对沿街商铺开展消防检查并下达整改通知",
    "向居民宣传消防安全知识",
    "组织居民调解邻里纠纷",
    "协助开展低保入户调查",
    "要求社区组织居民参加商场的商业推广活动",
    "省级文明社区测评",
    "让社区出具无犯罪记录证明",
    "街道让社区负责拆除违章建筑",
]
WORDS = ["社区", "协助", "通知", "检查", "宣传", "居民", "证明", "拆除", "活动", "安全", "统计", "企业", "低保", "APP"]


def _variants(text: str, positions: list[int]) -> list[str]:
    zero_width = text
    for position in sorted({p % (len(text) + 1) for p in positions}, reverse=True):
        zero_width = zero_width[:position] + "\u200b" + zero_width[position:]
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return [zero_width, full_width, _T2S.convert(text), " \u3000" + text + "\ufeff"]


def _answer(result):
    return (result.verdict, result.hedged, result.confidence, [c.item.pk for c in result.candidates])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(st.sampled_from(DEMANDS), st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map("".join)),
    positions=st.lists(st.integers(min_value=0, max_value=40), max_size=4),
)
def test_zero_width_full_width_and_traditional_variants_get_the_same_judgement(community, text, positions):
    expected = _answer(check.check_demand(community=community, on=ON, q=text))
    for variant in _variants(text, positions):
        assert _answer(check.check_demand(community=community, on=ON, q=variant)) == expected, variant


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(st.sampled_from([*WORDS, "火星", "探测", "商场", "促销", "门票", "楼盘"]), min_size=1, max_size=6)
)
def test_a_weak_match_never_gives_a_confident_positive_verdict(community, words):
    result = check.check_demand(community=community, on=ON, q="".join(words))
    if result.verdict in POSITIVE - {"urgent_covered"}:
        assert not result.hedged and result.confidence >= judgement.STRONG_POSITIVE
    if result.hedged:
        assert result.verdict == "uncertain" and result.candidates
    if result.confidence < judgement.STRONG and result.verdict not in ("not_listed",):
        assert result.verdict == "uncertain"


def test_one_shared_word_is_a_weak_match_not_a_verdict(community):
    """Before: "协助征收税款" was assist_unfunded on the one word 协助."""
    for text in ["协助", "通知", "协助商场搞促销"]:
        result = check.check_demand(community=community, on=ON, q=text)
        assert result.verdict in ("not_listed", "uncertain"), text
    assert check.check_demand(community=community, on=ON, q="税务部门要求社区协助征收税款").verdict == "refuse"


def test_what_a_demand_asks_to_do_is_weighed_against_what_it_is_about(community):
    publicity = check.check_demand(community=community, on=ON, q="向居民宣传消防安全知识")
    enforcement = check.check_demand(community=community, on=ON, q="要求社区对沿街商铺开展消防检查，发现问题罚款")
    assert publicity.verdict != "refuse"
    assert enforcement.verdict in ("refuse", "uncertain") and enforcement.verdict != publicity.verdict


def test_an_alias_finds_its_item(world, community):
    """Aliases (常见说法) are indexed with the item of the published version."""
    from catalog import services

    jinjiang = community.district
    minzheng = world.user("minzheng")
    text = "帮着盯一盯外卖骑手的头盔"
    assert check.check_demand(community=community, on=date(2027, 6, 1), q=text).verdict == "not_listed"
    draft = services.draft_start(district=jinjiang, actor=minzheng)
    item = draft.items.get(title="协税护税")
    services.item_save(draft=draft, actor=minzheng, item=item, aliases=["盯一盯外卖骑手的头盔"])
    services.version_publish(draft=draft, actor=minzheng, effective_from=date(2027, 6, 1))
    result = check.check_demand(community=community, on=date(2027, 6, 1), q=text)
    assert result.verdict == "refuse" and result.candidates[0].item.title == "协税护税"


def test_a_published_versions_index_is_built_once(community, django_assert_max_num_queries):
    check.check_demand(community=community, on=ON, q="协税")
    version = selectors.version_in_force(district_id=community.district_id, on=ON)
    assert judgement.version_index(version) is judgement.version_index(version)
    with django_assert_max_num_queries(1):  # the version in force; the items are kept
        judgement.judge(version=version, text="组织居民调解邻里纠纷")
