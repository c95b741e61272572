"""Error answers. The API answers in JSON even where no API view was reached (a path that matches no route, a
crash), so that a client never has to parse an HTML page.

A lost database (restarted, failed over, out of connections) is not a bug in the request but a short outage:
Django turns the exception into `handler500`, which answers 503 with Retry-After, a one-line page or JSON, and no
query (it must render while the database is down). The connection is re-opened by the next request
(CONN_HEALTH_CHECKS), so the application recovers without a restart.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = 30


def _is_api(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        message = _("The database is briefly unavailable. Please try again in a minute.")
        if _is_api(request):
            response = JsonResponse({"detail": message, "retry_after": RETRY_AFTER_SECONDS}, status=503)
        else:
            response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("A server error occurred.")}, status=500)
    return defaults.server_error(request)
