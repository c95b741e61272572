"""Demo supervision in 锦江区: burden reports, an inspection with findings, one overdue notice and one closed."""

from datetime import timedelta

from django.utils import timezone

from catalog.demo import DEMO_PASSWORD
from catalog.models import Unit, User

from . import services
from .models import BurdenReport, Notice


def load_demo_audits() -> dict:
    jinjiang = Unit.objects.get(kind="district", name="锦江区")
    if BurdenReport.objects.filter(district=jinjiang).exists():
        return {}
    today = timezone.localdate()
    secretary, office = User.objects.get(username="shuji"), User.objects.get(username="minzheng")
    market = Unit.objects.get(name="区市场监督管理局", district=jinjiang)
    city = Unit.objects.get(name="区城市管理局", district=jinjiang)
    street = Unit.objects.get(name="双桂路街道", district=jinjiang)

    enterprises = services.report_submit(
        actor=secretary,
        demanding_unit=market,
        demand="市场监管局要求社区上门统计辖区所有企业并每月上报",
        demanded_on=today - timedelta(days=20),
        reveal_reporter=False,
    )
    services.report_submit(
        actor=secretary,
        demanding_unit=street,
        demand="街道临时要求社区安排人员到路口执勤",
        demanded_on=today - timedelta(days=5),
        reveal_reporter=True,
    )
    demolition = services.report_submit(
        actor=secretary,
        demanding_unit=city,
        demand="城管局要求社区负责拆除小区违章建筑",
        demanded_on=today - timedelta(days=40),
        reveal_reporter=False,
    )
    services.report_triage(report=enterprises, actor=office, decision="open", note="与退出清单第8项冲突，立案督查")
    services.report_triage(report=demolition, actor=office, decision="open", note="拆迁拆违已退出社区，立案督查")

    inspection = services.inspection_plan(
        actor=office, unit=market, title="社区工作准入专项督查", planned_on=today - timedelta(days=15)
    )
    first = services.finding_record(
        actor=office,
        unit=market,
        kind="withdrawn_assigned",
        inspection=inspection,
        burden_report=enterprises,
        description="下派已退出事项“辖区企业登记统计”。",
    )
    second = services.finding_record(
        actor=office, unit=city, kind="withdrawn_assigned", burden_report=demolition, description="将拆违责任转嫁社区。"
    )
    overdue = services.notice_issue(
        finding=first,
        actor=office,
        title="关于区市场监督管理局违规向社区下派工作的通报",
        body="责令立即停止向社区下派企业统计任务，限期改正。",
        correct_by=today + timedelta(days=1),
    )
    # The demo backdates this notice so that one is overdue, as it would be a fortnight after issue.
    Notice.objects.filter(pk=overdue.pk).update(
        correct_by=today - timedelta(days=3), published_at=timezone.now() - timedelta(days=14)
    )
    closed = services.notice_issue(
        finding=second,
        actor=office,
        title="关于区城市管理局将拆违责任转嫁社区的通报",
        body="责令限期改正。",
        correct_by=today + timedelta(days=7),
    )
    city_user, created = User.objects.get_or_create(
        username="chengguan", defaults={"role": "department_staff", "unit": city, "first_name": "锦江区城管局 刘洋"}
    )
    if created:
        city_user.set_password(DEMO_PASSWORD)
        city_user.save()
    services.notice_answer(notice=closed, actor=city_user, answer="已明确拆违由区综合执法局负责，社区只做宣传动员。")
    services.notice_verify(notice=closed, actor=office, accept=True, verification="回访牛沙路社区核实已改正。")
    return {"burden_reports": BurdenReport.objects.filter(district=jinjiang).count()}
