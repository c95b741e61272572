"""The chain's order becomes `seq`, given by the sealer (audits.trail): the entries chained so far keep their
chain, numbered in id order (the order the global lock chained them in)."""

from django.db import migrations, models

NUMBER_THE_CHAINED = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audits_append_only'
               AND tgrelid = 'audits_auditentry'::regclass) THEN
        ALTER TABLE audits_auditentry DISABLE TRIGGER audits_append_only;
    END IF;
    UPDATE audits_auditentry e SET seq = n.seq
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS seq FROM audits_auditentry WHERE hash <> '') n
        WHERE e.id = n.id;
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audits_append_only'
               AND tgrelid = 'audits_auditentry'::regclass) THEN
        ALTER TABLE audits_auditentry ENABLE TRIGGER audits_append_only;
    END IF;
END $$;
-- Every seal leaves the entry's unsealed version behind: vacuumed after a fixed number of them, not after a fifth
-- of the whole trail (years of entries), so that the indexes the sealer reads stay small.
ALTER TABLE audits_auditentry SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
"""


def number_the_chained(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NUMBER_THE_CHAINED)
        # A database with the trail's functions gets the unsealed writer and the sealer now, before any later
        # migration writes an audited row (post_migrate's install() attaches the triggers to new tables after).
        from audits.trail import FUNCTIONS_SQL

        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'audits_append'")
            if cursor.fetchone():
                cursor.execute(FUNCTIONS_SQL)
        return
    AuditEntry = apps.get_model("audits", "AuditEntry")
    for seq, pk in enumerate(AuditEntry.objects.exclude(hash="").order_by("id").values_list("pk", flat=True), 1):
        AuditEntry.objects.filter(pk=pk).update(seq=seq)


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0006_merge_evidence_text_and_finding_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(blank=True, null=True, unique=True, verbose_name="chain number"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(blank=True, max_length=64, verbose_name="hash"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(condition=models.Q(("seq__isnull", True)), fields=["id"], name="audits_entry_unsealed"),
        ),
        migrations.RunPython(number_the_chained, migrations.RunPython.noop),
    ]
