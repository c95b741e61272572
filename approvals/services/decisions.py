"""The office's comprehensive review (综合评审) and the committee's decision."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import services as catalog_services
from catalog.choices import ItemList, ItemSource, UnitKind
from catalog.models import User

from ..choices import RequestedList, Scope, Stage
from ..models import Application
from ..selectors import units_consulted
from .batches import batch_close_if_done
from .common import _begin, _finish, _require, _tell_applicant, is_office


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
        if application.batch_id:
            batch_close_if_done(batch=application.batch, actor=actor)
        verdict = _("approved") if approve else _("rejected")
        _tell_applicant(
            application, _("The committee %(verdict)s application #%(id)s") % {"verdict": verdict, "id": application.pk}
        )
    return application


def _add_to_catalogue_draft(application: Application, actor: User):
    """The approved item joins the draft with its terms: the communities it was approved for (all = none named),
    its end date, and the next 序号 of its list."""
    draft = catalog_services.draft_start(district=application.district, actor=actor)
    item_list = ItemList.ASSISTANCE if application.requested_list == RequestedList.ASSISTANCE else ItemList.ASSESSMENTS
    communities = []
    if application.scope != Scope.ALL:
        communities = [unit for unit in units_consulted(application) if unit.kind == UnitKind.COMMUNITY]
    fields = {
        "code": catalog_services.item_next_code(version=draft, item_list=item_list),
        "list": item_list,
        "applies_until": application.end_date,
        "communities": communities,
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
