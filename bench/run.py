"""Benchmarks as ratios against floors measured in the same run on the same server.

    bench/run --scale S [--duration 10] [--connections 16] [--smoke] [--write]

Floors: F_view (a trivial Django JSON view through the full middleware stack), F_drf (a DRF view returning a
constant), F_sql (the same work in raw SQL through psycopg), F_csv and F_xlsx (the same rows written straight
from a server-side cursor), and audited writes with the trail's trigger off (bench/trail.py, on a throwaway
database). Load comes from wrk in a separate process against gunicorn. --smoke runs each
measurement briefly and asserts nothing about timing (CI); --write records the figures in docs/performance.md.
"""

import argparse
import base64
import csv
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))  # another server on 8765: BENCH_PORT=…
sys.path.insert(0, str(ROOT))
# The benchmark's own settings: a throwaway key, local hosts only (never a deployment's).
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
# Plain HTTP on the loopback and no second factor for its made-up users: it measures the application, not TLS
# (production defaults to both when DJANGO_DEBUG is off).
os.environ.setdefault("DJANGO_SECURE", "0")
os.environ.setdefault("DJANGO_2FA_REQUIRED_ROLES", "")


# What a reviewer's queue asks for: the brief representation (one query, the scope's ids aggregated in it).
REVIEWER_LIST = "/api/v1/applications/?page_size=25&brief=1"
F_VIEW, F_DRF = "/bench/floor/view", "/bench/floor/drf"


def database_url(scale: str) -> str:
    return os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/bench_{scale.lower()}")


def prepare(scale: str) -> None:
    from bench import ensure_database

    url = database_url(scale)
    ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-m", "bench.generate", "--scale", scale], cwd=ROOT, env=env, check=True)


def setup_django(scale: str) -> None:
    os.environ["DATABASE_URL"] = database_url(scale)
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def start_server(scale: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(scale),
        "DJANGO_BENCH_FLOORS": "1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_CONN_MAX_AGE": "600",
        # Production's shape: the cache the check and the search answer from is Redis.
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


def wrk(
    path: str,
    *,
    duration: int,
    connections: int,
    headers: dict | None = None,
    fresh: bool = False,
    script: str = "p95.lua",
    env: dict | None = None,
) -> dict:
    """Requests/s and p95 of `path`; `fresh` appends a new number to its last parameter on every request."""
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / script),
    ]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{PORT}{path}"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_NONCE": "1" if fresh else "0", **(env or {})},
    ).stdout
    return json.loads(re.search(r"JSON (\{.*\})", output).group(1))


