from django.urls import path

from . import views

urlpatterns = [
    path("supervision/reports/", views.report_list, name="reports"),
    path("supervision/reports/new/", views.report_new, name="report-new"),
    path("supervision/reports/<int:pk>/", views.report_detail, name="report"),
    path("supervision/reports/<int:pk>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("supervision/reports/<int:pk>/<slug:action>/", views.report_action, name="report-action"),
    path("supervision/assessments/", views.assessment_list, name="assessments"),
    path("supervision/assessments/new/", views.assessment_new, name="assessment-new"),
    path("supervision/assessments/<int:pk>/answer/", views.assessment_answer, name="assessment-answer"),
    path("supervision/findings/", views.findings, name="findings"),
    path("supervision/findings/new/", views.finding_new, name="finding-new"),
    path("supervision/findings/<int:pk>/", views.finding_detail, name="finding"),
    path("supervision/inspections/new/", views.inspection_new, name="inspection-new"),
    path("supervision/units/<int:unit_id>/", views.unit_compliance, name="compliance"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/document/", views.notice_document, name="notice-document"),
    path("notices/<int:pk>/document.pdf", views.notice_document, {"fmt": "pdf"}, name="notice-document-pdf"),
    path("supervision/trail/", views.audit_trail, name="audit-trail"),
    path("supervision/trail/export.csv", views.audit_trail_export, name="audit-trail-export"),
    path("supervision/trail/export.xlsx", views.audit_trail_export_xlsx, name="audit-trail-export-xlsx"),
]
