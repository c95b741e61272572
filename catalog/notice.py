"""A notice (通知) split into the demands it makes of the community, each judged as typed text is.

A notice is a heading (关于开展…的通知), an addressee (各社区：), a body and a signature with its date. The body's
demands are its numbered points (一、 （一） 1. ①), or, in a body without numbers, its sentences that ask something
of the community (请…, 要求…, 务必…, 于…前报送…). The heading, the addressee, the introduction (现将有关事项通知如下：),
a section title that only heads the points under it (一、工作要求), the contact line and the signature are not
demands.

Every demand keeps where it is in the text (start, end), so that a page can mark it and a corrected text can be
split again without reading the picture again.

Read from a picture, each demand is also marked on it: the lines it is made of, as fractions of the picture as the
person sees it (`Placement`). The picture is not kept, so the page carries the lines' places with the text, signed
(`placement_token`); when the secretary corrects the text, each line keeps its place by the characters of it that
are still there (an alignment of the read text with the corrected one), and a demand is marked by the lines its
characters come from. A line rewritten entirely, and a demand typed in that the picture never showed, are not
marked.
"""

import bisect
import difflib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import date

from django.core import signing

from .check import CheckResult, check_demand
from .models import Unit
from .photo import turned_back
from .selectors import version_in_force

NOTICE_CHARS = 5000  # a notice of two pages; longer is several notices
MAX_DEMANDS = 30  # a notice with more points than this is several notices
DEMAND_CHARS = 500  # what the check takes of one demand (the check API's `q`)

# The marker of a numbered point, by level: 一、 (1), （一） (2), 1. (3), （1） (4), ① (5).
_MARKERS = [
    (1, re.compile(r"[一二三四五六七八九十]{1,3}\s*[、.．]")),
    (2, re.compile(r"[（(]\s*[一二三四五六七八九十]{1,3}\s*[）)]")),
    (3, re.compile(r"\d{1,2}\s*[、.．](?!\d)")),
    (4, re.compile(r"[（(]\s*\d{1,2}\s*[）)]")),
    (5, re.compile(r"[①-⑳]")),
    (3, re.compile(r"第[一二三四五六七八九十\d]{1,3}[条项点][，,、：:\s]?")),
]
# A sentence outside the numbered points that asks something of the community (a report of what will happen,
# "近期将开展防汛演练", asks nothing).
_ASKS = re.compile(r"请|要求|务必|必须|须|需要|应当|应于|应在|要在|于.{0,16}前|报送|上报|报至|提交|填报")
# What a numbered point that heads others, or a bare title, does not do.
_DOES = re.compile(_ASKS.pattern + r"|组织|开展|落实|做好|负责|配合|协助|安排|统计|摸排|排查|登记|收集|张贴|发放|参加")
_INTRODUCES = re.compile(r"(如下|以下|通知如下|事项如下|要求如下)\s*[：:]?\s*$|[：:]\s*$")
_DATE = re.compile(
    r"^\s*(\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*[\d一二三四五六七八九十]{1,3}\s*月"
    r"(\s*[\d一二三四五六七八九十]{1,3}\s*日)?\s*$"
)
_ADDRESSEE = re.compile(
    r"^\s*(各|全体)?[^，。；：:]{0,24}(社区|居委会|居民委员会|村委会|村|单位|部门|网格|同志|委员|书记)"
    r"[^，。；]{0,8}[：:]\s*$"
)
_HEADING = re.compile(r"(通知|通告|公告|函|方案|意见|办法|紧急通知|提示|告知书|倡议书)\s*$")
_CONTACT = re.compile(r"^\s*(联系人|联系电话|电话|咨询电话|附件|邮箱|抄送|抄报|特此通知|此致|敬礼)")
_SENTENCE = re.compile(r"[^。！？；!?;]+[。！？；!?;]*")
_SPACE = re.compile(r"\s+")


@dataclass
class Demand:
    text: str  # the demand as the check reads it: without its number
    start: int  # where it is in the notice's text
    end: int
    number: str = ""  # its marker as written ("一、", "（二）"), if numbered


@dataclass
class Notice:
    text: str
    demands: list[Demand] = field(default_factory=list)
    heading: str = ""
    addressee: str = ""
    signature: str = ""


