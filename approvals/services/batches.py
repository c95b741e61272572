"""The half-yearly batch (集中办理): which batch an application joins, closing intake, the tally, the schedule."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.choices import PassRateBasis, Role, UnitKind
from catalog.models import DistrictPolicy, Unit, User
from catalog.notifications import notify
from catalog.transitions import StateConflict, StateMachine, Transition

from ..answers import QUEUE
from ..choices import ApplicationState as S
from ..choices import BatchState, Stage
from ..models import ApplicationEvent, Ballot, Batch
from ..selectors import ballot_counts, units_consulted, units_not_voted
from .ballots import tally_of
from .common import (
    ApplicationConflict,
    ApplicationError,
    _begin,
    _finish,
    _require,
    _tell_applicant,
    _voters,
    is_office,
)


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


class BatchError(ApplicationError):
    """A batch step the rules do not allow now (e.g. tallying before the deadline); the message says why."""


class BatchConflict(ApplicationConflict):
    """The batch is no longer in the state the step needs (the API answers 409 Conflict)."""


# The batch's one transition table: pages and the API derive the steps they offer from it.
BATCH = StateMachine(
    Batch,
    {
        "open_consultation": Transition(
            {BatchState.INTAKE},
            BatchState.CONSULTING,
            gettext_lazy("Close intake and open consultation"),
            confirm=gettext_lazy(
                "Close intake now? No application can join this batch afterwards, and every consulted street and "
                "community receives its consultation form."
            ),
        ),
        "tally": Transition(
            {BatchState.CONSULTING},
            BatchState.REVIEW,
            gettext_lazy("Close consultation and tally"),
            confirm=gettext_lazy(
                "Tally now? Every application in consultation passes or is rejected; votes are no longer accepted."
            ),
        ),
        "close": Transition({BatchState.REVIEW}, BatchState.CLOSED, gettext_lazy("Close the batch")),
    },
)


def _begin_batch(batch: Batch, action: str) -> Batch:
    try:
        return BATCH.begin(batch, action)
    except StateConflict as exc:
        raise BatchConflict(str(exc)) from exc


def batch_to_join(district: Unit, today: date) -> dict:
    """THE answer to "which batch does a regular application filed today join": the next batch whose intake is
    still open, skipping one the office already opened early. Filing checks the start date against this batch's
    committee date and submitting places the application in it, so the two can never disagree."""
    day = today
    while True:
        dates = next_batch_dates(district, day)
        state = (
            Batch.objects.filter(district=district, year=dates["year"], month=dates["month"])
            .values_list("state", flat=True)
            .first()
        )
        if state in (None, BatchState.INTAKE):
            return dates
        day = dates["intake_closes"] + timedelta(days=1)


def batch_for(district: Unit, today: date) -> Batch:
    """The batch of batch_to_join(), created if need be and locked, so that intake cannot close under a filing."""
    while True:
        dates = batch_to_join(district, today)
        batch, _created = Batch.objects.select_for_update().get_or_create(
            district=district,
            year=dates["year"],
            month=dates["month"],
            defaults={k: dates[k] for k in ("intake_closes", "consultation_ends", "committee_meets")},
        )
        if batch.state == BatchState.INTAKE:
            return batch
        today = dates["intake_closes"] + timedelta(days=1)  # opened while we looked: the next one


@dataclass
class Opened:
    applications: int = 0
    units: int = 0  # distinct streets and communities that received a consultation form
    without_voters: int = 0  # of them, units nobody can vote for (no account): the office must arrange them

    def __str__(self):
        return _("Intake closed: %(applications)s applications, %(units)s units received the consultation form.") % {
            "applications": self.applications,
            "units": self.units,
        }


def batch_open_consultation(*, batch: Batch, actor: User | None = None) -> Opened:
    """Close intake: every regular application of the batch gets a ballot per consulted street and community
    (never the applicant), and the district's pass rule in force now is frozen on the batch."""
    if actor is not None:
        _require(is_office(actor, batch.district_id), _("Only the committee office runs the batches."))
    with transaction.atomic():
        try:
            batch = _begin_batch(batch, "open_consultation")
        except BatchConflict:
            if actor is None:
                return Opened()  # the scheduled job, run twice: already opened, nothing changes
            raise
        policy = DistrictPolicy.objects.get(district_id=batch.district_id)
        batch.pass_threshold_percent, batch.pass_rate_basis = policy.pass_threshold_percent, policy.pass_rate_basis
        batch.consultation_opened_at = timezone.now()
        result, voters, consulted = Opened(), set(), set()
        for application in batch.applications.filter(state=S.SUBMITTED, is_urgent=False):
            application = _begin(application, "open_consultation")
            units = list(units_consulted(application))
            Ballot.objects.bulk_create(
                [Ballot(application=application, unit=unit, deadline=batch.consultation_ends) for unit in units],
                ignore_conflicts=True,
            )
            QUEUE.retire()  # bulk_create sends no signal: who sees the application (its ballots) changed
            note = _("%(n)s units consulted until %(date)s.") % {"n": len(units), "date": batch.consultation_ends}
            _finish(application, "open_consultation", actor, note=note)
            voters.update(_voters([unit.pk for unit in units]))
            consulted.update(unit.pk for unit in units)
            result.applications += 1
        result.units = len(consulted)
        result.without_voters = len(consulted - {user.unit_id for user in voters})
        rule = _("passes at ≥ %(threshold)s%% (%(basis)s)") % {
            "threshold": format(batch.pass_threshold_percent.normalize(), "f"),
            "basis": PassRateBasis(batch.pass_rate_basis).label,
        }
        BATCH.finish(batch, "open_consultation", actor=actor, note=f"{result} {rule}")
        subject = _("Your opinion is asked on new community work (until %(date)s)") % {"date": batch.consultation_ends}
        notify(users=voters, subject=subject, url="/ballots/", dedupe_key=f"batch-{batch.pk}-opened")
    return result


