"""How often the check finds what a demand is: top-1, top-3, harmful verdicts, hedged answers.

    python bench/check_eval.py --catalogue ../shared/check-eval/catalogue.csv --demands ../shared/check-eval/dev.tsv

The catalogue (columns code,list,type,title,description,belongs_to,delegating_unit,standard_funding,
issuing_level,max_per_year,allowed_months, optionally aliases separated by ";") is published as the
catalogue in force of a fresh district, in a fresh database (SQLite by default, PostgreSQL when
DATABASE_URL says so); each demand (`text<TAB>codes`, `|` between codes that are all right, NONE for "on no
list") runs through catalog.check.check_demand, the function the page and the API answer with.

One line per demand, then the figures, and last exactly one summary line:
    check-eval: n=98 top1=NN.N% top3=NN.N% harmful=N hedged=N
"""

import argparse
import csv
import os
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "check-eval-only-not-secret")
os.environ.setdefault("DJANGO_DEBUG", "1")

POSITIVE = {"must_do", "assist_funded", "assist_unfunded", "assessment_allowed", "urgent_covered"}
ON = date(2026, 10, 15)  # a day inside most assessments' months is not needed: only the item matters


def _setup_database():
    import django

    django.setup()
    from django.db import connection

    test = connection.settings_dict["TEST"]
    if connection.vendor == "sqlite":
        test["NAME"] = os.path.join(tempfile.mkdtemp(prefix="check-eval-"), "db.sqlite3")
    else:
        test["NAME"] = f"check_eval_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return old_name


def load_catalogue(path: Path, *, effective_from: date):
    """A city, a district, a street and a community; the file published as the district's catalogue."""
    from catalog.choices import Role, UnitKind
    from catalog.models import CatalogueItem, Unit, User
    from catalog.services import draft_start, items_replace, version_publish

    city = Unit.objects.create(kind=UnitKind.CITY, name="评测市")
    district = Unit.objects.create(kind=UnitKind.DISTRICT, name="评测区", parent=city)
    street = Unit.objects.create(kind=UnitKind.STREET, name="评测街道", parent=district)
    community = Unit.objects.create(kind=UnitKind.COMMUNITY, name="评测社区", parent=street)
    admin = User.objects.create(username="check-eval", role=Role.ADMIN, is_superuser=True)
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle), start=2):
            withdrawn = row["list"] == "withdrawn"
            rows.append(
                (
                    n,
                    CatalogueItem(
                        code=row["code"],
                        list=row["list"],
                        type=row["type"],
                        title=row["title"],
                        description="" if withdrawn else row["description"],
                        withdrawal_reason=row["description"] if withdrawn else "",
                        belongs_to=row.get("belongs_to") or "",
                        delegating_unit=row.get("delegating_unit") or "",
                        standard_funding=Decimal(row["standard_funding"]) if row.get("standard_funding") else None,
                        issuing_level=row.get("issuing_level") or "",
                        max_per_year=int(row["max_per_year"]) if row.get("max_per_year") else None,
                        allowed_months=[int(m) for m in (row.get("allowed_months") or "").split(";") if m.strip()],
                        aliases=[a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()],
                    ),
                )
            )
    draft = draft_start(district=district, actor=admin)
    items_replace(draft=draft, actor=admin, rows=rows)
    # The evaluation asks about a catalogue in force since January, in a database of its own.
    version_publish(draft=draft, actor=admin, effective_from=effective_from, title="评测清单", history=True)
    return community


def read_demands(path: Path) -> list[tuple[str, set[str]]]:
    demands = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, _tab, codes = line.rpartition("\t")
        demands.append((text.strip(), {c.strip() for c in codes.split("|")}))
    return demands


def evaluate(community, demands, *, on: date = ON, out=print, quiet: bool = False) -> dict:
    from catalog.check import check_demand

    n = len(demands)
    top1 = top3 = harmful = hedged = 0
    by_list: dict[str, list[int]] = {}
    elapsed = 0.0
    for text, expected in demands:
        started = time.perf_counter()
        result = check_demand(community=community, on=on, q=text)
        elapsed += time.perf_counter() - started
        codes = [c.item.code for c in result.candidates]
        rests_on = codes[0] if codes and not result.hedged and result.verdict != "not_listed" else None
        if "NONE" in expected:
            expected_list = "none"
            hit1 = hit3 = result.verdict == "not_listed"
            harm = not result.hedged and result.verdict in POSITIVE
        else:
            expected_list = _list_of(community, expected)
            hit1 = rests_on in expected
            hit3 = bool(expected & set(codes[:3]))
            harm = not result.hedged and (
                (result.verdict == "refuse" and expected_list != "withdrawn")
                or (result.verdict in POSITIVE and expected_list == "withdrawn")
            )
        top1 += hit1
        top3 += hit3
        harmful += harm
        hedged += result.hedged
        row = by_list.setdefault(expected_list, [0, 0])
        row[0] += hit1
        row[1] += 1
        scores = "/".join(f"{c.score:.2f}" for c in result.candidates[:2])
        mark = "HARM" if harm else ("ok  " if hit1 else ("hedg" if result.hedged else "miss"))
        if not quiet:
            out(
                f"{mark} {'|'.join(sorted(expected)):<12} {result.verdict:<18} conf={result.confidence:.2f} "
                f"s={scores:<9} got={','.join(codes[:3]) or '-':<18} {text}"
            )
    pct = lambda k, total: 100.0 * k / total if total else 0.0  # noqa: E731
    for name in ("duties", "assistance", "withdrawn", "assessments", "none"):
        if name in by_list:
            hits, total = by_list[name]
            out(f"top-1 {name:<12} {hits}/{total} = {pct(hits, total):.1f}%")
    out(f"hedged share {pct(hedged, n):.1f}%; {1000 * elapsed / max(n, 1):.2f} ms per demand")
    summary = f"check-eval: n={n} top1={pct(top1, n):.1f}% top3={pct(top3, n):.1f}% harmful={harmful} hedged={hedged}"
    out(summary)
    return {"n": n, "top1": top1, "top3": top3, "harmful": harmful, "hedged": hedged, "summary": summary}


_lists: dict[str, str] = {}


def _list_of(community, codes: set[str]) -> str:
    if not _lists:
        from catalog.models import CatalogueItem

        _lists.update(CatalogueItem.objects.filter(version__district=community.district).values_list("code", "list"))
    return _lists.get(sorted(codes)[0], "?")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalogue", required=True, type=Path)
    parser.add_argument("--demands", required=True, type=Path, action="append")
    parser.add_argument("--date", type=date.fromisoformat, default=ON)
    parser.add_argument("--quiet", action="store_true", help="only the figures, not one line per demand")
    args = parser.parse_args(argv)
    old_name = _setup_database()
    from django.db import connection

    try:
        community = load_catalogue(args.catalogue, effective_from=date(2026, 1, 1))
        from catalog.check import check_demand
        from catalog.search import warm_up

        warm_up()
        check_demand(community=community, on=args.date, q="社区")  # the version's index is built once, here
        for path in args.demands:
            print(f"# {path}")
            evaluate(community, read_demands(path), on=args.date, quiet=args.quiet)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
