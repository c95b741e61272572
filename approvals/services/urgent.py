"""Urgent major items (紧急重大工作事项): decided at once, escalated when late, lapsing unless regularised."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import Role
from catalog.models import User
from catalog.notifications import civil_affairs_of, notify

from .. import calendar
from ..answers import QUEUE
from ..choices import ApplicationState as S
from ..choices import Stage
from ..models import Application
from .common import ApplicationError, _begin, _finish, _require, _tell_applicant, _url, is_office


def end_of_half_year(day: date) -> date:
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def urgent_decide(*, application: Application, actor: User, approve: bool, note: str = "") -> Application:
    """即时审批: the office decides an urgent item at once, without consultation."""
    _require(is_office(actor, application.district_id), _("Only the committee office decides urgent items."))
    if not application.is_urgent:
        raise ApplicationError(_("Only urgent items are decided at once; this one goes through its batch."))
    if not approve and not note.strip():
        raise ValidationError({"note": _("Say why the urgent item is refused.")})
    action = "urgent_approve" if approve else "urgent_reject"
    with transaction.atomic():
        application = _begin(application, action)
        application.decided_by, application.decided_at, application.decision_minutes = actor, timezone.now(), note
        if approve:
            lapse = end_of_half_year(application.start_date)
            application.lapses_on = min(lapse, application.end_date) if application.end_date else lapse
        else:
            application.rejected_at_stage = Stage.OFFICE
        _finish(application, action, actor, note=note)
        _tell_applicant(
            application,
            (
                _("Urgent application #%(id)s approved until %(date)s")
                if approve
                else _("Urgent application #%(id)s refused")
            )
            % {"id": application.pk, "date": application.lapses_on},
        )
    return application


def urgent_escalate(*, today: date | None = None) -> int:
    """An urgent item still undecided after one working day goes to every civil-affairs user and administrator."""
    today = today or timezone.localdate()
    escalated = 0
    for application in Application.objects.filter(state=S.SUBMITTED, is_urgent=True, escalated_at__isnull=True):
        filed = timezone.localdate(application.submitted_at)
        if calendar.working_days_between(filed, today).date < 1:
            continue
        with transaction.atomic():
            if not Application.objects.filter(pk=application.pk, escalated_at__isnull=True).update(
                escalated_at=timezone.now()
            ):
                continue  # another run got there first
            QUEUE.retire()  # a bulk update sends no signal
            users = list(civil_affairs_of(application.district)) + list(User.objects.filter(role=Role.ADMIN))
            notify(
                users=users,
                subject=_("Overdue: urgent application #%(id)s has waited a working day") % {"id": application.pk},
                url=_url(application),
                dedupe_key=f"urgent-{application.pk}-escalated",
            )
            escalated += 1
    return escalated


def expedited_lapse(*, today: date | None = None) -> int:
    """Approved urgent items past their lapse date, not regularised through a batch, lapse."""
    today = today or timezone.localdate()
    lapsed = 0
    for application in Application.objects.filter(state=S.APPROVED, is_urgent=True, lapses_on__lt=today):
        with transaction.atomic():
            try:
                application = _begin(application, "lapse")
            except ApplicationError:
                continue
            note = _("Not regularised by %(date)s.") % {"date": application.lapses_on}
            _finish(application, "lapse", None, note=note)
            _tell_applicant(application, _("Urgent item #%(id)s has lapsed") % {"id": application.pk})
            lapsed += 1
    return lapsed
