from django.urls import path

from .views import catalogue, check, demands, imports
from .views import org as views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("org/", views.org_index, name="org-index"),
    path("org/<int:pk>/", views.org_unit, name="org-unit"),
    path("districts/<int:district_id>/policy/", views.policy_detail, name="policy"),
    # Public: the lists in force, search, exports, history
    path("catalogue/", catalogue.catalogue_index, name="catalogue-index"),
    path("catalogue/template.xlsx", catalogue.import_template, name="catalogue-template"),
    path("catalogue/compare/", catalogue.city_comparison, name="catalogue-compare"),
    path("catalogue/compare/export.<str:fmt>", catalogue.city_comparison_export, name="catalogue-compare-export"),
    path("catalogue/dashboard/", catalogue.burden_dashboard, name="catalogue-dashboard"),
    path("catalogue/<int:district_id>/", catalogue.district_catalogue, name="district-catalogue"),
    path("catalogue/<int:district_id>/items/<int:item_id>/", catalogue.item_detail, name="catalogue-item"),
    path("catalogue/<int:district_id>/versions/", catalogue.version_history, name="catalogue-versions"),
    path("catalogue/<int:district_id>/versions/<int:version_id>/diff/", catalogue.version_diff, name="catalogue-diff"),
    path("catalogue/<int:district_id>/export.<str:fmt>", catalogue.export, name="catalogue-export"),
    # Civil-affairs: the draft
    path("catalogue/<int:district_id>/draft/", catalogue.draft_edit, name="catalogue-draft"),
    path("catalogue/<int:district_id>/draft/items/new/", catalogue.draft_item, name="catalogue-draft-new"),
    path("catalogue/<int:district_id>/draft/items/<int:item_id>/", catalogue.draft_item, name="catalogue-draft-item"),
    path(
        "catalogue/<int:district_id>/draft/items/<int:item_id>/delete/",
        catalogue.draft_item_delete,
        name="catalogue-draft-delete",
    ),
    # Civil-affairs: the demands no list answered, and the burden they show (also the city overseer)
    path("catalogue/demands/", demands.unlisted_burden, name="unlisted-burden"),
    path("catalogue/<int:district_id>/demands/", demands.demand_queue, name="catalogue-demands"),
    path("catalogue/<int:district_id>/demands/<int:record_id>/", demands.demand_review, name="catalogue-demand"),
    path("catalogue/<int:district_id>/draft/import/", imports.draft_import, name="catalogue-draft-import"),
    path("catalogue/<int:district_id>/draft/export.<str:fmt>", imports.draft_export, name="catalogue-draft-export"),
    path("catalogue/<int:district_id>/draft/discard/", imports.draft_discard, name="catalogue-draft-discard"),
    path("catalogue/<int:district_id>/draft/revert/<uuid:key>/", imports.draft_revert, name="catalogue-draft-revert"),
    path("catalogue/<int:district_id>/draft/imports/<int:import_id>/", imports.import_detail, name="catalogue-import"),
    path(
        "catalogue/<int:district_id>/draft/imports/<int:import_id>/errors.xlsx",
        imports.import_error_file,
        name="catalogue-import-errors",
    ),
    # The check
    path("check/", check.check_page, name="check"),
    path("check/slip/", check.reply_slip, name="check-slip"),
    path("check/slips/<str:token>/", check.slip_verify, name="check-slip-verify"),
    path("check/slips/<str:token>/slip.pdf", check.slip_pdf, name="check-slip-pdf"),
    path("check/photo/", check.check_photo, name="check-photo"),
    path("check/notice/", check.check_notice_text, name="check-notice"),
    path("check/notice/slip.pdf", check.notice_slip, name="check-notice-slip"),
]
