"""A finding's application and contract become foreign keys (they were bare integers).

The old numbers are kept under a temporary name while the keys are added, then copied where they name a row
that exists. A number that names nothing (the row never existed, or another database's) cannot be a key: it
is written into the finding's description instead, so that nothing the office recorded is lost.
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_references(apps, schema_editor):
    Finding = apps.get_model("audits", "Finding")
    Application = apps.get_model("approvals", "Application")
    Contract = apps.get_model("funding", "Contract")
    rows = Finding.objects.filter(models.Q(application_ref__isnull=False) | models.Q(contract_ref__isnull=False))
    applications = set(
        Application.objects.filter(pk__in=rows.values("application_ref")).values_list("pk", flat=True)
    )
    contracts = set(Contract.objects.filter(pk__in=rows.values("contract_ref")).values_list("pk", flat=True))
    for finding in rows.iterator():
        lost = []
        if finding.application_ref is not None:
            if finding.application_ref in applications:
                finding.application_id = finding.application_ref
            else:
                lost.append(f"申请 #{finding.application_ref}")
        if finding.contract_ref is not None:
            if finding.contract_ref in contracts:
                finding.contract_id = finding.contract_ref
            else:
                lost.append(f"协议 #{finding.contract_ref}")
        if lost:
            finding.description += f"\n（原记录所指的{'、'.join(lost)}不存在，迁移时未能关联。）"
        finding.save(update_fields=["application", "contract", "description"])
    if schema_editor.connection.vendor == "postgresql":
        # Check the new keys now: PostgreSQL refuses to drop the old columns while deferred checks are pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def copy_back(apps, schema_editor):
    Finding = apps.get_model("audits", "Finding")
    Finding.objects.update(application_ref=models.F("application_id"), contract_ref=models.F("contract_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0004_report_question_and_internal_note"),
        ("approvals", "0003_batch_frozen_rule_and_ballot_stand_ins"),
        ("funding", "0002_payment_voucher_key_and_state"),
    ]

    operations = [
        migrations.RenameField(model_name="finding", old_name="application_id", new_name="application_ref"),
        migrations.RenameField(model_name="finding", old_name="contract_id", new_name="contract_ref"),
        migrations.AddField(
            model_name="finding",
            name="application",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="findings",
                to="approvals.application",
                verbose_name="application",
            ),
        ),
        migrations.AddField(
            model_name="finding",
            name="contract",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="findings",
                to="funding.contract",
                verbose_name="contract",
            ),
        ),
        migrations.RunPython(copy_references, copy_back),
        migrations.RemoveField(model_name="finding", name="application_ref"),
        migrations.RemoveField(model_name="finding", name="contract_ref"),
    ]
