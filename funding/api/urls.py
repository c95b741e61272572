from django.urls import path
from rest_framework.routers import DefaultRouter

from . import payments, views

router = DefaultRouter()
router.register("contracts", views.ContractViewSet, basename="contract")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("payment-imports", payments.PaymentImportViewSet, basename="payment-import")

urlpatterns = [
    path("unfunded/", views.UnfundedView.as_view(), name="unfunded"),
    path("funding-report/", views.ReportView.as_view(), name="funding-report"),
    path("contracts/<int:pk>/payments/", payments.ContractPaymentsView.as_view(), name="contract-payments"),
    *router.urls,
]
