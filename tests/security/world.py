"""One object of every kind a route takes, in each of three districts, built once for the whole package.

锦江区 is the demo users' own district; 金牛区 (same city) and 市北区 (another city) are outside their scope.
Each district gets the same set, made through the services by staff of that district, so "in scope" and
"out of scope" differ only in whose the object is.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

from django.core.files.base import ContentFile
from django.utils import timezone

PDF = b"%PDF-1.4\n1 0 obj\n%%EOF\n"
DISTRICTS = ("锦江区", "金牛区", "市北区")

# district → (civil affairs, street staff, department staff, secretary); None: a login made here for the tests
STAFF = {
    "锦江区": ("minzheng", "jiedao", "bumen", "shuji"),
    "金牛区": ("minzheng_jn", None, None, None),
    "市北区": ("minzheng_sb", None, None, "shuji_sb"),
}


@dataclass
class DistrictObjects:
    district: object
    objects: dict = field(default_factory=dict)

    def __getitem__(self, kind):
        return self.objects[kind]


def _pdf(name="证明.pdf"):
    return ContentFile(PDF, name=name)


def _staff(district, usernames):
    """The district's four kinds of staff: the demo's logins where it has them, new ones otherwise."""
    from catalog.models import Unit, User

    civil, street_name, dept_name, secretary_name = usernames
    secretary = User.objects.get(username=secretary_name) if secretary_name else None
    if secretary:
        community = secretary.unit
    else:
        community = Unit.objects.communities().filter(district=district).order_by("parent__name", "name").first()
    street = community.parent
    department = Unit.objects.departments().get(district=district, name="区卫生健康局")

    def login(username, role, unit):
        if username:
            return User.objects.get(username=username)
        user, _ = User.objects.get_or_create(
            username=f"t_{role}_{district.code or district.pk}", defaults={"role": role, "unit": unit}
        )
        return user

    return {
        "civil": User.objects.get(username=civil),
        "street_user": login(street_name, "street_staff", street),
        "dept_user": login(dept_name, "department_staff", department),
        "secretary": login(secretary_name, "secretary", community),
        "community": community,
        "street": street,
        "department": department,
    }


def build_district(name: str) -> DistrictObjects:
    from approvals import services as approvals
    from audits import services as audits
    from catalog import imports as catalog_imports
    from catalog import services as catalog
    from catalog.choices import ItemList
    from catalog.io import ImportRejected
    from catalog.models import Unit
    from catalog.selectors import version_in_force
    from funding import services as funding

    district = Unit.objects.districts().get(name=name)
    staff = _staff(district, STAFF[name])
    today = timezone.localdate()
    dept_user, civil, secretary = staff["dept_user"], staff["civil"], staff["secretary"]
    published = version_in_force(district_id=district.pk, on=today)
    assistance = published.items.filter(list=ItemList.ASSISTANCE).order_by("code").first()
    draft = catalog.draft_start(district=district, actor=civil)
    # A spreadsheet import waiting for a decision, and one refused with its errors marked (catalog.imports).
    sheet = "清单,事项名称\n履职,组织邻里节活动\n".encode()
    proposal = catalog_imports.import_propose(draft=draft, actor=civil, upload=BytesIO(sheet), filename="清单.csv")
    try:
        catalog_imports.import_propose(
            draft=draft, actor=civil, upload=BytesIO("清单,事项名称\n不存在,某事项\n".encode()), filename="错.csv"
        )
    except ImportRejected as exc:
        refused = exc.record

    # An application in consultation, with an attachment; its batch and the community's ballot.
    application = approvals.application_save(
        actor=dept_user,
        scope_streets=None,
        scope_communities=[staff["community"]],
        title="协助开展慢性病随访通知",
        reason="慢性病管理需要社区通知居民按期随访。",
        basis_document="国家基本公共卫生服务规范（第三版）",
        requested_list="assistance",
        item_type="work_task",
        scope="communities",
        workload="每社区每年约2个工作日",
        start_date=approvals.next_batch_dates(district, today)["committee_meets"] + timedelta(days=30),
        payer=staff["department"],
        amount_per_community=Decimal("500.00"),
    )
    attachment = approvals.attachment_add(application=application, actor=dept_user, upload=_pdf("依据.pdf"))
    approvals.application_submit(application=application, actor=dept_user, today=today)
    application.refresh_from_db()
    approvals.batch_open_consultation(batch=application.batch, actor=civil)
    application.refresh_from_db()
    ballot = application.ballots.get(unit=staff["community"])

    # A signed contract of the department for the community, with one payment.
    contract = funding.contract_create(
        actor=dept_user,
        payer=staff["department"],
        number=f"TEST-{district.pk}-1",
        item=assistance,
        communities=[staff["community"]],
        amount_per_community=Decimal("1000.00"),
        starts_on=date(today.year, 1, 1),
        ends_on=date(today.year, 12, 31),
        schedule=[(date(today.year, 12, 31), Decimal(100))],
    )
    funding.contract_sign(contract=contract, actor=dept_user, document=_pdf("协议.pdf"), today=today)
    contract.refresh_from_db()
    payment, _created = funding.payment_record(
        instalment=contract.instalments.get(),
        actor=dept_user,
        amount=Decimal("100.00"),
        paid_on=today,
        voucher=f"记-{district.pk}-1",
    )

    # A sheet of vouchers waiting for confirmation, and one refused with its errors marked (funding.payment_imports).
    from funding import payment_imports

    def voucher_sheet(voucher, community):
        text = f"合同编号,社区,期次,凭证号,付款日期,金额\n{contract.number},{community},1,{voucher},{today},10.00\n"
        return BytesIO(text.encode())

    payment_import = payment_imports.import_propose(
        actor=dept_user, upload=voucher_sheet(f"导-{district.pk}-1", staff["community"].name), filename="凭证.csv"
    )
    try:
        payment_imports.import_propose(
            actor=dept_user, upload=voucher_sheet(f"导-{district.pk}-2", "不存在社区"), filename="错.csv"
        )
    except ImportRejected as exc:
        refused_payment_import = exc.record

    # Supervision: a burden report the department is asked to explain, with evidence; an assessment the
    # department held in the community; a finding and its published notice.
    report = audits.report_submit(
        actor=secretary,
        demanding_unit=staff["department"],
        demand="卫健局要求社区每周上报辖区居民健康档案",
        demanded_on=today - timedelta(days=3),
        reveal_reporter=True,
        files=[_pdf("截图.pdf")],
    )
    audits.report_triage(report=report, actor=civil, decision="ask", note="请说明依据")
    report.refresh_from_db()
    assessment = audits.assessment_enter(
        actor=dept_user, community=staff["community"], title="健康社区评比", held_on=today - timedelta(days=2)
    )
    finding = audits.finding_record(
        actor=civil, unit=staff["department"], kind="withdrawn_assigned", description="下派台账。"
    )
    notice = audits.notice_issue(
        finding=finding,
        actor=civil,
        title="关于卫健局违规下派台账的通报",
        body="限期改正。",
        correct_by=today + timedelta(days=7),
    )
    inspection = audits.inspection_plan(actor=civil, unit=staff["department"], title="专项督查", planned_on=today)
    second_finding = audits.finding_record(
        actor=civil, unit=staff["department"], kind="withdrawn_assigned", description="又一次下派台账。"
    )

    from catalog.demands import check_record

    demand = check_record(
        community_id=staff["community"].pk,
        district_id=district.pk,
        on=today,
        text="卫健局要求社区组织居民观看养生讲座",
        verdict="not_listed",
    )

    from catalog.check import check_demand
    from catalog.slips import slip_issue

    slip = slip_issue(result=check_demand(community=staff["community"], on=today, q="协税"), demanding_unit="区税务局")

    return DistrictObjects(
        district,
        {
            "slip": slip,
            "check_record": demand,
            "district": district,
            "policy": district.policy,
            "unit": staff["department"],
            "community": staff["community"],
            "street": staff["street"],
            "city": district.city,
            "user": dept_user,
            "version": published,
            "item": published.items.order_by("code").first(),
            "draft": draft,
            "draft_item": draft.items.order_by("code").first(),
            "import": proposal,
            "refused_import": refused,
            "application": application,
            "attachment": attachment,
            "batch": application.batch,
            "ballot": ballot,
            "contract": contract,
            "payment": payment,
            "instalment": contract.instalments.get(),
            "payment_import": payment_import,
            "refused_payment_import": refused_payment_import,
            "assistance": assistance,
            "report": report,
            "evidence": report.evidence.get(),
            "assessment": assessment,
            "finding": second_finding,
            "inspection": inspection,
            "notice": notice,
            **staff,
        },
    )


def build() -> dict[str, DistrictObjects]:
    from catalog.demo import load_demo

    load_demo(extras=False)
    return {name: build_district(name) for name in DISTRICTS}