def _marker(paragraph: str) -> tuple[int, int] | None:
    """(level, length of the marker with the space after it) of a paragraph that begins a numbered point."""
    stripped = len(paragraph) - len(paragraph.lstrip())
    for level, pattern in _MARKERS:
        match = pattern.match(paragraph, stripped)
        if match:
            end = match.end()
            while end < len(paragraph) and paragraph[end].isspace():
                end += 1
            if end < len(paragraph):  # a marker with nothing after it is not a point
                return level, end
    return None


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line, trimmed."""
    spans, at = [], 0
    for line in text.split("\n"):
        start = at + len(line) - len(line.lstrip())
        end = at + len(line.rstrip())
        if end > start:
            spans.append((start, end))
        at += len(line) + 1
    return spans


def _is_signature(paragraph: str) -> bool:
    """A date, a contact line, or a short line without a sentence's punctuation that asks nothing (the issuer)."""
    if _DATE.match(paragraph) or _CONTACT.match(paragraph):
        return True
    return len(paragraph) <= 24 and not re.search(r"[。！？；，,]", paragraph) and not _marker(paragraph)


def split_notice(text: str) -> Notice:
    """The heading, addressee, signature and demands of the notice `text` (one paragraph a line)."""
    spans = _paragraphs(text)
    notice = Notice(text)
    # The top: a heading and the addressee, before the body.
    head = 0
    for i, (start, end) in enumerate(spans[:4]):
        paragraph = text[start:end]
        if _ADDRESSEE.match(paragraph) and not _marker(paragraph):
            notice.heading = " ".join(text[s:e] for s, e in spans[:i])
            notice.addressee = paragraph
            head = i + 1
            break
    else:
        if spans:
            first = text[spans[0][0] : spans[0][1]]
            if not _marker(first) and (
                _HEADING.search(first) or (len(first) <= 40 and not re.search(r"[。！？；]", first))
            ):
                notice.heading, head = first, 1
    # The bottom: the signature, dates and contact lines after the body.
    tail = len(spans)
    while tail > head and _is_signature(text[spans[tail - 1][0] : spans[tail - 1][1]]):
        tail -= 1
    notice.signature = " ".join(text[s:e] for s, e in spans[tail:])
    body = spans[head:tail]
    # Numbered points, each with the unnumbered lines that continue it (a sentence that wrapped).
    points: list[list] = []  # [level, number, start, end]
    loose: list[tuple[int, int]] = []  # body paragraphs outside any point
    for start, end in body:
        paragraph = text[start:end]
        found = _marker(paragraph)
        if found:
            level, length = found
            points.append([level, paragraph[:length].strip(), start + length, end])
        elif points and text[points[-1][3] - 1] not in "。！？；!?;" and not _CONTACT.match(paragraph):
            points[-1][3] = end
        else:
            loose.append((start, end))
    demands = []
    for i, (level, number, start, end) in enumerate(points):
        paragraph = text[start:end]
        deeper_follows = i + 1 < len(points) and points[i + 1][0] > level
        title = len(paragraph) <= 16 and not re.search(r"[，。；！？,;!?]", paragraph)
        if title and (deeper_follows or not _DOES.search(paragraph)):
            continue  # a section title (一、工作要求): the points under it are the demands
        if deeper_follows and _INTRODUCES.search(paragraph):
            continue
        demands.append(Demand(_SPACE.sub(" ", paragraph), start, end, number))
    for start, end in loose:
        paragraph = text[start:end]
        if _CONTACT.match(paragraph):
            continue
        for match in _SENTENCE.finditer(paragraph):
            sentence = match.group().strip()
            if not sentence or not _ASKS.search(sentence):
                continue
            if _INTRODUCES.search(sentence) and points:
                continue  # "请做好以下工作：" introduces the points
            s = start + match.start() + (len(match.group()) - len(match.group().lstrip()))
            demands.append(Demand(_SPACE.sub(" ", sentence), s, s + len(sentence)))
    demands.sort(key=lambda d: d.start)
    notice.demands = demands[:MAX_DEMANDS]
    return notice


def issuer_of(signature: str) -> str:
    """The unit that issued a notice, from its signature (某某街道办事处 2026年11月1日): the part that is no date
    and no contact line."""
    for part in signature.split(" "):
        if part and not _DATE.match(part) and not _CONTACT.match(part):
            return part[:100]
    return ""