def paired(path: str, floor: str, *, duration: int, connections: int, **options) -> dict:
    """`path` measured in slices alternating with its floor's (floor, path, floor, path, …), about two seconds
    each, and the figures of each combined: this machine's speed drifts within a run (the same floor measured
    1,000 to 2,900 req/s within the hour), and a drift between one floor and a row measured minutes later read
    as a change of the row. Requests/s is the mean over the slices, p95 the median slice's; the floor's, under
    "floor", are the ones the row is compared with."""
    slices = max(1, duration // 2)
    seconds = max(1, round(duration / slices))
    rows, floors = [], []
    for _ in range(slices):
        floors.append(wrk(floor, duration=seconds, connections=connections))
        rows.append(wrk(path, duration=seconds, connections=connections, **options))
    return {**_combined(rows), "floor": _combined(floors), "slices": slices}


def _combined(runs: list[dict]) -> dict:
    return {
        "rps": statistics.fmean(run["rps"] for run in runs),
        "p95_ms": statistics.median(run["p95_ms"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
        "requests": sum(run["requests"] for run in runs),
    }


def queries(path: str, user=None, *, cached: bool = False) -> int:
    """Queries one request of `path` makes: answered from the cache, or (by default) computed."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST="127.0.0.1")
    if user:
        client.force_login(user)
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=locmem, KEPT_ANSWERS_DELAY_SECONDS=0):
        client.get(path)  # warm jieba, ContentTypes and, for `cached`, the answer
        with override_settings(CACHES=dummy) if not cached else nullcontext(), CaptureQueriesContext(connection) as ctx:
            status = client.get(path).status_code
    assert status == 200, (path, status)
    return len(ctx)


def timed(function, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def measure(scale: str, *, duration: int, connections: int) -> dict:
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from approvals.models import Application, Batch
    from approvals.selectors import batch_results
    from catalog.models import Unit, User
    from funding import exports
    from funding.models import Payment

    district = Unit.objects.districts().filter(code__startswith=f"B{scale}").order_by("id").first()
    community = Unit.objects.communities().filter(district=district).order_by("id").first()
    office, _ = User.objects.get_or_create(
        username=f"bench-office-{scale}", defaults={"role": "civil_affairs", "unit": district}
    )
    token, _ = Token.objects.get_or_create(user=office)
    auth = {"Authorization": f"Token {token.key}"}
    load = {"duration": duration, "connections": connections}
    results = {
        "scale": scale,
        "counts": {
            "districts": Unit.objects.districts().count(),
            "communities": Unit.objects.communities().count(),
            "applications": Application.objects.count(),
            "payments": Payment.objects.count(),
        },
    }

    floors = {"F_view": wrk(F_VIEW, **load), "F_drf": wrk(F_DRF, **load)}
    check_path = f"/api/v1/check/?community={community.pk}&q=%E5%8D%8F%E5%8A%A9%E5%BC%80%E5%B1%95%E5%85%BB%E8%80%81"
    search_api = f"/api/v1/items/?district={district.pk}&page_size=20&q=%E5%85%BB%E8%80%81"
    search_page = f"/catalogue/{district.pk}/?q=%E5%85%BB%E8%80%81"
    # Each is measured answered from the cache (the same demand again) and computed (a new demand every request).
    for name, path in [("check", check_path), ("search_api", search_api), ("search_page", search_page)]:
        results[name] = {
            **paired(path, F_DRF, **load),
            "queries": queries(path),
            "cached_queries": queries(path, cached=True),
        }
        results[f"{name}_fresh"] = paired(path, F_DRF, fresh=True, **load)

    # The reviewer's list: page 1 and a deep page reached by its keyset cursor.
    ids = list(Application.objects.filter(district=district).order_by("-id").values_list("id", flat=True))
    deep_index = min(len(ids) - 1, 500 * 25)
    cursor = base64.urlsafe_b64encode(f"p={ids[deep_index]}".encode()).decode()
    # Measured computed: the queue keeps only requests made of its own parameters (approvals.answers), and
    # `computed=1` is not one of them, so every request here runs the query.
    first, deep = f"{REVIEWER_LIST}&computed=1", f"{REVIEWER_LIST}&computed=1&cursor={cursor}"
    results["list_page_1"] = {**wrk(first, headers=auth, **load), "queries": queries(first, office)}
    results["list_deep"] = {**wrk(deep, headers=auth, **load), "queries": queries(deep, office), "position": deep_index}

    # The tally of the largest batch: the service's aggregate against the same count in raw SQL.
    from django.db.models import Count

    batch = Batch.objects.annotate(size=Count("applications")).order_by("-size", "id").first()  # the largest
    app_ids = list(batch.applications.values_list("id", flat=True))
    raw_sql = (
        "SELECT application_id, count(*), count(*) FILTER (WHERE vote <> ''), "
        "count(*) FILTER (WHERE vote = 'agree') FROM approvals_ballot WHERE application_id = ANY(%s) "
        "GROUP BY application_id"
    )

    def raw_tally():
        with connection.cursor() as c:
            c.execute(raw_sql, [app_ids])
            c.fetchall()

    def service_tally():
        batch_results(batch)

    results["tally"] = {"applications": len(app_ids), "raw_s": timed(raw_tally), "service_s": timed(service_tally)}

    # Exports: the app's streams against the same rows written straight from a server-side cursor.
    # The target is set for an export of a million payments: at L (5 million) the first million are exported.
    payments = Payment.objects.all()
    if (last := payments.order_by("id").values_list("id", flat=True)[999_999:1_000_000].first()) is not None:
        payments = payments.filter(id__lte=last)
    sql, params = (
        payments.order_by("paid_on", "id")
        .values_list(
            "voucher",
            "paid_on",
            "amount",
            "payer__name",
            "instalment__community__name",
            "instalment__contract__number",
            "instalment__contract__item_title",
            "instalment__sequence",
            "reverses__voucher",
            "note",
        )
        .query.sql_with_params()
    )
    rows = payments.count()

    def f_csv():
        writer = csv.writer(open(os.devnull, "w"))  # noqa: SIM115
        with connection.chunked_cursor() as c:
            c.execute(sql, params)
            while chunk := c.fetchmany(2000):
                writer.writerows(chunk)

    def app_csv():
        for _line in exports.csv_stream(payments):
            pass

    def f_xlsx():
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        with connection.chunked_cursor() as c:
            c.execute(sql, params)
            while chunk := c.fetchmany(2000):
                for row in chunk:
                    sheet.append(list(row))
        with tempfile.TemporaryFile() as handle:
            workbook.save(handle)

    def app_xlsx():
        from datetime import date
        from decimal import Decimal

        from funding.selectors import FIGURES, FundingFigures

        every_day = {"start": date(2000, 1, 1), "end": date(2099, 12, 31), "as_of": date(2099, 12, 31)}
        totals = dict.fromkeys(FIGURES, Decimal("0"))
        figures = FundingFigures(**every_day, group="payer", rows=[], totals=totals, months=[], payments=payments)
        exports.xlsx_file(figures, title="bench").close()

    from django.db import transaction

    with transaction.atomic():  # server-side cursors live inside a transaction
        results["export"] = {
            "rows": rows,
            "F_csv_s": timed(f_csv, 1),
            "csv_s": timed(app_csv, 1),
            "F_xlsx_s": timed(f_xlsx, 1),
            "xlsx_s": timed(app_xlsx, 1),
        }

        def peak(qs):
            tracemalloc.start()
            for _line in exports.csv_stream(qs):
                pass
            top = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            return top

        small = Payment.objects.filter(pk__in=Payment.objects.order_by("id").values("pk")[:10_000])
        results["export"]["peak_small_bytes"] = peak(small)
        results["export"]["peak_all_bytes"] = peak(payments)
    results["mixed"] = mixed_load(
        district, community, office, duration=duration, connections=50 if load["connections"] > 4 else 8
    )
    results["floors"] = floors
    return results


def mixed_load(district, community, office, *, duration: int, connections: int, list_path: str = REVIEWER_LIST) -> dict:
    """Many clients at once: 70% reads, 20% lists (the reviewer's queue), 10% writes (payments, each audited)
    against F_view."""
    from django.db.models import F
    from rest_framework.authtoken.models import Token

    from catalog.models import CatalogueItem, User
    from funding.models import Instalment, Payment

    instalment = (
        Instalment.objects.filter(contract__state="in_force", contract__district=district)
        .annotate(room=F("amount") - F("paid"))
        .filter(room__gte=100)
        .select_related("contract")
        .order_by("id")
        .first()
    )
    payer, _ = User.objects.get_or_create(
        username=f"bench-payer-{district.pk}", defaults={"role": "department_staff", "unit": instalment.contract.payer}
    )
    item = CatalogueItem.objects.filter(version__district=district, version__state="published").order_by("id").first()
    run = str(int(time.time()))
    reads = [
        f"/api/v1/check/?community={community.pk}&q=%E5%8D%8F%E5%8A%A9%E5%BC%80%E5%B1%95%E5%85%BB%E8%80%81",
        f"/api/v1/items/{item.pk}/",
        f"/api/v1/items/?district={district.pk}&page_size=20&q=%E4%BD%8E%E4%BF%9D",
        f"/catalogue/{district.pk}/items/{item.pk}/",
    ]
    env = {
        "BENCH_READS": "|".join(reads),
        "BENCH_LIST": list_path,
        "BENCH_OFFICE_TOKEN": Token.objects.get_or_create(user=office)[0].key,
        "BENCH_PAYER_TOKEN": Token.objects.get_or_create(user=payer)[0].key,
        "BENCH_INSTALMENT": str(instalment.pk),
        "BENCH_RUN": run,
    }
    load = {"duration": duration, "connections": connections}
    mixed = paired("/", F_VIEW, script="mixed.lua", env=env, **load)
    written = Payment.objects.filter(voucher__startswith=f"MIX-{run}-").count()
    return {**mixed, "connections": connections, "written": written}


def ratios(r: dict) -> list[tuple[str, str, str, str]]:
    f_view, f_drf = r["floors"]["F_view"], r["floors"]["F_drf"]

    def drf(row: dict) -> dict:  # the F_drf measured in slices alternating with the row's (paired)
        return row["floor"]

    e, t = r["export"], r["tally"]
    rows = [
        ("F_view", f"{f_view['rps']:.0f} req/s, p95 {f_view['p95_ms']:.1f} ms", "floor", ""),
        ("F_drf", f"{f_drf['rps']:.0f} req/s, p95 {f_drf['p95_ms']:.1f} ms", "floor", ""),
        (
            "the check, asked again (cached)",
            f"{r['check']['rps'] / drf(r['check'])['rps']:.2f} × F_drf; {r['check']['cached_queries']} queries",
            "≥ 0.5 × F_drf; ≤ 5 queries",
            _ok(r["check"]["rps"] >= 0.5 * drf(r["check"])["rps"] and r["check"]["queries"] <= 5),
        ),
        (
            "the check, a new demand every request",
            f"{r['check_fresh']['rps'] / drf(r['check_fresh'])['rps']:.2f} × F_drf; {r['check']['queries']} queries",
            "≥ 0.3 × F_drf; ≤ 5 queries",
            _ok(r["check_fresh"]["rps"] >= 0.3 * drf(r["check_fresh"])["rps"] and r["check"]["queries"] <= 5),
        ),
    ]
    for name, label in [("search_api", "search API, 20/page"), ("search_page", "search page")]:
        cached, fresh = r[name], r[f"{name}_fresh"]
        floor, fresh_floor = drf(cached), drf(fresh)
        rows.append(
            (
                f"{label}, asked again (cached)",
                f"{cached['rps'] / floor['rps']:.2f} × F_drf; p95 {cached['p95_ms'] / floor['p95_ms']:.1f} × "
                f"F_drf p95; {cached['cached_queries']} queries",
                "≥ 0.3 × F_drf; p95 ≤ 4×; ≤ 6 queries",
                _ok(
                    cached["rps"] >= 0.3 * floor["rps"]
                    and cached["p95_ms"] <= 4 * floor["p95_ms"]
                    and cached["queries"] <= 6
                ),
            )
        )
        rows.append(
            (
                f"{label}, new words every request",
                f"{fresh['rps'] / fresh_floor['rps']:.2f} × F_drf; p95 "
                f"{fresh['p95_ms'] / fresh_floor['p95_ms']:.1f} × F_drf p95; {cached['queries']} queries",
                "(computed: for the record)",
                _ok(cached["queries"] <= 6),
            )
        )
    m = r["mixed"]
    rows.append(
        (
            f"mixed load, {m['connections']} clients, 70/20/10",
            f"{m['rps'] / m['floor']['rps']:.2f} × F_view; {m['errors']} errors in {m['requests']} requests; "
            f"{m['written']} payments written",
            "≥ 0.25 × F_view; zero errors",
            _ok(m["rps"] >= 0.25 * m["floor"]["rps"] and m["errors"] == 0),
        )
    )
    rows += [
        (
            f"reviewer's list, position {r['list_deep']['position']} vs page 1",
            f"{r['list_deep']['p95_ms'] / r['list_page_1']['p95_ms']:.2f} × page 1 p95; "
            f"{r['list_deep']['queries']} queries",
            "≤ 1.5×; ≤ 8 queries",
            _ok(r["list_deep"]["p95_ms"] <= 1.5 * r["list_page_1"]["p95_ms"] and r["list_deep"]["queries"] <= 8),
        ),
        (
            f"tally of {t['applications']} applications",
            f"{t['service_s'] / t['raw_s']:.2f} × raw SQL "
            f"({t['service_s'] * 1000:.1f} ms vs {t['raw_s'] * 1000:.1f} ms)",
            "≤ 3× raw SQL",
            _ok(t["service_s"] <= 3 * t["raw_s"]),
        ),
        (
            f"CSV export, {e['rows']} payments",
            f"{e['F_csv_s'] / e['csv_s']:.2f} × F_csv rows/s",
            "≥ 0.5 × F_csv",
            _ok(e["F_csv_s"] / e["csv_s"] >= 0.5),
        ),
        (
            f"XLSX export, {e['rows']} payments",
            f"{e['F_xlsx_s'] / e['xlsx_s']:.2f} × F_xlsx rows/s",
            "≥ 0.5 × F_xlsx",
            _ok(e["F_xlsx_s"] / e["xlsx_s"] >= 0.5),
        ),
        (
            "export peak memory, all rows vs 10 k",
            f"{e['peak_all_bytes'] / e['peak_small_bytes']:.2f} ×",
            "≤ 1.2×",
            _ok(e["peak_all_bytes"] <= 1.2 * e["peak_small_bytes"]),
        ),
    ]
    if r.get("trail"):
        w = r["trail"]
        rows.append(
            (
                f"audited writes/s, trail on vs off ({w['clients']} clients, `bench/trail.py`)",
                f"{w['ratio']:.2f} × ({w['on']['per_second']:.0f} vs {w['off']['per_second']:.0f}/s)",
                "≥ 0.5×",
                _ok(w["ratio"] >= 0.5),
            )
        )
    return rows


def _ok(condition: bool) -> str:
    return "met" if condition else "MISSED"


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "?"
    )
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(memory) // 1024 // 1024} GiB, Python {platform.python_version()}, "
        f"{pg}, gunicorn -w 2, wrk -t2"
    )


def report(r: dict, *, duration: int, connections: int) -> str:
    lines = [
        f"## Scale {r['scale']} — {time.strftime('%Y-%m-%d')}",
        "",
        f"Machine: {machine()}; load {connections} connections × {duration} s per measurement; each ratio against "
        "its floor measured in slices alternating with it (`paired`).",
        f"Data: {r['counts']['districts']} districts, {r['counts']['communities']} communities, "
        f"{r['counts']['applications']} applications, {r['counts']['payments']} payments.",
        "",
        "| operation | measured | target | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in ratios(r)]
    if r.get("trail"):
        from bench.trail import table as trail_table

        lines += ["", trail_table(r["trail"]).rstrip()]
    if r.get("replica"):
        from bench.replica import table

        title = "Queries on the primary per read request, without a read replica and with one (`bench/replica.py`):"
        lines += ["", title, ""]
        lines.append(table(r["replica"]).rstrip())
    return "\n".join(lines) + "\n"


def replica_queries(scale: str) -> dict:
    """bench/replica.py in a process of its own: it needs a replica in its settings, which this one has not."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.replica", "--json", "--database-url", database_url(scale)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:  # the other figures are kept: this one is reported missing
        print(f"bench.replica failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return {}
    return json.loads(done.stdout.strip().splitlines()[-1])


def trail_writes(scale: str, *, duration: int, connections: int) -> dict:
    """bench/trail.py in a process of its own, on a throwaway database of its own (it disables the trail's trigger
    on a table for its floor): BENCH_TRAIL_DATABASE_URL, or bench_trail beside the scale's database."""
    url = os.environ.get("BENCH_TRAIL_DATABASE_URL", database_url(scale).rsplit("/", 1)[0] + "/bench_trail")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.trail",
            "--json",
            "--database-url",
            url,
            "--clients",
            str(min(connections, 16)),
            "--duration",
            str(max(2, duration // 2)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:  # the other figures are kept: this one is reported missing
        print(f"bench.trail failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return {}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=["S", "M", "L"], default="S")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--smoke", action="store_true", help="brief runs, for CI: figures printed, nothing asserted")
    parser.add_argument("--write", action="store_true", help="record the figures in docs/performance.md")
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.connections = 2, 4
    prepare(args.scale)
    setup_django(args.scale)
    server = start_server(args.scale)
    try:
        results = measure(args.scale, duration=args.duration, connections=args.connections)
        results["replica"] = replica_queries(args.scale)
        results["trail"] = trail_writes(args.scale, duration=args.duration, connections=args.connections)
    finally:
        server.terminate()
        server.wait(timeout=20)
    text = report(results, duration=args.duration, connections=args.connections)
    print(text)
    if args.write:
        path = ROOT / "docs" / "performance.md"
        existing = path.read_text() if path.exists() else ""
        marker = f"## Scale {args.scale} "
        kept = [block for block in re.split(r"(?m)^(?=## Scale )", existing) if not block.startswith(marker)]
        path.write_text("".join(kept).rstrip() + "\n\n" + text if kept else text)


if __name__ == "__main__":
    main()
