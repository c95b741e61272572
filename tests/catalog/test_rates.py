"""What the public may do without limit, and what it may not: reply slips (stored, numbered documents) and photo
reads (seconds of CPU each) are counted per caller, and a caller past the allowance is told so with a 429."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import limits
from catalog.models import ReplySlip

pytestmark = pytest.mark.django_db


def _slip(client, community, address):
    return client.post("/check/slip/", {"community": community.pk, "q": "协助征收税款"}, REMOTE_ADDR=address)


def test_an_anonymous_caller_gets_its_allowance_of_slips_and_then_a_429_that_says_why(world, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    community = world.unit("牛沙路社区")
    client = Client()
    client.cookies["django_language"] = "en"
    allowance = limits.RATES["slip"][0]
    answers = [_slip(client, community, "203.0.113.7").status_code for _ in range(allowance + 2)]
    assert answers == [303] * allowance + [429, 429]
    refused = _slip(client, community, "203.0.113.7")
    assert "Too many requests" in refused.content.decode() and f"at most {allowance}" in refused.content.decode()
    assert ReplySlip.objects.count() == allowance  # nothing stored for a refused request
    assert _slip(client, community, "198.51.100.9").status_code == 303  # another caller is counted apart


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=st.lists(st.sampled_from(["a", "b", "c", "u1", "u2"]), max_size=60), limit=st.integers(1, 5))
def test_no_caller_is_ever_allowed_more_than_its_allowance_and_callers_never_share_one(calls, limit, world):
    from django.core.cache import cache
    from django.test import RequestFactory, override_settings

    users = {"u1": world.user("shuji"), "u2": world.user("jiedao")}
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        cache.clear()
        original = limits.RATES["photo"]
        limits.RATES["photo"] = (limit, 600)
        try:
            allowed: dict[str, int] = {}
            for who in calls:
                request = RequestFactory().post("/", REMOTE_ADDR={"a": "192.0.2.1", "b": "192.0.2.2"}.get(who, "::1"))
                from django.contrib.auth.models import AnonymousUser

                request.user = users.get(who, AnonymousUser())
                try:
                    limits.rate_take(request, "photo")
                    allowed[who] = allowed.get(who, 0) + 1
                except limits.RateExceeded:
                    pass
            for who, n in allowed.items():
                cap = limit * limits.SIGNED_IN_FACTOR if who in users else limit
                assert n == min(cap, calls.count(who))
        finally:
            limits.RATES["photo"] = original


def test_a_notice_judged_again_from_its_text_is_counted_per_caller_on_the_page_and_in_the_api(world, settings):
    """A corrected notice is up to 5,000 characters of demands: judged again as often as the allowance lets, then a
    429 that says why, on the page and in the API alike (one allowance for both); another caller is counted apart."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    community = world.unit("牛沙路社区")
    client = Client()
    client.cookies["django_language"] = "en"
    text = "关于开展调查的通知\n各社区：\n一、请于本周五前协助征收税款。"
    allowance = limits.RATES["notice"][0]
    answers = []
    for n in range(allowance + 2):
        if n % 2:
            response = client.post(
                "/api/v1/check/notice/",
                {"community": community.pk, "text": text},
                content_type="application/json",
                REMOTE_ADDR="203.0.113.8",
            )
        else:
            response = client.post(
                "/check/notice/", {"community": community.pk, "text": text}, REMOTE_ADDR="203.0.113.8"
            )
        answers.append(response.status_code)
    assert answers == [200] * allowance + [429, 429]
    assert "Too many requests" in response.content.decode()
    other = client.post("/check/notice/", {"community": community.pk, "text": text}, REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 200
