"""Writes for supervision: burden reports and their triage, assessments held and their confirmation."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from approvals.services import sniff_upload
from catalog.check import check_demand
from catalog.choices import ItemList, Role, UnitKind
from catalog.models import Unit, User
from catalog.notifications import civil_affairs_of, notify, staff_of
from catalog.selectors import version_in_force
from catalog.transitions import StateConflict, StateMachine, Transition

from .models import AssessmentHeld, BurdenReport, Evidence, Finding, Inspection, Notice

State = BurdenReport.State


class SupervisionError(StateConflict):
    """A change the current state does not allow (409 Conflict); the message says why."""


# One table per stateful model: the pages offer exactly the actions these allow from the current state.
REPORT = StateMachine(
    BurdenReport,
    {
        # A case the office opened may come to the unit later, when the office asks it to explain.
        "ask": Transition(
            {State.NEW, State.EXPLAINED, State.CASE_OPENED}, State.EXPLANATION_REQUESTED, _l("Ask the unit to explain")
        ),
        "open": Transition({State.NEW, State.EXPLAINED}, State.CASE_OPENED, _l("Open a case")),
        "dismiss": Transition({State.NEW, State.EXPLAINED}, State.DISMISSED, _l("Dismiss")),
        "explain": Transition({State.EXPLANATION_REQUESTED}, State.EXPLAINED, _l("Send the explanation")),
    },
)
TRIAGE_ACTIONS = ("ask", "open", "dismiss")
FINDING = StateMachine(
    Finding,
    {
        "confirm": Transition({Finding.State.PROPOSED}, Finding.State.CONFIRMED, _l("Confirm the finding")),
        "dismiss": Transition({Finding.State.PROPOSED}, Finding.State.DISMISSED, _l("Dismiss")),
    },
)
NOTICE = StateMachine(
    Notice,
    {
        "publish": Transition({Notice.State.DRAFT}, Notice.State.PUBLISHED, _l("Publish the notice")),
        "answer": Transition({Notice.State.PUBLISHED}, Notice.State.ANSWERED, _l("Report the corrections")),
        "close": Transition({Notice.State.ANSWERED}, Notice.State.CLOSED, _l("Verified: close")),
        "reopen": Transition({Notice.State.ANSWERED}, Notice.State.PUBLISHED, _l("Not corrected: reopen")),
    },
)
ASSESSMENT = StateMachine(
    AssessmentHeld,
    {
        "confirm": Transition({AssessmentHeld.State.ENTERED}, AssessmentHeld.State.CONFIRMED, _l("Confirm")),
        "dispute": Transition({AssessmentHeld.State.ENTERED}, AssessmentHeld.State.DISPUTED, _l("Dispute")),
    },
)


def _begin(machine: StateMachine, obj, action: str, message: str):
    """Lock and check; a wrong state is a SupervisionError (409) saying what this object's state allows."""
    try:
        return machine.begin(obj, action)
    except StateConflict as exc:
        raise SupervisionError(f"{message} {exc}") from exc


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def report_submit(
    *, actor: User, demanding_unit: Unit, demand: str, demanded_on: date, reveal_reporter: bool, files=()
) -> BurdenReport:
    """A secretary reports a demand from outside the rules; the check runs on the description at once."""
    _require(actor.role == Role.SECRETARY, _("Community secretaries report burdens."))
    community = actor.unit
    errors = {}
    if not demand.strip():
        errors["demand"] = [_("Describe what was asked of the community.")]
    if demanding_unit.district_id != community.district_id or demanding_unit.kind not in (
        UnitKind.DEPARTMENT,
        UnitKind.STREET,
    ):
        errors["demanding_unit"] = [_("Choose a department or street office of your district.")]
    if demanded_on > timezone.localdate():
        errors["demanded_on"] = [_("The date cannot be in the future.")]
    content_types = []
    for upload in files:
        try:
            content_types.append(sniff_upload(upload, upload.name))
        except ValidationError as exc:
            errors.setdefault("evidence", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    result = check_demand(community=community, on=demanded_on, q=demand)
    snapshot = {
        "verdict": result.verdict,
        "reason": result.reason,
        "version": result.version.number if result.version else None,
        "confidence": result.confidence,
        "hedged": result.hedged,
        "candidates": [
            {"title": c.item.title, "list": c.item.list, "verdict": c.verdict, "reason": c.reason}
            for c in result.candidates
        ],
    }
    with transaction.atomic():
        report = BurdenReport.objects.create(
            community=community,
            district=community.district,
            reporter=actor,
            demanding_unit=demanding_unit,
            demand=demand,
            demanded_on=demanded_on,
            reveal_reporter=reveal_reporter,
            check_result=snapshot,
        )
        for upload, content_type in zip(files, content_types, strict=True):
            evidence = Evidence.objects.create(
                report=report, file=upload, name=upload.name[:200], content_type=content_type, size=upload.size
            )
            if content_type.startswith("image/"):
                _read_later(evidence.pk)
        notify(
            users=civil_affairs_of(community.district),
            subject=_("Burden report #%(id)s from %(community)s about %(unit)s")
            % {"id": report.pk, "community": community, "unit": demanding_unit},
            url=f"/supervision/reports/{report.pk}/",
        )
    return report


def _read_later(evidence_id: int) -> None:
    from .tasks import read_evidence

    # After the commit: the worker must find the row, and a rolled-back report leaves nothing to read. A broker
    # that cannot be reached is logged (robust), never the secretary's error: the report is filed.
    transaction.on_commit(lambda: read_evidence.delay(evidence_id), robust=True)


def evidence_read(*, evidence_id: int) -> Evidence | None:
    """Read the words of a picture attached to a burden report (catalog.photo), so that the district's staff can
    search reports by what their evidence says. Safe to run twice or late: a picture already read, or gone, is
    left alone; one that cannot be read is marked read with no text."""
    from catalog.photo import PictureRejected, read_picture

    evidence = Evidence.objects.filter(pk=evidence_id).first()
    if evidence is None or evidence.read_at is not None or not evidence.content_type.startswith("image/"):
        return evidence
    try:
        with evidence.file.open("rb") as handle:
            text = read_picture(handle.read()).text
    except (PictureRejected, OSError):
        text = ""
    Evidence.objects.filter(pk=evidence.pk, read_at__isnull=True).update(text=text, read_at=timezone.now())
    evidence.refresh_from_db()
    return evidence


def report_triage(
    *, report: BurdenReport, actor: User, decision: str, note: str, internal: bool = True
) -> BurdenReport:
    """Civil-affairs staff dismiss a report with a reason, ask the unit to explain, or open a case. The unit
    concerned sees the report only once it is asked to explain; it reads the question, and a decision's note
    only where the office did not keep it internal."""
    _require(
        actor.role == Role.ADMIN or (actor.role == Role.CIVIL_AFFAIRS and actor.unit.district_id == report.district_id),
        _("The district's civil-affairs staff triage burden reports."),
    )
    if decision not in TRIAGE_ACTIONS:
        raise ValidationError({"decision": _("Dismiss, ask the unit to explain, or open a case.")})
    if not note.strip():
        raise ValidationError({"triage_note": _("Write the reason for this decision.")})
    with transaction.atomic():
        report = _begin(REPORT, report, decision, _("This report has already been triaged."))
        report.triage_note, report.triage_note_internal = note, internal and decision != "ask"
        report.triaged_by, report.triaged_at = actor, timezone.now()
        if decision == "ask":  # the note is the question: the unit must read what it is to explain
            report.question = note
            report.asked_at = report.asked_at or report.triaged_at
        REPORT.finish(report, decision, actor=actor, note=note)
        if decision == "ask":
            notify(
                users=staff_of(report.demanding_unit),
                subject=_("Please explain: a community reported a demand from your unit (#%(id)s)") % {"id": report.pk},
                url=f"/supervision/reports/{report.pk}/",
            )
    return report


def report_explain(*, report: BurdenReport, actor: User, explanation: str) -> BurdenReport:
    _require(
        actor.unit_id == report.demanding_unit_id and actor.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF),
        _("Only the unit concerned explains."),
    )
    if not explanation.strip():
        raise ValidationError({"explanation": _("Write the explanation.")})
    with transaction.atomic():
        report = _begin(REPORT, report, "explain", _("No explanation is asked of your unit on this report."))
        report.explanation = explanation
        REPORT.finish(report, "explain", actor=actor)
        notify(
            users=civil_affairs_of(report.district),
            subject=_("%(unit)s explained burden report #%(id)s") % {"unit": report.demanding_unit, "id": report.pk},
            url=f"/supervision/reports/{report.pk}/",
        )
    return report


