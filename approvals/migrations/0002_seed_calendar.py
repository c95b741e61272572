from django.db import migrations


def seed(apps, schema_editor):
    """Holidays on weekdays and 调休 working weekends for every year chinese_calendar knows (2004–2026)."""
    import chinese_calendar

    CalendarDay = apps.get_model("approvals", "CalendarDay")
    CalendarYear = apps.get_model("approvals", "CalendarYear")
    days = [CalendarDay(date=d, is_working_day=False, name=str(n)) for d, n in chinese_calendar.holidays.items()
            if d.weekday() < 5]
    days += [CalendarDay(date=d, is_working_day=True, name="调休上班") for d in chinese_calendar.workdays
             if d.weekday() >= 5]
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)
    years = sorted({d.year for d in chinese_calendar.holidays})
    CalendarYear.objects.bulk_create([CalendarYear(year=y) for y in years], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
