"""Writes for the gate, one module per use case. Every state change goes through one transition table, under a
row lock, and is recorded. Callers keep writing `from approvals import services; services.X`."""

from .. import calendar
from .attachments import ALLOWED_UPLOADS, MAX_UPLOAD_BYTES, attachment_add, sniff_upload
from .ballots import Tally, ballot_cast, ballots_remind, may_vote, tally_of
from .batches import (
    BATCH,
    BatchConflict,
    BatchError,
    Opened,
    Tallied,
    ballots_exclude,
    ballots_give_proxy,
    batch_close_if_done,
    batch_for,
    batch_open_consultation,
    batch_tally,
    batch_to_join,
    batches_advance,
    next_batch_dates,
    tally_allowed,
)
from .common import (
    TRANSITIONS,
    ApplicationConflict,
    ApplicationError,
    can_file,
    is_applicant,
    is_office,
)
from .decisions import committee_decide, office_review
from .filing import APPLICATION_FIELDS, Filing, application_save, application_submit, application_withdraw, filing_check
from .urgent import end_of_half_year, expedited_lapse, urgent_decide, urgent_escalate

__all__ = [
    "ALLOWED_UPLOADS",
    "APPLICATION_FIELDS",
    "BATCH",
    "MAX_UPLOAD_BYTES",
    "TRANSITIONS",
    "ApplicationConflict",
    "ApplicationError",
    "BatchConflict",
    "BatchError",
    "Filing",
    "Opened",
    "Tallied",
    "Tally",
    "application_save",
    "application_submit",
    "application_withdraw",
    "attachment_add",
    "ballot_cast",
    "ballots_exclude",
    "ballots_give_proxy",
    "ballots_remind",
    "batch_close_if_done",
    "batch_for",
    "batch_open_consultation",
    "batch_tally",
    "batch_to_join",
    "batches_advance",
    "calendar",
    "can_file",
    "committee_decide",
    "end_of_half_year",
    "expedited_lapse",
    "filing_check",
    "is_applicant",
    "is_office",
    "may_vote",
    "next_batch_dates",
    "office_review",
    "sniff_upload",
    "tally_allowed",
    "tally_of",
    "urgent_decide",
    "urgent_escalate",
]
