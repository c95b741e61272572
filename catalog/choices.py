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


class ItemList(models.TextChoices):
    """The four lists of a district's catalogue."""

    DUTIES = "duties", _("Duties")  # 社区履职清单: the community must do these
    ASSISTANCE = "assistance", _("Assistance")  # 社区协助工作清单: 费随事转, the delegating unit pays
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 社区退出事务清单: the negative list
    ASSESSMENTS = "assessments", _("Assessments")  # 社区考核准入清单


class ItemType(models.TextChoices):
    WORK_TASK = "work_task", _("Work task")  # 工作事项
    LEDGER = "ledger", _("Ledger or report")  # 台账报表
    CERTIFICATE = "certificate", _("Certificate or stamp")  # 证明盖章
    INSPECTION = "inspection", _("Inspection or evaluation")  # 检查评比
    PLAQUE = "plaque", _("Plaque or body")  # 机构牌子


class IssuingLevel(models.TextChoices):
    """Who requires an assessment; only province level or above may be admitted."""

    NATIONAL = "national", _("National")  # 国家
    PROVINCE = "province", _("Province")  # 省
    CITY = "city", _("City")  # 市
    DISTRICT = "district", _("District")  # 区


ADMISSIBLE_ISSUING_LEVELS = (IssuingLevel.NATIONAL, IssuingLevel.PROVINCE)


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ItemSource(models.TextChoices):
    REFORM = "reform", _("Reform document")  # 减负文件
    APPLICATION = "application", _("Approved application")  # 准入审批
    MANUAL = "manual", _("Entered by civil-affairs staff")


class Verdict(models.TextChoices):
    """The answer of the check: may a community be given this work?"""

    MUST_DO = "must_do", _("Must do: on the duties list")
    ASSIST_FUNDED = "assist_funded", _("Assist, funded: a funding contract is in force")
    ASSIST_UNFUNDED = "assist_unfunded", _("Assist, but unfunded: no funding contract is in force")
    REFUSE = "refuse", _("Refuse: on the withdrawn list")
    ASSESSMENT_ALLOWED = "assessment_allowed", _("Assessment allowed")
    ASSESSMENT_LIMIT_REACHED = "assessment_limit_reached", _("Assessment limit reached: may be refused")
    NOT_LISTED = "not_listed", _("Not listed: may be refused")
    # The words match no item closely enough for a verdict: "可能属于：…，请核对", with the candidates.
    UNCERTAIN = "uncertain", _("Uncertain: possibly one of the items below, please check")
    # Not listed, but an approved urgent item covers it until it lapses.
    URGENT_COVERED = "urgent_covered", _("Approved urgent item: the community assists")


class DemandState(models.TextChoices):
    """A kept check, and where it stands in the queue of demands no list answered."""

    ANSWERED = "answered", _("Answered by the catalogue")
    OPEN = "open", _("Waiting for review")
    LINKED = "linked", _("Linked to an item")
    UNLISTED = "unlisted", _("Truly not listed")


class ImportState(models.TextChoices):
    """A spreadsheet import: a proposal until someone decides (issue 16: nothing changes before that)."""

    PROPOSED = "proposed", _("Waiting for a decision")
    APPLIED = "applied", _("Applied to the draft")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("Refused (errors in the file)")
