"""Audited writes per second with the audit trail's triggers on, against the same writes with them off.

    python -m bench.trail [--database-url URL] [--clients 12] [--duration 5] [--json]

On a throwaway PostgreSQL database (created and migrated when missing; never point it at one that matters: the
trail's row trigger is disabled on catalog_unit for the floor and its rows are changed), each of N clients, a
thread with its own connection, changes its own row of an audited table (catalog_unit: the row trigger appends
an entry, finding the row's district) in a transaction of its own, as fast as it can, for a few seconds:

- `off`: the trail's row trigger disabled on the table: the floor;
- `on`: the trigger on, and after each commit what the application does after an audited commit
  (`audits.trail.SealOnCommit`): with `--seal-delay` above 0 (the application's default, 0.2 s), wake the
  process's sealer thread (`audits.trail.Sealer`), which seals on a connection of its own shortly after; with 0,
  seal in the writer itself (try the sealer's lock, seal what is committed, or leave it to whoever holds it).
  The entries still unsealed when the clients stop are counted, then sealed.

While the clients run, pg_stat_activity is sampled every few milliseconds: the share of the clients' samples
spent waiting for an advisory lock (the chain's lock, when there is a global one) says where the time went.
bench/run calls this and reports the ratio. The machine's other work makes the figures noisy: read the ratio
of one run, not the absolute rates.
"""

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TABLE = "catalog_unit"
PREFIX = "bench-trail-"


def setup(database_url: str, *, seal_delay: float) -> None:
    from bench import ensure_database

    ensure_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["AUDIT_SEAL_DELAY_SECONDS"] = str(seal_delay)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ["DJANGO_CACHE"] = "locmem"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "-v0")


def rows(clients: int) -> list[int]:
    """One community per client, under one district of the benchmark's own."""
    from catalog.models import Unit

    city, _ = Unit.objects.get_or_create(name=f"{PREFIX}city", kind="city")
    district, _ = Unit.objects.get_or_create(name=f"{PREFIX}district", kind="district", parent=city)
    street, _ = Unit.objects.get_or_create(name=f"{PREFIX}street", kind="street", parent=district)
    ids = []
    for n in range(clients):
        unit, _ = Unit.objects.get_or_create(
            code=f"BENCHTRAIL{n}", defaults={"name": f"{PREFIX}{n}", "kind": "community", "parent": street}
        )
        ids.append(unit.pk)
    return ids


class _Connection:
    """A psycopg2 connection of its own, in autocommit (transactions are spelled out)."""

    def __init__(self):
        import psycopg2
        from django.db import connection

        params = connection.get_connection_params()
        keep = ("database", "dbname", "user", "password", "host", "port")
        self.conn = psycopg2.connect(**{k: v for k, v in params.items() if k in keep})
        self.conn.autocommit = True
        self.cursor = self.conn.cursor()
        self.pid = self.conn.get_backend_pid()

    def one(self, sql: str, params=None):
        self.cursor.execute(sql, params)
        return self.cursor.fetchone() if self.cursor.description else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.conn.close()


def has_sealer() -> bool:
    from audits import trail

    return hasattr(trail, "SEAL_SQL")


def run(ids: list[int], *, duration: float, trail_on: bool) -> dict:
    from django.conf import settings

    from audits import trail

    sealer = trail_on and has_sealer()
    delay = getattr(settings, "AUDIT_SEAL_DELAY_SECONDS", 0)
    seal_sql = trail.SEAL_SQL if sealer and delay <= 0 else ""
    wake = trail.Sealer.of_this_process().wake if sealer and delay > 0 else None
    with _Connection() as admin:
        state = "ENABLE" if trail_on else "DISABLE"
        admin.one(f"ALTER TABLE {TABLE} {state} TRIGGER audits_row_change")
        admin.one(f"VACUUM {TABLE}")  # the runs before left dead versions of the rows in its indexes: not counted
        if sealer:
            admin.one("SELECT audits_seal()")
        entries_before = admin.one("SELECT count(*) FROM audits_auditentry")[0]
    counts = [0] * len(ids)
    pids: set[int] = set()
    start, stop = threading.Barrier(len(ids) + 1), threading.Event()

    failures: list[BaseException] = []

    def client(n: int, pk: int) -> None:
        try:
            write(n, pk)
        except BaseException as failure:  # reported after the run: a dead client would make the rate a lie
            failures.append(failure)
            stop.set()

    def write(n: int, pk: int) -> None:
        with _Connection() as conn:
            pids.add(conn.pid)
            start.wait()
            i = 0
            while not stop.is_set():
                i += 1
                conn.one("BEGIN")
                conn.one(f"UPDATE {TABLE} SET name = %s WHERE id = %s", [f"{PREFIX}{pk}-{i % 2}", pk])
                conn.one("COMMIT")
                if seal_sql:
                    conn.one(seal_sql)
                elif wake:
                    wake(delay)
                counts[n] += 1

    threads = [threading.Thread(target=client, args=(n, pk)) for n, pk in enumerate(ids)]
    for thread in threads:
        thread.start()
    samples = waiting = 0
    with _Connection() as watcher:
        start.wait()
        began = time.monotonic()
        while time.monotonic() - began < duration:
            found = watcher.one(
                "SELECT count(*), count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory') "
                "FROM pg_stat_activity WHERE pid = ANY(%s) AND state <> 'idle'",
                [list(pids)],
            )
            samples, waiting = samples + found[0], waiting + found[1]
            time.sleep(0.005)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        if failures:
            raise RuntimeError(f"{len(failures)} bench clients failed") from failures[0]
        result = {"writes": sum(counts), "seconds": round(elapsed, 2), "per_second": round(sum(counts) / elapsed, 1)}
        result["advisory_wait_share"] = round(waiting / samples, 3) if samples else 0.0
        if trail_on:
            result["entries"] = watcher.one("SELECT count(*) FROM audits_auditentry")[0] - entries_before
            if sealer:
                time.sleep(delay)  # the seal the last commits woke
                unsealed = watcher.one("SELECT count(*) FROM audits_auditentry WHERE seq IS NULL")[0]
                result["unsealed_at_stop"] = unsealed
                watcher.one("SELECT audits_seal()")
        watcher.one(f"ALTER TABLE {TABLE} ENABLE TRIGGER audits_row_change")
    return result


