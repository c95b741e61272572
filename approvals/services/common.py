"""What every use case of the gate shares: its errors, the application's transition table, who may do what."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from catalog.choices import Role
from catalog.models import User
from catalog.notifications import notify, staff_of
from catalog.transitions import StateConflict

from ..choices import ApplicationState as S
from ..models import Application, ApplicationEvent


class ApplicationError(Exception):
    """An action the rules do not allow now; the message says why."""


class ApplicationConflict(ApplicationError, StateConflict):
    """The application or ballot is no longer in the state the action needs: someone acted first (the API
    answers 409 Conflict)."""


# action → (states it may start from, state it leads to)
TRANSITIONS = {
    "submit": ({S.DRAFT}, S.SUBMITTED),
    "withdraw": ({S.SUBMITTED, S.CONSULTING, S.UNDER_REVIEW}, S.WITHDRAWN),
    "open_consultation": ({S.SUBMITTED}, S.CONSULTING),
    "pass_consultation": ({S.CONSULTING}, S.UNDER_REVIEW),
    "fail_consultation": ({S.CONSULTING}, S.REJECTED),
    "office_review": ({S.UNDER_REVIEW}, S.TO_COMMITTEE),
    "committee_approve": ({S.TO_COMMITTEE}, S.APPROVED),
    "committee_reject": ({S.TO_COMMITTEE}, S.REJECTED),
    "urgent_approve": ({S.SUBMITTED}, S.APPROVED),
    "urgent_reject": ({S.SUBMITTED}, S.REJECTED),
    "lapse": ({S.APPROVED}, S.LAPSED),
    "regularise": ({S.APPROVED, S.LAPSED}, S.REGULARISED),  # the batch often decides after the lapse date
}


def _begin(application: Application, action: str) -> Application:
    """Lock the application and check that `action` may start from its current state."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    allowed, _to = TRANSITIONS[action]
    if locked.state not in allowed:
        raise ApplicationConflict(
            _("Application #%(id)s is already “%(state)s”; it cannot be changed this way any more.")
            % {"id": locked.pk, "state": S(locked.state).label}
        )
    return locked


def _finish(application: Application, action: str, actor: User | None, note: str = "") -> Application:
    from_state = application.state
    application.state = TRANSITIONS[action][1]
    application.save()
    ApplicationEvent.objects.create(
        application=application,
        action=action,
        from_state=from_state,
        to_state=application.state,
        actor=actor,
        note=note,
    )
    return application


def _url(application: Application) -> str:
    return f"/applications/{application.pk}/"


def can_file(user: User) -> bool:
    return user.is_authenticated and user.role in (Role.STREET_STAFF, Role.DEPARTMENT_STAFF)


def is_applicant(user: User, application: Application) -> bool:
    return user.is_authenticated and user.unit_id == application.applicant_unit_id and can_file(user)


def is_office(user: User, district_id: int) -> bool:
    """The committee office (委员会办公室) is the district's civil-affairs staff."""
    if not user.is_authenticated:
        return False
    return user.role == Role.ADMIN or (user.role == Role.CIVIL_AFFAIRS and user.unit.district_id == district_id)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _tell_applicant(application: Application, subject: str) -> None:
    users = list(staff_of(application.applicant_unit))
    notify(users=users, subject=subject, url=_url(application))


def _voters(unit_ids: list[int]):
    return User.objects.filter(
        Q(unit_id__in=unit_ids, role=Role.SECRETARY) | Q(unit_id__in=unit_ids, role=Role.STREET_STAFF),
        is_active=True,
    )