@dataclass
class Tallied:
    passed: int = 0
    rejected: int = 0
    early: bool = False
    not_voted: list[str] = field(default_factory=list)

    def __getitem__(self, key):  # results["passed"], as callers read it before
        return getattr(self, key)

    def __str__(self):
        text = _("Tallied: %(passed)s applications passed consultation, %(rejected)s were rejected.") % {
            "passed": self.passed,
            "rejected": self.rejected,
        }
        if self.early and self.not_voted:
            text += " " + _("Closed before the deadline; had not voted: %(units)s.") % {
                "units": "、".join(self.not_voted)
            }
        return text


def tally_allowed(batch: Batch, today: date) -> tuple[bool, list[str]]:
    """(may tally without a recorded decision, the units that have not voted). The tally waits for the deadline
    unless every consulted unit has voted."""
    not_voted = units_not_voted(batch)
    return today > batch.consultation_ends or not not_voted, not_voted


def batch_tally(
    *, batch: Batch, actor: User | None = None, today: date | None = None, early_reason: str = ""
) -> Tallied:
    """After the consultation deadline: pass each application to the office's review, or reject it with its tally.
    Before the deadline only when every consulted unit has voted, or by the office's recorded decision
    (`early_reason`) that names the units that had not voted."""
    if actor is not None:
        _require(is_office(actor, batch.district_id), _("Only the committee office runs the batches."))
    today = today or timezone.localdate()
    early_reason = early_reason.strip()
    with transaction.atomic():
        try:
            batch = _begin_batch(batch, "tally")
        except BatchConflict:
            if actor is None:
                return Tallied()  # the scheduled job, run twice: already tallied
            raise
        allowed, not_voted = tally_allowed(batch, today)
        result = Tallied(early=today <= batch.consultation_ends, not_voted=not_voted)
        if not allowed:
            if actor is None or not early_reason:
                raise BatchError(
                    _(
                        "Consultation runs until %(date)s and %(n)s units have not voted yet (%(units)s): tally after "
                        "the deadline, or record why the office closes consultation early."
                    )
                    % {"date": batch.consultation_ends, "n": len(not_voted), "units": "、".join(not_voted)}
                )
            batch.closed_early_reason, batch.closed_early_not_voted = early_reason, not_voted
        consulting = list(batch.applications.filter(state=S.CONSULTING).select_related("district", "batch"))
        counts = ballot_counts([application.pk for application in consulting])  # one query for the whole batch
        arranged = _arrangements(batch)
        for application in consulting:
            application = _begin(application, "pass_consultation")
            application.batch = batch
            tally = tally_of(application, counts.get(application.pk, (0, 0, 0)))
            application.consulted_count, application.votes_cast = tally.consulted, tally.cast
            application.agree_count, application.pass_rate, application.pass_rule = tally.agree, tally.rate, tally.rule
            note = _("%(agree)s of %(n)s agree: %(rate)s%%, %(rule)s.") % {
                "agree": tally.agree,
                "n": tally.denominator,
                "rate": tally.rate,
                "rule": tally.rule,
            }
            note = " ".join([note, *arranged.get(application.pk, [])])
            if tally.passes:
                _finish(application, "pass_consultation", actor, note=note)
                result.passed += 1
            else:
                application.rejected_at_stage = Stage.CONSULTATION
                _finish(application, "fail_consultation", actor, note=note)
                result.rejected += 1
                _tell_applicant(
                    application,
                    _("Application #%(id)s did not pass consultation: %(note)s") % {"id": application.pk, "note": note},
                )
        note = str(result) + (f" {early_reason}" if result.early and not allowed else "")
        BATCH.finish(batch, "tally", actor=actor, note=note)
    return result


