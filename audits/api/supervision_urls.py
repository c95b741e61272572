"""The supervision API's routes (its own module: the audit trail's endpoint lives beside it)."""

from rest_framework.routers import DefaultRouter

from . import supervision

router = DefaultRouter()
router.register("burden-reports", supervision.BurdenReportViewSet, basename="burden-report")
router.register("assessments", supervision.AssessmentViewSet, basename="assessment")
router.register("inspections", supervision.InspectionViewSet, basename="inspection")
router.register("findings", supervision.FindingViewSet, basename="finding")
router.register("notices", supervision.NoticeViewSet, basename="notice")

urlpatterns = router.urls
