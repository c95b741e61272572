from .catalogue import CatalogueItem, CatalogueVersion
from .orgs import DistrictPolicy, Unit, User, WorkerHeartbeat

__all__ = ["CatalogueItem", "CatalogueVersion", "DistrictPolicy", "Unit", "User", "WorkerHeartbeat"]
