"""Queries on the primary per read request, without a read replica and with one (config/db_router.py).

    python -m bench.replica [--database-url URL] [--json]

Each read request is made twice through the whole middleware stack (Django's test client), with the answer cache
off (every answer computed: the most the database is asked): once with the router given no replica, once with
one, counting the queries each connection ran. The replica here is a second connection to the same database: what
is counted is where the queries go, not how fast they are (the router takes a server that is not in recovery as
current). The lag check (one query on each side per DATABASE_REPLICA_LAG_CHECK_SECONDS and process) is left out
of the per-request figures and reported apart. bench/run calls this and reports the figures.
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DATABASE_REPLICA_URLS"] = database_url  # the stand-in replica: see the module's docstring
    os.environ["DATABASE_REPLICA_LAG_CHECK_SECONDS"] = "3600"  # measured once, then kept: counted apart
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SECURE", "0")
    os.environ.setdefault("DJANGO_2FA_REQUIRED_ROLES", "")
    os.environ["DJANGO_CACHE"] = "locmem"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", "--noinput", "-v0")  # pages name their files through the manifest


def read_requests() -> list[tuple[str, str, object]]:
    """(what, path, user or None) for the reads a replica takes: public pages, the check, search, reports."""
    from catalog.models import CatalogueItem, Unit, User

    item = CatalogueItem.objects.filter(version__state="published").select_related("version").order_by("id").first()
    if item is None:
        sys.exit("bench.replica: the database holds no published catalogue (load_demo, or bench/generate.py)")
    district = Unit.objects.get(pk=item.version.district_id)
    community = Unit.objects.communities().filter(district=district).order_by("id").first()
    office = User.objects.filter(role="civil_affairs", unit=district, is_active=True).order_by("id").first()
    secretary = User.objects.filter(role="secretary", unit=community, is_active=True).order_by("id").first()
    demand = "%E5%8D%8F%E5%8A%A9%E5%BC%80%E5%B1%95%E5%85%BB%E8%80%81"  # 协助开展养老
    check = f"/api/v1/check/?community={community.pk}&q={demand}"
    requests = [
        ("catalogue index", "/catalogue/", None),
        ("a district's lists", f"/catalogue/{district.pk}/", None),
        ("an item's page", f"/catalogue/{district.pk}/items/{item.pk}/", None),
        ("search page", f"/catalogue/{district.pk}/?q=%E5%85%BB%E8%80%81", None),
        ("search API", f"/api/v1/items/?district={district.pk}&page_size=20&q=%E5%85%BB%E8%80%81", None),
        ("the check (API), anonymous", check, None),
    ]
    if secretary:
        requests.append(("the check (API), a secretary signed in", check, secretary))
    if office:
        requests.append(("funding report (API), signed in", "/api/v1/funding-report/", office))
        requests.append(("funding report page, signed in", "/funding/report/", office))
    return requests


def count(path: str, user, *, replicas: list[str]) -> dict:
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST="127.0.0.1")
    if user is not None:
        client.force_login(user)
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(DATABASE_REPLICAS=replicas):
        client.get(path)  # warms jieba, ContentTypes, the version's index and the replica's lag
        aliases = ["default", *replicas]
        contexts = [CaptureQueriesContext(connections[alias]) for alias in aliases]
        with override_settings(CACHES=dummy):
            for context in contexts:
                context.__enter__()
            try:
                status = client.get(path).status_code
            finally:
                for context in reversed(contexts):
                    context.__exit__(None, None, None)
    assert status == 200, (path, status)
    return {"primary": len(contexts[0]), "replica": sum(len(context) for context in contexts[1:])}


def measure() -> dict:
    from django.conf import settings

    replicas = list(settings.DATABASE_REPLICAS)
    rows = []
    for what, path, user in read_requests():
        alone, shared = count(path, user, replicas=[]), count(path, user, replicas=replicas)
        rows.append({"request": what, "without": alone["primary"], **shared})
    return {"rows": rows, "lag_check": {"primary": 1, "replica": 1}}


def table(result: dict) -> str:
    lines = [
        "| read request | queries without a replica | with one: on the primary | on the replica |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r['request']} | {r['without']} | {r['primary']} | {r['replica']} |" for r in result["rows"]]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (for bench/run)")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("bench.replica needs a PostgreSQL DATABASE_URL (or --database-url)")
    setup(args.database_url)
    result = measure()
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
