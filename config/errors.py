"""What a user sees when the database is unreachable (restarted, failed over, out of connections).

Django turns any exception that escapes a view or a middleware into `handler500`. A lost database is not a bug
in the request: it is a short outage, so it answers 503 with Retry-After, a one-line page or JSON, and no query
(the page must render while the database is down). The connection is re-opened by the next request
(CONN_HEALTH_CHECKS), so the application recovers without a restart.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = 30


def server_error(request):
    if not isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return defaults.server_error(request)
    message = _("The database is briefly unavailable. Please try again in a minute.")
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": message, "retry_after": RETRY_AFTER_SECONDS}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
