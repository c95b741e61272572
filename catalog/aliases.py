"""An item's 常见说法: the wordings demands use for it, kept by civil-affairs staff in the draft and the sheet."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .text import comparison_key, normalise

MAX_ALIAS_LENGTH = 100  # one wording
MAX_ALIASES = 30  # per item
# How a cell or a textarea separates wordings: new lines, 、 and the Chinese or Latin semicolon.
SEPARATORS = re.compile(r"[\r\n、;；]+")


def split_aliases(text: str) -> list[str]:
    """The wordings of one textarea or spreadsheet cell, in the order written (not yet checked)."""
    return [part for part in SEPARATORS.split(text or "") if part.strip()]


def clean_aliases(values) -> list[str]:
    """Wordings normalised (catalog.text) and de-duplicated (the same after normalising, case and spaces aside),
    in the order given. Raises ValidationError saying which wording is too long, or that there are too many."""
    kept, seen, errors = [], set(), []
    for value in values or []:
        wording = normalise(str(value))
        if not wording or comparison_key(wording) in seen:
            continue
        if len(wording) > MAX_ALIAS_LENGTH:
            errors.append(
                _("“%(start)s…” has %(n)s characters; a wording may have at most %(max)s.")
                % {"start": wording[:12], "n": len(wording), "max": MAX_ALIAS_LENGTH}
            )
            continue
        seen.add(comparison_key(wording))
        kept.append(wording)
    if len(kept) > MAX_ALIASES:
        errors.append(_("At most %(max)s wordings per item; this has %(n)s.") % {"max": MAX_ALIASES, "n": len(kept)})
    if errors:
        raise ValidationError(errors)
    return kept