def assessment_enter(*, actor: User, community: Unit, title: str, held_on: date, item=None) -> AssessmentHeld:
    """A department or street office records an assessment it held in a community; whether it was on the list
    and within its months is judged against the catalogue in force that day."""
    _require(
        actor.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF), _("The unit that held the assessment records it.")
    )
    if community.kind != UnitKind.COMMUNITY or community.district_id != actor.unit.district_id:
        raise ValidationError({"community": _("Choose a community of your district.")})
    version = version_in_force(district_id=community.district_id, on=held_on)
    if item is not None and (version is None or item.version_id != version.pk or item.list != ItemList.ASSESSMENTS):
        raise ValidationError({"item": _("Choose an item of the assessment list in force on that day.")})
    return AssessmentHeld.objects.create(
        community=community,
        district=community.district,
        unit=actor.unit,
        item_key=item.key if item else None,
        title=item.title if item else title,
        held_on=held_on,
        on_the_list=item is not None,
        within_allowed_months=item is None or not item.allowed_months or held_on.month in item.allowed_months,
        entered_by=actor,
    )


def assessment_answer(*, assessment: AssessmentHeld, actor: User, confirm: bool, reason: str = "") -> AssessmentHeld:
    """The community confirms the assessment was held, or disputes it (disputed ones are not counted)."""
    _require(
        actor.role == Role.SECRETARY and actor.unit_id == assessment.community_id,
        _("The community's secretary confirms or disputes it."),
    )
    if not confirm and not reason.strip():
        raise ValidationError({"dispute_reason": _("Say why the community disputes it.")})
    action = "confirm" if confirm else "dispute"
    with transaction.atomic():
        assessment = _begin(ASSESSMENT, assessment, action, _("The community has already answered."))
        assessment.dispute_reason = reason
        ASSESSMENT.finish(assessment, action, actor=actor, note=reason)
    return assessment


