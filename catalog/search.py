"""Chinese word segmentation for the catalogue search and the check (jieba).

Items are indexed with jieba's search-mode words plus every two-character run of Chinese text, so that
a query word that jieba never cuts out of an item ("协税" inside "协税护税") still finds it. Queries are cut
into words with the same dictionary; words that every demand contains ("社区", "工作") are dropped.
"""

import re
from functools import cache

import jieba

from .text import normalise

DOMAIN_WORDS = [
    "协税护税",
    "招商引资",
    "经济创收",
    "拆迁拆违",
    "环境整治",
    "城市管理",
    "一票否决",
    "台账报表",
    "证明盖章",
    "检查评比",
    "机构牌子",
    "费随事转",
    "权随责走",
    "政府购买服务",
    "食品安全",
    "居民委员会",
    "网格化",
    "低保",
    "残疾人",
    "退役军人",
    "计划生育",
    "流动人口",
    "消防安全",
    "居住证明",
    "养老服务",
]

# A line of words reads better than 80 quoted strings.
_STOP_TEXT = (
    "社区 工作 任务 事项 街道 我们 你们 他们 要求 需要 帮忙 帮助 负责 开展 进行 相关 有关 "
    "一个 一些 这个 那个 这些 那些 "
    "让 做 的 了 和 与 及 在 是 对 把 被 给 等 由 为 也 都 就 要 请 把 从 向 将 并 或 一下 一次 今天 明天 每周 每月 "
    "the a an of to and for in on with"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[\w\u4e00-\u9fff]+")


@cache
def _segmenter() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    for word in DOMAIN_WORDS:
        tokenizer.add_word(word, freq=200000)
    return tokenizer


SEGMENTED_CHARS = 5000  # jieba's time grows with the text: a query or an item is cut from its first 5,000


def _words(text: str) -> list[str]:
    words = []
    for word in _segmenter().cut_for_search(normalise(text[: 2 * SEGMENTED_CHARS])[:SEGMENTED_CHARS]):
        word = word.strip().lower()
        if word and _WORD.fullmatch(word):
            words.append(word)
    return words


def index_tokens(text: str) -> list[str]:
    text = normalise(text[: 2 * SEGMENTED_CHARS])[:SEGMENTED_CHARS]
    tokens = _words(text)
    for run in _HAN_RUN.findall(text):
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def query_tokens(text: str) -> list[str]:
    """Distinct query words in order; single characters and stop words only when nothing else is left."""
    words = list(dict.fromkeys(_words(text)))
    meaningful = [w for w in words if w not in STOP_WORDS and (len(w) > 1 or not _HAN_RUN.fullmatch(w))]
    return meaningful or words


def item_tokens(item) -> str:
    """The indexed text of an item; the title counts twice so that a title match ranks first."""
    title = index_tokens(item.title)
    rest = index_tokens(" ".join([item.description, item.basis_document, item.belongs_to, item.withdrawal_reason]))
    return " ".join([*title, *title, *rest])


def warm_up() -> None:
    """Load the dictionary and the check's synonym groups ahead of the first request (a few seconds)."""
    _segmenter().initialize()
    from .judgement import understand  # it reads 同义词词林 on first use

    understand("社区")
