"""Hostile input over every page, form and API operation of the matrix, as every role: never a server error.

The targets are the permission matrix's (tests/security/test_matrix.py: every route of the URL configuration and
every operation of the OpenAPI schema); the values are what a person never types but a script does: other
scripts' digits ("²", "١٢", "１２"), numbers too long for a column, signs, NUL characters, zero-width and
full-width characters, formula starts, very long text, deeply nested JSON. Each request runs inside the test's
transaction; an answer of 500 or more fails with the request that caused it. docs/reliability.md has the counts.
"""

import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .matrix import API_BODIES, LITERAL_ARG, PAGE_ARGS, PAGE_BODIES, ROLES, api_url, page_url
from .test_matrix import API, PAGES

HOSTILE = [
    "²",
    "١٢",
    "１２",
    "9" * 30,
    "-1",
    "0",
    "\x00",
    "a\x00b",
    "\u200b7\u200d",
    "＝1+1",
    "=HYPERLINK(1)",
    "x" * 5000,
    "[" * 1000,
    "",
    " ",
    "NaN",
    "Infinity",
    "1e999",
    "2026-02-30",
]
# Every query-string name a page, a filter or an API view reads (grep GET/query_params, the filtersets)
QUERY_NAMES = [
    "page", "q", "district", "item", "state", "date", "version", "urgent", "type", "since", "payer", "list",
    "community", "application", "against", "start", "end", "report", "queue", "mine", "group", "findings", "city",
    "all", "street", "parent", "unit", "role", "code", "search", "ordering", "page_size", "format", "id",
]  # fmt: skip
DEEP_JSON = "[" * 1000 + "]" * 1000


def _gets():
    """(label, url) of every GET in the matrix, with the user's district's objects."""
    for key, methods in PAGES.items():
        if "GET" in methods:
            yield key, key
    for key in API:
        if key.startswith("GET "):
            yield key, key


def _url(world, key: str) -> str:
    objects = world["锦江区"]
    if key.startswith(("GET ", "POST ", "PUT ", "PATCH ", "DELETE ")):
        method, path = key.split(" ", 1)
        return api_url(method, path, objects)
    return page_url(key, PAGE_ARGS, objects)


def _is_api(key: str) -> bool:
    return key.split(" ", 1)[0] in {"GET", "POST", "PUT", "PATCH", "DELETE"} or key.startswith("api:")


def _writer(rows) -> str:
    """The first role that may make this request (the in-scope row): hostile values must reach its validation."""
    row = rows[0] if isinstance(rows, tuple) else rows
    codes = dict(zip(ROLES, row.split(), strict=True))
    return next((role for role, code in codes.items() if code in "wobc"), "admin")


def _hostile_body(body: dict, value: str) -> dict:
    """`body` with every text value (and every id) replaced by `value`; files are kept."""
    out = {}
    for name, original in body.items():
        if isinstance(original, (str, int, bool)) or original is None:
            out[name] = value
        elif isinstance(original, list):
            out[name] = [value]
        else:
            out[name] = original
    return out


def _assert_no_server_error(response, what: str):
    assert response.status_code < 500, f"{what}: {response.status_code}"


GETS = list(_gets())


@pytest.mark.parametrize("role", list(ROLES))
def test_every_get_with_hostile_query_values_answers_without_a_server_error(role, as_role, security_world):
    client = as_role(role)
    for index, (_label, key) in enumerate(GETS):
        url = _url(security_world, key)
        # Every name the views read, each with a different hostile value, rotating by route and role
        shift = index + list(ROLES).index(role)
        query = {name: HOSTILE[(shift + i) % len(HOSTILE)] for i, name in enumerate(QUERY_NAMES)}
        _assert_no_server_error(client.get(url, query), f"GET {url} as {role} with {query!r}"[:600])


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    target=st.sampled_from(GETS),
    role=st.sampled_from(list(ROLES)),
    query=st.dictionaries(
        st.sampled_from(QUERY_NAMES),
        st.one_of(
            st.sampled_from(HOSTILE),
            st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
            st.integers(min_value=-(10**30), max_value=10**30).map(str),
        ),
        max_size=6,
    ),
)
def test_hypothesis_query_values_never_cause_a_server_error(target, role, query, as_role, security_world):
    _label, key = target
    url = _url(security_world, key)
    _assert_no_server_error(as_role(role).get(url, query), f"GET {url} as {role} with {query!r}")


