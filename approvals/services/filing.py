"""Filing: a unit drafts, submits or withdraws an application (申请社区办理事项审批表)."""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import ADMISSIBLE_ISSUING_LEVELS, ItemList, UnitKind
from catalog.judgement import judge
from catalog.models import User
from catalog.notifications import civil_affairs_of, notify
from catalog.selectors import version_in_force

from .. import calendar
from ..choices import ApplicationState as S
from ..choices import RequestedList, Scope
from ..models import Application
from .batches import batch_for, batch_to_join
from .common import ApplicationError, _begin, _finish, _require, _url, can_file, is_applicant

APPLICATION_FIELDS = [
    "title",
    "reason",
    "basis_document",
    "basis_number",
    "basis_article",
    "requested_list",
    "item_type",
    "scope",
    "workload",
    "start_date",
    "end_date",
    "payer",
    "amount_per_community",
    "issuing_level",
    "max_per_year",
    "is_urgent",
    "urgency_justification",
    "regularises",
]


def application_save(
    *, actor: User, application: Application | None = None, scope_streets=None, scope_communities=None, **fields
) -> Application:
    """Create or change a draft application of the actor's unit."""
    _require(can_file(actor), _("Only street-office and department staff file applications."))
    if application is None:
        application = Application(district=actor.unit.district, applicant_unit=actor.unit, created_by=actor)
    _require(is_applicant(actor, application), _("Only the applying unit may change its application."))
    if application.state != S.DRAFT:
        raise ApplicationError(_("A submitted application cannot be edited; withdraw it and file a new one."))
    for name, value in fields.items():
        if name not in APPLICATION_FIELDS:
            raise ValidationError({name: _("This field cannot be set by the applicant.")})
        setattr(application, name, value)
    application.full_clean(exclude=["district", "applicant_unit", "created_by"])
    if (
        application.regularises_id is not None
        and not Application.objects.filter(
            pk=application.regularises_id,
            applicant_unit_id=application.applicant_unit_id,
            is_urgent=True,
            state__in=[S.APPROVED, S.LAPSED],
        ).exists()
    ):
        raise ValidationError(
            {"regularises": _("Only your unit's own approved or lapsed urgent item can be regularised.")}
        )
    _require_own_district(application, scope_streets=scope_streets, scope_communities=scope_communities)
    with transaction.atomic():
        application.save()
        if scope_streets is not None:
            application.scope_streets.set(scope_streets)
        if scope_communities is not None:
            application.scope_communities.set(scope_communities)
    return application


def _require_own_district(application: Application, *, scope_streets, scope_communities) -> None:
    """A district's application may neither make another district's unit pay nor consult its communities."""
    district_id = application.district_id
    errors = {}
    if application.payer_id is not None and application.payer.district_id != district_id:
        errors["payer"] = [_("Choose a department or street office of your own district to pay.")]
    for name, units in (("scope_streets", scope_streets), ("scope_communities", scope_communities)):
        if any(unit.district_id != district_id for unit in units or ()):
            errors[name] = [_("Choose only streets and communities of your own district.")]
    if errors:
        raise ValidationError(errors)


