from datetime import date
from decimal import Decimal

import pytest

from approvals import services
from approvals.models import Application


@pytest.fixture
def office(world):
    return world.user("minzheng")


@pytest.fixture
def applicant(world):
    return world.user("bumen")  # 锦江区 区卫生健康局


@pytest.fixture
def file_application(world, applicant):
    """A draft application of 锦江区卫生健康局, with any field overridden."""

    def make(**overrides) -> Application:
        fields = {
            "title": "协助开展老年人健康体检组织工作",
            "reason": "国家基本公共卫生服务项目要求65岁以上老年人每年体检一次，需要社区通知和组织居民。",
            "basis_document": "国家基本公共卫生服务规范（第三版）",
            "requested_list": "assistance",
            "item_type": "work_task",
            "scope": "all",
            "workload": "每社区每年约5个工作日",
            "start_date": date(2027, 3, 1),
            "payer": _department(world, "区卫生健康局"),
            "amount_per_community": Decimal("1200.00"),
        }
        streets = overrides.pop("scope_streets", None)
        communities = overrides.pop("scope_communities", None)
        fields |= overrides
        return services.application_save(
            actor=applicant, scope_streets=streets, scope_communities=communities, **fields
        )

    return make


def _department(world, name):
    from catalog.models import Unit

    return Unit.objects.get(name=name, district=world.unit("锦江区"))
