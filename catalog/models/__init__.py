from .catalogue import CatalogueItem, CatalogueVersion
from .demands import CheckRecord
from .imports import CatalogueImport
from .notifications import Notification
from .orgs import DistrictPolicy, Unit, User, WorkerHeartbeat
from .slips import ReplySlip
from .transitions import StateEvent

__all__ = [
    "CatalogueImport",
    "CatalogueItem",
    "CatalogueVersion",
    "CheckRecord",
    "DistrictPolicy",
    "Notification",
    "ReplySlip",
    "StateEvent",
    "Unit",
    "User",
    "WorkerHeartbeat",
]
