"""Demo contracts in 锦江区: one paid on time, one with an overdue instalment, one funding an approved application."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from approvals.models import Application
from catalog.choices import ItemList
from catalog.models import Unit, User
from catalog.selectors import version_in_force

from . import services
from .models import Contract

SIGNED = b"%PDF-1.4\n% demo signed agreement\n%%EOF\n"


def load_demo_funding() -> dict:
    jinjiang = Unit.objects.get(kind="district", name="锦江区")
    if Contract.objects.filter(district=jinjiang).exists():
        return {}
    today = timezone.localdate()
    year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)
    health_user = User.objects.get(username="bumen")
    health = health_user.unit
    version = version_in_force(district_id=jinjiang.pk, on=today)
    items = {item.title: item for item in version.items.filter(list=ItemList.ASSISTANCE)}
    shuanggui = list(Unit.objects.communities().filter(parent__name="双桂路街道", district=jinjiang).order_by("name"))

    hygiene = services.contract_create(
        actor=health_user,
        payer=health,
        number=f"锦卫协〔{today.year}〕1号",
        item=items["协助开展爱国卫生运动和健康教育"],
        communities=shuanggui,
        amount_per_community=Decimal("1200.00"),
        starts_on=year_start,
        ends_on=year_end,
        schedule=[(date(today.year, 6, 30), Decimal(50)), (date(today.year, 12, 31), Decimal(50))],
    )
    services.contract_sign(
        contract=hygiene, actor=health_user, document=ContentFile(SIGNED, name="协议.pdf"), today=today
    )
    # The first half paid for every community but one: 静居寺社区's instalment is overdue.
    for n, instalment in enumerate(hygiene.instalments.filter(sequence=1).select_related("community")):
        if instalment.community.name != "静居寺社区" and instalment.due_on <= today:
            services.payment_record(
                instalment=instalment,
                actor=health_user,
                amount=instalment.amount,
                paid_on=instalment.due_on - timedelta(days=3),
                voucher=f"记-{today.year}-{n + 1:04d}",
            )

    approved = Application.objects.filter(
        district=jinjiang, state="approved", is_urgent=False, catalogue_item_key__isnull=False
    ).first()
    if approved:
        services.contract_create(
            actor=health_user,
            payer=health,
            number=f"锦卫协〔{today.year}〕2号",
            application=approved,
            communities=list(approved.scope_communities.all()) or shuanggui[:1],
            amount_per_community=approved.amount_per_community or Decimal("1200.00"),
            starts_on=max(approved.start_date, year_start),
            ends_on=year_end,
            schedule=[(year_end, Decimal(100))],
        )
    return {"contracts": Contract.objects.filter(district=jinjiang).count()}
