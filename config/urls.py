from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from . import bench_views
from .health import healthz

api_v1 = [
    path("", include("catalog.api.urls")),
    path("", include("approvals.api.urls")),
    path("", include("funding.api.urls")),
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="api-docs"),
]

urlpatterns = [
    path("", include("catalog.urls")),
    path("", include("approvals.urls")),
    path("", include("funding.urls")),
    path("", include("audits.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_v1, "api"))),  # a namespace of its own: API names never shadow pages
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"

if settings.BENCH_FLOORS:
    urlpatterns += [
        path("bench/floor/view", bench_views.floor_view),
        path("bench/floor/drf", bench_views.FloorDRF.as_view()),
    ]
