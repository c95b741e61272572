"""The expedited path: decided at once, escalated after a working day, lapsing at the half-year, and the check."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from approvals import services, tasks
from approvals.choices import ApplicationState
from approvals.models import Application
from catalog.check import check_demand
from catalog.models import Notification

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def urgent(file_application, applicant):
    application = file_application(
        title="协助开展台风灾后房屋安全排查",
        reason="台风过境，需要社区协助逐户排查房屋安全隐患。",
        is_urgent=True,
        urgency_justification="台风灾后24小时内必须完成排查",
        start_date=date(2026, 12, 1),
    )
    services.application_submit(application=application, actor=applicant, today=date(2026, 11, 23))
    application.refresh_from_db()
    return application


def test_the_office_approves_at_once_until_the_end_of_the_half_year(urgent, office, applicant):
    services.urgent_decide(application=urgent, actor=office, approve=True, note="情况紧急，同意")
    urgent.refresh_from_db()
    assert urgent.state == ApplicationState.APPROVED and urgent.lapses_on == date(2026, 12, 31)
    assert urgent.ballots.count() == 0  # no consultation
    assert Notification.objects.filter(recipient=applicant, subject__contains="2026-12-31").exists()


def test_a_refusal_needs_a_reason(urgent, office):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.urgent_decide(application=urgent, actor=office, approve=False)


def test_an_undecided_urgent_item_is_escalated_once_after_a_working_day(urgent, world):
    Application.objects.filter(pk=urgent.pk).update(submitted_at=datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI))
    assert services.urgent_escalate(today=date(2026, 11, 28)) == 0  # Saturday: no working day has passed
    assert services.urgent_escalate(today=date(2026, 11, 30)) == 1  # Monday
    assert services.urgent_escalate(today=date(2026, 12, 1)) == 0  # already escalated
    notes = Notification.objects.filter(subject__contains=f"#{urgent.pk}", dedupe_key__startswith="urgent-")
    assert set(notes.values_list("recipient__username", flat=True)) == {"minzheng", "admin"}


def test_an_approved_urgent_item_lapses_unless_regularised(urgent, office, file_application, applicant):
    services.urgent_decide(application=urgent, actor=office, approve=True)
    assert services.expedited_lapse(today=date(2026, 12, 31)) == 0
    assert services.expedited_lapse(today=date(2027, 1, 1)) == 1
    assert services.expedited_lapse(today=date(2027, 1, 2)) == 0
    urgent.refresh_from_db()
    assert urgent.state == ApplicationState.LAPSED


def test_the_check_says_an_approved_urgent_item_covers_unlisted_work(urgent, office, world):
    community = world.unit("牛沙路社区")
    before = check_demand(community=community, on=date(2026, 12, 5), q="台风灾后房屋安全排查")
    assert before.verdict == "not_listed" and before.covered_by is None
    services.urgent_decide(application=urgent, actor=office, approve=True)
    during = check_demand(community=community, on=date(2026, 12, 5), q="台风灾后房屋安全排查")
    assert during.verdict == "not_listed" and f"#{urgent.pk}" in during.covered_by
    after = check_demand(community=community, on=date(2027, 1, 5), q="台风灾后房屋安全排查")
    assert after.covered_by is None


def test_scheduled_tasks_run_the_services_and_are_idempotent(urgent, office, monkeypatch):
    services.urgent_decide(application=urgent, actor=office, approve=True)
    monkeypatch.setattr(timezone, "localdate", lambda *a: date(2027, 1, 3))
    assert tasks.lapse_expedited.apply().get() == 1
    assert tasks.lapse_expedited.apply().get() == 0
    assert tasks.advance_batches.apply().get() == {"opened": 0, "tallied": 0}
    assert tasks.remind_ballots.apply().get() == 0
    assert tasks.escalate_urgent.apply().get() == 0
