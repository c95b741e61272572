from django.urls import path

from . import views

urlpatterns = [
    path("funding/contracts/", views.contract_list, name="contracts"),
    path("funding/contracts/new/", views.contract_new, name="contract-new"),
    path("funding/contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("funding/contracts/<int:pk>/document/", views.signed_document, name="contract-document"),
    path("funding/contracts/<int:pk>/ocds.json", views.contract_ocds, name="contract-ocds"),
    path("funding/contracts/<int:pk>/<slug:action>/", views.contract_action, name="contract-action"),
    path("funding/owed/", views.owed, name="owed"),
    path("funding/unfunded/", views.unfunded, name="unfunded"),
    path("funding/unfunded/export.<str:fmt>", views.unfunded_export, name="unfunded-export"),
    path("funding/report/", views.report, name="funding-report"),
    path("funding/report/export.<str:fmt>", views.report_export, name="funding-export"),
]
