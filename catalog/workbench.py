"""The workbench (工作台): what needs each person, by when, then the district's figures for their role.

The catalogue cannot know what waits in the gate, the funding or the supervision (it must not import them), so
each higher app registers providers in its AppConfig.ready(), as it does for the check (catalog/check.py):

    register_workbench_item(Role.CIVIL_AFFAIRS, provider)       # provider(user, today) -> Task | None
    register_workbench_figure((Role.AUDITOR, ...), provider)    # provider(user, today) -> list[Figure]

A provider answers in a fixed number of queries (a count and the nearest deadline in one aggregate), so the
home page's query count depends on the role, never on how much data there is.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Task:
    """One thing waiting for the person: how many, the nearest deadline, and the list that shows them."""

    label: str  # 待我审批
    count: int
    url: str  # the filtered list: following it shows exactly these `count` rows
    due: date | None = None  # the nearest deadline among them
    overdue: int = 0  # how many of them are already past their deadline
    unit: str = ""  # 笔, 件, 份: how they are counted (blank: a bare number)

    def deadline_text(self, today: date) -> str:
        """2 天后截止 / 今天截止 / 已逾期 3 天 (1 项已逾期 first when only some are): the deadline today."""
        if self.due is None:
            parts = []
        else:
            days = (self.due - today).days
            if days < 0:
                text = ngettext("overdue by %(n)d day", "overdue by %(n)d days", -days) % {"n": -days}
            elif days == 0:
                text = _("due today")
            else:
                text = ngettext("due in %(n)d day", "due in %(n)d days", days) % {"n": days}
            parts = [text]
        if 0 < self.overdue < self.count or (self.overdue and self.due is None):
            parts.insert(0, ngettext("%(n)d overdue", "%(n)d overdue", self.overdue) % {"n": self.overdue})
        return " · ".join(parts)


@dataclass(frozen=True)
class Figure:
    """A number of the district for the person's role: promised and paid, items in force, notices issued."""

    label: str
    value: str  # already formatted (thousands separators, 元)
    url: str = ""


TaskProvider = Callable[..., "Task | list[Task] | None"]
FigureProvider = Callable[..., "list[Figure]"]

_tasks: list[tuple[frozenset, TaskProvider]] = []
_figures: list[tuple[frozenset, FigureProvider]] = []


def _roles(roles: str | Iterable[str]) -> frozenset:
    return frozenset([roles] if isinstance(roles, str) else roles)


def register_workbench_item(roles: str | Iterable[str], provider: TaskProvider) -> None:
    """`provider(user, today)` answers what waits for a user of one of `roles`: a Task, a list of tasks read in
    one query, or None (nothing of this kind for this user)."""
    _tasks.append((_roles(roles), provider))


def register_workbench_figure(roles: str | Iterable[str], provider: FigureProvider) -> None:
    """`provider(user, today)` answers the figures a user of one of `roles` reads after their tasks."""
    _figures.append((_roles(roles), provider))


def tasks_for(user, *, today: date) -> list[Task]:
    """What waits for `user`, the most pressing first: overdue, then by the nearest deadline; none-waiting last."""
    tasks = []
    for roles, build in _tasks:
        if user.role in roles:
            answer = build(user, today)  # a Task, several from one query, or None
            tasks += [answer] if isinstance(answer, Task) else (answer or [])
    return sorted(tasks, key=lambda t: (t.count == 0, -t.overdue, t.due or date.max))


def figures_for(user, *, today: date) -> list[Figure]:
    return [figure for roles, build in _figures if user.role in roles for figure in build(user, today)]


def roles_with_tasks() -> set[str]:
    return {role for roles, _build in _tasks for role in roles}


def yuan(amount) -> str:
    """An amount as a person reads it: thousands separators, to the fen, in 元 (1,234,567.50 元)."""
    return _("%(amount)s yuan") % {"amount": f"{amount:,.2f}"}


def catalogue_figures(user, today: date) -> list[Figure]:
    """Items per list of the district's catalogue in force today, each a link to that list."""
    from django.urls import reverse

    from .choices import ItemList
    from .selectors import item_counts, version_in_force

    district_id = user.unit.district_id if user.unit_id else None
    version = version_in_force(district_id=district_id, on=today) if district_id else None
    if version is None:
        return []
    lists = item_counts(version=version)["lists"]
    url = reverse("district-catalogue", args=[district_id])
    return [
        Figure(_("%(list)s in force") % {"list": label}, f"{lists[value]:,}", f"{url}?list={value}")
        for value, label in ItemList.choices
    ]
