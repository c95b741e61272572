from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("cities", views.CityViewSet, basename="city")
router.register("districts", views.DistrictViewSet, basename="district")
router.register("streets", views.StreetViewSet, basename="street")
router.register("communities", views.CommunityViewSet, basename="community")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("users", views.UserViewSet, basename="user")
router.register("policies", views.DistrictPolicyViewSet, basename="policy")
router.register("versions", views.CatalogueVersionViewSet, basename="version")
router.register("items", views.CatalogueItemViewSet, basename="item")
router.register("imports", views.CatalogueImportViewSet, basename="import")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("check/", views.CheckView.as_view(), name="check"),
    path("check/photo/", views.PhotoCheckView.as_view(), name="check-photo"),
    path("check/notice/", views.NoticeCheckView.as_view(), name="check-notice"),
    *router.urls,
]
