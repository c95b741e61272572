from .catalogue import CatalogueItem, CatalogueVersion
from .notifications import Notification
from .orgs import DistrictPolicy, Unit, User, WorkerHeartbeat

__all__ = ["CatalogueItem", "CatalogueVersion", "DistrictPolicy", "Notification", "Unit", "User", "WorkerHeartbeat"]