# --- Inspections, findings and notices (督查、通报、限期改正) ---------------------------------------------


def _office(actor: User, district_id: int) -> None:
    _require(
        actor.role == Role.ADMIN or (actor.role == Role.CIVIL_AFFAIRS and actor.unit.district_id == district_id),
        _("The district's supervision office (civil-affairs staff) does this."),
    )


def inspection_plan(*, actor: User, unit: Unit, title: str, planned_on: date, notes: str = "") -> Inspection:
    _office(actor, unit.district_id)
    if unit.kind not in (UnitKind.DEPARTMENT, UnitKind.STREET):
        raise ValidationError({"unit": _("Inspections are of departments and street offices.")})
    return Inspection.objects.create(
        district=unit.district, unit=unit, title=title, planned_on=planned_on, notes=notes, created_by=actor
    )


def finding_record(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    description: str,
    inspection: Inspection | None = None,
    burden_report: BurdenReport | None = None,
    application=None,
    contract=None,
) -> Finding:
    """The office records a finding about a unit of its district, with what it rests on: an inspection, a
    burden report, an application or a contract of the same district."""
    _office(actor, unit.district_id)
    errors = {}
    if unit.kind not in (UnitKind.DEPARTMENT, UnitKind.STREET):
        errors["unit"] = [_("Findings are about departments and street offices.")]
    if kind not in Finding.Kind.values:
        errors["kind"] = [_("Choose the kind of finding.")]
    if not description.strip():
        errors["description"] = [_("Describe the finding.")]
    for name, obj in (
        ("inspection", inspection),
        ("burden_report", burden_report),
        ("application", application),
        ("contract", contract),
    ):
        if obj is not None and obj.district_id != unit.district_id:
            errors[name] = [_("It must be of the finding's district (%(district)s).") % {"district": unit.district}]
    if errors:
        raise ValidationError(errors)
    return Finding.objects.create(
        district=unit.district,
        unit=unit,
        kind=kind,
        description=description,
        inspection=inspection,
        burden_report=burden_report,
        application=application,
        contract=contract,
    )


