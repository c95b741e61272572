"""The judgement as it is computed (an inverted index over the version, each entry's facts worked out once, the
applicable items read only as far as the decision needs them) gives what the rule gives computed plainly: every
entry of the version scored from its features, every applicable item kept, then decided. Demands are made of the
catalogue's own words, shuffled and mixed with noise, so that they meet many items at once."""

import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import judgement, selectors, services
from catalog.choices import ItemList, ItemType
from catalog.models import Unit
from catalog.thesaurus import ENFORCING_ACTIONS

pytestmark = pytest.mark.django_db

ON = date(2027, 6, 1)
NOISE = ["的", "请", "社区", "马上", "123", "abc", "帮忙", "检查", "宣传", "收费", "证明", "商业", "推销", "，", " "]


@pytest.fixture
def limited(world):
    """Jinjiang's catalogue with items limited to one community, and items that lapse, published."""
    jinjiang, minzheng = world.unit("锦江区"), world.user("minzheng")
    community = world.unit("牛沙路社区")
    other = Unit.objects.communities().filter(district=jinjiang).exclude(pk=community.pk).order_by("pk").first()
    draft = services.draft_start(district=jinjiang, actor=minzheng)
    items = list(draft.items.filter(list=ItemList.ASSISTANCE).order_by("code"))
    for n, item in enumerate(items):
        if n % 3 == 0:
            services.item_save(draft=draft, actor=minzheng, item=item, communities=[other])
        elif n % 3 == 1:
            services.item_save(draft=draft, actor=minzheng, item=item, applies_until=ON + timedelta(days=30))
    version = services.version_publish(draft=draft, actor=minzheng, effective_from=ON)
    words = set()
    for item in version.items.all():
        for text in [item.title, item.description, item.withdrawal_reason, *(item.aliases or [])]:
            words.update(w for w in re.split(r"[，。、；：\s（）()]+", text or "") if w)
    return version, [community, other], sorted(words)


def _plain_kind(key):
    return {"c": judgement.CONCEPT, "w": judgement.WORD, "s": judgement.SYNONYM, "b": judgement.BIGRAM}.get(
        key[0], judgement.UNIT
    )


def plain_judgement(version, text, community, on):
    """The rule written out plainly: every entry scored, every applicable item kept."""
    index = judgement.version_index(version)
    reading = judgement.understand(text)
    # What the demand says, each feature by its weight in the reading (a concept named twice weighs more).
    weights = {key: index.weight(key, value) for key, value in reading.features.items()}
    total = sum(weights.values())
    scored = []
    for entry in index.entries if total else []:
        matched = sum(w * entry.features[key] for key, w in weights.items() if key in entry.features)
        if not matched:
            continue
        head_total = sum(index.weight(key, _plain_kind(key)) for key in entry.title)
        head_hit = sum(w for key, w in weights.items() if key in entry.title)
        score = 0.55 * (matched / total) + 0.45 * (head_hit / head_total if head_total else 0.0)
        asks_enforcing = bool(reading.actions & ENFORCING_ACTIONS)
        entry_enforcing = bool(entry.actions & ENFORCING_ACTIONS) or entry.list in (
            ItemList.WITHDRAWN,
            ItemList.ASSESSMENTS,
        )
        if asks_enforcing and not entry_enforcing:
            score *= 0.75
        elif entry.list == ItemList.WITHDRAWN and (
            reading.actions & (ENFORCING_ACTIONS - {"inspect"}) or reading.actions & entry.actions & ENFORCING_ACTIONS
        ):
            score *= 1.2
        elif entry.list == ItemList.WITHDRAWN and not asks_enforcing and "publicise" in reading.actions:
            score *= 0.75
        if entry.type == ItemType.CERTIFICATE and "certify" not in reading.actions:
            score *= 0.6
        if "c:商业" in reading.features and "c:商业" not in entry.features:
            score *= 0.45
        scored.append(judgement.Scored(entry.obj, entry.list, score, matched))
    scored.sort(key=lambda s: (-s.score, s.list, s.obj.code, str(s.obj)))
    # The model's own rule, reading the item's communities through its relation.
    scored = [s for s in scored if s.obj.applies_to(community, on)]
    return judgement.decide(scored)


def _same(fast, plain):
    assert (fast.best is None) == (plain.best is None)
    assert fast.confidence == pytest.approx(plain.confidence, abs=1e-9)
    assert fast.hedged == plain.hedged
    assert [c.obj.pk for c in fast.candidates] == [c.obj.pk for c in plain.candidates]
    for a, b in zip(fast.candidates, plain.candidates, strict=True):
        assert a.score == pytest.approx(b.score, abs=1e-9)
        assert a.evidence == pytest.approx(b.evidence, abs=1e-9)
    if fast.best is not None:
        assert fast.best.obj.pk == plain.best.obj.pk
        assert fast.best.score == pytest.approx(plain.best.score, abs=1e-9)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_computed_judgement_is_the_plain_one(limited, data):
    version, communities, words = limited
    parts = data.draw(st.lists(st.sampled_from(words) | st.sampled_from(NOISE), min_size=1, max_size=8))
    text = "".join(parts)
    community = data.draw(st.sampled_from(communities))
    on = data.draw(st.sampled_from([ON, ON + timedelta(days=30), ON + timedelta(days=31)]))
    _same(
        judgement.judge(version=version, text=text, community=community, on=on),
        plain_judgement(version, text, community, on),
    )


def test_the_limits_are_exercised(limited):
    """Items limited to another community, or lapsed, are left out, as the plain rule leaves them out."""
    version, (community, other), _words = limited
    limited_items = [i for i in version.items.all() if i.communities.exists()]
    lapsing = [i for i in version.items.all() if i.applies_until]
    assert limited_items and lapsing
    item = limited_items[0]
    for who, on in [(community, ON), (other, ON)]:
        fast = judgement.judge(version=version, text=item.title, community=who, on=on)
        _same(fast, plain_judgement(version, item.title, who, on))
        assert (item.pk in [c.obj.pk for c in fast.candidates]) == (who == other)
    item = lapsing[0]
    late = ON + timedelta(days=31)
    fast = judgement.judge(version=version, text=item.title, community=community, on=late)
    _same(fast, plain_judgement(version, item.title, community, late))
    assert item.pk not in [c.obj.pk for c in fast.candidates]
    assert item.pk in [
        c.obj.pk for c in judgement.judge(version=version, text=item.title, community=community, on=ON).candidates
    ]


def test_no_community_judges_every_item(limited):
    """The gate at filing asks without a community: nothing is left out."""
    version, _communities, _words = limited
    item = next(i for i in version.items.all() if i.communities.exists())
    assert item.pk in [c.obj.pk for c in judgement.judge(version=version, text=item.title).candidates]
    assert selectors.version_in_force(district_id=version.district_id, on=ON) == version
