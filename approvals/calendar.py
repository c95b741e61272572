"""Working days on the official Chinese calendar (法定节假日 and 调休).

The table of exceptional days (CalendarDay) is seeded from the chinese_calendar package and editable by an
administrator, who adds each new year when the State Council publishes it. A year that is not in the table
is counted with plain weekends and reported as unknown, never silently guessed.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from .models import CalendarDay, CalendarYear


@dataclass
class Count:
    date: date
    unknown_years: set[int] = field(default_factory=set)

    @property
    def certain(self) -> bool:
        return not self.unknown_years


def _exceptions(start: date, end: date) -> dict[date, bool]:
    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_working_day"))


def _known_years(start: date, end: date) -> set[int]:
    wanted = set(range(start.year, end.year + 1))
    known = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    if wanted - known & _package_years():
        # A year the package knows but the table lacks (a newer package, or an emptied table): load it now.
        seed_from_package()
        known = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    return known


def _package_years() -> set[int]:
    import chinese_calendar

    return {day.year for day in chinese_calendar.holidays}


def is_working_day(day: date) -> bool:
    _known_years(day, day)
    exception = CalendarDay.objects.filter(date=day).values_list("is_working_day", flat=True).first()
    return exception if exception is not None else day.weekday() < 5


def add_working_days(start: date, days: int) -> Count:
    """The `days`-th working day after `start` (the start day itself does not count)."""
    horizon = start + timedelta(days=days * 3 + 30)  # the longest holiday run is well within this
    known = _known_years(start, horizon)  # first: it may load the table
    exceptions = _exceptions(start, horizon)
    unknown: set[int] = set()
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if day.year not in known:
            unknown.add(day.year)
        if exceptions.get(day, day.weekday() < 5):
            counted += 1
    return Count(day, unknown)


def working_days_between(start: date, end: date) -> Count:
    """How many working days lie after `start` up to and including `end`."""
    known = _known_years(start, end)
    exceptions = _exceptions(start, end)
    unknown = {year for year in range(start.year, end.year + 1) if year not in known}
    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        n += exceptions.get(day, day.weekday() < 5)
    return Count(n, unknown)  # type: ignore[arg-type]


def seed_from_package() -> int:
    """Load every year the chinese_calendar package knows; years an administrator entered are left alone."""
    import chinese_calendar

    admin_years = set(CalendarYear.objects.exclude(source="chinese_calendar").values_list("year", flat=True))
    rows: dict[date, CalendarDay] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5 and day.year not in admin_years:
            rows[day] = CalendarDay(date=day, is_working_day=False, name=_holiday_name(name))
    for day in chinese_calendar.workdays:
        if day.weekday() >= 5 and day.year not in admin_years:
            rows[day] = CalendarDay(date=day, is_working_day=True, name="调休上班")
    CalendarDay.objects.bulk_create(
        rows.values(), update_conflicts=True, unique_fields=["date"], update_fields=["is_working_day", "name"]
    )
    years = {day.year for day in rows} - admin_years
    CalendarYear.objects.bulk_create([CalendarYear(year=y) for y in sorted(years)], ignore_conflicts=True)
    return len(rows)


def _holiday_name(name) -> str:
    chinese = {
        "New Year's Day": "元旦",
        "Spring Festival": "春节",
        "Tomb-sweeping Day": "清明节",
        "Labour Day": "劳动节",
        "Dragon Boat Festival": "端午节",
        "National Day": "国庆节",
        "Mid-autumn Festival": "中秋节",
        "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
    }
    return chinese.get(str(name), str(name) or "节假日")
