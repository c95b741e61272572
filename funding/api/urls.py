from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("contracts", views.ContractViewSet, basename="contract")
router.register("payments", views.PaymentViewSet, basename="payment")

urlpatterns = [
    path("unfunded/", views.UnfundedView.as_view(), name="unfunded"),
    path("funding-report/", views.ReportView.as_view(), name="funding-report"),
    *router.urls,
]
