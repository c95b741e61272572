"""Invariants of the batch over generated inputs (issue 12): a tally never precedes its deadline unless every
consulted unit voted (or the office recorded why, naming those that had not); the basis and threshold never change
after consultation opens, whatever policy edits, votes and tally attempts follow; the applicant never has a ballot
and never counts."""

import contextlib
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from approvals import services
from approvals.choices import ApplicationState, BatchState
from approvals.models import Application, Ballot, Batch
from catalog.choices import Role
from catalog.models import DistrictPolicy, Unit, User

DEADLINE = date(2027, 1, 20)
VOTING = date(2027, 1, 10)


class World:
    """One district with two streets of two communities each, everyone with an account, and a department."""

    def __init__(self):
        city = Unit.objects.create(kind="city", name="测试市")
        self.district = Unit.objects.create(kind="district", name="测试区", parent=city)
        self.department = Unit.objects.create(kind="department", name="测试局", parent=self.district)
        self.streets = [Unit.objects.create(kind="street", name=f"第{i}街道", parent=self.district) for i in (1, 2)]
        self.communities = [
            Unit.objects.create(kind="community", name=f"第{s}街道第{i}社区", parent=street)
            for s, street in enumerate(self.streets, 1)
            for i in (1, 2)
        ]
        self.office = User.objects.create(username="office", role=Role.CIVIL_AFFAIRS, unit=self.district)
        self.voters = {}
        for unit in self.streets + self.communities:
            role = Role.STREET_STAFF if unit.kind == "street" else Role.SECRETARY
            self.voters[unit.pk] = User.objects.create(username=f"u{unit.pk}", role=role, unit=unit)
        self.filer = User.objects.create(username="filer", role=Role.DEPARTMENT_STAFF, unit=self.department)
        self.batch = Batch.objects.create(
            district=self.district,
            year=2027,
            month=1,
            intake_closes=date(2027, 1, 5),
            consultation_ends=DEADLINE,
            committee_meets=date(2027, 1, 28),
        )

    def application(self, *, applicant=None, scope="all", streets=(), communities=()) -> Application:
        applicant = applicant or self.department
        filer = self.filer if applicant == self.department else self.voters[applicant.pk]
        application = Application.objects.create(
            district=self.district,
            applicant_unit=applicant,
            created_by=filer,
            title="协助开展测试工作",
            reason="测试",
            requested_list="assistance",
            workload="1天",
            start_date=date(2027, 3, 1),
            payer=self.department,
            amount_per_community=Decimal("100.00"),
            scope=scope,
            state=ApplicationState.SUBMITTED,
            batch=self.batch,
        )
        application.scope_streets.set(streets)
        application.scope_communities.set(communities)
        return application

    def cast(self, ballot: Ballot, agree: bool) -> None:
        services.ballot_cast(
            ballot=ballot,
            actor=self.voters[ballot.unit_id],
            vote="agree" if agree else "disagree",
            comment="" if agree else "人手不够",
            today=VOTING,
        )


class TestTheTallyWaitsForItsDeadline(TestCase):
    @given(
        votes=st.lists(st.sampled_from([None, True, False]), min_size=6, max_size=6),
        offset=st.integers(min_value=-12, max_value=3),
        reason=st.sampled_from(["", "主任办公会决定提前截止"]),
        scheduled=st.booleans(),
    )
    @settings(max_examples=15, deadline=None)
    def test_a_tally_never_precedes_its_deadline_unless_all_voted(self, votes, offset, reason, scheduled):
        world = World()
        application = world.application()
        services.batch_open_consultation(batch=world.batch)
        ballots = list(application.ballots.select_related("unit").order_by("unit_id"))
        for ballot, choice in zip(ballots, votes, strict=True):
            if choice is not None:
                world.cast(ballot, choice)
        not_voted = sorted(b.unit.name for b, choice in zip(ballots, votes, strict=True) if choice is None)
        today = DEADLINE + timedelta(days=offset)
        try:
            if scheduled:
                services.batches_advance(today=today)
            else:
                services.batch_tally(batch=world.batch, actor=world.office, today=today, early_reason=reason)
        except services.BatchError:
            refused = True
        else:
            refused = False
        batch = Batch.objects.get(pk=world.batch.pk)
        tallied = batch.state == BatchState.REVIEW
        assert tallied != refused or scheduled
        if tallied:
            after_deadline = today > DEADLINE
            all_voted = not not_voted
            recorded = bool(reason) and not scheduled and batch.closed_early_not_voted == not_voted
            assert after_deadline or all_voted or recorded
            if not after_deadline and not all_voted:
                assert batch.closed_early_reason == reason
        else:
            assert Application.objects.get(pk=application.pk).state == ApplicationState.CONSULTING
            assert today <= DEADLINE


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("policy"),
            st.integers(min_value=1, max_value=100),
            st.sampled_from(["consulted", "votes_cast"]),
        ),
        st.tuples(st.just("vote"), st.integers(min_value=0, max_value=5), st.booleans()),
        st.tuples(st.just("tally"), st.integers(min_value=-5, max_value=2), st.sampled_from(["", "提前截止"])),
    ),
    max_size=10,
)


