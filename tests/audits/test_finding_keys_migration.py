"""The migration that turns a finding's application and contract numbers into foreign keys keeps every reference
that names a row and writes the ones that name nothing into the finding's description."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("audits", "0004_report_question_and_internal_note")]
AFTER = [("audits", "0005_finding_application_and_contract_keys")]


@pytest.mark.django_db(transaction=True)
def test_findings_numbers_become_keys_and_numbers_that_name_nothing_are_kept_in_the_description():
    executor = MigrationExecutor(connection)
    before = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "audits"] + BEFORE
    try:
        executor.migrate(before)
        _numbers_become_keys(executor.loader.project_state(before).apps)
    finally:  # whatever failed, the next test finds the schema the models have
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _numbers_become_keys(old):
    Unit, User = old.get_model("catalog", "Unit"), old.get_model("catalog", "User")
    city = Unit.objects.create(kind="city", name="测试市")
    district = Unit.objects.create(kind="district", name="测试区", parent=city, city=city)
    department = Unit.objects.create(kind="department", name="区测试局", parent=district, district=district, city=city)
    user = User.objects.create(username="mig", role="civil_affairs", unit=district)
    application = old.get_model("approvals", "Application").objects.create(
        district=district, applicant_unit=department, created_by=user, title="申请", start_date=date(2026, 1, 1)
    )
    Finding = old.get_model("audits", "Finding")
    common = {"district": district, "unit": department, "kind": "other"}
    linked = Finding.objects.create(**common, description="有关申请。", application_id=application.pk)
    dangling = Finding.objects.create(
        **common, description="有关旧记录。", application_id=application.pk + 1000, contract_id=424242
    )
    plain = Finding.objects.create(**common, description="无关联。")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = MigrationExecutor(connection).loader.project_state().apps.get_model("audits", "Finding")
    assert new.objects.get(pk=linked.pk).application_id == application.pk
    kept = new.objects.get(pk=dangling.pk)
    assert kept.application_id is None and kept.contract_id is None
    assert f"申请 #{application.pk + 1000}" in kept.description and "协议 #424242" in kept.description
    assert kept.description.startswith("有关旧记录。")
    untouched = new.objects.get(pk=plain.pk)
    assert untouched.description == "无关联。" and untouched.application_id is None