def finding_decide(*, finding: Finding, actor: User, confirm: bool, note: str = "") -> Finding:
    """The office confirms or dismisses a finding the system proposed."""
    _office(actor, finding.district_id)
    action = "confirm" if confirm else "dismiss"
    with transaction.atomic():
        finding = _begin(FINDING, finding, action, _("This finding has already been decided."))
        FINDING.finish(finding, action, actor=actor, note=note)
    return finding


def notice_issue(*, finding: Finding, actor: User, title: str, body: str, correct_by: date) -> Notice:
    """全区通报并限期改正: publish a notice naming the unit and its finding, with a correction deadline."""
    _office(actor, finding.district_id)
    errors = {}
    if finding.state != Finding.State.CONFIRMED:
        errors["finding"] = [_("Only a confirmed finding is notified.")]
    if correct_by <= timezone.localdate():
        errors["correct_by"] = [_("The correction deadline must be in the future.")]
    if not title.strip() or not body.strip():
        errors["body"] = [_("Write the notice's title and text.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        notice = Notice.objects.create(
            district=finding.district,
            unit=finding.unit,
            finding=finding,
            title=title,
            body=body,
            correct_by=correct_by,
            state=Notice.State.DRAFT,
            created_by=actor,
        )
        notice = NOTICE.begin(notice, "publish")
        notice.published_at = timezone.now()
        NOTICE.finish(notice, "publish", actor=actor)
        notify(
            users=staff_of(finding.unit),
            subject=_("Notice: %(title)s — correct by %(date)s") % {"title": title, "date": correct_by},
            url=f"/notices/{notice.pk}/",
        )
    return notice


def notice_answer(*, notice: Notice, actor: User, answer: str) -> Notice:
    _require(
        actor.unit_id == notice.unit_id and actor.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF),
        _("Only the notified unit reports its corrective actions."),
    )
    if not answer.strip():
        raise ValidationError({"answer": _("Describe the corrective actions taken.")})
    with transaction.atomic():
        notice = _begin(NOTICE, notice, "answer", _("This notice is not awaiting corrective actions."))
        notice.answer, notice.answered_at = answer, timezone.now()
        NOTICE.finish(notice, "answer", actor=actor, note=answer)
        notify(
            users=civil_affairs_of(notice.district),
            subject=_("%(unit)s answered notice #%(id)s") % {"unit": notice.unit, "id": notice.pk},
            url=f"/notices/{notice.pk}/",
        )
    return notice


def notice_verify(*, notice: Notice, actor: User, accept: bool, verification: str) -> Notice:
    """Civil-affairs verifies the corrections and closes the notice, or reopens it."""
    _office(actor, notice.district_id)
    if not verification.strip():
        raise ValidationError({"verification": _("Record what was verified.")})
    action = "close" if accept else "reopen"
    with transaction.atomic():
        notice = _begin(NOTICE, notice, action, _("Only answered notices are verified."))
        notice.verification = verification
        if accept:
            notice.closed_at = timezone.now()
        else:
            notify(
                users=staff_of(notice.unit),
                subject=_("Notice #%(id)s reopened: %(why)s") % {"id": notice.pk, "why": verification},
                url=f"/notices/{notice.pk}/",
            )
        NOTICE.finish(notice, action, actor=actor, note=verification)
    return notice


def notices_remind(*, today: date | None = None, days_before: int = 3) -> dict:
    """Remind units before their deadline and escalate overdue notices; each once."""
    today = today or timezone.localdate()
    reminded = escalated = 0
    for notice in Notice.objects.filter(state=Notice.State.PUBLISHED).select_related("unit", "district"):
        if today <= notice.correct_by <= today + timezone.timedelta(days=days_before):
            reminded += notify(
                users=staff_of(notice.unit),
                url=f"/notices/{notice.pk}/",
                subject=_("Reminder: notice #%(id)s must be corrected by %(date)s")
                % {"id": notice.pk, "date": notice.correct_by},
                dedupe_key=f"notice-{notice.pk}-reminder",
            )
        elif (
            notice.correct_by < today
            and notice.escalated_at is None
            # the conditional update lets only one of two overlapping runs escalate
            and Notice.objects.filter(pk=notice.pk, escalated_at__isnull=True).update(escalated_at=timezone.now())
        ):
            users = list(civil_affairs_of(notice.district)) + list(User.objects.filter(role=Role.ADMIN))
            notify(
                users=users,
                url=f"/notices/{notice.pk}/",
                dedupe_key=f"notice-{notice.pk}-escalated",
                subject=_("Overdue: %(unit)s has not corrected notice #%(id)s (due %(date)s)")
                % {"unit": notice.unit, "id": notice.pk, "date": notice.correct_by},
            )
            escalated += 1
    return {"reminded": reminded, "escalated": escalated}


