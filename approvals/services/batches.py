"""The half-yearly batch (集中办理): which batch an application joins, closing intake, the tally, the schedule."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Unit, User
from catalog.notifications import notify

from ..choices import ApplicationState as S
from ..choices import BatchState, Stage
from ..models import Ballot, Batch
from ..selectors import ballot_counts, units_consulted
from .ballots import tally_of
from .common import _begin, _finish, _require, _tell_applicant, _voters, is_office


def next_batch_dates(district: Unit, today: date) -> dict:
    """The next batch whose intake is still open on `today`, from the district's policy."""
    policy = district.policy
    for year in (today.year, today.year + 1):
        for month in policy.batch_months:
            intake = date(year, month, policy.intake_close_day)
            if intake >= today:
                return {
                    "year": year,
                    "month": month,
                    "intake_closes": intake,
                    "consultation_ends": date(year, month, policy.consultation_end_day),
                    "committee_meets": date(year, month, policy.committee_day),
                }
    raise AssertionError("a batch month always comes within a year")


def batch_for(district: Unit, today: date) -> Batch:
    """The next batch still taking applications (one the office opened early is skipped for the one after)."""
    day = today
    while True:
        dates = next_batch_dates(district, day)
        batch, _created = Batch.objects.get_or_create(
            district=district,
            year=dates["year"],
            month=dates["month"],
            defaults={k: dates[k] for k in ("intake_closes", "consultation_ends", "committee_meets")},
        )
        if batch.state == BatchState.INTAKE:
            return batch
        day = dates["intake_closes"] + timedelta(days=1)


def batch_open_consultation(*, batch: Batch, actor: User | None = None) -> int:
    """Close intake: every regular application of the batch gets a ballot per consulted street and community."""
    if actor is not None:
        _require(is_office(actor, batch.district_id), _("Only the committee office runs the batches."))
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != BatchState.INTAKE:
            return 0  # already opened: running twice changes nothing
        opened, voters = 0, set()
        for application in batch.applications.filter(state=S.SUBMITTED, is_urgent=False):
            application = _begin(application, "open_consultation")
            units = list(units_consulted(application))
            Ballot.objects.bulk_create(
                [Ballot(application=application, unit=unit, deadline=batch.consultation_ends) for unit in units],
                ignore_conflicts=True,
            )
            note = _("%(n)s units consulted until %(date)s.") % {"n": len(units), "date": batch.consultation_ends}
            _finish(application, "open_consultation", actor, note=note)
            voters.update(_voters([unit.pk for unit in units]))
            opened += 1
        batch.state = BatchState.CONSULTING
        batch.save(update_fields=["state"])
        subject = _("Your opinion is asked on new community work (until %(date)s)") % {"date": batch.consultation_ends}
        notify(users=voters, subject=subject, url="/ballots/", dedupe_key=f"batch-{batch.pk}-opened")
    return opened


def batch_tally(*, batch: Batch, actor: User | None = None) -> dict:
    """At the consultation deadline: pass each application to the office's review, or reject it with its tally."""
    if actor is not None:
        _require(is_office(actor, batch.district_id), _("Only the committee office runs the batches."))
    results = {"passed": 0, "rejected": 0}
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != BatchState.CONSULTING:
            return results  # already tallied
        consulting = list(batch.applications.filter(state=S.CONSULTING).select_related("district__policy"))
        counts = ballot_counts([application.pk for application in consulting])  # one query for the whole batch
        for application in consulting:
            application = _begin(application, "pass_consultation")
            tally = tally_of(application, counts.get(application.pk, (0, 0, 0)))
            application.consulted_count, application.votes_cast = tally.consulted, tally.cast
            application.agree_count, application.pass_rate, application.pass_rule = tally.agree, tally.rate, tally.rule
            note = _("%(agree)s of %(n)s agree: %(rate)s%%, %(rule)s.") % {
                "agree": tally.agree,
                "n": tally.denominator,
                "rate": tally.rate,
                "rule": tally.rule,
            }
            if tally.passes:
                _finish(application, "pass_consultation", actor, note=note)
                results["passed"] += 1
            else:
                application.rejected_at_stage = Stage.CONSULTATION
                _finish(application, "fail_consultation", actor, note=note)
                results["rejected"] += 1
                _tell_applicant(
                    application,
                    _("Application #%(id)s did not pass consultation: %(note)s") % {"id": application.pk, "note": note},
                )
        batch.state = BatchState.REVIEW
        batch.save(update_fields=["state"])
    return results


def batches_advance(*, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    opened = tallied = 0
    for batch in Batch.objects.filter(state=BatchState.INTAKE, intake_closes__lt=today):
        batch_open_consultation(batch=batch)
        opened += 1
    for batch in Batch.objects.filter(state=BatchState.CONSULTING, consultation_ends__lt=today):
        batch_tally(batch=batch)
        tallied += 1
    return {"opened": opened, "tallied": tallied}
