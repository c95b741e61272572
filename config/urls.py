from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import bench_views, two_factor
from .health import healthz


# The split view serves its start-up script as a file (no inline script under the CSP); Swagger UI's
# stylesheet draws its icons from data: URLs.
@method_decorator(csp_update({"img-src": ["data:"]}), name="dispatch")
class SwaggerView(SpectacularSwaggerSplitView):
    pass


api_v1 = [
    path("", include("audits.api.trail_urls")),
    path("", include("catalog.api.urls")),
    path("", include("approvals.api.urls")),
    path("", include("funding.api.urls")),
    path("", include("audits.api.supervision_urls")),
    path("auth/token/", two_factor.ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema"), name="api-docs"),
]

urlpatterns = [
    # The API first: its prefix turns a page's address away in one match, and an API request (most of the
    # load: the check, the queues, payments) is not tried against every page pattern before its own.
    path("api/v1/", include((api_v1, "api"))),  # a namespace of its own: API names never shadow pages
    path("", include("catalog.urls")),
    path("", include("approvals.urls")),
    path("", include("funding.urls")),
    path("", include("audits.urls")),
    path("accounts/login/", two_factor.LoginView.as_view(), name="login"),
    path("accounts/login/code/", two_factor.login_verify, name="login-verify"),
    path("accounts/two-factor/", two_factor.two_factor, name="two-factor"),
    path("accounts/api-tokens/", two_factor.api_tokens, name="api-tokens"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

handler404 = "config.errors.not_found"  # JSON under /api/
handler500 = "config.errors.server_error"  # JSON under /api/; a lost database answers 503, not a 500 page

if settings.BENCH_FLOORS:
    urlpatterns += [
        path("bench/floor/view", bench_views.floor_view),
        path("bench/floor/drf", bench_views.FloorDRF.as_view()),
    ]
