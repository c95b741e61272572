from django.urls import path

from . import views

urlpatterns = [
    path("applications/", views.application_list, name="applications"),
    path("applications/new/", views.application_edit, name="application-new"),
    path("applications/validate/", views.application_validate, name="application-validate"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application-edit"),
    path("applications/<int:pk>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("applications/<int:pk>/form/", views.application_form_document, name="application-form"),
    path(
        "applications/<int:pk>/form.pdf", views.application_form_document, {"fmt": "pdf"}, name="application-form-pdf"
    ),
    path("applications/<int:pk>/<slug:action>/", views.application_action, name="application-action"),
    path("review/", views.review_queue, name="review-queue"),
    path("batches/", views.batch_list, name="batches"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/decision/", views.batch_decision_document, name="batch-decision"),
    path("batches/<int:pk>/decision.pdf", views.batch_decision_document, {"fmt": "pdf"}, name="batch-decision-pdf"),
    path("ballots/", views.my_ballots, name="ballots"),
    path("ballots/<int:ballot_id>/vote/", views.ballot_vote, name="ballot-vote"),
]
