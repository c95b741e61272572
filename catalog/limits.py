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
