"""The half-yearly batch: consultation ballots, the 60% tally, the office's review and the committee."""

import threading
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from approvals import services
from approvals.choices import ApplicationState, BatchState
from approvals.models import Application, ApplicationEvent, Ballot
from catalog.choices import ItemSource
from catalog.models import CatalogueVersion, Notification, User

pytestmark = pytest.mark.django_db
FILED = date(2026, 11, 23)
VOTING = date(2027, 1, 10)
AFTER_DEADLINE = date(2027, 1, 21)  # consultation ends 2027-01-20: the tally waits for it


@pytest.fixture
def shuanggui(world):
    """双桂路街道 with its four communities: five consulted units (five ballots)."""
    street = world.unit("双桂路街道")
    return street, list(street.children.order_by("name"))


def open_consultation_on(file_application, applicant, communities):
    application = file_application(scope="communities", scope_communities=communities)
    services.application_submit(application=application, actor=applicant, today=FILED)
    application.refresh_from_db()
    services.batch_open_consultation(batch=application.batch)
    application.refresh_from_db()
    return application


@pytest.fixture
def consulting(file_application, applicant, shuanggui):
    """One application consulting 双桂路街道's four communities (and the street): five ballots."""
    return open_consultation_on(file_application, applicant, shuanggui[1])


def voter_for(ballot: Ballot) -> User:
    role = "secretary" if ballot.unit.kind == "community" else "street_staff"
    user, _ = User.objects.get_or_create(
        username=f"voter-{ballot.unit_id}", defaults={"role": role, "unit": ballot.unit}
    )
    return user


def vote(application, agree: int, disagree: int = 0):
    ballots = list(application.ballots.select_related("unit").order_by("unit__kind", "unit__name"))
    for ballot in ballots[:agree]:
        services.ballot_cast(ballot=ballot, actor=voter_for(ballot), vote="agree", today=VOTING)
    for ballot in ballots[agree : agree + disagree]:
        services.ballot_cast(ballot=ballot, actor=voter_for(ballot), vote="disagree", comment="人手不够", today=VOTING)


def test_opening_consultation_gives_each_street_and_community_in_scope_a_ballot(consulting, shuanggui):
    street, communities = shuanggui
    assert consulting.state == ApplicationState.CONSULTING
    assert set(consulting.ballots.values_list("unit_id", flat=True)) == {street.pk, *(c.pk for c in communities)}
    assert set(consulting.ballots.values_list("deadline", flat=True)) == {date(2027, 1, 20)}
    assert Notification.objects.filter(recipient__username="shuji", url="/ballots/").exists()


def test_all_communities_of_the_district_means_every_street_and_community(file_application, applicant, world):
    application = file_application()
    services.application_submit(application=application, actor=applicant, today=FILED)
    application.refresh_from_db()
    services.batch_open_consultation(batch=application.batch)
    assert application.ballots.count() == 3 + 10  # 锦江区: three streets, ten communities


def test_exactly_sixty_percent_passes(consulting):
    vote(consulting, agree=3, disagree=2)
    services.batch_tally(batch=consulting.batch, today=AFTER_DEADLINE)
    consulting.refresh_from_db()
    assert consulting.state == ApplicationState.UNDER_REVIEW
    assert (consulting.agree_count, consulting.consulted_count, str(consulting.pass_rate)) == (3, 5, "60.00")
    assert "60" in consulting.pass_rule


def test_below_the_threshold_is_rejected_with_the_tally(consulting, applicant):
    vote(consulting, agree=2, disagree=1)  # two units did not vote: 2 of 5 consulted
    services.batch_tally(batch=consulting.batch, today=AFTER_DEADLINE)
    consulting.refresh_from_db()
    assert consulting.state == ApplicationState.REJECTED and consulting.rejected_at_stage == "consultation"
    assert str(consulting.pass_rate) == "40.00"
    assert "2" in consulting.events.get(action="fail_consultation").note
    assert Notification.objects.filter(recipient=applicant, subject__contains=str(consulting.pk)).exists()


def test_a_district_may_count_votes_cast_instead(file_application, applicant, shuanggui, world):
    policy = world.unit("锦江区").policy
    policy.pass_rate_basis = "votes_cast"
    policy.save()  # before consultation opens: the batch freezes the rule in force then
    consulting = open_consultation_on(file_application, applicant, shuanggui[1])
    vote(consulting, agree=2, disagree=1)  # 2 of 3 votes cast = 66.67%
    services.batch_tally(batch=consulting.batch, today=AFTER_DEADLINE)
    consulting.refresh_from_db()
    assert consulting.state == ApplicationState.UNDER_REVIEW and str(consulting.pass_rate) == "66.67"


def test_a_ballot_counts_once_and_only_its_unit_votes(consulting, world):
    ballot = consulting.ballots.select_related("unit").get(unit__name="牛沙路社区")
    with pytest.raises(PermissionDenied):
        services.ballot_cast(ballot=ballot, actor=world.user("shuji_sb"), vote="agree", today=VOTING)
    services.ballot_cast(ballot=ballot, actor=world.user("shuji"), vote="agree", today=VOTING)
    with pytest.raises(services.ApplicationError):
        services.ballot_cast(ballot=ballot, actor=world.user("shuji"), vote="disagree", comment="改主意", today=VOTING)
    ballot.refresh_from_db()
    assert (ballot.vote, ballot.comment) == ("agree", "")


def test_disagreeing_needs_a_reason_and_late_votes_are_refused(consulting, world):
    ballot = consulting.ballots.get(unit__name="牛沙路社区")
    with pytest.raises(ValidationError):
        services.ballot_cast(ballot=ballot, actor=world.user("shuji"), vote="disagree", today=VOTING)
    with pytest.raises(services.ApplicationError, match="2027-01-20"):
        services.ballot_cast(ballot=ballot, actor=world.user("shuji"), vote="agree", today=date(2027, 1, 21))


