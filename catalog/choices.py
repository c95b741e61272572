from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CITY = "city", _("City")  # 市
    DISTRICT = "district", _("District")  # 区/县
    STREET = "street", _("Street office")  # 街道办事处
    COMMUNITY = "community", _("Community")  # 社区居委会
    DEPARTMENT = "department", _("District department")  # 区级部门


class Role(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", _("District civil-affairs staff")  # 区民政局 / 委员会办公室
    STREET_STAFF = "street_staff", _("Street-office staff")  # 街道办事处
    DEPARTMENT_STAFF = "department_staff", _("Department staff")  # 区级部门
    SECRETARY = "secretary", _("Community secretary")  # 社区书记
    AUDITOR = "auditor", _("Auditor")  # 审计局 / 督查室, read-only across a district
    OVERSEER = "overseer", _("City overseer")  # 市民政局, read-only across the city
    ADMIN = "admin", _("Administrator")


# The kind of unit each role belongs to; an administrator may belong to any unit or none.
ROLE_UNIT_KIND = {
    Role.CIVIL_AFFAIRS: UnitKind.DISTRICT,
    Role.STREET_STAFF: UnitKind.STREET,
    Role.DEPARTMENT_STAFF: UnitKind.DEPARTMENT,
    Role.SECRETARY: UnitKind.COMMUNITY,
    Role.AUDITOR: UnitKind.DISTRICT,
    Role.OVERSEER: UnitKind.CITY,
}

# The kind of parent each kind of unit hangs from.
PARENT_KIND = {
    UnitKind.CITY: None,
    UnitKind.DISTRICT: UnitKind.CITY,
    UnitKind.STREET: UnitKind.DISTRICT,
    UnitKind.DEPARTMENT: UnitKind.DISTRICT,
    UnitKind.COMMUNITY: UnitKind.STREET,
}


class PassRateBasis(models.TextChoices):
    CONSULTED = "consulted", _("Agreeing units ÷ units consulted")
    VOTES_CAST = "votes_cast", _("Agreeing units ÷ votes cast")
