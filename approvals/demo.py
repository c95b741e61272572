"""Demo applications in 锦江区: a closed July batch, the January batch in consultation, and the urgent path."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import Unit, User

from . import services
from .models import Application


def _unit(name: str, district: Unit) -> Unit:
    return Unit.objects.get(name=name, district=district)


def _file(actor: User, today: date, streets=(), communities=(), **fields) -> Application:
    fields.setdefault("requested_list", "assistance")
    fields.setdefault("item_type", "work_task")
    fields.setdefault("workload", "每社区每年约3个工作日")
    application = services.application_save(actor=actor, scope_streets=streets, scope_communities=communities, **fields)
    services.application_submit(application=application, actor=actor, today=today)
    application.refresh_from_db()
    return application


def _vote(application: Application, agree: int, today: date) -> None:
    """The demo consults only units that have a demo login (牛沙路社区 and 双桂路街道)."""
    for n, ballot in enumerate(application.ballots.select_related("unit").order_by("unit__kind", "unit__name")):
        role = "secretary" if ballot.unit.kind == "community" else "street_staff"
        voter = User.objects.get(unit=ballot.unit, role=role)
        vote = "agree" if n < agree else "disagree"
        services.ballot_cast(
            ballot=ballot, actor=voter, vote=vote, comment="" if vote == "agree" else "社区人手不足", today=today
        )


def load_demo_approvals() -> dict:
    jinjiang = Unit.objects.get(kind="district", name="锦江区")
    if Application.objects.filter(district=jinjiang).exists():
        return {}
    health, street = User.objects.get(username="bumen"), User.objects.get(username="jiedao")
    office = User.objects.get(username="minzheng")
    shuanggui = _unit("双桂路街道", jinjiang)
    payer_health = _unit("区卫生健康局", jinjiang)

    # The July 2026 batch: one approved (now in the catalogue draft), one rejected at consultation.
    july = date(2026, 6, 20)
    niushalu = _unit("牛沙路社区", jinjiang)
    approved = _file(
        health,
        july,
        communities=[niushalu],
        scope="communities",
        title="协助开展老年人健康体检通知组织",
        reason="国家基本公共卫生服务项目要求65岁以上老年人每年体检一次。",
        basis_document="国家基本公共卫生服务规范（第三版）",
        start_date=date(2026, 9, 1),
        payer=payer_health,
        amount_per_community=Decimal("1200.00"),
    )
    rejected = _file(
        street,
        july,
        communities=[niushalu],
        scope="communities",
        title="协助开展夜间巡逻值守",
        reason="街道综治工作需要社区每晚安排人员巡逻。",
        start_date=date(2026, 9, 1),
        payer=shuanggui,
        amount_per_community=Decimal("600.00"),
    )
    services.batch_open_consultation(batch=approved.batch)
    _vote(approved, agree=2, today=date(2026, 7, 10))
    _vote(rejected, agree=0, today=date(2026, 7, 10))  # the applying street is not consulted on its own item
    services.batch_tally(batch=approved.batch)
    services.office_review(
        application=approved, actor=office, opinion="属于协助事项，经费由区卫生健康局承担，同意提交委员会。"
    )
    services.committee_decide(
        application=approved,
        actor=office,
        approve=True,
        minutes="2026年7月28日区社区建设指导委员会第二次会议：同意准入，纳入下一版协助清单。",
    )

    # The January 2027 batch, in consultation now: 牛沙路社区's secretary has a ballot to cast.
    today = timezone.localdate()
    after_committee = services.next_batch_dates(jinjiang, today)["committee_meets"] + timedelta(days=30)
    _file(
        health,
        today,
        scope="communities",
        communities=[niushalu],
        title="协助开展家庭医生签约宣传",
        reason="推进家庭医生签约服务，需要社区协助入户宣传和预约。",
        start_date=after_committee,
        payer=payer_health,
        amount_per_community=Decimal("800.00"),
    )
    pending = Application.objects.filter(district=jinjiang, state="submitted", is_urgent=False).first()
    if pending and pending.batch.intake_closes >= today:
        services.batch_open_consultation(batch=pending.batch, actor=office)

    # The urgent path: one approved until the end of the half-year, one waiting in the office's queue.
    start = services.calendar.add_working_days(today, 3).date
    urgent = _file(
        health,
        today,
        title="协助开展冬季流感疫苗接种通知",
        reason="流感高发季，需社区通知辖区老年人接种流感疫苗。",
        start_date=start,
        payer=payer_health,
        amount_per_community=Decimal("300.00"),
        is_urgent=True,
        urgency_justification="流感高峰提前到来，须两周内完成通知。",
    )
    services.urgent_decide(application=urgent, actor=office, approve=True, note="情况紧急，即时审批同意。")
    _file(
        street,
        today,
        streets=[shuanggui],
        scope="streets",
        title="协助开展寒潮期间独居老人走访",
        reason="寒潮预警，需社区逐户走访独居老人。",
        start_date=start,
        payer=shuanggui,
        amount_per_community=Decimal("200.00"),
        is_urgent=True,
        urgency_justification="寒潮预警已发布。",
    )
    return {"applications": Application.objects.filter(district=jinjiang).count()}
