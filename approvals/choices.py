from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")  # regular: waiting for its batch; urgent: waiting for the office
    CONSULTING = "consulting", _("In consultation")  # 征求意见
    UNDER_REVIEW = "under_review", _("Comprehensive review")  # 综合评审 by the committee office
    TO_COMMITTEE = "to_committee", _("Before the committee")  # 区社区建设指导委员会
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    LAPSED = "lapsed", _("Lapsed")  # an expedited item not regularised by the next batch
    REGULARISED = "regularised", _("Regularised")  # an expedited item approved again through a batch


OPEN_STATES = (
    ApplicationState.SUBMITTED,
    ApplicationState.CONSULTING,
    ApplicationState.UNDER_REVIEW,
    ApplicationState.TO_COMMITTEE,
)


class RequestedList(models.TextChoices):
    """A new item may only be asked for on the assistance or the assessment list."""

    ASSISTANCE = "assistance", _("Assistance")
    ASSESSMENTS = "assessments", _("Assessments")


class Scope(models.TextChoices):
    ALL = "all", _("All communities of the district")
    STREETS = "streets", _("The communities of some streets")
    COMMUNITIES = "communities", _("Chosen communities")


class BatchState(models.TextChoices):
    INTAKE = "intake", _("Taking applications")
    CONSULTING = "consulting", _("Consulting streets and communities")
    REVIEW = "review", _("Office review and committee")
    CLOSED = "closed", _("Closed")


class Vote(models.TextChoices):
    AGREE = "agree", _("Agree")
    DISAGREE = "disagree", _("Disagree")


class Stage(models.TextChoices):
    """Where an application was rejected."""

    CONSULTATION = "consultation", _("Consultation")
    OFFICE = "office", _("Office (urgent)")
    COMMITTEE = "committee", _("Committee")
