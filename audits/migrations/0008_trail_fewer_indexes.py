# The trail keeps 8 indexes instead of 11: no LIKE-pattern copies of action and object type, and no index of the
# object type alone (the object type and id index serves it). Each entry writes its indexes twice (insert, seal).
# The action's index is kept and renamed, not rebuilt: building one holds a lock on the trail that every audited
# write of the system would wait behind.

from django.db import migrations, models

TABLE = "audits_auditentry"
ACTION, OBJECT_TYPE = "audits_auditentry_action_082fba05", "audits_auditentry_object_type_a5846207"
# Each step forwards with its undoing; backwards undoes them in reverse order.
COMMON = [(f'DROP INDEX IF EXISTS "{OBJECT_TYPE}"', f'CREATE INDEX "{OBJECT_TYPE}" ON "{TABLE}" ("object_type")')]
STEPS = {
    "postgresql": COMMON
    + [
        (f'DROP INDEX IF EXISTS "{OBJECT_TYPE}_like"', f'CREATE INDEX "{OBJECT_TYPE}_like" ON "{TABLE}" ("object_type" varchar_pattern_ops)'),
        (f'DROP INDEX IF EXISTS "{ACTION}_like"', f'CREATE INDEX "{ACTION}_like" ON "{TABLE}" ("action" varchar_pattern_ops)'),
        (f'ALTER INDEX "{ACTION}" RENAME TO "audits_entry_action"', f'ALTER INDEX "audits_entry_action" RENAME TO "{ACTION}"'),
    ],
    # SQLite (the demo) cannot rename an index; its trail is small.
    "sqlite": COMMON
    + [
        (f'DROP INDEX IF EXISTS "{ACTION}"', f'CREATE INDEX "{ACTION}" ON "{TABLE}" ("action")'),
        (f'CREATE INDEX "audits_entry_action" ON "{TABLE}" ("action")', 'DROP INDEX IF EXISTS "audits_entry_action"'),
    ],
}


def forwards(apps, schema_editor):
    for step, _undo in STEPS[schema_editor.connection.vendor]:
        schema_editor.execute(step)


def backwards(apps, schema_editor):
    for _step, undo in reversed(STEPS[schema_editor.connection.vendor]):
        schema_editor.execute(undo)


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0007_trail_sealed_by_seq"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="action",
                    field=models.CharField(max_length=32, verbose_name="action"),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="object_type",
                    field=models.CharField(max_length=100, verbose_name="object type"),
                ),
                migrations.AddIndex(
                    model_name="auditentry",
                    index=models.Index(fields=["action"], name="audits_entry_action"),
                ),
            ],
        ),
    ]
