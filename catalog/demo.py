"""Demo organisations and one login per role, from the places named in the reform reports."""

import uuid

from django.db import transaction

from .choices import Role, UnitKind
from .models import Unit, User

DEMO_PASSWORD = "demo-2026"

DEPARTMENTS = [
    "区民政局",
    "区财政局",
    "区审计局",
    "区卫生健康局",
    "区市场监督管理局",
    "区城市管理局",
    "区人力资源和社会保障局",
    "区退役军人事务局",
]

# city (code) → district (code) → street → communities
TREE = {
    ("成都市", "510100"): {
        ("锦江区", "510104"): {
            "双桂路街道": ["牛沙路社区", "五福桥社区", "静居寺社区", "双桂路社区"],
            "书院街街道": ["和平街社区", "北糠市街社区", "东糠市街社区"],
            "春熙路街道": ["和平社区", "红星路社区", "正科甲巷社区"],
        },
        ("金牛区", "510106"): {
            "黄忠街道": ["金沙公园北社区", "黄忠小区社区", "金房苑社区"],
            "抚琴街道": ["抚琴西路社区", "西南街社区"],
            "驷马桥街道": ["驷马桥社区", "双水碾社区"],
        },
    },
    ("青岛市", "370200"): {
        ("市北区", "370203"): {
            "洛阳路街道": ["商邱路社区", "洛阳路社区", "沧口公园社区"],
            "敦化路街道": ["伊春路社区", "敦化路社区", "福州北路社区"],
            "辽宁路街道": ["辽宁路社区", "吉林路社区"],
        },
    },
}

# username, role, unit path (city, district, street-or-department, community), display name
LOGINS = [
    ("admin", Role.ADMIN, (), "系统管理员"),
    ("minzheng", Role.CIVIL_AFFAIRS, ("成都市", "锦江区"), "锦江区民政局 王敏"),
    ("jiedao", Role.STREET_STAFF, ("成都市", "锦江区", "双桂路街道"), "双桂路街道 李强"),
    ("bumen", Role.DEPARTMENT_STAFF, ("成都市", "锦江区", "区卫生健康局"), "锦江区卫健局 张丽"),
    ("shuji", Role.SECRETARY, ("成都市", "锦江区", "双桂路街道", "牛沙路社区"), "牛沙路社区书记 郭昕"),
    ("shenji", Role.AUDITOR, ("成都市", "锦江区"), "锦江区审计局 陈刚"),
    ("shiju", Role.OVERSEER, ("成都市",), "成都市民政局 江维"),
    ("minzheng_jn", Role.CIVIL_AFFAIRS, ("成都市", "金牛区"), "金牛区民政局 赵云"),
    ("minzheng_sb", Role.CIVIL_AFFAIRS, ("青岛市", "市北区"), "市北区民政局 吴爱华"),
    ("shuji_sb", Role.SECRETARY, ("青岛市", "市北区", "洛阳路街道", "商邱路社区"), "商邱路社区书记 吴华"),
]


def _unit(kind, name, parent, code=""):
    unit, _ = Unit.objects.get_or_create(kind=kind, name=name, parent=parent, defaults={"code": code})
    return unit


def _find(path: tuple[str, ...]) -> Unit | None:
    unit = None
    for name in path:
        unit = Unit.objects.get(parent=unit, name=name)
    return unit


_loaders = []


def register_demo_loader(loader) -> None:
    """Later apps add their demo data (approvals, funding, audits) without the catalogue importing them."""
    _loaders.append(loader)


@transaction.atomic
def load_demo(*, extras: bool = True) -> dict:
    """Create (or complete) the demo world. Running it again changes nothing.

    `extras=False` loads only organisations, logins and catalogues (the tests' base world).
    """
    for (city_name, city_code), districts in TREE.items():
        city = _unit(UnitKind.CITY, city_name, None, city_code)
        for (district_name, district_code), streets in districts.items():
            district = _unit(UnitKind.DISTRICT, district_name, city, district_code)
            for department in DEPARTMENTS:
                _unit(UnitKind.DEPARTMENT, department, district)
            for street_name, communities in streets.items():
                street = _unit(UnitKind.STREET, street_name, district)
                for community in communities:
                    _unit(UnitKind.COMMUNITY, community, street)
    created = []
    for username, role, path, display in LOGINS:
        user, was_created = User.objects.get_or_create(
            username=username, defaults={"role": role, "unit": _find(path), "first_name": display}
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = role == Role.ADMIN
            user.save()
            created.append(username)
    result = {"units": Unit.objects.count(), "users_created": created, "catalogues": load_demo_catalogues()}
    for loader in _loaders if extras else []:
        result |= loader() or {}
    return result


def load_demo_catalogues() -> list[str]:
    """Publish the demo catalogues of districts that have none yet; returns the versions created."""
    from datetime import date

    from .demo_catalogue import CATALOGUES
    from .models import CatalogueItem, CatalogueVersion
    from .services import draft_start, items_replace, version_publish

    admin = User.objects.get(username="admin")
    created = []
    for district_name, versions in CATALOGUES.items():
        district = Unit.objects.get(kind=UnitKind.DISTRICT, name=district_name)
        if CatalogueVersion.objects.filter(district=district).exists():
            continue
        introduced_by = {}  # an item keeps the document that first put it on the list
        for effective, title, rows in versions:
            draft = draft_start(district=district, actor=admin)
            items = []
            for n, row in enumerate(rows, start=1):
                source = introduced_by.setdefault(row["code"], title)
                key = uuid.uuid5(uuid.NAMESPACE_URL, f"demo/{district_name}/{row['code']}")
                items.append((n, CatalogueItem(key=key, source="reform", source_reference=source, **row)))
            items_replace(draft=draft, actor=admin, rows=items)
            version_publish(
                draft=draft, actor=admin, effective_from=date.fromisoformat(effective), title=title, history=True
            )
            created.append(title)
    return created
