"""docs/backup.md, tried: pg_dump -Fc of a database the app wrote, pg_restore into a fresh database, and the audit
trail verifies there with every entry and the same head hash; it keeps chaining; a tampered row is named."""

import re
import subprocess

from .conftest import manage

# An audited change: on PostgreSQL the row trigger appends the entry, whoever writes.
POLICY_CHANGE = "UPDATE catalog_districtpolicy SET expedited_notice_working_days = expedited_notice_working_days + 1"
# What docs/backup.md records with a dump: the sealed entries, the chain's last number and its hash (sealed first:
# a write's entry is chained shortly after its commit, by the sealer).
SEAL = "SELECT audits_seal(true)"
HEAD = (
    "SELECT count(seq) || ' ' || max(seq) || ' ' || (SELECT hash FROM audits_auditentry ORDER BY seq DESC NULLS "
    "LAST LIMIT 1) FROM audits_auditentry"
)


def verified(database_url: str) -> int:
    out = manage(database_url, "verify_audit_trail").stdout
    return int(re.search(r"intact: (\d+) entries", out).group(1))


def test_a_dump_restored_into_a_fresh_database_verifies_and_names_a_tampered_entry(pg_cluster, tmp_path, capsys):
    pg_cluster.psql("app", POLICY_CHANGE)  # audited changes after the demo's (one per district policy)
    pg_cluster.psql("app", SEAL)
    count, last_seq, head = pg_cluster.psql("app", HEAD).split()
    assert int(count) > 300

    dump = tmp_path / "app.dump"
    pg_cluster.tool("pg_dump", "-Fc", "-f", str(dump), "app")
    pg_cluster.tool("createdb", "restored")
    pg_cluster.tool("pg_restore", "--exit-on-error", "--no-owner", "-d", "restored", str(dump))
    restored = pg_cluster.url("restored")

    assert pg_cluster.psql("restored", HEAD).split() == [count, last_seq, head]
    assert verified(restored) == int(count)

    # The trail's guard came back with the schema: an UPDATE of the trail is refused in the restored copy too.
    try:
        pg_cluster.psql("restored", "UPDATE audits_auditentry SET note = 'x'")
        raise AssertionError("the restored trail accepted an UPDATE")
    except subprocess.CalledProcessError as refused:
        assert "The audit trail is append-only: UPDATE is refused" in refused.stderr

    # The restored database goes on chaining from the restored head (verify seals the new entries first).
    pg_cluster.psql("restored", POLICY_CHANGE)
    assert verified(restored) == int(count) + 3  # one entry per district policy
    next_entry = f"SELECT prev_hash FROM audits_auditentry WHERE seq = {int(last_seq) + 1}"
    assert pg_cluster.psql("restored", next_entry) == head

    # Someone with the superuser's powers alters one old entry, bypassing the trigger: verification names it.
    victim = pg_cluster.psql("restored", "SELECT id FROM audits_auditentry ORDER BY seq OFFSET 100 LIMIT 1")
    pg_cluster.psql(
        "restored",
        "SET session_replication_role = replica; "
        f"UPDATE audits_auditentry SET note = note || ' (edited)' WHERE id = {victim}",
    )
    broken = manage(restored, "verify_audit_trail", check=False)
    assert broken.returncode != 0
    assert f"entry #{victim}: tampered" in broken.stderr
    assert "100 entries before it are intact" in broken.stderr
    with capsys.disabled():
        print(
            f"\n[faults] backup: pg_dump -Fc / pg_restore of {count} audit entries; restored copy verified "
            f"{count} entries, same head hash; 1 tampered row named (entry #{victim})"
        )