# --- Where each demand is on the picture ------------------------------------------------------------------------

PLACEMENT_SALT = "catalog.notice-placement"
PLACEMENT_TOKEN_CHARS = 18_000  # under the request's bound on one value (catalog.limits.MAX_FIELD_CHARS)
MAX_LINES = 400


@dataclass
class PlacedLine:
    start: int  # the line's characters in the read text
    end: int
    box: tuple[float, float, float, float]  # left, top, right, bottom: fractions of the picture as read


@dataclass
class Placement:
    """The lines of a reading and where each is on the picture (catalog.photo.Reading), and how far the picture was
    turned to be read: the marks are given on the picture as the person sees it."""

    text: str
    lines: list[PlacedLine]
    rotated: int = 0

    @classmethod
    def of_reading(cls, reading) -> "Placement":
        lines = [PlacedLine(ln.start, ln.end, reading.fractions(ln.box)) for ln in reading.lines]
        return cls(reading.text, lines, reading.rotated)

    def marks(self, text: str, demands: list[Demand]) -> list[list[tuple[float, float, float, float]]]:
        """For each demand of `text` (the read text, or the secretary's correction of it), the parts of the lines it
        is made of, from the first to the last of its characters on each. A line shared by two demands (two
        sentences) is cut by characters: Chinese characters are of one width, so the k-th of n characters starts
        k/n along the line."""
        moved = _aligned(self.text, text)
        starts = [d.start for d in demands]
        out: list[list] = [[] for _d in demands]
        for line in self.lines:
            # Which demand each of the line's characters is now in. Its words, not its punctuation: a 。 that the
            # alignment could place at either of two sentence ends never marks a line for a demand.
            spans: dict[int, list[int]] = {}
            for i in range(line.start, line.end):
                at = moved[i]
                if at is None or not self.text[i].isalnum():
                    continue
                k = bisect.bisect_right(starts, at) - 1
                if k >= 0 and at < demands[k].end:
                    spans.setdefault(k, []).append(i)
            length = max(1, line.end - line.start)
            left, top, right, bottom = line.box  # as read: the line runs left to right
            for k, kept in spans.items():
                start, end = (kept[0] - line.start) / length, (kept[-1] + 1 - line.start) / length
                part = (left + (right - left) * start, top, left + (right - left) * end, bottom)
                out[k].append(turned_back(part, self.rotated))
        return out


# The characters of the paragraphs a correction changed are aligned at a cost of about the product of their lengths:
# past this much in one text (a notice rewritten rather than corrected), what is left is not aligned, so not marked.
ALIGN_BUDGET = 1_000_000


def _aligned(read: str, corrected: str) -> list[int | None]:
    """Where each character of `read` is in `corrected`, or None if it was changed or deleted. Paragraphs are
    aligned first (a correction leaves most of them as they were), then the characters of those that differ, while
    ALIGN_BUDGET lasts."""
    if read == corrected:
        return list(range(len(read)))
    moved: list[int | None] = [None] * len(read)
    old, new = read.split("\n"), corrected.split("\n")
    old_at = [0]
    for row in old:
        old_at.append(old_at[-1] + len(row) + 1)
    new_at = [0]
    for row in new:
        new_at.append(new_at[-1] + len(row) + 1)
    rows = difflib.SequenceMatcher(None, old, new, autojunk=False)
    budget = ALIGN_BUDGET
    for tag, i1, i2, j1, j2 in rows.get_opcodes():
        a0, a1 = old_at[i1], min(old_at[i2], len(read) + 1) - (1 if i2 > i1 else 0)
        b0, b1 = new_at[j1], min(new_at[j2], len(corrected) + 1) - (1 if j2 > j1 else 0)
        if tag == "equal":
            for k in range(a1 - a0):
                moved[a0 + k] = b0 + k
        elif tag == "replace" and (budget := budget - (a1 - a0) * (b1 - b0)) >= 0:
            chars = difflib.SequenceMatcher(None, read[a0:a1], corrected[b0:b1], autojunk=False)
            for a, b, size in chars.get_matching_blocks():
                for k in range(size):
                    moved[a0 + a + k] = b0 + b + k
    return moved


