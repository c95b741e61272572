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
