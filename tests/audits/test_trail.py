"""The audit trail: who changed what from where, append-only, hash-chained, tamper-evident."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audits import selectors, trail
from audits.models import AuditEntry
from catalog.models import DistrictPolicy

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"


def test_a_change_through_the_web_is_recorded_with_actor_ip_and_values(client, world):
    jinjiang = world.unit("锦江区")
    client.force_login(world.user("minzheng"))
    form = {
        "pass_threshold_percent": "65",
        "pass_rate_basis": "consulted",
        "first_batch_month": "1",
        "second_batch_month": "7",
        "expedited_notice_working_days": "3",
        "intake_close_day": "5",
        "consultation_end_day": "20",
        "committee_day": "28",
    }
    client.post(f"/districts/{jinjiang.pk}/policy/", form, REMOTE_ADDR="10.1.2.3")
    entry = AuditEntry.objects.filter(object_type="catalog_districtpolicy", action="update").latest("id")
    assert (entry.actor, entry.source_ip) == ("minzheng", "10.1.2.3")
    assert str(entry.after["pass_threshold_percent"]) in ("65.00", "65", "65.0")
    if POSTGRES:
        assert str(entry.before["pass_threshold_percent"]) in ("60.00", "60.0")


@pytest.mark.skipif(not POSTGRES, reason="bulk updates are captured by PostgreSQL triggers (CI runs PostgreSQL)")
def test_bulk_updates_are_recorded_too(world):
    before = AuditEntry.objects.filter(object_type="catalog_districtpolicy").count()
    DistrictPolicy.objects.update(expedited_notice_working_days=4)
    assert AuditEntry.objects.filter(object_type="catalog_districtpolicy").count() == before + 3


def test_logins_failed_logins_and_refusals_are_recorded(client, world):
    from catalog.demo import DEMO_PASSWORD

    client.post("/accounts/login/", {"username": "shuji", "password": "wrong"})
    client.post("/accounts/login/", {"username": "shuji", "password": DEMO_PASSWORD})
    client.get("/funding/report/")  # a secretary may not read the funding report
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert {"login_failed", "login", "denied"} <= set(actions)
    denied = AuditEntry.objects.filter(action="denied").latest("id")
    assert denied.actor == "shuji" and "/funding/report/" in denied.note


def test_the_chain_verifies_and_reports_the_first_tampered_entry(world, capsys):
    call_command("verify_audit_trail")
    assert "intact" in capsys.readouterr().out
    victim = AuditEntry.objects.order_by("id")[5]
    _tamper(f"UPDATE audits_auditentry SET note = 'rewritten' WHERE id = {victim.pk}")
    with pytest.raises(CommandError, match=f"#{victim.pk}: tampered"):
        call_command("verify_audit_trail")


def test_a_deleted_entry_is_reported_as_missing(world):
    trail.seal()
    victim, following = AuditEntry.objects.order_by("seq")[3:5]
    _tamper(f"DELETE FROM audits_auditentry WHERE id = {victim.pk}")
    checked, problem = trail.verify()
    assert (problem.entry_id, problem.kind, problem.seq) == (following.pk, "missing", victim.seq) and checked == 3
    assert f"#{victim.seq} " in problem.detail


@pytest.mark.skipif(not POSTGRES, reason="the database refuses changes to the trail on PostgreSQL")
def test_the_database_refuses_to_change_or_delete_the_trail(world):
    DistrictPolicy.objects.update(expedited_notice_working_days=4)  # written unsealed by the trigger
    assert AuditEntry.objects.filter(seq__isnull=True).count() >= 3
    trail.seal()
    entry = AuditEntry.objects.first()
    assert entry.sealed
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(note="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    # A sealed entry's place and hashes are as fixed as its content, even with the sealer's setting.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('audits.sealing', 'on', true)")
        cursor.execute("UPDATE audits_auditentry SET seq = seq + 100000, hash = 'x' WHERE id = %s", [entry.pk])
    DistrictPolicy.objects.update(expedited_notice_working_days=5)
    unsealed = AuditEntry.objects.filter(seq__isnull=True).latest("id")
    # An unsealed entry: not its content with the seal, and not a seal from anyone but the sealer.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('audits.sealing', 'on', true)")
        cursor.execute("UPDATE audits_auditentry SET seq = 999999, hash = 'x', note = 'y' WHERE id = %s", [unsealed.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=unsealed.pk).update(seq=999999, hash="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=unsealed.pk).delete()
    assert trail.seal() == 3 and trail.verify()[1] is None


def _tamper(sql: str) -> None:
    """What an attacker with the database's superuser would do: bypass the append-only trigger."""
    with connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute("ALTER TABLE audits_auditentry DISABLE TRIGGER audits_append_only")
        cursor.execute(sql)
        if POSTGRES:
            cursor.execute("ALTER TABLE audits_auditentry ENABLE TRIGGER audits_append_only")