class _Compact:
    """signing's serializer, without escaping Chinese (three bytes a character, not six)."""

    def dumps(self, obj):
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def loads(self, data):
        return json.loads(data.decode("utf-8"))


def placement_token(placement: Placement | None) -> str:
    """The placement, signed, for the page to send back with a corrected text; "" if there is none to carry."""
    if placement is None or not placement.lines:
        return ""
    lines = [[ln.start, ln.end, *(round(n, 4) for n in ln.box)] for ln in placement.lines[:MAX_LINES]]
    data = {"t": placement.text, "l": lines, "r": placement.rotated}
    token = signing.dumps(data, salt=PLACEMENT_SALT, serializer=_Compact, compress=True)
    return token if len(token) <= PLACEMENT_TOKEN_CHARS else ""


def placement_from_token(token: str) -> Placement | None:
    """The placement a token carries; None if there is none, or it was altered (then nothing is marked)."""
    if not token or len(token) > PLACEMENT_TOKEN_CHARS:
        return None
    try:
        data = signing.loads(token, salt=PLACEMENT_SALT, serializer=_Compact)
        text, rotated = data["t"], int(data.get("r", 0)) % 360
        lines = [
            PlacedLine(int(s), int(e), tuple(float(n) for n in box))
            for s, e, *box in data["l"][:MAX_LINES]
            if len(box) == 4 and 0 <= int(s) < int(e) <= len(text)
        ]
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        return None
    return Placement(text, lines, rotated - rotated % 90) if isinstance(text, str) else None


@dataclass
class JudgedDemand:
    demand: Demand
    result: CheckResult
    boxes: list[list[int]] = field(default_factory=list)  # its lines on the picture, if it was read from one
    # Its parts on the picture as shown: (left, top, right, bottom) fractions, one a line; empty if not on it.
    marks: list[tuple[float, float, float, float]] = field(default_factory=list)

    @property
    def region(self) -> tuple[float, float, float, float] | None:
        """The one rectangle around its marks."""
        if not self.marks:
            return None
        return (
            min(m[0] for m in self.marks),
            min(m[1] for m in self.marks),
            max(m[2] for m in self.marks),
            max(m[3] for m in self.marks),
        )


@dataclass
class NoticeCheck:
    """A notice's demands, each with the check's answer; with the picture's size if it was read from one."""

    community: Unit
    date: date
    version: object
    text: str
    heading: str
    addressee: str
    signature: str
    demands: list[JudgedDemand]
    seconds: float = 0.0
    width: int = 0
    height: int = 0
    rotated: int = 0
    placement: Placement | None = None

    @property
    def placement_token(self) -> str:
        return placement_token(self.placement)

    @property
    def marked(self) -> bool:
        return any(j.marks for j in self.demands)


def check_notice(
    *, community: Unit, on: date, text: str, reading=None, placement: Placement | None = None
) -> NoticeCheck:
    """The notice `text` split into its demands, each judged for `community` on `on` with the same judgement as a
    typed demand (catalog.check.check_demand). `reading` (catalog.photo.Reading), if the text is what was read
    from a picture, places each demand on it; `placement`, that of an earlier reading whose text the secretary
    corrected into `text`, places the demands whose characters are still those read."""
    started = time.monotonic()
    text = text[:NOTICE_CHARS]
    notice = split_notice(text)
    judged = []
    version = version_in_force(district_id=community.district_id, on=on)
    if reading is not None:
        placement = Placement.of_reading(reading)
    marks = placement.marks(text, notice.demands) if placement is not None else [[] for _d in notice.demands]
    for demand, demand_marks in zip(notice.demands, marks, strict=True):
        result = check_demand(community=community, on=on, q=demand.text[:DEMAND_CHARS], version=version)
        boxes = []
        if reading is not None and reading.text == text:
            boxes = [list(line.box) for line in reading.lines if line.start < demand.end and line.end > demand.start]
        judged.append(JudgedDemand(demand, result, boxes, demand_marks))
    seconds = time.monotonic() - started + (reading.seconds if reading else 0.0)
    return NoticeCheck(
        community,
        on,
        version,
        text,
        notice.heading,
        notice.addressee,
        notice.signature,
        judged,
        round(seconds, 2),
        reading.width if reading else 0,
        reading.height if reading else 0,
        reading.rotated if reading else 0,
        placement,
    )