def _page_posts():
    for key, methods in PAGES.items():
        if "POST" in methods:
            yield key, _writer(methods["POST"])


PAGE_POSTS = list(_page_posts())


@pytest.mark.parametrize(("key", "role"), PAGE_POSTS, ids=[k for k, _r in PAGE_POSTS])
def test_every_form_with_hostile_values_answers_without_a_server_error(key, role, as_role, security_world):
    client = as_role(role)
    objects = security_world["锦江区"]
    url = page_url(key, PAGE_ARGS, objects)
    body = PAGE_BODIES.get(key, lambda o: {})(objects) or {"q": "", "text": "", "id": ""}
    for value in HOSTILE:
        data = _hostile_body(body, value)
        _assert_no_server_error(client.post(url, data), f"POST {url} as {role} with {data!r}"[:600])


def _api_writes():
    for key, rows in API.items():
        if not key.startswith("GET "):
            yield key, _writer(rows)


API_WRITES = list(_api_writes())


@pytest.mark.parametrize(("key", "role"), API_WRITES, ids=[k for k, _r in API_WRITES])
def test_every_api_write_with_hostile_values_answers_without_a_server_error(key, role, as_role, security_world):
    client = as_role(role)
    objects = security_world["锦江区"]
    method, _path = key.split(" ", 1)
    url = _url(security_world, key)
    body = API_BODIES.get(key, lambda o: {})(objects)
    files = any(not isinstance(v, (str, int, bool, list, dict, type(None))) for v in body.values())
    bodies = [] if files else [json.dumps(_hostile_body(body, value)) for value in HOSTILE]
    nested = "[" * 800 + "]" * 800  # deep, but within Python's recursion limit: the depth bound refuses it
    bodies += [DEEP_JSON, "{" + ", ".join(f'"{name}": {nested}' for name in body or {"x": 1}) + "}"]
    for raw in bodies:
        response = client.generic(method, url, raw, content_type="application/json")
        _assert_no_server_error(response, f"{method} {url} as {role} with {raw[:300]!r}")


def test_deep_json_is_refused_with_a_clear_400_on_the_public_token_endpoint(client, db):
    response = client.post(reverse("api:api-token"), DEEP_JSON, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"] or "嵌套" in response.json()["detail"]


def _routes_with_ids():
    for key in PAGES:
        name = key.split("[")[0]
        if PAGE_ARGS.get(name) and name not in LITERAL_ARG and name not in SIGNED_TOKENS:
            yield key


# A reply slip's path holds its signed serial, not an id: anything else is refused as tampered with, 400
# (tests/catalog/test_slips.py).
SIGNED_TOKENS = {"check-slip-verify", "check-slip-pdf"}


@pytest.mark.parametrize("huge", [10**18, 10**30])
def test_ids_too_large_for_a_column_in_a_path_answer_404(huge, as_role, security_world):
    client = as_role("admin")
    for key in _routes_with_ids():
        name = key.split("[")[0]
        kwargs = dict.fromkeys(PAGE_ARGS[name], huge)
        if "key" in kwargs:  # an item's key is a UUID, not an id
            kwargs["key"] = "00000000-0000-0000-0000-000000000000"
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code in (302, 403, 404, 405), f"{key}: {response.status_code}"


def test_a_nonexistent_id_and_one_out_of_scope_answer_the_same(as_role, security_world):
    """The existence oracle: an instalment of another district and one that does not exist get the same 404."""
    client = as_role("department_staff")
    mine, theirs = security_world["锦江区"], security_world["金牛区"]
    answers = []
    for instalment in (theirs["instalment"].pk, 10**12, "²"):
        body = {"instalment": instalment, "amount": "10.00", "paid_on": str(mine["payment"].paid_on), "voucher": "记-X"}
        response = client.post("/api/v1/payments/", json.dumps(body), content_type="application/json")
        answers.append((response.status_code, response.json()))
    assert answers[0][0] == 404
    assert answers[0] == answers[1] == answers[2]
