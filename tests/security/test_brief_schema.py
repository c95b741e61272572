"""The brief application list (`?brief=1`) answers within the schema the application serves, as the full one does:
the list's items are one of the two representations (the fuzzing seldom draws `brief`, so it is asked here)."""

import pytest

from tests.security import test_schemathesis as fuzzing
from tests.security.test_schemathesis import _uploads_in_tmp, wsgi_app  # noqa: F401  (the fixtures)


@pytest.mark.parametrize("username", ["minzheng", "bumen", "shuji"])
def test_the_brief_list_answers_within_the_schema(world, wsgi_app, username):  # noqa: F811
    operation = fuzzing.SCHEMA["/api/v1/applications/"]["GET"]
    headers = fuzzing._headers(world, username)
    listed = 0
    for query in ({"brief": "1"}, {"brief": "true", "queue": "1"}, {"brief": "1", "page_size": "2"}, {}):
        case = operation.Case(query=query)
        response = case.call(headers=headers, app=wsgi_app)
        case.validate_response(response, checks=fuzzing.CHECKS, headers=headers)
        listed += len(response.json()["results"])
    assert listed  # each caller sees some applications: the schema was checked against rows