def test_only_auditors_overseers_and_administrators_read_the_trail(client, world):
    for username, status in [("shenji", 200), ("shiju", 200), ("admin", 200), ("minzheng", 403), ("shuji", 403)]:
        client.force_login(world.user(username))
        assert client.get("/supervision/trail/").status_code == status, username


def test_exporting_the_trail_is_itself_recorded(client, world):
    client.force_login(world.user("shenji"))
    body = b"".join(client.get("/supervision/trail/export.csv", {"action": "created"}).streaming_content).decode()
    assert "新建单位「牛沙路社区」" in body
    assert AuditEntry.objects.filter(action="export", actor="shenji").exists()


@pytest.mark.skipif(not POSTGRES, reason="on SQLite an entry is sealed as it is written")
def test_an_export_shows_an_entry_not_yet_sealed_as_awaiting_its_seal_and_its_hash_once_sealed(client, world):
    client.force_login(world.user("shenji"))
    trail.seal()
    DistrictPolicy.objects.filter(district=world.unit("锦江区")).update(expedited_notice_working_days=4)
    entry = AuditEntry.objects.filter(object_type="catalog_districtpolicy").latest("id")
    assert not entry.sealed  # the test's transaction never commits: nothing sealed it after the write

    def row() -> str:
        body = b"".join(client.get("/supervision/trail/export.csv").streaming_content).decode()
        return next(line for line in body.splitlines() if line.startswith(f"{entry.pk},"))

    assert row().endswith(",待封存")
    trail.seal()
    entry.refresh_from_db()
    assert entry.sealed and len(entry.hash) == 64 and row().endswith(f",{entry.hash}")


def test_trail_pages_have_a_query_budget(client, world, django_assert_max_num_queries):
    client.force_login(world.user("shenji"))
    with django_assert_max_num_queries(12):  # + the people and each kind of object the page names, once each
        assert client.get("/supervision/trail/", {"since": date(2020, 1, 1).isoformat()}).status_code == 200


# --- Every entry belongs to the district of the object it belongs to -----------------------------------------


def test_every_audited_table_finds_its_district_through_the_object_it_belongs_to():
    """A new table without a way to its district would reach the trail for administrators only."""
    routes = {table: trail.district_route(trail._model_of(table)) for table in trail.audited_tables()}
    unrouted = {table for table, route in routes.items() if route.kind == "none"}
    assert unrouted == trail.DISTRICTLESS
    via = {table: (route.kind, route.parent._meta.db_table if route.parent else "") for table, route in routes.items()}
    assert via["funding_instalment"] == ("parent", "funding_contract")
    assert via["funding_payment"] == ("parent", "funding_instalment")
    assert via["approvals_ballot"] == ("parent", "approvals_application")
    assert via["approvals_applicationevent"] == ("parent", "approvals_application")
    assert via["catalog_catalogueitem"] == ("parent", "catalog_catalogueversion")
    assert via["funding_exportrecord"] == ("parent", "catalog_user")
    assert via["catalog_stateevent"] == ("subject", "")


def _entries(model_table: str, pk) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=model_table, object_id=str(pk)))


