from django.urls import path

from . import payment_views, views

urlpatterns = [
    path("funding/contracts/", views.contract_list, name="contracts"),
    path("funding/contracts/new/", views.contract_new, name="contract-new"),
    path("funding/contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("funding/contracts/<int:pk>/document/", views.signed_document, name="contract-document"),
    path("funding/contracts/<int:pk>/ocds.json", views.contract_ocds, name="contract-ocds"),
    # before contract-action, whose <slug:action> would take "payments"
    path("funding/contracts/<int:pk>/payments/", payment_views.contract_payments, name="contract-payments"),
    path("funding/contracts/<int:pk>/<slug:action>/", views.contract_action, name="contract-action"),
    path("funding/payments/import/", payment_views.payment_import, name="payment-import"),
    path(
        "funding/payments/import/template.xlsx", payment_views.payment_import_template, name="payment-import-template"
    ),
    path("funding/payments/imports/<int:pk>/", payment_views.payment_import_detail, name="payment-import-detail"),
    path(
        "funding/payments/imports/<int:pk>/errors.xlsx",
        payment_views.payment_import_errors,
        name="payment-import-errors",
    ),
    path("funding/owed/", views.owed, name="owed"),
    path("funding/unfunded/", views.unfunded, name="unfunded"),
    path("funding/unfunded/export.<str:fmt>", views.unfunded_export, name="unfunded-export"),
    path("funding/report/", views.report, name="funding-report"),
    path("funding/report/export.<str:fmt>", views.report_export, name="funding-export"),
]
