"""htmx on top of pages that work without JavaScript: the same view, the same selector, answering either the whole
page or, for an htmx request, only the part it swaps (django-htmx's `request.htmx`).

- `wants_partial(request)`: an htmx request asking for a part (not a history restore, which needs the page).
- `vary(response)`: a page that answers both ways says so, so no cache hands the part to a full page load.
- `HtmxRedirectMiddleware`: a redirect answered to htmx becomes `HX-Redirect` (a real page load that shows the
  message), and a page other than a confirmation step answered to the confirmation dialog replaces the page's
  main content instead (a form's errors, a 409), so the dialog never shows a whole page inside itself; so does a
  whole page refusing the request (400, 403, 409 …) wherever the part was to go (a field's message, a search's
  results): the person reads what a browser without JavaScript would show.
"""

from django.utils.cache import patch_vary_headers

CONFIRM_DIALOG_TARGET = "confirm-dialog-body"


def wants_partial(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def vary(response):
    patch_vary_headers(response, ("HX-Request",))
    return response


class HtmxRedirectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", None):
            return response
        if response.status_code in (301, 302, 303, 307, 308) and response.has_header("Location"):
            # fetch() would follow the redirect and swap the next page into a part of this one.
            location = response["Location"]
            response.status_code = 204
            del response["Location"]
            response["HX-Redirect"] = location
        elif _replaces_main(request, response):
            response["HX-Retarget"] = "#main"
            response["HX-Reselect"] = "#main"
            response["HX-Reswap"] = "outerHTML"
        return response


def _replaces_main(request, response) -> bool:
    if CONFIRM_DIALOG_TARGET in (request.htmx.target or ""):
        return not getattr(response, "asks_first", False)
    return (
        response.status_code >= 400
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and b"<html" in response.content[:1000]
    )