def test_an_auditor_finds_a_departments_payment_a_secretarys_vote_and_an_item_edit(world):
    """Written outside any request (no actor to fall back on): the district comes from the objects alone, on
    PostgreSQL through the trigger, on SQLite through the same routes in Python."""
    from decimal import Decimal

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from approvals import services as approvals
    from approvals.models import Ballot
    from catalog import services as catalog
    from catalog.models import StateEvent, Unit
    from catalog.selectors import version_in_force
    from funding import services as funding
    from funding.models import ExportRecord, Payment

    jinjiang, department = world.unit("锦江区"), world.user("bumen")
    health = Unit.objects.get(name="区卫生健康局", district=jinjiang)
    item = version_in_force(district_id=jinjiang.pk, on=date(2026, 11, 1)).items.get(
        title="协助开展爱国卫生运动和健康教育"
    )
    contract = funding.contract_create(
        actor=department,
        payer=health,
        number="WJ-TRAIL-1",
        item=item,
        communities=[world.unit("牛沙路社区")],
        amount_per_community=Decimal("1200.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal("100"))],
    )
    instalment = contract.instalments.get()
    payment = Payment.objects.create(
        instalment=instalment,
        payer=health,
        paid_on=date(2026, 6, 1),
        amount=Decimal("600.00"),
        voucher="PZ-TRAIL-1",
        recorded_by=department,
    )
    application = approvals.application_save(
        actor=department,
        scope_streets=None,
        scope_communities=None,
        title="协助开展老年人健康体检组织工作",
        reason="国家基本公共卫生服务项目要求社区通知和组织居民。",
        basis_document="国家基本公共卫生服务规范（第三版）",
        requested_list="assistance",
        item_type="work_task",
        scope="all",
        workload="每社区每年约5个工作日",
        start_date=date(2027, 3, 1),
        payer=health,
        amount_per_community=Decimal("1200.00"),
    )
    ballot = Ballot.objects.create(application=application, unit=world.unit("牛沙路社区"), deadline=date(2027, 1, 20))
    ballot.vote, ballot.voted_by, ballot.voted_at = "agree", world.user("shuji"), timezone.now()
    ballot.save()
    draft = catalog.draft_start(district=jinjiang, actor=world.user("minzheng"))
    edited = draft.items.get(key=item.key)
    catalog.item_save(draft=draft, actor=world.user("minzheng"), item=edited, title="协助开展爱国卫生运动")
    event = StateEvent.objects.create(
        content_type=ContentType.objects.get_for_model(type(contract)),
        object_id=contract.pk,
        action="sign",
        to_state="signed",
    )
    export = ExportRecord.objects.create(user=world.user("shenji"), kind="csv", what="经费报表")

    written = {
        "funding_payment": payment.pk,
        "approvals_ballot": ballot.pk,
        "catalog_catalogueitem": edited.pk,
        "catalog_stateevent": event.pk,
        "funding_exportrecord": export.pk,
    }
    if POSTGRES:  # instalments are written in bulk, which only the database's triggers see
        written["funding_instalment"] = instalment.pk
    for table, pk in written.items():
        entries = _entries(table, pk)
        assert entries and {e.district_id for e in entries} == {jinjiang.pk}, table
    auditor, overseer, other = world.user("shenji"), world.user("shiju"), world.user("minzheng_jn")
    visible = set(
        selectors.trail_visible_to(auditor).filter(object_type__in=written).values_list("object_type", "object_id")
    )
    assert {(table, str(pk)) for table, pk in written.items()} <= visible
    assert selectors.trail_visible_to(overseer).filter(object_type="funding_payment", object_id=payment.pk).exists()
    other_auditor = type(auditor).objects.create(username="shenji-jn", role="auditor", unit=world.unit("金牛区"))
    theirs = set(
        selectors.trail_visible_to(other_auditor)
        .filter(object_type__in=written)
        .values_list("object_type", "object_id")
    )
    assert not theirs & {(table, str(pk)) for table, pk in written.items()}
    assert other.role == "civil_affairs"  # civil-affairs staff read no trail at all
    assert not selectors.trail_visible_to(other).exists()


def test_a_refused_api_request_with_a_token_names_its_actor_and_district(world, api_client):
    """Refused by the view (a secretary changing the district's rules) or before it (the auditors' read-only
    guard runs before DRF reads the token): either way the entry names the token's user and district."""
    from rest_framework.authtoken.models import Token

    jinjiang = world.unit("锦江区")
    for username in ("shuji", "shenji"):
        user = world.user(username)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        response = api_client.patch(f"/api/v1/policies/{jinjiang.pk}/", {"pass_threshold_percent": "70.00"})
        assert response.status_code == 403, username
        denied = AuditEntry.objects.filter(action="denied").latest("id")
        assert (denied.actor, denied.actor_id, denied.district_id) == (username, user.pk, jinjiang.pk)


# --- Publication cannot rewrite the past -------------------------------------------------------------------------


@pytest.mark.parametrize("days_back", [1, 30, 400])
def test_a_version_cannot_be_published_back_dated(world, days_back):
    """What was in force on a past day (and every check answered then) stays as it was: the first version of a
    new district can start today or later, never before."""
    from datetime import timedelta

    from django.utils import timezone

    from catalog import services as catalog

    admin = world.user("admin")
    district = catalog.unit_create(kind="district", name="新设区", parent=world.unit("成都市"))
    draft = catalog.draft_start(district=district, actor=admin)
    catalog.item_save(draft=draft, actor=admin, list="duties", type="work_task", title="社区居民会议")
    today = timezone.localdate()
    with pytest.raises(catalog.CatalogueError, match=str(today - timedelta(days=days_back))):
        catalog.version_publish(draft=draft, actor=admin, effective_from=today - timedelta(days=days_back))
    draft.refresh_from_db()
    assert draft.is_draft
    assert catalog.version_publish(draft=draft, actor=admin, effective_from=today).effective_from == today
