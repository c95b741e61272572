from django.urls import path

from . import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("org/", views.org_index, name="org-index"),
    path("org/<int:pk>/", views.org_unit, name="org-unit"),
    path("districts/<int:district_id>/policy/", views.policy_detail, name="policy"),
]