def _arrangements(batch: Batch) -> dict[int, list[str]]:
    """Per application, what the tally must say about units nobody could vote for: voted on behalf, excluded."""
    lines: dict[int, list[str]] = {}
    rows = (
        Ballot.objects.filter(application__batch=batch)
        .filter(~Q(excluded_reason="") | Q(proxy_unit__isnull=False))
        .values_list("application_id", "unit__name", "proxy_unit__name", "excluded_reason")
        .order_by("unit__name")
    )
    for application_id, unit, proxy, reason in rows:
        if reason:
            line = _("%(unit)s not counted: %(reason)s.") % {"unit": unit, "reason": reason}
        else:
            line = _("%(proxy)s voted on behalf of %(unit)s.") % {"proxy": proxy, "unit": unit}
        lines.setdefault(application_id, []).append(line)
    return lines


def batch_close_if_done(*, batch: Batch, actor: User | None) -> bool:
    """The committee decided the batch's last open application: the batch closes (guarded and recorded)."""
    with transaction.atomic():
        if batch.applications.filter(state__in=[S.CONSULTING, S.UNDER_REVIEW, S.TO_COMMITTEE]).exists():
            return False
        try:
            batch = _begin_batch(batch, "close")
        except BatchConflict:
            return False
        BATCH.finish(batch, "close", actor=actor, note=_("Every application of the batch is decided."))
    return True


def _ballots_to_arrange(batch: Batch, unit: Unit):
    """The open ballots of `unit` in the batch, if nobody can vote for it."""
    ballots = Ballot.objects.filter(
        application__batch=batch, application__state=S.CONSULTING, unit=unit, vote="", excluded_reason=""
    )
    if _voters([unit.pk]).exists():
        raise BatchError(
            _("%(unit)s has an account that can vote; only units nobody can vote for are arranged.") % {"unit": unit}
        )
    return ballots


def ballots_give_proxy(*, batch: Batch, unit: Unit, street: Unit, actor: User, note: str = "") -> int:
    """A consulted unit without anyone able to vote: the office gives a street office its vote (recorded)."""
    _require(is_office(actor, batch.district_id), _("Only the committee office runs the batches."))
    if street.kind != UnitKind.STREET or street.district_id != batch.district_id:
        raise ValidationError({"street": _("Choose a street office of this district.")})
    if not _voters([street.pk]).filter(role=Role.STREET_STAFF).exists():
        raise ValidationError({"street": _("%(street)s has no account that can vote either.") % {"street": street}})
    with transaction.atomic():
        batch = _begin_batch(batch, "tally")  # locks the batch and checks it is still in consultation
        # Never on the street's own applications: an applicant is not consulted on its item, not even for another.
        ballots = list(
            _ballots_to_arrange(batch, unit)
            .exclude(application__applicant_unit_id=street.pk)
            .select_related("application")
        )
        line = _("%(proxy)s votes on behalf of %(unit)s (nobody can vote for it).") % {"proxy": street, "unit": unit}
        for ballot in ballots:
            ballot.proxy_unit, ballot.arranged_by, ballot.arranged_at = street, actor, timezone.now()
            ballot.save(update_fields=["proxy_unit", "arranged_by", "arranged_at"])
            _record(ballot.application, "ballot_proxy", actor, f"{line} {note}".strip())
        notify(
            users=list(_voters([street.pk])),
            subject=_("Your office votes on behalf of %(unit)s (until %(date)s)")
            % {"unit": unit, "date": batch.consultation_ends},
            url="/ballots/",
            dedupe_key=f"batch-{batch.pk}-proxy-{unit.pk}-{street.pk}",
        )
    return len(ballots)


def ballots_exclude(*, batch: Batch, unit: Unit, actor: User, reason: str) -> int:
    """A consulted unit without anyone able to vote is left out of the count, with the office's recorded reason."""
    _require(is_office(actor, batch.district_id), _("Only the committee office runs the batches."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this unit is not counted: the tally shows it.")})
    with transaction.atomic():
        batch = _begin_batch(batch, "tally")
        ballots = list(_ballots_to_arrange(batch, unit).select_related("application"))
        for ballot in ballots:
            ballot.excluded_reason, ballot.arranged_by, ballot.arranged_at = reason.strip(), actor, timezone.now()
            ballot.proxy_unit = None
            ballot.save(update_fields=["excluded_reason", "proxy_unit", "arranged_by", "arranged_at"])
            line = _("%(unit)s not counted: %(reason)s.") % {"unit": unit, "reason": reason.strip()}
            _record(ballot.application, "ballot_exclude", actor, line)
    return len(ballots)


def _record(application, action: str, actor: User, note: str) -> None:
    ApplicationEvent.objects.create(
        application=application,
        action=action,
        from_state=application.state,
        to_state=application.state,
        actor=actor,
        note=note,
    )


def batches_advance(*, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    opened = tallied = 0
    for batch in Batch.objects.filter(state=BatchState.INTAKE, intake_closes__lt=today):
        batch_open_consultation(batch=batch)
        opened += 1
    for batch in Batch.objects.filter(state=BatchState.CONSULTING, consultation_ends__lt=today):
        batch_tally(batch=batch, today=today)
        tallied += 1
    return {"opened": opened, "tallied": tallied}
