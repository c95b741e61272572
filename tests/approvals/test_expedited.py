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
    assert during.verdict == "urgent_covered" and f"#{urgent.pk}" in during.covered_by
    urgent.refresh_from_db()
    assert during.covered_until == urgent.lapses_on
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


def test_a_regular_application_approved_through_a_batch_regularises_the_urgent_item(
    urgent, office, file_application, applicant, world
):
    services.urgent_decide(application=urgent, actor=office, approve=True)
    regular = file_application(
        title=urgent.title,
        reason=urgent.reason,
        regularises=urgent,
        scope="communities",
        scope_communities=[world.unit("牛沙路社区")],
        start_date=date(2027, 3, 1),
    )
    services.application_submit(application=regular, actor=applicant, today=date(2026, 12, 1))
    regular.refresh_from_db()
    services.batch_open_consultation(batch=regular.batch)
    for ballot in regular.ballots.select_related("unit"):
        voter = world.user("shuji") if ballot.unit.name == "牛沙路社区" else world.user("jiedao")
        services.ballot_cast(ballot=ballot, actor=voter, vote="agree", today=date(2027, 1, 10))
    services.batch_tally(batch=regular.batch)
    services.office_review(application=regular, actor=office, opinion="转为常规事项")
    services.committee_decide(application=regular, actor=office, approve=True, minutes="同意转为常规")
    urgent.refresh_from_db()
    assert urgent.state == ApplicationState.REGULARISED
    assert services.expedited_lapse(today=date(2027, 1, 5)) == 0
