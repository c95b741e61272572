"""The audit trail: who changed what from where, append-only, hash-chained, tamper-evident."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audits import trail
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
    victim, following = AuditEntry.objects.order_by("id")[3:5]
    _tamper(f"DELETE FROM audits_auditentry WHERE id = {victim.pk}")
    checked, problem = trail.verify()
    assert (problem.entry_id, problem.kind) == (following.pk, "missing") and checked == 3


@pytest.mark.skipif(not POSTGRES, reason="the database refuses changes to the trail on PostgreSQL")
def test_the_database_refuses_to_change_or_delete_the_trail(world):
    entry = AuditEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(note="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


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
    body = b"".join(client.get("/supervision/trail/export.csv", {"action": "insert"}).streaming_content)
    assert b"catalog_unit" in body
    assert AuditEntry.objects.filter(action="export", actor="shenji").exists()


def test_trail_pages_have_a_query_budget(client, world, django_assert_max_num_queries):
    client.force_login(world.user("shenji"))
    with django_assert_max_num_queries(8):
        assert client.get("/supervision/trail/", {"since": date(2020, 1, 1).isoformat()}).status_code == 200
