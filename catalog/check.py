"""The check: may this work be put on this community? (社区可以拒绝吗?)

Verdicts come from the catalogue in force. What the catalogue alone cannot know is asked of providers that
higher apps register in their AppConfig.ready(): whether a funding contract covers an assistance item
(funding), how many times an assessment was held (audits), whether an approved expedited item covers work
that is not listed (approvals). Until they register, an assistance item is unfunded, no assessment has been
held and nothing unlisted is covered.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from .answers import invalidate_check_on, kept_read
from .choices import ItemList, Verdict
from .judgement import judge, judge_extra
from .models import CatalogueItem, CatalogueVersion, Unit
from .selectors import version_in_force

# (community, items, on) → keys of the assistance items that a funding contract in force covers
FundedKeys = Callable[[Unit, list[CatalogueItem], date], set]
# (community, items, on) → {item key: assessments held in that year}
AssessmentCounts = Callable[[Unit, list[CatalogueItem], date], dict]


@dataclass(frozen=True)
class UrgentItem:
    """An approved expedited item in force for a community: the check judges a demand against its words with
    the same judgement (and the same strength) as a catalogue item."""

    label: str  # how the answer names it: "#12 紧急防汛排查"
    title: str
    text: str  # what it is about: its reason and description
    lapses_on: date


# (community, on) → the approved urgent items in force for that community on that day
ExpeditedItems = Callable[[Unit, date], list[UrgentItem]]

_providers: dict[str, list] = {"funded": [], "assessments": [], "expedited": []}


# Each provider names the models its answer is read from: a committed write to one of them retires the
# cached check answers (catalog.answers).


def register_funding_provider(provider: FundedKeys, *, reads: tuple) -> None:
    _providers["funded"].append(provider)
    invalidate_check_on(*reads)


def register_assessment_counter(provider: AssessmentCounts, *, reads: tuple) -> None:
    _providers["assessments"].append(provider)
    invalidate_check_on(*reads)


def register_expedited_provider(provider: ExpeditedItems, *, reads: tuple) -> None:
    _providers["expedited"].append(provider)
    invalidate_check_on(*reads)


@dataclass
class Candidate:
    item: CatalogueItem
    verdict: Verdict
    reason: str
    score: float = 0.0
    held_this_year: int | None = None


@dataclass
class CheckResult:
    """The answer of the check. `confidence` (0–1) says how sure the judgement is; `hedged` says that it is
    not sure enough to give a verdict: the answer is "可能属于：…，请核对" with the candidates."""

    community: Unit
    on: date
    query: str
    version: CatalogueVersion | None
    verdict: Verdict
    reason: str
    candidates: list[Candidate] = field(default_factory=list)
    covered_by: str | None = None
    confidence: float = 0.0
    hedged: bool = False
    covered_until: date | None = None


_LOOK_UP = object()


def check_demand(
    *, community: Unit, on: date, q: str = "", item: CatalogueItem | None = None, limit: int = 5, version=_LOOK_UP
) -> CheckResult:
    """The verdict for a demand made of `community` on `on`: free text `q`, or one catalogue `item`. A caller
    that judges several demands at once (a notice's) passes the `version` in force it looked up once."""
    if version is _LOOK_UP:
        district_id = community.district_id
        version = kept_read(("version", district_id, on), lambda: version_in_force(district_id=district_id, on=on))
    if version is None:
        return CheckResult(
            community,
            on,
            q,
            None,
            Verdict.NOT_LISTED,
            _("No catalogue was in force in this district on %(date)s, so nothing may be required of the community.")
            % {"date": on},
        )
    if item is not None:
        # Only what applies to this community on this day (an approved item's communities and end date).
        if item.version_id != version.pk or not item.applies_to(community, on):
            return _not_listed(community, on, item.title, version)
        candidates = _verdicts(community, [item], on, [1.0])
        best = candidates[0]
        return CheckResult(community, on, item.title, version, best.verdict, best.reason, candidates, confidence=1.0)
    # The items of the version are judged; an item's applicability (its communities, the day it applies
    # until) narrows them.
    judged = judge(version=version, text=q, community=community, on=on)
    if judged.best is not None:
        # The items are the index's own (shared by every request): their scores travel beside them.
        shown = judged.candidates[:limit]
        candidates = _verdicts(community, [s.obj for s in shown], on, [round(s.score, 3) for s in shown])
        if not judged.hedged:
            best = candidates[0]
            return CheckResult(
                community, on, q, version, best.verdict, best.reason, candidates, confidence=judged.confidence
            )
    urgent = _urgent_cover(community, version, q, on)
    if urgent is not None:
        cover, confidence = urgent
        reason = _(
            "Not in the catalogue, but an approved urgent item covers it until %(date)s: %(item)s. "
            "The community assists with it until that day."
        ) % {"date": cover.lapses_on, "item": cover.label}
        return CheckResult(
            community,
            on,
            q,
            version,
            Verdict.URGENT_COVERED,
            reason,
            [],
            cover.label,
            confidence=confidence,
            covered_until=cover.lapses_on,
        )
    if judged.best is not None:  # hedged: what it may be, never a verdict
        titles = "、".join(f"“{c.item.title}”" for c in candidates[:3])
        reason = _(
            "Possibly: %(items)s. Please check: the demand's words do not match any item closely enough for a "
            "verdict. Compare it with the candidates below, or describe it more exactly."
        ) % {"items": titles}
        return CheckResult(
            community, on, q, version, Verdict.UNCERTAIN, reason, candidates, confidence=judged.confidence, hedged=True
        )
    return _not_listed(community, on, q, version, confidence=1.0 - judged.confidence)


def _not_listed(community, on, q, version, confidence: float = 1.0) -> CheckResult:
    reason = _(
        "Not in the catalogue in force (version %(number)s, from %(date)s): the community may refuse it. "
        "Work outside the catalogue needs approval through the district's access procedure."
    ) % {"number": version.number, "date": version.effective_from}
    return CheckResult(community, on, q, version, Verdict.NOT_LISTED, reason, [], confidence=round(confidence, 3))


def _urgent_cover(community: Unit, version: CatalogueVersion, q: str, on: date):
    """The approved urgent item that covers the demand as strongly as a catalogue item would, if any."""
    urgent = [u for provider in _providers["expedited"] for u in _asked(provider, community, on)]
    if not urgent or not q.strip():
        return None
    judged = judge_extra(version=version, text=q, documents=[(u, u.title, u.text) for u in urgent])
    if judged.best is None or judged.hedged:
        return None
    return judged.best.obj, judged.confidence


def _asked(provider, community: Unit, *args):
    """A provider's answer: what it reads moves the check's generation on (`reads=`), so under one generation
    the same question has the same answer (catalog.answers.kept_read)."""
    key = tuple(tuple(i.pk for i in a) if isinstance(a, list) else a for a in args)
    return kept_read(("provider", id(provider), community.pk, *key), lambda: provider(community, *args))


def _verdicts(community: Unit, items: list[CatalogueItem], on: date, scores: list[float]) -> list[Candidate]:
    funded: set = set()
    for provider in _providers["funded"]:
        funded |= _asked(provider, community, [i for i in items if i.list == ItemList.ASSISTANCE], on)
    held: dict = {}
    for provider in _providers["assessments"]:
        for key, n in _asked(provider, community, [i for i in items if i.list == ItemList.ASSESSMENTS], on).items():
            held[key] = held.get(key, 0) + n
    return [_verdict(item, on, funded, held, score) for item, score in zip(items, scores, strict=True)]


def _verdict(item: CatalogueItem, on: date, funded: set, held: dict, score: float) -> Candidate:
    if item.list == ItemList.DUTIES:
        return Candidate(item, Verdict.MUST_DO, _("On the duties list: the community does this by law."), score)
    if item.list == ItemList.WITHDRAWN:
        reason = _("On the withdrawn list: this work must not be given to communities.")
        if item.withdrawal_reason:
            reason += " " + item.withdrawal_reason
        if item.belongs_to:
            reason += " " + _("It belongs to: %(unit)s.") % {"unit": item.belongs_to}
        return Candidate(item, Verdict.REFUSE, reason, score)
    if item.list == ItemList.ASSISTANCE:
        if item.key in funded:
            return Candidate(
                item, Verdict.ASSIST_FUNDED, _("On the assistance list, and a funding contract is in force."), score
            )
        return Candidate(
            item,
            Verdict.ASSIST_UNFUNDED,
            _(
                "On the assistance list, but no funding contract is in force for this community: "
                "%(unit)s must fund it (谁委托谁出钱)."
            )
            % {"unit": item.delegating_unit or _("the delegating unit")},
            score,
        )
    count = held.get(item.key, 0)
    if item.allowed_months and on.month not in item.allowed_months:
        months = "、".join(str(m) for m in item.allowed_months)
        return Candidate(
            item,
            Verdict.ASSESSMENT_LIMIT_REACHED,
            _("This assessment may only be held in months %(months)s.") % {"months": months},
            score,
            count,
        )
    if item.max_per_year and count >= item.max_per_year:
        return Candidate(
            item,
            Verdict.ASSESSMENT_LIMIT_REACHED,
            _("Already held %(count)s times this year; at most %(max)s are allowed.")
            % {"count": count, "max": item.max_per_year},
            score,
            count,
        )
    return Candidate(
        item,
        Verdict.ASSESSMENT_ALLOWED,
        _("On the assessment list: held %(count)s of at most %(max)s times this year.")
        % {"count": count, "max": item.max_per_year},
        score,
        count,
    )
