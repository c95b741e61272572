from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ..choices import ItemList, ItemType, Verdict
from ..partials import CONFIRM_DIALOG_TARGET

register = template.Library()


@register.filter
def get(mapping, key):
    """{{ counts.lists|get:value }}: a dictionary value by a variable key."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def cell(grid, pair):
    """{{ counts.grid|cell:"duties,ledger" }}: one count of the list × type grid."""
    lst, typ = pair.split(",")
    return grid.get((lst, typ), 0)


@register.filter
def list_label(value):
    return ItemList(value).label if value in ItemList.values else value


@register.filter
def type_label(value):
    return ItemType(value).label if value in ItemType.values else value


@register.filter
def verdict_label(value):
    return Verdict(value).label if value in Verdict.values else value


# A verdict in two to five characters, where a whole label does not fit: a mark on the photo of a notice.
_VERDICT_WORDS = {
    Verdict.MUST_DO: _lazy("Must do"),
    Verdict.ASSIST_FUNDED: _lazy("Assist, funded"),
    Verdict.ASSIST_UNFUNDED: _lazy("Assist, unfunded"),
    Verdict.REFUSE: _lazy("May refuse"),
    Verdict.ASSESSMENT_ALLOWED: _lazy("Assessment allowed"),
    Verdict.ASSESSMENT_LIMIT_REACHED: _lazy("Over the limit: may refuse"),
    Verdict.NOT_LISTED: _lazy("Not listed: may refuse"),
    Verdict.UNCERTAIN: _lazy("Please check"),
    Verdict.URGENT_COVERED: _lazy("Urgent item: assist"),
}


@register.filter
def verdict_word(value):
    return _VERDICT_WORDS.get(value, verdict_label(value))


@register.filter
def confidence_percent(value):
    """0.734 → "73%": how sure the check's match is, as a person reads it."""
    try:
        return f"{round(float(value) * 100)}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def has_required(form) -> bool:
    """Whether a form has a field a person must fill (the form include then explains the * mark)."""
    return any(field.required for field in getattr(form, "fields", {}).values())


@register.filter
def version_label(number):
    """第 2 版, never "v2": a version as a person names it."""
    return _("Version %(number)s") % {"number": number}


@register.filter
def months(value):
    return "、".join(str(m) for m in value or [])


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current page's query string with another page number: a search keeps its words on page 2."""
    params = context["request"].GET.copy()
    params["page"] = number
    return "?" + params.urlencode()


@register.filter
def shown(value, field):
    """{{ change.old|shown:change.field }}: a field's value as a person writes it (10月、11月, 3,000.00元, 省)."""
    from ..io import display

    if field in ("list", "type", "issuing_level", "source"):
        from ..models import CatalogueItem

        choices = dict(CatalogueItem._meta.get_field(field).flatchoices)
        return str(choices.get(value, value or ""))
    return display(field, value)


@register.simple_tag(takes_context=True)
def asks_first(context, action=""):
    """Attributes for a form whose POST first answers with a confirmation step (catalog.confirmation): with
    JavaScript, htmx posts it and shows that step in the page's dialog; without, the step is a page of its own."""
    url = action or context["request"].get_full_path()
    return format_html(
        'hx-post="{}" hx-target="#{}" hx-select="[data-confirm-step]" hx-swap="innerHTML" data-asks-first',
        url,
        CONFIRM_DIALOG_TARGET,
    )


@register.filter
def yuan(amount):
    """1234567.5 → "1,234,567.50 元" (catalog.workbench.yuan); nothing → "—"."""
    from ..workbench import yuan as as_yuan

    return "—" if amount is None or amount == "" else as_yuan(amount)
