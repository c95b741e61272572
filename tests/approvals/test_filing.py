"""Filing: the refusals at the door, the next batch, and the urgent path's working days."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from approvals import calendar, services
from approvals.choices import ApplicationState
from approvals.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)  # a Monday


def submit(application, applicant, today=TODAY):
    return services.application_submit(application=application, actor=applicant, today=today)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_work_on_the_withdrawn_list_is_stopped_with_the_entry_cited(file_application, applicant):
    application = file_application(title="请社区协助开展招商引资工作", reason="完成年度招商引资任务")
    with pytest.raises(ValidationError) as excinfo:
        submit(application, applicant)
    message = " ".join(errors_of(excinfo)["title"])
    assert "招商引资" in message and "区级产业功能区" in message
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT


def test_assistance_without_payer_and_amount_is_incomplete(file_application, applicant):
    application = file_application(payer=None, amount_per_community=None)
    with pytest.raises(ValidationError) as excinfo:
        submit(application, applicant)
    assert {"payer", "amount_per_community"} <= set(errors_of(excinfo))


def test_an_assessment_below_province_level_is_refused(file_application, applicant):
    application = file_application(
        requested_list="assessments",
        item_type="inspection",
        title="市级卫生社区评比",
        issuing_level="city",
        max_per_year=1,
        payer=None,
        amount_per_community=None,
    )
    with pytest.raises(ValidationError) as excinfo:
        submit(application, applicant)
    assert "issuing_level" in errors_of(excinfo)


def test_a_regular_application_joins_the_next_batch(file_application, applicant):
    application = file_application()
    submit(application, applicant)
    application.refresh_from_db()
    batch = application.batch
    assert application.state == ApplicationState.SUBMITTED
    assert (batch.year, batch.month, batch.intake_closes, batch.consultation_ends, batch.committee_meets) == (
        2027,
        1,
        date(2027, 1, 5),
        date(2027, 1, 20),
        date(2027, 1, 28),
    )


def test_a_regular_item_cannot_start_before_its_committee_meets(file_application, applicant):
    application = file_application(start_date=date(2027, 1, 15))
    with pytest.raises(ValidationError) as excinfo:
        submit(application, applicant)
    assert "2027-01-28" in " ".join(errors_of(excinfo)["start_date"])


def test_only_the_applying_unit_submits(file_application, world):
    application = file_application()
    with pytest.raises(PermissionDenied):
        services.application_submit(application=application, actor=world.user("jiedao"), today=TODAY)


def test_urgent_application_filed_two_working_days_ahead_is_refused_with_the_earliest_date(file_application, applicant):
    # Filed on Tuesday 2026-09-29: 9-30 is a working day, 10-1..10-7 is the National Day holiday, so the third
    # working day after filing is Friday 10-09.
    application = file_application(
        is_urgent=True, urgency_justification="台风过境后的紧急排查", start_date=date(2026, 10, 8)
    )
    with pytest.raises(ValidationError) as excinfo:
        submit(application, applicant, today=date(2026, 9, 29))
    assert "2026-10-09" in " ".join(errors_of(excinfo)["start_date"])
    application.refresh_from_db()
    application.start_date = date(2026, 10, 9)
    application.save()
    filing = submit(application, applicant, today=date(2026, 9, 29))
    assert filing.warnings == []
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED and application.batch is None


def test_a_weekend_made_a_working_day_counts(db):
    # Saturday 2026-10-10 is a 调休 working day.
    assert calendar.add_working_days(date(2026, 10, 8), 2).date == date(2026, 10, 10)


def test_a_year_the_calendar_does_not_know_is_an_explicit_warning(file_application, applicant):
    application = file_application(is_urgent=True, urgency_justification="寒潮应急", start_date=date(2027, 1, 8))
    filing = submit(application, applicant, today=date(2026, 12, 29))
    assert filing.warnings and "2027" in filing.warnings[0]
    assert application.events.get(action="submit").note == filing.warnings[0]


def test_an_administrator_entered_year_is_counted_exactly(db):
    CalendarYear.objects.create(year=2027, source="国务院办公厅通知", note="entered by the administrator")
    CalendarDay.objects.create(date=date(2027, 1, 1), is_working_day=False, name="元旦")
    count = calendar.add_working_days(date(2026, 12, 30), 2)
    assert count.certain and count.date == date(2027, 1, 4)  # 12-31, (1-1 holiday, weekend), 1-4


def test_an_emptied_calendar_table_reloads_the_years_the_package_knows(db):
    CalendarDay.objects.all().delete()
    CalendarYear.objects.all().delete()
    assert calendar.add_working_days(date(2026, 9, 29), 3).date == date(2026, 10, 9)
    assert CalendarYear.objects.filter(year=2026).exists()


@pytest.mark.parametrize("amount", ["0.00", "0"])
def test_assistance_for_nothing_per_community_is_refused(file_application, applicant, amount):
    application = file_application(amount_per_community=Decimal(amount))  # 谁委托谁出钱 means money
    with pytest.raises(ValidationError) as excinfo:
        submit(application, applicant)
    assert "amount_per_community" in errors_of(excinfo)
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
