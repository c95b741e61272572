"""The one shape of a state change (catalog.transitions): guarded, locked, recorded; the wrong state is a conflict."""

import itertools
from datetime import date

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from approvals.choices import BatchState as B
from approvals.models import Batch
from catalog.models import StateEvent, Unit
from catalog.transitions import StateConflict, StateMachine, Transition

MACHINE = StateMachine(
    Batch,
    {
        "open": Transition({B.INTAKE}, B.CONSULTING, "open", confirm="sure?"),
        "review": Transition({B.CONSULTING}, B.REVIEW, "review"),
        "close": Transition({B.REVIEW, B.CONSULTING}, B.CLOSED, "close"),
    },
)


def _batch():
    city = Unit.objects.create(kind="city", name="测试市")
    district = Unit.objects.create(kind="district", name="测试区", parent=city)
    return Batch.objects.create(
        district=district,
        year=2027,
        month=1,
        intake_closes=date(2026, 12, 1),
        consultation_ends=date(2026, 12, 20),
        committee_meets=date(2027, 1, 10),
    )


class TestAnySequenceOfActions(TestCase):
    @given(st.lists(st.sampled_from(["open", "review", "close"]), max_size=6))
    @settings(max_examples=40, deadline=None)
    def test_a_state_only_changes_along_the_table_and_every_change_is_recorded(self, actions):
        batch = _batch()
        changes = 0
        for action in actions:
            before = Batch.objects.get(pk=batch.pk).state
            allowed = before in MACHINE[action].sources
            try:
                with transaction.atomic():
                    locked = MACHINE.begin(batch, action)
                    MACHINE.finish(locked, action, note=action)
            except StateConflict as exc:
                assert not allowed
                assert "open" in str(exc) or "review" in str(exc) or "close" in str(exc)
                assert Batch.objects.get(pk=batch.pk).state == before
            else:
                assert allowed
                changes += 1
                assert Batch.objects.get(pk=batch.pk).state == MACHINE[action].target
        events = list(MACHINE.history(batch))
        assert len(events) == changes
        for earlier, later in itertools.pairwise(events):
            assert earlier.to_state == later.from_state


@pytest.mark.django_db
def test_actions_offered_are_those_the_current_state_allows():
    batch = _batch()
    assert [a.name for a in MACHINE.actions(batch)] == ["open"]
    assert MACHINE.actions(batch)[0].confirm == "sure?"
    batch.state = B.CONSULTING
    assert [a.name for a in MACHINE.actions(batch)] == ["review", "close"]


@pytest.mark.django_db(transaction=True)
def test_begin_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError):
        MACHINE.begin(_batch(), "open")
    assert StateEvent.objects.count() == 0
