"""Money as people read it: 2,400.00, or 2,400.00 元 where no header names the unit."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def money(value, unit: str = ""):
    """To the fen with thousands separators; `money:"yuan"` adds the unit (元)."""
    try:
        amount = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return "—" if value in (None, "") else value
    text = f"{amount:,.2f}"
    return f"{text} {_('yuan')}" if unit == "yuan" else text