def measure(*, clients: int, duration: float) -> dict:
    ids = rows(clients)
    run(ids, duration=1, trail_on=True)  # warms the connections, the plans and the table
    # Off and on in alternating slices of about a second: this machine's speed drifts within a run, and a drift
    # between one whole run off and one whole run on read as the trail's cost.
    slices = max(1, round(duration))
    offs, ons = [], []
    for _ in range(slices):
        offs.append(run(ids, duration=duration / slices, trail_on=False))
        ons.append(run(ids, duration=duration / slices, trail_on=True))
    off, on = _combined(offs), _combined(ons)
    from django.conf import settings

    return {
        "clients": clients,
        "duration": duration,
        "slices": slices,
        "sealer": has_sealer(),
        "seal_delay": getattr(settings, "AUDIT_SEAL_DELAY_SECONDS", 0),
        "off": off,
        "on": on,
        "ratio": round(on["per_second"] / off["per_second"], 3) if off["per_second"] else 0.0,
    }


def _combined(runs: list[dict]) -> dict:
    writes, seconds = sum(r["writes"] for r in runs), sum(r["seconds"] for r in runs)
    combined = {
        "writes": writes,
        "seconds": round(seconds, 2),
        "per_second": round(writes / seconds, 1) if seconds else 0.0,
        "advisory_wait_share": round(sum(r["advisory_wait_share"] for r in runs) / len(runs), 3),
    }
    if "entries" in runs[0]:
        combined["entries"] = sum(r["entries"] for r in runs)
    if "unsealed_at_stop" in runs[0]:
        combined["unsealed_at_stop"] = max(r["unsealed_at_stop"] for r in runs)
    return combined


def table(result: dict) -> str:
    off, on = result["off"], result["on"]
    delay = result.get("seal_delay", 0)
    if not result["sealer"]:
        design = "chained under one global lock"
    elif delay > 0:
        design = f"sealed by the process's sealer thread within {delay:.1f} s of the commit (no global lock)"
    else:
        design = "sealed by the writer after its commit (no global lock)"
    lines = [
        f"Audited writes, {result['clients']} clients × {result['duration']} s (off and on in "
        f"{result.get('slices', 1)} alternating slices), the trail {design}:",
        "",
        "| trail | writes/s | share of the clients' time waiting on an advisory lock |",
        "|---|---|---|",
        f"| off (trigger disabled) | {off['per_second']} | {off['advisory_wait_share']:.0%} |",
        f"| on | {on['per_second']} | {on['advisory_wait_share']:.0%} |",
        "",
        f"ratio on/off: {result['ratio']:.2f} (target ≥ 0.50)",
    ]
    if "unsealed_at_stop" in on:
        lines.append(
            f"entries written: {on['entries']}; still unsealed {delay:.1f} s after the clients stopped: "
            f"{on['unsealed_at_stop']}"
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_TRAIL_DATABASE_URL", ""))
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--seal-delay", type=float, default=0.2, help="AUDIT_SEAL_DELAY_SECONDS (0: the writer seals)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (for bench/run)")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("bench.trail needs a throwaway PostgreSQL database: --database-url (or BENCH_TRAIL_DATABASE_URL)")
    setup(args.database_url, seal_delay=args.seal_delay)
    result = measure(clients=args.clients, duration=args.duration)
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
