"""Writes for the gate. Every state change goes through one transition table, under a row lock, and is recorded."""

import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import services as catalog_services
from catalog.choices import ADMISSIBLE_ISSUING_LEVELS, ItemList, ItemSource, PassRateBasis, Role, UnitKind
from catalog.judgement import judge
from catalog.models import Unit, User
from catalog.notifications import civil_affairs_of, notify, staff_of
from catalog.selectors import version_in_force
from catalog.transitions import StateConflict

from . import calendar
from .choices import ApplicationState as S
from .choices import BatchState, RequestedList, Scope, Stage, Vote
from .models import Application, ApplicationEvent, Attachment, Ballot, Batch
from .selectors import ballot_counts, units_consulted


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


# --- Who may do what ---------------------------------------------------------------------------------------


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


# --- Filing ------------------------------------------------------------------------------------------------

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
        batch_dates = next_batch_dates(application.district, today)
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


ALLOWED_UPLOADS = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def sniff_upload(upload, name: str) -> str:
    """The content type of an upload, judged by its bytes, not its name; refuses what is not allowed."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_UPLOADS:
        raise ValidationError(
            _("“%(name)s”: only PDF, images (PNG, JPEG) and office documents may be attached.") % {"name": name}
        )
    if not upload.size:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name})
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("“%(name)s” is larger than 10 MB.") % {"name": name})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    looks = {
        "pdf": head.startswith(b"%PDF-"),
        "png": head.startswith(b"\x89PNG\r\n\x1a\n"),
        "jpg": head.startswith(b"\xff\xd8\xff"),
        "jpeg": head.startswith(b"\xff\xd8\xff"),
        "doc": head.startswith(b"\xd0\xcf\x11\xe0"),
        "xls": head.startswith(b"\xd0\xcf\x11\xe0"),
    }
    if extension in ("docx", "xlsx"):
        try:
            with zipfile.ZipFile(upload) as archive:
                ok = "[Content_Types].xml" in archive.namelist()
        except zipfile.BadZipFile:
            ok = False
        upload.seek(0)
    else:
        ok = looks[extension]
    if not ok:
        raise ValidationError(_("“%(name)s” is not really a .%(ext)s file.") % {"name": name, "ext": extension})
    return ALLOWED_UPLOADS[extension]


def attachment_add(*, application: Application, actor: User, upload) -> Attachment:
    _require(is_applicant(actor, application), _("Only the applying unit may attach files."))
    if application.state not in (S.DRAFT, S.SUBMITTED):
        raise ApplicationError(_("Files can only be attached before consultation starts."))
    content_type = sniff_upload(upload, upload.name)
    return Attachment.objects.create(
        application=application,
        file=upload,
        name=upload.name[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )


# --- Batches -----------------------------------------------------------------------------------------------


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


def _voters(unit_ids: list[int]):
    return User.objects.filter(
        Q(unit_id__in=unit_ids, role=Role.SECRETARY) | Q(unit_id__in=unit_ids, role=Role.STREET_STAFF),
        is_active=True,
    )


def ballot_cast(*, ballot: Ballot, actor: User, vote: str, comment: str = "", today: date | None = None) -> Ballot:
    """A consulted unit says agree or disagree, once, before the deadline."""
    _require(
        actor.is_authenticated
        and actor.unit_id == ballot.unit_id
        and actor.role in (Role.SECRETARY, Role.STREET_STAFF),
        _("Only the consulted street office or community votes on its ballot."),
    )
    if vote not in Vote.values:
        raise ValidationError({"vote": _("Vote “agree” or “disagree”.")})
    if vote == Vote.DISAGREE and not comment.strip():
        raise ValidationError({"comment": _("Say why you disagree: the committee reads it.")})
    today = today or timezone.localdate()
    with transaction.atomic():
        # The application is locked too, so that a vote and the batch's tally never interleave.
        application = Application.objects.select_for_update().get(pk=ballot.application_id)
        ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
        if application.state != S.CONSULTING:
            raise ApplicationConflict(_("Consultation on this application is closed."))
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
    policy = application.district.policy
    consulted, cast, agree = counts or ballot_counts([application.pk]).get(application.pk, (0, 0, 0))
    return Tally(
        consulted=consulted,
        cast=cast,
        agree=agree,
        basis=policy.pass_rate_basis,
        threshold=policy.pass_threshold_percent,
    )


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


def _tell_applicant(application: Application, subject: str) -> None:
    users = list(staff_of(application.applicant_unit))
    notify(users=users, subject=subject, url=_url(application))


# --- Decisions ---------------------------------------------------------------------------------------------


def office_review(*, application: Application, actor: User, opinion: str) -> Application:
    """综合评审: the office records its opinion and puts the application before the committee."""
    _require(is_office(actor, application.district_id), _("Only the committee office reviews applications."))
    if not opinion.strip():
        raise ValidationError({"office_opinion": _("Write the office's opinion.")})
    with transaction.atomic():
        application = _begin(application, "office_review")
        application.office_opinion = opinion
        return _finish(application, "office_review", actor, note=opinion)


def committee_decide(*, application: Application, actor: User, approve: bool, minutes: str) -> Application:
    """The committee's decision, recorded with its minutes; an approved item joins the next catalogue draft."""
    _require(is_office(actor, application.district_id), _("Only the committee office records decisions."))
    if not minutes.strip():
        raise ValidationError({"decision_minutes": _("Record the committee's minutes for this decision.")})
    action = "committee_approve" if approve else "committee_reject"
    with transaction.atomic():
        application = _begin(application, action)
        application.decision_minutes, application.decided_by, application.decided_at = minutes, actor, timezone.now()
        if approve:
            application.catalogue_item_key = _add_to_catalogue_draft(application, actor)
            if application.regularises_id:
                urgent = _begin(application.regularises, "regularise")
                _finish(urgent, "regularise", actor, note=_("Approved again as #%(id)s.") % {"id": application.pk})
        else:
            application.rejected_at_stage = Stage.COMMITTEE
        _finish(application, action, actor, note=minutes)
        if (
            application.batch_id
            and not application.batch.applications.filter(
                state__in=[S.CONSULTING, S.UNDER_REVIEW, S.TO_COMMITTEE]
            ).exists()
        ):
            Batch.objects.filter(pk=application.batch_id).update(state=BatchState.CLOSED)
        verdict = _("approved") if approve else _("rejected")
        _tell_applicant(
            application, _("The committee %(verdict)s application #%(id)s") % {"verdict": verdict, "id": application.pk}
        )
    return application