def test_approval_puts_the_item_in_the_next_catalogue_draft_with_its_funding(consulting, office):
    vote(consulting, agree=5)
    services.batch_tally(batch=consulting.batch, today=AFTER_DEADLINE)
    services.office_review(application=consulting, actor=office, opinion="符合准入条件，经费已落实。")
    services.committee_decide(
        application=consulting, actor=office, approve=True, minutes="2027年1月28日委员会会议：同意。"
    )
    consulting.refresh_from_db()
    assert consulting.state == ApplicationState.APPROVED
    draft = CatalogueVersion.objects.get(district=consulting.district, state="draft")
    item = draft.items.get(key=consulting.catalogue_item_key)
    assert (item.list, item.source, item.delegating_unit, item.standard_funding) == (
        "assistance",
        ItemSource.APPLICATION,
        "区卫生健康局",
        consulting.amount_per_community,
    )
    assert f"#{consulting.pk}" in item.source_reference
    consulting.batch.refresh_from_db()
    assert consulting.batch.state == BatchState.CLOSED
    assert list(consulting.events.values_list("action", flat=True)) == [
        "submit",
        "open_consultation",
        "pass_consultation",
        "office_review",
        "committee_approve",
    ]


def test_only_the_office_reviews_and_decides(consulting, world):
    vote(consulting, agree=5)
    services.batch_tally(batch=consulting.batch, today=AFTER_DEADLINE)
    for username in ("shenji", "bumen", "minzheng_jn", "shiju"):
        with pytest.raises(PermissionDenied):
            services.office_review(application=consulting, actor=world.user(username), opinion="同意")


def test_running_the_batch_steps_twice_changes_nothing(consulting):
    batch = consulting.batch
    assert services.batch_open_consultation(batch=batch).applications == 0
    vote(consulting, agree=4)
    services.batches_advance(today=date(2027, 1, 21))
    services.batches_advance(today=date(2027, 1, 22))
    assert consulting.events.filter(action="pass_consultation").count() == 1
    assert Ballot.objects.filter(application=consulting).count() == 5


def test_a_submitted_application_can_be_withdrawn_but_not_a_decided_one(file_application, applicant, office):
    application = file_application(is_urgent=True, urgency_justification="防汛", start_date=date(2026, 12, 1))
    services.application_submit(application=application, actor=applicant, today=FILED)
    services.urgent_decide(application=application, actor=office, approve=True)
    with pytest.raises(services.ApplicationError):
        services.application_withdraw(application=application, actor=applicant)


@pytest.mark.django_db(transaction=True)
def test_twenty_reviewers_deciding_at_once_make_one_decision(world):
    """On PostgreSQL select_for_update serialises them; on SQLite BEGIN IMMEDIATE does."""
    from tests.approvals.conftest import _department

    applicant, office = world.user("bumen"), world.user("minzheng")
    application = services.application_save(
        actor=applicant,
        title="协助开展老年人健康体检组织工作",
        reason="体检",
        requested_list="assistance",
        workload="5天",
        start_date=date(2026, 12, 1),
        payer=_department(world, "区卫生健康局"),
        amount_per_community="1200.00",
        is_urgent=True,
        urgency_justification="流感季",
    )
    services.application_submit(application=application, actor=applicant, today=FILED)
    outcomes, barrier = [], threading.Barrier(20)

    def decide(approve):
        try:
            barrier.wait()
            services.urgent_decide(application=application, actor=office, approve=approve, note="即时审批")
            outcomes.append("ok")
        except services.ApplicationError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i % 2 == 0,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 19 + ["ok"]
    assert ApplicationEvent.objects.filter(application=application, action__startswith="urgent_").count() == 1
    assert Application.objects.get(pk=application.pk).state in ("approved", "rejected")


@pytest.mark.django_db(transaction=True)
def test_a_ballot_cast_twenty_times_at_once_counts_once(world):
    from tests.approvals.conftest import _department

    applicant = world.user("bumen")
    application = services.application_save(
        actor=applicant,
        title="协助开展老年人健康体检组织工作",
        reason="体检",
        requested_list="assistance",
        workload="5天",
        start_date=date(2027, 3, 1),
        payer=_department(world, "区卫生健康局"),
        amount_per_community="1200.00",
        scope="communities",
    )
    application.scope_communities.set([world.unit("牛沙路社区")])
    services.application_submit(application=application, actor=applicant, today=FILED)
    application.refresh_from_db()
    services.batch_open_consultation(batch=application.batch)
    ballot = application.ballots.get(unit__name="牛沙路社区")
    shuji = world.user("shuji")
    outcomes, barrier = [], threading.Barrier(20)

    def cast(n):
        try:
            barrier.wait()
            services.ballot_cast(
                ballot=ballot, actor=shuji, vote="agree" if n % 2 else "disagree", comment=f"第{n}次", today=VOTING
            )
            outcomes.append("ok")
        except services.ApplicationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=cast, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 19
    ballot.refresh_from_db()
    assert ballot.vote in ("agree", "disagree") and ballot.comment.startswith("第")


def test_the_batch_results_agree_with_the_tally(consulting):
    from approvals.selectors import batch_results

    vote(consulting, agree=3, disagree=2)
    preview = batch_results(consulting.batch)[consulting.pk]
    assert (preview["consulted"], preview["agree"], preview["passes"]) == (5, 3, True)
    services.batch_tally(batch=consulting.batch, today=AFTER_DEADLINE)
    consulting.refresh_from_db()
    assert consulting.state == ApplicationState.UNDER_REVIEW
