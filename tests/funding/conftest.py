from datetime import date
from decimal import Decimal

import pytest

from catalog.models import Unit
from catalog.selectors import version_in_force
from funding import services


@pytest.fixture
def health(world):
    return Unit.objects.get(name="区卫生健康局", district=world.unit("锦江区"))


@pytest.fixture
def payer_user(world):
    return world.user("bumen")  # 锦江区 区卫生健康局


@pytest.fixture
def health_item(world):
    """锦江区's assistance item delegated by 区卫生健康局 (爱国卫生运动和健康教育)."""
    version = version_in_force(district_id=world.unit("锦江区").pk, on=date(2026, 11, 1))
    return version.items.get(title="协助开展爱国卫生运动和健康教育")


@pytest.fixture
def make_contract(world, health, payer_user, health_item):
    def make(
        number="WJ-2026-001",
        communities=("牛沙路社区", "五福桥社区"),
        amount="1200.00",
        schedule=((date(2026, 3, 31), 50), (date(2026, 9, 30), 50)),
        **extra,
    ):
        return services.contract_create(
            actor=payer_user,
            payer=health,
            number=number,
            item=health_item,
            communities=[world.unit(name) for name in communities],
            amount_per_community=Decimal(amount),
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            schedule=[(due, Decimal(share)) for due, share in schedule],
            **extra,
        )

    return make


@pytest.fixture
def pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return lambda: SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n", content_type="application/pdf")
