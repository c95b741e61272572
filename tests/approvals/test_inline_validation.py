"""The application form checked at the field: the server validates the form as sent with the same form the submission
uses and answers one field's errors, next to it; nothing is saved. The form shows only the fields of the chosen list."""

import re
from html import unescape

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.models import Application

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _form(world, **overrides):
    data = {
        "title": "协助开展老年人健康体检组织工作",
        "reason": "国家基本公共卫生服务项目要求65岁以上老年人每年体检一次。",
        "basis_document": "国家基本公共卫生服务规范（第三版）",
        "requested_list": "assistance",
        "item_type": "work_task",
        "scope": "all",
        "workload": "每社区每年约5个工作日",
        "start_date": "2027-03-01",
        "amount_per_community": "1200.00",
    }
    data.update(overrides)
    return data


def _errors_at(html: str, field: str) -> list[str]:
    """The messages shown next to one field (the message box the page and the field check share)."""
    match = re.search(rf'<div class="field-message" id="message-{field}"[^>]*>(.*?)</div>', html, flags=re.S)
    assert match, f"no message box for {field}"
    return [unescape(m) for m in re.findall(r'<p class="error"[^>]*>(.*?)</p>', match.group(1))]


def _validate(client, field, data):
    return client.post(f"{reverse('application-validate')}?field={field}", data, **HTMX)


def test_a_negative_amount_is_refused_at_its_field_and_nothing_is_saved(client, world, django_assert_max_num_queries):
    client.force_login(world.user("bumen"))
    count = Application.objects.count()
    with django_assert_max_num_queries(12):  # the session, the user, the units the form offers, its constraints
        response = _validate(client, "amount_per_community", _form(world, amount_per_community="-5"))
    assert response.status_code == 200
    assert _errors_at(response.content.decode(), "amount_per_community")
    assert Application.objects.count() == count
    fine = _validate(client, "amount_per_community", _form(world))
    assert _errors_at(fine.content.decode(), "amount_per_community") == []


def test_an_urgent_item_without_its_reason_is_refused_at_the_reason(client, world):
    client.force_login(world.user("bumen"))
    response = _validate(client, "urgency_justification", _form(world, is_urgent="on"))
    assert _errors_at(response.content.decode(), "urgency_justification")


def test_an_unknown_field_is_a_clear_bad_request(client, world):
    client.force_login(world.user("bumen"))
    response = _validate(client, "no_such_field", _form(world))
    assert response.status_code == 400


def test_only_those_who_file_may_ask(client, world):
    client.force_login(world.user("shuji"))
    assert _validate(client, "title", _form(world)).status_code == 403


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["amount_per_community", "max_per_year", "start_date", "end_date", "title"]),
    value=st.one_of(
        st.sampled_from(["", "0", "-1", "1200.00", "3,000", "１２", "12.345", "2027-02-30", "2027-03-01", "abc"]),
        st.text(max_size=12),
    ),
)
def test_the_field_check_says_what_the_submission_says_at_that_field(client, world, field, value):
    """The rule: for any value, the message next to a field as it changes is the one the submitted page shows there."""
    client.force_login(world.user("bumen"))
    data = _form(world, **{field: value})
    checked = _validate(client, field, data)
    submitted = client.post(reverse("application-new"), {**data, "save": "1"})
    if checked.status_code == 400:  # input no form reads (a NUL, a control character): refused alike
        assert submitted.status_code == 400
        return
    inline = _errors_at(checked.content.decode(), field)
    if submitted.status_code == 302:  # the whole form was valid: so was this field
        assert inline == []
    else:
        assert inline == _errors_at(submitted.content.decode(), field)


def test_the_form_marks_which_fields_belong_to_which_choice(client, world):
    client.force_login(world.user("bumen"))
    html = client.get(reverse("application-new")).content.decode()
    for name, condition in {
        "amount_per_community": "requested_list:assistance",
        "payer": "requested_list:assistance",
        "max_per_year": "requested_list:assessments",
        "issuing_level": "requested_list:assessments",
        "scope_communities": "scope:communities",
        "urgency_justification": "is_urgent:on",
    }.items():
        box = rf'<div class="field[^"]*" data-show-for="{condition}">(.*?)</div>\s*(?=<div class="field|<button)'
        boxes = re.findall(box, html, flags=re.S)
        assert any(f'name="{name}"' in box for box in boxes), name
    assert f'hx-post="{reverse("application-validate")}?field=start_date"' in html
