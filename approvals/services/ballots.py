"""Consultation ballots (征求意见): a consulted unit's vote, the tally's arithmetic, reminders."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import PassRateBasis, Role
from catalog.models import User
from catalog.notifications import notify

from ..choices import ApplicationState as S
from ..choices import Vote
from ..models import Application, Ballot
from ..selectors import ballot_counts, batch_rule
from .common import ApplicationConflict, ApplicationError, _require, _voters


def may_vote(actor: User, ballot: Ballot) -> bool:
    """The consulted unit's secretary or street staff, or the street office given the vote on its behalf."""
    if not actor.is_authenticated or actor.role not in (Role.SECRETARY, Role.STREET_STAFF):
        return False
    return actor.unit_id == ballot.unit_id or (
        actor.role == Role.STREET_STAFF and ballot.proxy_unit_id is not None and actor.unit_id == ballot.proxy_unit_id
    )


def ballot_cast(*, ballot: Ballot, actor: User, vote: str, comment: str = "", today: date | None = None) -> Ballot:
    """A consulted unit says agree or disagree, once, before the deadline."""
    _require(may_vote(actor, ballot), _("Only the consulted street office or community votes on its ballot."))
    if vote not in Vote.values:
        raise ValidationError({"vote": _("Vote “agree” or “disagree”.")})
    if vote == Vote.DISAGREE and not comment.strip():
        raise ValidationError({"comment": _("Say why you disagree: the committee reads it.")})
    today = today or timezone.localdate()
    with transaction.atomic():
        # The application is locked too, so that a vote and the batch's tally never interleave.
        application = Application.objects.select_for_update().get(pk=ballot.application_id)
        ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
        _require(
            application.applicant_unit_id not in (ballot.unit_id, ballot.proxy_unit_id),
            _("A unit is not consulted on its own application."),
        )
        if application.state != S.CONSULTING:
            raise ApplicationConflict(_("Consultation on this application is closed."))
        if ballot.excluded_reason:
            raise ApplicationConflict(
                _("The office took this ballot out of the count: %(reason)s") % {"reason": ballot.excluded_reason}
            )
        if today > ballot.deadline:
            raise ApplicationError(_("The deadline for this ballot was %(date)s.") % {"date": ballot.deadline})
        if ballot.vote:
            raise ApplicationConflict(
                _("This ballot was already cast on %(date)s; a ballot counts once.")
                % {"date": timezone.localdate(ballot.voted_at)}
            )
        ballot.vote, ballot.comment, ballot.voted_by, ballot.voted_at = vote, comment, actor, timezone.now()
        ballot.save()
    return ballot


@dataclass
class Tally:
    consulted: int
    cast: int
    agree: int
    basis: str
    threshold: Decimal

    @property
    def denominator(self) -> int:
        return self.consulted if self.basis == PassRateBasis.CONSULTED else self.cast

    @property
    def rate(self) -> Decimal:
        if not self.denominator:
            return Decimal("0.00")
        return (Decimal(self.agree * 100) / self.denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def passes(self) -> bool:
        # Exact comparison: 3 of 5 is exactly 60% and passes a 60% threshold (inclusive).
        return self.denominator > 0 and self.agree * 100 >= self.threshold * self.denominator

    @property
    def rule(self) -> str:
        basis = PassRateBasis(self.basis).label
        return _("passes at ≥ %(threshold)s%% (%(basis)s)") % {
            "threshold": format(self.threshold.normalize(), "f"),
            "basis": basis,
        }


def tally_of(application: Application, counts: tuple[int, int, int] | None = None) -> Tally:
    """The tally of one application; pass `counts` from ballot_counts() to tally a whole batch in one query."""
    basis, threshold = batch_rule(application.batch, application.district_id)  # frozen when consultation opened
    consulted, cast, agree = counts or ballot_counts([application.pk]).get(application.pk, (0, 0, 0))
    return Tally(consulted=consulted, cast=cast, agree=agree, basis=basis, threshold=threshold)


def ballots_remind(*, today: date | None = None, days_before: int = 2) -> int:
    """Remind consulted units that have not voted, once per ballot, in the last days before the deadline."""
    today = today or timezone.localdate()
    sent = 0
    pending = Ballot.objects.filter(
        vote="",
        excluded_reason="",
        application__state=S.CONSULTING,
        deadline__gte=today,
        deadline__lte=today + timezone.timedelta(days=days_before),
    ).select_related("application")
    for ballot in pending:
        sent += notify(
            users=_voters([ballot.unit_id, *([ballot.proxy_unit_id] if ballot.proxy_unit_id else [])]),
            subject=_("Reminder: your opinion on application #%(id)s is due on %(date)s")
            % {"id": ballot.application_id, "date": ballot.deadline},
            url="/ballots/",
            dedupe_key=f"ballot-{ballot.pk}-reminder",
        )
    return sent