def findings_propose(*, today: date | None = None, unfunded_after_days: int = 90) -> int:
    """The system proposes findings from its own data, each once: assessments beyond their yearly limit or
    off the list, assistance items unfunded for longer than a set period, expedited items that lapsed."""
    from approvals.models import Application
    from funding.selectors import unfunded_obligations

    today = today or timezone.localdate()
    proposals = []
    for held in AssessmentHeld.objects.exclude(state=AssessmentHeld.State.DISPUTED).select_related("unit", "district"):
        if held.is_finding:
            proposals.append(
                (
                    f"assessment-{held.pk}",
                    held.district,
                    held.unit,
                    Finding.Kind.ASSESSMENT,
                    _("%(title)s held in %(community)s on %(date)s is not on the list or outside its months.")
                    % {"title": held.title, "community": held.community, "date": held.held_on},
                    {"assessment": held},
                )
            )
    counts = (
        AssessmentHeld.objects.exclude(state=AssessmentHeld.State.DISPUTED)
        .filter(item_key__isnull=False)
        .values("district_id", "unit_id", "community_id", "item_key", "title", "held_on__year")
        .annotate(n=Count("id"))
    )
    for row in counts:
        version = version_in_force(district_id=row["district_id"], on=date(row["held_on__year"], 12, 31))
        item = version.items.filter(key=row["item_key"]).first() if version else None
        if item and item.max_per_year and row["n"] > item.max_per_year:
            proposals.append(
                (
                    f"assessment-limit-{row['community_id']}-{row['item_key']}-{row['held_on__year']}",
                    Unit.objects.get(pk=row["district_id"]),
                    Unit.objects.get(pk=row["unit_id"]),
                    Finding.Kind.ASSESSMENT,
                    _("%(title)s was held %(n)s times in %(year)s in one community; at most %(max)s are allowed.")
                    % {"title": row["title"], "n": row["n"], "year": row["held_on__year"], "max": item.max_per_year},
                    {},
                )
            )
    for obligation in unfunded_obligations(districts=Unit.objects.districts(), on=today):
        if (today - obligation.item.version.effective_from).days < unfunded_after_days:
            continue
        payer = obligation.item.payer  # resolved at publication: the unit the item's delegating department names
        if payer:
            proposals.append(
                (
                    f"unfunded-{obligation.item.key}-{obligation.community.pk}",
                    obligation.district,
                    payer,
                    Finding.Kind.UNFUNDED,
                    _("%(item)s is assigned to %(community)s without a funding contract (谁委托谁出钱).")
                    % {"item": obligation.item.title, "community": obligation.community},
                    {},
                )
            )
    for application in Application.objects.filter(is_urgent=True, state="lapsed").select_related("applicant_unit"):
        proposals.append(
            (
                f"lapsed-{application.pk}",
                application.district,
                application.applicant_unit,
                Finding.Kind.LAPSED_EXPEDITED,
                _("Urgent item #%(id)s lapsed on %(date)s without being regularised.")
                % {"id": application.pk, "date": application.lapses_on},
                {"application": application},
            )
        )
    known = set(
        Finding.objects.filter(proposal_key__in=[p[0] for p in proposals]).values_list("proposal_key", flat=True)
    )
    new = [
        Finding(
            proposal_key=key,
            district=district,
            unit=unit,
            kind=kind,
            description=text,
            state=Finding.State.PROPOSED,
            **links,
        )
        for key, district, unit, kind, text, links in proposals
        if key not in known
    ]
    Finding.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
