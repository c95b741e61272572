"""The reviewer's queue is kept (approvals.answers): whatever is written between two askings, every reader is
answered what the list computes now, never an older queue. Generated sequences of writes (filing, submitting,
withdrawing, opening the consultation, which bulk-creates the ballots, a vote, a unit renamed, the scope changed,
an urgent item escalated by a bulk update, a draft deleted), each committed, with every reader asking every list
before and after each."""

import contextlib
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from rest_framework.test import APIClient

from approvals import services
from approvals.choices import ApplicationState
from approvals.models import Application, Ballot
from catalog.answers import params_digest
from catalog.models import User

from .test_batch_properties import VOTING, World

LISTS = [{"brief": "1"}, {"brief": "1", "queue": "1", "page_size": "2"}, {"brief": "1", "mine": "1"}]
WRITES = st.lists(
    st.sampled_from(["file", "submit", "withdraw", "open", "vote", "rename", "scope", "escalate", "delete"]),
    min_size=1,
    max_size=6,
)


_CLIENTS: dict = {}


def _status_and_body(user, params, path="/api/v1/applications/") -> tuple[int, dict]:
    # One client per reader: a new client loads the middleware again (WhiteNoise scans the static files).
    client = _CLIENTS.setdefault(user.username, APIClient())
    client.force_authenticate(user)
    response = client.get(path, params)
    return response.status_code, response.json()


def _asked(user, params) -> dict:
    status, body = _status_and_body(user, params)
    assert status == 200, body
    return body


class TestTheKeptQueueIsNeverOlderThanTheLastCommit(TestCase):
    def _readers(self, world) -> list[User]:
        street, community = world.streets[0], world.communities[0]
        # A second office user of the same district shares the first one's kept answers: were the list ever to
        # depend on more of who asks than their role and unit, she would be answered with his.
        colleague = User.objects.create(username="office-2", role=world.office.role, unit=world.office.unit)
        return [world.office, colleague, world.filer, world.voters[street.pk], world.voters[community.pk]]

    def _write(self, world, kind: str, n: int) -> None:
        applications = Application.objects.filter(district=world.district).order_by("pk")
        if kind == "file":
            world.application(scope="communities", communities=world.communities[: 1 + n % 4])
        elif kind == "submit":
            draft = Application.objects.create(
                district=world.district,
                applicant_unit=world.department,
                created_by=world.filer,
                title=f"协助开展第{n}次测试",
                reason="测试",
                requested_list="assistance",
                workload="1天",
                start_date=date(2027, 3, 1),
                payer=world.department,
                scope="all",
            )
            # Refused, it stays a draft, which the lists show too.
            with contextlib.suppress(services.ApplicationError, ValidationError):
                services.application_submit(application=draft, actor=world.filer, today=date(2026, 12, 20))
        elif kind == "withdraw":
            for application in applications.filter(state=ApplicationState.SUBMITTED)[:1]:
                services.application_withdraw(application=application, actor=world.filer, reason="撤回")
        elif kind == "open":
            with contextlib.suppress(services.ApplicationError):  # already open
                services.batch_open_consultation(batch=world.batch)
        elif kind == "vote":
            for ballot in Ballot.objects.filter(vote="", application__district=world.district).order_by("pk")[:1]:
                world.cast(ballot, n % 2 == 0)
        elif kind == "rename":
            world.department.name = f"测试局{n}"
            world.department.save()
        elif kind == "scope":
            for application in applications[:1]:
                application.scope_communities.set(world.communities[n % 4 : n % 4 + 2])
        elif kind == "escalate":
            urgent = world.application(scope="all")
            urgent.is_urgent, urgent.urgency_justification = True, "防汛紧急"
            urgent.batch, urgent.submitted_at = None, timezone.now() - timedelta(days=7)
            urgent.save()
            services.urgent_escalate(today=VOTING)  # a bulk update of the urgent item
        elif kind == "delete":
            for application in applications.filter(state=ApplicationState.DRAFT)[:1]:
                application.delete()

    @given(writes=WRITES)
    @example(writes=["open", "vote", "rename", "scope", "escalate", "submit", "withdraw", "file", "delete"])
    @settings(max_examples=4, deadline=None)
    def test_every_reader_is_answered_what_the_list_computes_now(self, writes):
        cache.clear()
        world = World()
        world.application(scope="all")
        readers = self._readers(world)
        for n, kind in enumerate(writes):
            for user in readers:
                for params in LISTS:
                    _asked(user, params)  # kept for the next asking (computed the first time)
            with self.captureOnCommitCallbacks(execute=True):
                self._write(world, kind, n)
            kept = {(user.pk, i): _asked(user, params) for user in readers for i, params in enumerate(LISTS)}
            cache.clear()  # nothing kept: each list computed now
            for user in readers:
                for i, params in enumerate(LISTS):
                    assert kept[user.pk, i] == _asked(user, params), (kind, user.username, params)


def _fresh(user, params, path="/api/v1/applications/") -> tuple[int, dict]:
    cache.clear()
    return _status_and_body(user, params, path)


# Pairs of requests that once shared a kept answer (the review of the kept queue): a value holding `&` and `=`
# passed for two parameters, a repeated parameter for a value holding `|`, the `.json` path for the list's own.
LOOKALIKES = [
    ({"brief": "1", "page_size": "2&queue=1"}, {"brief": "1", "page_size": "2", "queue": "1"}, None),
    ({"brief": "1", "state": ["draft", "submitted"]}, {"brief": "1", "state": "draft|submitted"}, None),
    ({"brief": "1", "page_size": "1"}, {"brief": "1", "page_size": "1"}, "/api/v1/applications.json"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "then", "first_path"), LOOKALIKES)
def test_a_request_that_looks_like_another_is_never_answered_with_its_list(world, first, then, first_path):
    from tests.approvals.test_brief_list import _more

    _more(world, 4)
    office = world.user("minzheng")
    expected = _fresh(office, then)
    cache.clear()
    _status_and_body(office, first, first_path or "/api/v1/applications/")  # kept first
    assert _status_and_body(office, then) == expected


PAIRS = st.lists(st.tuples(st.sampled_from(["q", "state", "page_size"]), st.text(max_size=4)), max_size=4)


@given(first=PAIRS, other=PAIRS, reordered=st.booleans())
def test_two_requests_share_a_digest_only_when_they_ask_the_same(first, other, reordered):
    # Half the time the second request is the first with its parameters in another order (each one's values
    # kept in theirs): the same request, which must share the digest.
    then = sorted(first, key=lambda pair: pair[0], reverse=True) if reordered else other

    def asked(pairs):
        query = QueryDict(mutable=True)
        for name, value in pairs:
            query.appendlist(name, value)
        return query

    same = sorted(asked(first).lists()) == sorted(asked(then).lists())
    assert (params_digest(asked(first)) == params_digest(asked(then))) == same
