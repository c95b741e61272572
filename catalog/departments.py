"""Which department a demand names, as secretaries and notices name them (卫健局, 人社局, 城管, 派出所 …).

`department_named(text)` is a plain function of the text: the check keeps its record with one INSERT, so the
name is resolved without reading the organisation tree. The queue of unlisted demands then finds the
district's unit of that name (`district_units_named`), where the district has one: a police station or the tax
bureau is not a district department in every tree, and is still named.
"""

import re

from django.db.models import Q

from .choices import UnitKind
from .text import normalise

# The canonical name (as district trees name the unit) → how demands name it. Longer names win over shorter
# ones at the same place in the text, so 市场监管所 is the market regulator and not a 所 of something else.
DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "区卫生健康局": (
        "卫生健康局",
        "卫生健康委员会",
        "卫生健康委",
        "卫健局",
        "卫健委",
        "卫计局",
        "卫计委",
        "卫生局",
        "卫健部门",
    ),
    "区人力资源和社会保障局": (
        "人力资源和社会保障局",
        "人力资源社会保障局",
        "人力社保局",
        "人社局",
        "人社部门",
        "社保局",
        "劳动局",
    ),
    "区城市管理局": (
        "城市管理局",
        "城市管理和综合执法局",
        "综合行政执法局",
        "城管局",
        "城管委",
        "城管执法",
        "城管部门",
        "城管",
    ),
    "区市场监督管理局": (
        "市场监督管理局",
        "市场监管局",
        "市场监管所",
        "市场监管部门",
        "市监局",
        "市监所",
        "工商局",
        "工商所",
        "食药监局",
    ),
    "区公安分局": ("公安分局", "公安局", "派出所", "公安部门", "警务站", "社区民警"),
    "区税务局": ("税务局", "税务分局", "税务所", "税务部门", "地税局", "国税局"),
    "区民政局": ("民政局", "民政部门"),
    "区财政局": ("财政局", "财政部门"),
    "区审计局": ("审计局",),
    "区退役军人事务局": ("退役军人事务局", "退役军人局", "退役军人事务部门"),
    "区住房和城乡建设局": ("住房和城乡建设局", "住房城乡建设局", "住建局", "住建委", "住建部门"),
    "区应急管理局": ("应急管理局", "应急局", "安监局"),
    "区教育局": ("教育局", "教育部门"),
    "区文化广电旅游局": ("文化广电旅游局", "文化旅游局", "文广旅局", "文旅局", "文化局"),
    "区生态环境局": ("生态环境局", "环保局", "环境保护局"),
    "区统计局": ("统计局", "统计部门"),
    "区医疗保障局": ("医疗保障局", "医保局"),
    "区司法局": ("司法局", "司法所"),
    "区农业农村局": ("农业农村局", "农业局"),
    "区交通运输局": ("交通运输局", "交通局"),
    "区商务局": ("商务局",),
    "区发展和改革局": ("发展和改革局", "发改局", "发改委"),
    "区经济和信息化局": ("经济和信息化局", "经信局"),
    "区水务局": ("水务局",),
    "区信访局": ("信访局",),
    "区残疾人联合会": ("残疾人联合会", "残联"),
    "区妇女联合会": ("妇女联合会", "妇联"),
    "区总工会": ("总工会",),
    "共青团区委": ("共青团", "团区委", "团委"),
    "区红十字会": ("红十字会",),
    "区委宣传部": ("宣传部",),
    "区委组织部": ("组织部",),
    "区委政法委": ("政法委",),
    "区人民武装部": ("人民武装部", "人武部"),
    "区消防救援大队": ("消防救援大队", "消防救援站", "消防大队"),
    "区疾病预防控制中心": ("疾病预防控制中心", "疾控中心"),
    "街道办事处": ("街道办事处", "街道办", "街道"),
}

_BY_WORDING = {normalise(wording): name for name, wordings in DEPARTMENTS.items() for wording in wordings}
_PATTERN = re.compile("|".join(re.escape(w) for w in sorted(_BY_WORDING, key=len, reverse=True)))


def department_named(text: str) -> str:
    """The canonical name of the first department `text` names, or "" when it names none.

    The first one named is the one that asks ("区卫健局要求社区配合派出所…" is the health bureau's demand).
    """
    match = _PATTERN.search(normalise(text))
    return _BY_WORDING[match.group()] if match else ""


def district_units_named(*, district_id: int, names) -> dict:
    """{canonical name: the district's department of that name} for the names the district has (one query).

    A tree may name a unit with or without the 区 prefix (区卫生健康局, 卫生健康局): both are found.
    """
    from .models import Unit

    names = {n for n in names if n}
    if not names:
        return {}
    bare = {n.removeprefix("区"): n for n in names}
    units = Unit.objects.filter(district_id=district_id, kind=UnitKind.DEPARTMENT).filter(
        Q(name__in=names) | Q(name__in=bare)
    )
    found = {}
    for unit in units:
        found[unit.name if unit.name in names else bare[unit.name]] = unit
    return found