class TestTheRuleIsFrozenWhenConsultationOpens(TestCase):
    @given(
        threshold=st.integers(min_value=1, max_value=100),
        basis=st.sampled_from(["consulted", "votes_cast"]),
        operations=OPERATIONS,
    )
    @settings(max_examples=15, deadline=None)
    def test_the_basis_and_threshold_never_change_after_opening(self, threshold, basis, operations):
        world = World()
        DistrictPolicy.objects.filter(district=world.district).update(
            pass_threshold_percent=threshold, pass_rate_basis=basis
        )
        application = world.application()
        services.batch_open_consultation(batch=world.batch)
        frozen = (Decimal(threshold), basis)
        ballots = list(application.ballots.order_by("unit_id"))
        for operation in operations:
            if operation[0] == "policy":
                DistrictPolicy.objects.filter(district=world.district).update(
                    pass_threshold_percent=operation[1], pass_rate_basis=operation[2]
                )
            elif operation[0] == "vote":
                # cast already, or consultation closed: refused, and nothing changes
                with contextlib.suppress(services.ApplicationError):
                    world.cast(Ballot.objects.get(pk=ballots[operation[1]].pk), operation[2])
            else:
                with contextlib.suppress(services.ApplicationError):
                    services.batch_tally(
                        batch=world.batch,
                        actor=world.office,
                        today=DEADLINE + timedelta(days=operation[1]),
                        early_reason=operation[2],
                    )
            batch = Batch.objects.get(pk=world.batch.pk)
            assert (batch.pass_threshold_percent, batch.pass_rate_basis) == frozen
        application.refresh_from_db()
        if application.state != ApplicationState.CONSULTING:  # tallied: by the frozen rule, whatever the policy now
            consulted, cast, agree = application.consulted_count, application.votes_cast, application.agree_count
            denominator = consulted if basis == "consulted" else cast
            passes = denominator > 0 and agree * 100 >= threshold * denominator
            assert (application.state == ApplicationState.UNDER_REVIEW) == passes
            assert f"{threshold}%" in application.pass_rule
        else:
            assert services.tally_of(application).threshold == Decimal(threshold)


class TestTheApplicantNeverVotes(TestCase):
    @given(
        applicant=st.sampled_from(["department", "street1", "street2"]),
        scope=st.sampled_from(["all", "streets", "communities"]),
        chosen=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=4, unique=True),
        agree=st.booleans(),
    )
    @settings(max_examples=15, deadline=None)
    def test_the_applicant_never_has_a_ballot_and_never_counts(self, applicant, scope, chosen, agree):
        world = World()
        unit = {"department": world.department, "street1": world.streets[0], "street2": world.streets[1]}[applicant]
        communities = [world.communities[i] for i in chosen]
        application = world.application(
            applicant=unit,
            scope=scope,
            streets={c.parent for c in communities},
            communities=communities,
        )
        services.batch_open_consultation(batch=world.batch)
        assert not application.ballots.filter(unit=unit).exists()
        consulted = application.ballots.count()
        assert consulted > 0
        # A ballot for the applicant that got in some other way (older data, a manual insert) never counts.
        smuggled = Ballot.objects.create(
            application=application,
            unit=unit,
            deadline=DEADLINE,
            vote="agree" if agree else "disagree",
            voted_by=world.filer,
            voted_at=timezone.now(),
        )
        tally = services.tally_of(application)
        assert (tally.consulted, tally.cast, tally.agree) == (consulted, 0, 0)
        # already "cast", and the applicant may not vote on its own item anyway
        with contextlib.suppress(services.ApplicationError, PermissionDenied, KeyError):
            world.cast(smuggled, agree)
        services.batch_tally(batch=world.batch, today=DEADLINE + timedelta(days=1))
        application.refresh_from_db()
        assert (application.consulted_count, application.agree_count) == (consulted, 0)
