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

from .answers import invalidate_check_on
from .choices import ItemList, Verdict
from .models import CatalogueItem, CatalogueVersion, Unit
from .search import query_tokens
from .selectors import items_search, version_in_force

# (community, items, on) → keys of the assistance items that a funding contract in force covers
FundedKeys = Callable[[Unit, list[CatalogueItem], date], set]
# (community, items, on) → {item key: assessments held in that year}
AssessmentCounts = Callable[[Unit, list[CatalogueItem], date], dict]
# (community, text, on) → a short description of the approved expedited item covering it, or None
ExpeditedCover = Callable[[Unit, str, date], str | None]

RELEVANCE_FLOOR = 0.3  # candidates below this share of the best match's score are not shown
MIN_SHARED_WORDS = 1 / 3  # a candidate must share at least a third of the demand's words

_providers: dict[str, list] = {"funded": [], "assessments": [], "expedited": []}


# Each provider names the models its answer is read from: a committed write to one of them retires the
# cached check answers (catalog.answers).


def register_funding_provider(provider: FundedKeys, *, reads: tuple) -> None:
    _providers["funded"].append(provider)
    invalidate_check_on(*reads)


def register_assessment_counter(provider: AssessmentCounts, *, reads: tuple) -> None:
    _providers["assessments"].append(provider)
    invalidate_check_on(*reads)


def register_expedited_provider(provider: ExpeditedCover, *, reads: tuple) -> None:
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
    community: Unit
    on: date
    query: str
    version: CatalogueVersion | None
    verdict: Verdict
    reason: str
    candidates: list[Candidate] = field(default_factory=list)
    covered_by: str | None = None
    confidence: float = 0.0  # 0–1: how surely the answer rests on its best candidate
    hedged: bool = False  # the answer only says what the demand may be ("可能属于…，请核对")


def check_demand(
    *, community: Unit, on: date, q: str = "", item: CatalogueItem | None = None, limit: int = 5
) -> CheckResult:
    """The verdict for a demand made of `community` on `on`: free text `q`, or one catalogue `item`."""
    version = version_in_force(district_id=community.district_id, on=on)
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
    confidence = 0.0
    if item is not None:
        matches = [item] if item.version_id == version.pk else []
        for match in matches:
            match.score = 1.0
        confidence = 1.0 if matches else 0.0
    else:
        words = set(query_tokens(q))
        matches = [
            m
            for m in items_search(items=version.items.all(), q=q, limit=limit)
            # An item sharing one word of a long demand ("安全", "房屋") is not what the demand is about.
            if len(words & set(m.search_tokens.split())) >= MIN_SHARED_WORDS * len(words)
        ]
        # Weak matches only distract from the answer.
        matches = [m for m in matches if m.score >= RELEVANCE_FLOOR * matches[0].score]
        if matches and words:  # the share of the demand's words the best candidate shares
            confidence = min(1.0, len(words & set(matches[0].search_tokens.split())) / len(words))
    candidates = _verdicts(community, matches, on)
    if candidates:
        best = candidates[0]
        return CheckResult(
            community, on, q or item.title, version, best.verdict, best.reason, candidates, confidence=confidence
        )
    covered = next((cover for provider in _providers["expedited"] if (cover := provider(community, q, on))), None)
    if covered:
        reason = _("Not in the catalogue, but an approved urgent item covers it: %(item)s.") % {"item": covered}
    else:
        reason = _(
            "Not in the catalogue in force (version %(number)s, from %(date)s): the community may refuse it. "
            "Work outside the catalogue needs approval through the district's access procedure."
        ) % {"number": version.number, "date": version.effective_from}
    return CheckResult(community, on, q, version, Verdict.NOT_LISTED, reason, [], covered)


def _verdicts(community: Unit, items: list[CatalogueItem], on: date) -> list[Candidate]:
    funded: set = set()
    for provider in _providers["funded"]:
        funded |= provider(community, [i for i in items if i.list == ItemList.ASSISTANCE], on)
    held: dict = {}
    for provider in _providers["assessments"]:
        for key, n in provider(community, [i for i in items if i.list == ItemList.ASSESSMENTS], on).items():
            held[key] = held.get(key, 0) + n
    return [_verdict(item, on, funded, held) for item in items]


def _verdict(item: CatalogueItem, on: date, funded: set, held: dict) -> Candidate:
    score = float(getattr(item, "score", 0.0))
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
