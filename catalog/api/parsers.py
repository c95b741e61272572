"""The API's JSON parser, with bounds a person's request never reaches.

DRF's parser reads the stream without Django's DATA_UPLOAD_MAX_MEMORY_SIZE, and Python's decoder recurses once
per nesting level: 1,000 levels (2 KB) raised RecursionError, a server error, on every JSON endpoint. Here the
body is read up to a size, decoded, and its depth checked, each refusal a 400 saying what is wrong.
"""

import codecs

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json  # DRF's: strict_constant refuses NaN and Infinity

from ..limits import MAX_FIELD_CHARS, too_long

MAX_DEPTH = 20  # the deepest body an endpoint takes is 3 levels (a contract's schedule rows)


def json_shape(value) -> tuple[int, bool, int]:
    """How deeply `value` nests lists and objects (a scalar is 0), whether any key or string holds a NUL
    character (PostgreSQL stores none), and the longest string; walked without recursion."""
    deepest, nul, longest, stack = 0, False, 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            nul, longest = nul or "\x00" in node, max(longest, len(node))
            continue
        children = [*node, *node.values()] if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | str))
    return deepest, nul, longest


class BoundedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(
                _("The request body is too large: at most %(size)s bytes of JSON.") % {"size": f"{limit:,}"}
            )
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
            constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=constant)
        except RecursionError as exc:
            raise ParseError(self._too_deep()) from exc
        except ValueError as exc:  # includes UnicodeDecodeError and NaN/Infinity literals
            raise ParseError(_("The request body is not valid JSON: %(error)s") % {"error": exc}) from exc
        depth, nul, longest = json_shape(data)
        if depth > MAX_DEPTH:
            raise ParseError(self._too_deep())
        if nul:
            raise ParseError(_("The JSON contains a NUL character (U+0000), which no text may hold: remove it."))
        if longest > MAX_FIELD_CHARS:
            raise ParseError(too_long(_("A text in the JSON"), longest))
        return data

    @staticmethod
    def _too_deep() -> str:
        return _("The JSON is nested too deeply: at most %(depth)d levels.") % {"depth": MAX_DEPTH}
