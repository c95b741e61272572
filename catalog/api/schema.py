"""The OpenAPI schema documents the error answers too, so that a client (and the schema fuzzing in CI) knows
every status code an operation can give and the shape of its body."""

from django.utils.translation import gettext_lazy as _

# Query parameters that never make an answer 400: an unknown ordering or page size falls back to the default,
# a page or cursor that does not exist answers 404.
_LENIENT_QUERY = {"page", "page_size", "cursor", "ordering", "search"}

ERROR_SCHEMAS = {
    "ErrorDetail": {
        "type": "object",
        "description": "What went wrong, in one sentence (403, 404, 409).",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationErrors": {
        "type": "object",
        "description": (
            "What is wrong with the request (400): for each field, the list of its problems (nested like the "
            "request for lists and objects); `detail` or `non_field_errors` for the request as a whole; `errors` "
            "for an import, one message per row and column."
        ),
        "additionalProperties": {},
    },
}


ERROR_BODIES = {
    "400": "ValidationErrors",
    "403": "ErrorDetail",
    "404": "ErrorDetail",
    "409": "ErrorDetail",
    "415": "ErrorDetail",
}


def _answer(description) -> dict:
    return {"description": str(description)}


def document_error_answers(result, generator, request, public):
    """drf-spectacular post-processing hook: add 400, 403 and 404 where an operation can answer them, and give
    every error answer its body's schema (a view may declare more, e.g. 409, with just a description)."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_SCHEMAS)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            query = {p["name"] for p in parameters if p.get("in") == "query"}
            in_path = any(p.get("in") == "path" for p in parameters)
            anonymous_allowed = {} in operation.get("security", [])
            # A write can also be refused by the rules (a domain error) with no field of its own at fault.
            if method != "get" or query - _LENIENT_QUERY:
                responses.setdefault("400", _answer(_("The request is invalid; nothing was changed.")))
            if not anonymous_allowed or method != "get":
                responses.setdefault("403", _answer(_("Not signed in, or the caller's role may not do this.")))
            if "requestBody" in operation:
                responses.setdefault("415", _answer(_("The body is not of a media type this operation reads.")))
            if in_path or query & {"page", "cursor"}:
                responses.setdefault("404", _answer(_("No such object in the caller's scope, or no such page.")))
            for code, schema in ERROR_BODIES.items():
                if code in responses and "content" not in responses[code]:
                    responses[code]["content"] = {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                    }
    return result
