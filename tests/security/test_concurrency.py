"""Twenty people pressing the same button at once, through the real views: one outcome, recorded once.

The service-level races are in tests/approvals/test_batch.py and tests/funding/test_services.py; these go
through HTTP (the API and the secretary's voting page), each request from its own test client in its own
thread with its own database connection, released together by a barrier. On PostgreSQL the row locks
(select_for_update) serialise them; on SQLite the settings open every transaction with BEGIN IMMEDIATE.
The audit trail is counted on both: PostgreSQL's triggers and SQLite's signals write it in the same
transaction as the change, so a request that loses the race leaves no entry.
"""

import threading
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from approvals import services as approvals
from approvals.models import Application, ApplicationEvent, Ballot
from audits.models import AuditEntry
from catalog.models import Unit
from catalog.selectors import version_in_force
from funding import services as funding
from funding.models import Instalment, Payment

pytestmark = pytest.mark.django_db(transaction=True)
FILED = date(2026, 11, 23)  # the filing date is passed to the service, so the test does not age
RACERS = 20


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)  # an accepted upload is written here, and removed with it


def _race(clients: list, request) -> list:
    """Send `request(client)` from every client at the same moment; the responses in the clients' order."""
    responses, barrier = [None] * len(clients), threading.Barrier(len(clients))

    def run(n, client):
        try:
            barrier.wait()
            responses[n] = request(client)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(n, client)) for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def _api_clients(user) -> list[APIClient]:
    clients = [APIClient() for _ in range(RACERS)]
    for client in clients:
        client.force_authenticate(user)
    return clients


def _trail(table: str, object_id, since: int) -> Counter:
    """The audit entries written for one row since entry `since`, by action."""
    entries = AuditEntry.objects.filter(pk__gt=since, object_type=table, object_id=str(object_id))
    return Counter(entries.values_list("action", flat=True))


def _last_entry() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _health(world) -> Unit:
    return Unit.objects.get(name="区卫生健康局", district=world.unit("锦江区"))


def test_twenty_decisions_at_once_through_the_api_make_one_and_nineteen_conflicts(world):
    applicant, office = world.user("bumen"), world.user("minzheng")
    application = approvals.application_save(
        actor=applicant,
        title="协助开展老年人健康体检组织工作",
        reason="流感季前完成高龄老人体检",
        requested_list="assistance",
        workload="5天",
        start_date=date(2026, 12, 1),
        payer=_health(world),
        amount_per_community="1200.00",
        is_urgent=True,
        urgency_justification="流感季",
    )
    approvals.application_submit(application=application, actor=applicant, today=FILED)
    since = _last_entry()

    responses = _race(
        _api_clients(office),
        lambda client: client.post(
            f"/api/v1/applications/{application.pk}/decide/",
            {"approve": True, "text": "即时审批"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        ),
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 409: RACERS - 1}, statuses
    conflicts = [response.json()["detail"] for response in responses if response.status_code == 409]
    assert set(conflicts) == {
        f"Application #{application.pk} is already “Approved”; it cannot be changed this way any more."
    }
    application.refresh_from_db()
    assert application.state == "approved" and application.decided_by == office
    assert ApplicationEvent.objects.filter(application=application, action__startswith="urgent_").count() == 1
    assert _trail("approvals_application", application.pk, since) == {"update": 1}


def test_twenty_identical_payments_through_the_api_record_one(world):
    payer = world.user("bumen")
    item = version_in_force(district_id=world.unit("锦江区").pk, on=date(2026, 11, 1)).items.get(
        title="协助开展爱国卫生运动和健康教育"
    )
    contract = funding.contract_create(
        actor=payer,
        payer=_health(world),
        number="WJ-并发",
        item=item,
        communities=[world.unit("牛沙路社区")],
        amount_per_community=Decimal("1000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal(100))],
    )
    funding.contract_sign(
        contract=contract, actor=payer, document=SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n%%EOF"), today=FILED
    )
    instalment = contract.instalments.get()
    since = _last_entry()
    body = {
        "instalment": instalment.pk,
        "amount": "250.00",
        "paid_on": "2026-07-01",
        "voucher": "记-同一张",
        "note": "",
    }

    responses = _race(_api_clients(payer), lambda client: client.post("/api/v1/payments/", body, format="json"))

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 200: RACERS - 1}, statuses  # the retries are answered with the first payment
    payment = Payment.objects.get(instalment=instalment)
    assert {response.json()["id"] for response in responses} == {payment.pk}
    assert Instalment.objects.get(pk=instalment.pk).paid == Decimal("250.00")
    assert _trail("funding_payment", payment.pk, since) == {"insert": 1}
    assert AuditEntry.objects.filter(pk__gt=since, object_type="funding_payment").count() == 1


def test_ballots_cast_at_once_on_the_voting_page_are_each_counted_once(world):
    applicant = world.user("bumen")
    application = approvals.application_save(
        actor=applicant,
        title="协助开展老年人健康体检组织工作",
        reason="体检",
        requested_list="assistance",
        workload="5天",
        start_date=date(2027, 3, 1),
        payer=_health(world),
        amount_per_community="1200.00",
        scope="communities",
    )
    application.scope_communities.set([world.unit("牛沙路社区")])
    approvals.application_submit(application=application, actor=applicant, today=FILED)
    application.refresh_from_db()
    approvals.batch_open_consultation(batch=application.batch)
    # The page votes "today": keep the deadline ahead of the real date, whenever the suite runs.
    application.ballots.update(deadline=timezone.localdate() + timedelta(days=7))
    ballots = {ballot.unit.name: ballot for ballot in application.ballots.select_related("unit")}
    assert set(ballots) == {"牛沙路社区", "双桂路街道"}  # the community and its street office are consulted
    voters = {"牛沙路社区": world.user("shuji"), "双桂路街道": world.user("jiedao")}
    clients = []
    for n in range(RACERS):  # half the presses from the secretary, half from the street office, interleaved
        unit = "牛沙路社区" if n % 2 else "双桂路街道"
        client = Client()
        client.cookies["django_language"] = "en"  # pages follow the chosen language, not the header
        client.force_login(voters[unit])
        clients.append((unit, n, client))
    since = _last_entry()

    _race(
        clients,
        lambda racer: racer[2].post(
            f"/ballots/{ballots[racer[0]].pk}/vote/",
            {"vote": "agree" if racer[1] % 4 < 2 else "disagree", "comment": f"第{racer[1]}次", "confirm": "yes"},
        ),
    )

    # Each press's answer is the message its client sees next; read one client at a time, because the test
    # client collects rendered contexts from a process-wide signal.
    answers = [
        (unit, str(m), m.level_tag) for unit, _n, client in clients for m in client.get("/ballots/").context["messages"]
    ]
    outcomes = Counter((unit, level) for unit, _message, level in answers)
    assert outcomes == {
        ("牛沙路社区", "success"): 1,
        ("牛沙路社区", "error"): RACERS // 2 - 1,
        ("双桂路街道", "success"): 1,
        ("双桂路街道", "error"): RACERS // 2 - 1,
    }, answers
    refused = {message for _unit, message, level in answers if level == "error"}
    assert all(message.startswith("This ballot was already cast on") for message in refused), refused
    for unit, ballot in ballots.items():
        ballot = Ballot.objects.get(pk=ballot.pk)
        assert ballot.vote in ("agree", "disagree") and ballot.voted_by == voters[unit]
        assert _trail("approvals_ballot", ballot.pk, since) == {"update": 1}
    assert approvals.tally_of(Application.objects.get(pk=application.pk)).cast == 2
