"""How much text a person writes into one field, and the bound every request is held to.

A 2.4 MB burden report or application reason took 22 s of a worker (segmentation runs on it synchronously).
A field says how much it takes (`limit_text`: the form refuses more, the browser stops typing there, and the
hint says so); a field without its own length is still held to MAX_FIELD_CHARS by the request middleware and
the API's JSON parser (config.security, catalog.api.parsers), so no request carries a novel in one value.
"""

from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext as _

REASON_CHARS = 2000  # a reason, a demand, an opinion: a long paragraph or two
MAX_FIELD_CHARS = 20_000  # any one value of any request: longer than any document a person types


def too_long(field: str, length: int, limit: int = MAX_FIELD_CHARS) -> str:
    return _("“%(field)s” is %(length)s characters long; at most %(limit)s are accepted.") % {
        "field": field,
        "length": f"{length:,}",
        "limit": f"{limit:,}",
    }


def limit_text(field, limit: int = REASON_CHARS):
    """Bound a form's text field: the form refuses more, the browser stops typing, the hint says how much."""
    field.max_length = limit
    field.validators.append(MaxLengthValidator(limit))
    field.widget.attrs["maxlength"] = str(limit)
    hint = _("At most %(limit)s characters.") % {"limit": f"{limit:,}"}
    field.help_text = f"{field.help_text} {hint}".strip() if field.help_text else hint
    return field


# --- How often one caller may do what costs the system a stored row or seconds of CPU ---------------------------
# The check is public, so a reply slip (a stored, numbered document) and a photo read (2–3 s of both cores) are
# open to anyone; a caller is allowed this many in a window, a signed-in person ten times as many.
# action → (anonymous callers per window, window in seconds). A notice judged again from its text is up to 5,000
# characters of demands (about a second of CPU at worst): counted apart from the pictures, more generously.
RATES = {"slip": (30, 3600), "photo": (20, 600), "notice": (60, 600)}
SIGNED_IN_FACTOR = 10


def client_address(request) -> str:
    """REMOTE_ADDR, or the last X-Forwarded-For address when the deployment trusts its proxy; never anything
    that is not an IP address (a forged header cannot write arbitrary text anywhere)."""
    import ipaddress

    from django.conf import settings

    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.TRUST_X_FORWARDED_FOR:
        # The last entry is the one the trusted proxy added; anything before it is what the client sent.
        candidate = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip() or candidate
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return ""


class RateExceeded(Exception):
    def __init__(self, action: str, limit: int, seconds: int):
        self.message = _(
            "Too many requests of this kind from you: at most %(limit)s in %(minutes)s minutes. Please wait and "
            "try again."
        ) % {"limit": f"{limit:,}", "minutes": seconds // 60}
        super().__init__(self.message)


def rate_take(request, action: str) -> None:
    """Count one `action` for the caller (the signed-in person, else the address) in the current window; raise
    RateExceeded past the allowance. Counted in the shared cache, so every web worker sees the same count."""
    import time

    from django.core.cache import cache

    limit, seconds = RATES[action]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        who, limit = f"u{user.pk}", limit * SIGNED_IN_FACTOR
    else:
        who = f"a{client_address(request)}"
    key = f"rate:{action}:{who}:{int(time.time() // seconds)}"
    cache.add(key, 0, timeout=seconds + 60)
    try:
        taken = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one as the first
        cache.set(key, 1, timeout=seconds + 60)
        taken = 1
    if taken > limit:
        raise RateExceeded(action, limit, seconds)
