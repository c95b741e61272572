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


# Unapplied (a migration test going back to an older state): the chain under the global lock again, as before
# this migration, so that audited writes work on the table without `seq`.
LOCKED_CHAIN_SQL = """DROP FUNCTION IF EXISTS audits_seal(boolean);

DROP FUNCTION IF EXISTS audits_append(bigint, text, text, text, text, text, jsonb, jsonb, text);
CREATE OR REPLACE FUNCTION audits_append(p_actor_id bigint, p_actor text, p_ip text, p_action text, p_type text,
                                         p_id text, p_before jsonb, p_after jsonb, p_note text,
                                         p_district bigint) RETURNS bigint AS $$
DECLARE
    prev text;
    ts timestamptz := clock_timestamp();
    digest text;
    new_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(727274);
    SELECT hash INTO prev FROM audits_auditentry ORDER BY id DESC LIMIT 1;
    prev := coalesce(prev, '');
    digest := encode(sha256(convert_to(concat_ws('|', prev,
              to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
              coalesce(p_actor_id::text, ''), coalesce(p_actor, ''), coalesce(p_ip, ''), p_action, p_type,
              coalesce(p_id, ''), coalesce(p_before::text, ''), coalesce(p_after::text, ''), coalesce(p_note, '')),
              'UTF8')), 'hex');
    INSERT INTO audits_auditentry (at, actor_id, actor, source_ip, action, object_type, object_id, before, after,
                                   note, district_id, prev_hash, hash)
    VALUES (ts, p_actor_id, coalesce(p_actor, ''), coalesce(p_ip, ''), p_action, p_type, coalesce(p_id, ''),
            p_before, p_after, coalesce(p_note, ''), p_district, prev, digest)
    RETURNING id INTO new_id;
    RETURN new_id;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audits_row_change() RETURNS trigger AS $$
DECLARE
    b jsonb;
    a jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN b := to_jsonb(OLD) - 'password'; END IF;
    IF TG_OP <> 'DELETE' THEN a := to_jsonb(NEW) - 'password'; END IF;
    IF TG_OP = 'UPDATE' AND a = b THEN RETURN NULL; END IF;
    PERFORM audits_append(nullif(current_setting('audits.actor_id', true), '')::bigint,
                          current_setting('audits.actor', true), current_setting('audits.ip', true),
                          lower(TG_OP), TG_TABLE_NAME, coalesce(a->>'id', b->>'id', ''), b, a, '',
                          coalesce(audits_district(TG_TABLE_NAME, coalesce(a, b)),
                                   nullif(current_setting('audits.district_id', true), '')::bigint));
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audits_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % is refused', TG_OP;
END $$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audits_append_only ON audits_auditentry;
CREATE TRIGGER audits_append_only BEFORE UPDATE OR DELETE ON audits_auditentry
    FOR EACH ROW EXECUTE FUNCTION audits_refuse_change();
DROP TRIGGER IF EXISTS audits_no_truncate ON audits_auditentry;
"""


def restore_the_locked_chain(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'audits_append'")
        if cursor.fetchone():
            cursor.execute(LOCKED_CHAIN_SQL)


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
        migrations.RunPython(number_the_chained, restore_the_locked_chain),
    ]
