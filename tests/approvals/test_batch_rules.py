"""The half-yearly batch under use and abuse (issue 12): the tally waits for its deadline, the rule is frozen when
consultation opens, the applicant is never consulted on its own application, units nobody can vote for are
arranged in the open, and one function decides which batch an application joins."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from approvals import services
from approvals.choices import ApplicationState, BatchState
from approvals.models import Ballot
from approvals.selectors import units_without_voters
from catalog.models import StateEvent
from tests.approvals.test_batch import AFTER_DEADLINE, FILED, VOTING, open_consultation_on, vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def shuanggui(world):
    street = world.unit("双桂路街道")
    return street, list(street.children.order_by("name"))


@pytest.fixture
def consulting(file_application, applicant, shuanggui):
    return open_consultation_on(file_application, applicant, shuanggui[1])


def test_the_tally_waits_for_the_deadline_while_units_have_not_voted(consulting, office):
    vote(consulting, agree=3)  # two of five have not voted; the deadline is 2027-01-20
    with pytest.raises(services.BatchError, match="2027-01-20"):
        services.batch_tally(batch=consulting.batch, actor=office, today=VOTING)
    consulting.refresh_from_db()
    assert consulting.state == ApplicationState.CONSULTING
    assert consulting.batch.state == BatchState.CONSULTING
    services.batch_tally(batch=consulting.batch, actor=office, today=AFTER_DEADLINE)
    consulting.refresh_from_db()
    assert consulting.state == ApplicationState.UNDER_REVIEW


def test_the_scheduled_job_does_not_tally_before_the_deadline(consulting):
    vote(consulting, agree=3)
    assert services.batches_advance(today=date(2027, 1, 20))["tallied"] == 0
    consulting.refresh_from_db()
    assert consulting.state == ApplicationState.CONSULTING


def test_when_every_consulted_unit_has_voted_the_office_may_tally_early(consulting, office):
    vote(consulting, agree=4, disagree=1)
    result = services.batch_tally(batch=consulting.batch, actor=office, today=VOTING)
    assert (result.passed, result.rejected, result.not_voted) == (1, 0, [])
    consulting.batch.refresh_from_db()
    assert consulting.batch.state == BatchState.REVIEW and consulting.batch.closed_early_reason == ""


def test_closing_early_is_a_recorded_decision_naming_the_units_that_had_not_voted(consulting, office):
    vote(consulting, agree=3)
    not_voted = sorted(consulting.ballots.filter(vote="").values_list("unit__name", flat=True))
    result = services.batch_tally(
        batch=consulting.batch, actor=office, today=VOTING, early_reason="委员会会议提前，经主任办公会决定提前截止。"
    )
    assert result.not_voted == not_voted and len(not_voted) == 2
    batch = consulting.batch
    batch.refresh_from_db()
    assert batch.closed_early_not_voted == not_voted
    assert batch.closed_early_reason.startswith("委员会会议提前")
    event = StateEvent.objects.get(object_id=batch.pk, action="tally")
    assert event.actor == office and all(name in event.note for name in not_voted)


def test_the_rule_in_force_when_consultation_opens_is_frozen_on_the_batch(consulting, office):
    batch = consulting.batch
    batch.refresh_from_db()
    assert (str(batch.pass_threshold_percent), batch.pass_rate_basis) == ("60.00", "consulted")
    policy = consulting.district.policy
    policy.pass_threshold_percent, policy.pass_rate_basis = 100, "votes_cast"  # after seeing the first votes
    policy.save()
    vote(consulting, agree=3, disagree=2)
    services.batch_tally(batch=batch, actor=office, today=AFTER_DEADLINE)
    consulting.refresh_from_db()
    assert consulting.state == ApplicationState.UNDER_REVIEW  # 3 of 5 at the frozen 60%, not 100%
    assert "60" in consulting.pass_rule


def test_a_policy_change_applies_to_the_next_batch(consulting, file_application, applicant, shuanggui):
    policy = consulting.district.policy
    policy.pass_threshold_percent = 80
    policy.save()
    later = file_application(
        title="协助开展第二项工作", start_date=date(2027, 9, 1), scope="communities", scope_communities=shuanggui[1]
    )
    services.application_submit(application=later, actor=applicant, today=date(2026, 12, 20))
    later.refresh_from_db()
    assert later.batch != consulting.batch
    services.batch_open_consultation(batch=later.batch)
    later.batch.refresh_from_db()
    consulting.batch.refresh_from_db()
    assert (str(later.batch.pass_threshold_percent), str(consulting.batch.pass_threshold_percent)) == ("80.00", "60.00")


def test_a_street_office_is_not_consulted_on_its_own_application(world, shuanggui):
    street, communities = shuanggui
    jiedao = world.user("jiedao")
    application = services.application_save(
        actor=jiedao,
        title="协助开展夜间巡逻值守",
        reason="街道综治工作需要社区每晚安排人员巡逻。",
        requested_list="assistance",
        workload="每晚2人",
        start_date=date(2027, 3, 1),
        payer=street,
        amount_per_community="600.00",
        scope="communities",
        scope_communities=communities,
    )
    services.application_submit(application=application, actor=jiedao, today=FILED)
    application.refresh_from_db()
    services.batch_open_consultation(batch=application.batch)
    units = set(application.ballots.values_list("unit_id", flat=True))
    assert street.pk not in units and units == {c.pk for c in communities}
    # Even a ballot that got in some other way (older data) is never counted.
    Ballot.objects.create(application=application, unit=street, deadline=date(2027, 1, 20))
    ballot = application.ballots.get(unit=street)
    with pytest.raises(PermissionDenied, match=r"申请单位|its own application"):
        services.ballot_cast(ballot=ballot, actor=jiedao, vote="agree", today=VOTING)
    assert services.tally_of(application).consulted == len(communities)


def test_units_nobody_can_vote_for_are_listed_and_the_office_arranges_them(consulting, office, world, shuanggui):
    street, _communities = shuanggui
    unreachable = {row["name"]: row for row in units_without_voters(consulting.batch)}
    assert set(unreachable) == {
        "五福桥社区",
        "静居寺社区",
        "双桂路社区",
    }  # only 牛沙路社区 and the street have accounts
    first, second = sorted(unreachable)[:2]
    proxy_unit = consulting.ballots.get(unit__name=first).unit
    excluded_unit = consulting.ballots.get(unit__name=second).unit
    with pytest.raises(ValidationError):
        services.ballots_exclude(batch=consulting.batch, unit=excluded_unit, actor=office, reason=" ")
    assert services.ballots_give_proxy(batch=consulting.batch, unit=proxy_unit, street=street, actor=office) == 1
    assert services.ballots_exclude(batch=consulting.batch, unit=excluded_unit, actor=office, reason="社区撤并中") == 1
    # The street office now votes on the community's behalf; its own ballot is separate.
    jiedao = world.user("jiedao")
    proxy_ballot = consulting.ballots.get(unit=proxy_unit)
    services.ballot_cast(ballot=proxy_ballot, actor=jiedao, vote="agree", today=VOTING)
    proxy_ballot.refresh_from_db()
    assert proxy_ballot.voted_by == jiedao
    # The excluded unit no longer counts against the application: 4 counted ballots, not 5.
    assert services.tally_of(consulting).consulted == 4
    notes = list(consulting.events.filter(action__in=["ballot_proxy", "ballot_exclude"]).values_list("note", flat=True))
    assert any("社区撤并中" in note for note in notes) and any(first in note for note in notes)
    services.batch_tally(batch=consulting.batch, actor=office, today=AFTER_DEADLINE)
    tally_note = consulting.events.get(action__in=["pass_consultation", "fail_consultation"]).note
    assert "社区撤并中" in tally_note and street.name in tally_note


def test_a_unit_that_can_vote_is_not_given_away(consulting, office, world, shuanggui):
    street, _ = shuanggui
    with pytest.raises(services.BatchError):
        services.ballots_give_proxy(batch=consulting.batch, unit=world.unit("牛沙路社区"), street=street, actor=office)


def test_a_regular_item_is_never_placed_in_a_batch_that_decides_after_it_starts(
    consulting, file_application, applicant
):
    # January's batch (committee 2027-01-28) was opened early: a filing now joins July's (committee 2027-07-28).
    early = file_application(title="协助开展第三项工作", start_date=date(2027, 3, 1))
    with pytest.raises(ValidationError) as refused:
        services.application_submit(application=early, actor=applicant, today=date(2026, 12, 20))
    assert "2027-07-28" in str(refused.value)
    early.refresh_from_db()
    assert early.state == ApplicationState.DRAFT and early.batch is None


def test_batches_change_state_only_through_the_table(consulting, office):
    vote(consulting, agree=5)
    services.batch_tally(batch=consulting.batch, actor=office, today=AFTER_DEADLINE)
    with pytest.raises(services.BatchConflict):
        services.batch_tally(batch=consulting.batch, actor=office, today=AFTER_DEADLINE)
    with pytest.raises(services.BatchConflict):
        services.batch_open_consultation(batch=consulting.batch, actor=office)
    services.office_review(application=consulting, actor=office, opinion="同意")
    services.committee_decide(application=consulting, actor=office, approve=True, minutes="同意")
    history = [(e.action, e.to_state, e.actor_id) for e in services.BATCH.history(consulting.batch)]
    assert history == [
        ("open_consultation", "consulting", None),
        ("tally", "review", office.pk),
        ("close", "closed", office.pk),
    ]
