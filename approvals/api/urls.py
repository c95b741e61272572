from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("batches", views.BatchViewSet, basename="batch")
router.register("ballots", views.BallotViewSet, basename="ballot")

urlpatterns = router.urls