@dataclass
class Filing:
    """What submitting found: errors refuse it; warnings are shown and recorded."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    earliest_start: date | None = None

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def filing_check(application: Application, *, today: date | None = None) -> Filing:
    """The refusals at filing: the negative list, 谁委托谁出钱, the assessment level, the urgent notice period."""
    today = today or timezone.localdate()
    filing = Filing()
    policy = application.district.policy
    # The negative list in force when the work would start: the same judgement as the check (catalog.judgement).
    version = version_in_force(district_id=application.district_id, on=application.start_date or today)
    if version:
        judged = judge(version=version, text=f"{application.title} {application.reason}")
        item = judged.best.obj if judged.best else None
        if item is not None and item.list == ItemList.WITHDRAWN and not judged.hedged:
            filing.add(
                "title",
                _(
                    "This is work the district withdrew from communities: “%(item)s” on the withdrawn list "
                    "of %(version)s. %(reason)s It belongs to: %(belongs)s."
                )
                % {
                    "item": item.title,
                    "version": version,
                    "reason": item.withdrawal_reason,
                    "belongs": item.belongs_to,
                },
            )
        elif item is not None and any(c.list == ItemList.WITHDRAWN for c in judged.candidates):
            withdrawn = next(c.obj for c in judged.candidates if c.list == ItemList.WITHDRAWN)
            filing.warnings.append(
                _("This may be work the district withdrew from communities (“%(item)s”, %(version)s): please check.")
                % {"item": withdrawn.title, "version": version}
            )
    if application.requested_list == RequestedList.ASSISTANCE:
        if application.payer_id is None:
            filing.add("payer", _("Say which unit pays for this work: who delegates it pays (谁委托谁出钱)."))
        elif application.payer.district_id != application.district_id or application.payer.kind not in (
            UnitKind.DEPARTMENT,
            UnitKind.STREET,
        ):
            filing.add("payer", _("The paying unit must be a department or street office of this district."))
        if application.amount_per_community is None:
            filing.add("amount_per_community", _("Say how much is paid per community per year (谁委托谁出钱)."))
        elif application.amount_per_community <= 0:
            filing.add(
                "amount_per_community",
                _("谁委托谁出钱 means money: give an amount per community per year above 0.00 yuan."),
            )
    if application.requested_list == RequestedList.ASSESSMENTS:
        if application.issuing_level not in ADMISSIBLE_ISSUING_LEVELS:
            filing.add("issuing_level", _("Only assessments required at province level or above may be admitted."))
        if not application.max_per_year:
            filing.add("max_per_year", _("Say how many times a year at most the assessment is held."))
    if application.scope == Scope.STREETS and not application.scope_streets.exists():
        filing.add("scope_streets", _("Choose at least one street."))
    if application.scope == Scope.COMMUNITIES and not application.scope_communities.exists():
        filing.add("scope_communities", _("Choose at least one community."))
    if application.is_urgent:
        count = calendar.add_working_days(today, policy.expedited_notice_working_days)
        filing.earliest_start = count.date
        if application.start_date < count.date:
            filing.add(
                "start_date",
                _(
                    "An urgent item must be filed at least %(n)s working days before it starts: the earliest start "
                    "for a filing today is %(date)s."
                )
                % {"n": policy.expedited_notice_working_days, "date": count.date},
            )
        if not count.certain:
            years = "、".join(str(y) for y in sorted(count.unknown_years))
            filing.warnings.append(
                _(
                    "The official holiday schedule for %(years)s is not in the system yet, so weekends alone were "
                    "counted: the earliest start may move when it is published."
                )
                % {"years": years}
            )
    else:
        batch_dates = batch_to_join(application.district, today)  # the very batch submitting places it in
        if application.start_date <= batch_dates["committee_meets"]:
            filing.add(
                "start_date",
                _(
                    "The next batch's committee meets on %(date)s: a regular item can only start after that. "
                    "Mark it urgent if it cannot wait."
                )
                % {"date": batch_dates["committee_meets"]},
            )
    return filing


def application_submit(*, application: Application, actor: User, today: date | None = None) -> Filing:
    """Submit a draft: refused with every reason at once, or joined to the next batch (or the urgent path)."""
    _require(is_applicant(actor, application), _("Only the applying unit may submit its application."))
    today = today or timezone.localdate()
    with transaction.atomic():
        application = _begin(application, "submit")
        filing = filing_check(application, today=today)
        if filing.errors:
            raise ValidationError(filing.errors)
        application.submitted_at = timezone.now()
        if not application.is_urgent:
            application.batch = batch_for(application.district, today)
        _finish(application, "submit", actor, note="\n".join(filing.warnings))
        office = list(civil_affairs_of(application.district))
        subject = (
            _("Urgent application #%(id)s to decide: %(title)s")
            if application.is_urgent
            else _("New application #%(id)s: %(title)s")
        ) % {"id": application.pk, "title": application.title}
        notify(users=office, subject=subject, url=_url(application))  # the inbox row commits with the change
    return filing


def application_withdraw(*, application: Application, actor: User, reason: str = "") -> Application:
    _require(is_applicant(actor, application), _("Only the applying unit may withdraw its application."))
    with transaction.atomic():
        application = _begin(application, "withdraw")
        return _finish(application, "withdraw", actor, note=reason)
