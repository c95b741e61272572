"""Object ids read from a URL, a query string or a form: parsed here, and only here.

`str.isdigit()` is true of "²" and "١", which `int()` then refuses or reads as another number; a 30-digit
number passes both and overflows a database column (on SQLite, a server error). An id is 1 to 18 ASCII digits
(below 10¹⁸, inside every integer column) and nothing else: no sign, no spaces, no full-width or other
scripts' digits, no NUL. Anything else is "no such object" to a lookup, or a clear message to a form.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_DIGITS = 18
MAX_ID = 10**MAX_DIGITS - 1


def parse_id(value) -> int | None:
    """The id `value` names, or None if it names none (empty, not plain ASCII digits, zero, too long)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_DIGITS:
        return None
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number or None


def parse_ids(values) -> list[int]:
    """The ids among `values` (a query string's or form's list); the others are dropped."""
    return [n for n in map(parse_id, values) if n is not None]


class IdField(forms.IntegerField):
    """A form field for an object's id: the same rule as `parse_id`, with a message saying what would be right."""

    default_error_messages = {"invalid": _("Give the number of an object (digits 0–9 only).")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = parse_id(value.strip() if isinstance(value, str) else value)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number