def _add_to_catalogue_draft(application: Application, actor: User):
    draft = catalog_services.draft_start(district=application.district, actor=actor)
    fields = {
        "list": ItemList.ASSISTANCE if application.requested_list == RequestedList.ASSISTANCE else ItemList.ASSESSMENTS,
        "type": application.item_type,
        "title": application.title,
        "description": application.reason,
        "basis_document": application.basis_document,
        "basis_number": application.basis_number,
        "basis_article": application.basis_article,
        "responsible_department": application.applicant_unit.name,
        "source": ItemSource.APPLICATION,
        "source_reference": _("Application #%(id)s, approved %(date)s")
        % {"id": application.pk, "date": timezone.localdate()},
    }
    if application.requested_list == RequestedList.ASSISTANCE:
        fields |= {"delegating_unit": application.payer.name, "standard_funding": application.amount_per_community}
    else:
        fields |= {"issuing_level": application.issuing_level, "max_per_year": application.max_per_year}
    return catalog_services.item_save(draft=draft, actor=actor, **fields).key


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


# --- Scheduled work (each safe to run twice and to run late) -----------------------------------------------


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


def ballots_remind(*, today: date | None = None, days_before: int = 2) -> int:
    """Remind consulted units that have not voted, once per ballot, in the last days before the deadline."""
    today = today or timezone.localdate()
    sent = 0
    pending = Ballot.objects.filter(
        vote="",
        application__state=S.CONSULTING,
        deadline__gte=today,
        deadline__lte=today + timezone.timedelta(days=days_before),
    ).select_related("application")
    for ballot in pending:
        sent += notify(
            users=_voters([ballot.unit_id]),
            subject=_("Reminder: your opinion on application #%(id)s is due on %(date)s")
            % {"id": ballot.application_id, "date": ballot.deadline},
            url="/ballots/",
            dedupe_key=f"ballot-{ballot.pk}-reminder",
        )
    return sent


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
