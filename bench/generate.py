"""Fill PostgreSQL quickly with a realistic world at scale S, M or L (COPY, not ORM saves).

    python -m bench.generate --scale S      (DATABASE_URL must point at PostgreSQL)

Shapes follow the domain brief: districts of skewed size, Chinese titles, two catalogue versions per district,
applications with their ballots, contracts with instalments and payments. Audit triggers are bypassed for the
load (session_replication_role = replica): a bulk load is not user activity.
"""

import argparse
import io
import os
import random
import sys
import time
import uuid
from datetime import date, timedelta

SCALES = {
    #        districts  streets/district  communities  items/version  applications  ballots/app  payments
    "S": dict(districts=1, streets=20, communities=300, items=400, applications=2_000, ballots=30, payments=10_000),
    "M": dict(
        districts=20, streets=15, communities=6_000, items=300, applications=20_000, ballots=30, payments=200_000
    ),
    "L": dict(
        districts=2_800,
        streets=10,
        communities=110_000,
        items=250,
        applications=500_000,
        ballots=20,
        payments=5_000_000,
    ),
}

WORDS = [
    "居民",
    "养老",
    "低保",
    "残疾人",
    "退役军人",
    "就业",
    "卫生",
    "健康",
    "消防",
    "安全",
    "文明",
    "创建",
    "统计",
    "台账",
    "证明",
    "宣传",
    "调解",
    "志愿",
    "垃圾分类",
    "疫苗",
    "普查",
    "治安",
    "防汛",
    "流动人口",
]
VERBS = ["协助开展", "组织", "配合做好", "负责", "开展", "上报", "核实"]
LISTS = ["duties", "assistance", "withdrawn", "assessments"]
TYPES = ["work_task", "ledger", "certificate", "inspection", "plaque"]


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
    import django

    django.setup()


def copy(cursor, table: str, columns: list[str], rows) -> int:
    """COPY rows in chunks of 50,000 so that memory stays flat at any scale. Columns not given that are NOT NULL
    without a default (Django's blank=True text fields, JSON lists such as an item's aliases) are filled with
    their empty value: an empty string, or an empty JSON list."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND data_type IN ('character varying', 'text', 'jsonb')",
        [table],
    )
    empty = {"jsonb": "[]"}
    missing = [(name, empty.get(kind, "")) for name, kind in cursor.fetchall() if name not in columns]
    columns = [*columns, *(name for name, _value in missing)]
    blank_values = tuple(value for _name, value in missing)
    n, buffer = 0, io.StringIO()
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)"

    def flush():
        buffer.seek(0)
        cursor.copy_expert(sql, buffer)
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        row = (*row, *blank_values)
        buffer.write("\t".join("\\N" if v is None else str(v).replace("\t", " ").replace("\n", " ") for v in row))
        buffer.write("\n")
        n += 1
        if n % 50_000 == 0:
            flush()
    flush()
    return n


def next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
    return cursor.fetchone()[0]


def reset_sequences(cursor, tables: list[str]) -> None:
    for table in tables:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) FROM {table}")


def generate(scale: str, seed: int = 7) -> dict:
    from django.db import connection, transaction

    from catalog.search import index_tokens

    if connection.vendor != "postgresql":
        sys.exit("bench.generate needs PostgreSQL: set DATABASE_URL.")
    p = SCALES[scale]
    rng = random.Random(seed)
    started = time.perf_counter()
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no audit triggers for a bulk load
        cursor.execute("SELECT count(*) FROM catalog_unit WHERE code LIKE 'B%%'")
        if cursor.fetchone()[0]:
            return {"skipped": "already generated"}
        uid = next_id(cursor, "catalog_unit")
        city_id = uid
        units = [(city_id, "city", f"基准市{scale}", f"B{scale}C", None, None, city_id)]
        uid += 1
        districts, streets, communities, departments = [], [], [], []
        # Skewed sizes: a few large districts, many small ones (Pareto-like weights).
        weights = [1 / (i + 1) ** 0.6 for i in range(p["districts"])]
        total = sum(weights)
        for d in range(p["districts"]):
            district_id = uid
            uid += 1
            districts.append(district_id)
            units.append((district_id, "district", f"基准区{d:04d}", f"B{scale}D{d}", city_id, district_id, city_id))
            for name in ("区民政局", "区卫生健康局", "区财政局", "区市场监督管理局"):
                units.append((uid, "department", name, None, district_id, district_id, city_id))
                departments.append((uid, district_id))
                uid += 1
            street_ids = []
            for s in range(p["streets"]):
                units.append((uid, "street", f"第{s:02d}街道", None, district_id, district_id, city_id))
                street_ids.append(uid)
                streets.append((uid, district_id))
                uid += 1
            n = max(1, round(p["communities"] * weights[d] / total))
            for c in range(n):
                street = street_ids[c % len(street_ids)]
                units.append((uid, "community", f"第{c:05d}社区", None, street, district_id, city_id))
                communities.append((uid, district_id))
                uid += 1
        counts["units"] = copy(
            cursor,
            "catalog_unit",
            ["id", "kind", "name", "code", "parent_id", "district_id", "city_id"],
            ((i, k, nm, cd or "", par, dis, ci) for i, k, nm, cd, par, dis, ci in units),
        )
        copy(
            cursor,
            "catalog_districtpolicy",
            [
                "district_id",
                "pass_threshold_percent",
                "pass_rate_basis",
                "first_batch_month",
                "second_batch_month",
                "expedited_notice_working_days",
                "intake_close_day",
                "consultation_end_day",
                "committee_day",
                "updated_at",
            ],
            ((d, "60.00", "consulted", 1, 7, 3, 5, 20, 28, "2026-01-01 00:00:00+08") for d in districts),
        )

        # Catalogue: two published versions per district; titles drawn from a pool so tokens are computed once.
        pool = []
        for _ in range(2_000):
            title = f"{rng.choice(VERBS)}{rng.choice(WORDS)}{rng.choice(WORDS)}工作"
            description = f"{rng.choice(WORDS)}、{rng.choice(WORDS)}相关事项"
            tokens = " ".join([*index_tokens(title), *index_tokens(title), *index_tokens(description)])
            pool.append((title, description, tokens))
        vid = next_id(cursor, "catalog_catalogueversion")
        iid = next_id(cursor, "catalog_catalogueitem")
        versions, items = [], []
        for district in districts:
            for number, effective in ((1, "2015-01-01"), (2, "2021-01-01")):
                versions.append(
                    (
                        vid,
                        district,
                        number,
                        "published",
                        effective,
                        f"基准清单 v{number}",
                        "",
                        "2020-12-01 00:00:00+08",
                        f"{effective} 00:00:00+08",
                    )
                )
                for n in range(p["items"]):
                    title, description, tokens = pool[rng.randrange(len(pool))]
                    lst = LISTS[n % 4]
                    items.append(
                        (
                            iid,
                            vid,
                            uuid.uuid5(uuid.NAMESPACE_URL, f"b/{district}/{n}"),
                            f"{lst[:2]}-{n}",
                            lst,
                            TYPES[n % 5],
                            f"{title}{n}",
                            description,
                            "1200.00" if lst == "assistance" else None,
                            "区卫生健康局" if lst == "assistance" else "",
                            "province" if lst == "assessments" else "",
                            2 if lst == "assessments" else None,
                            "[]",
                            "退出" if lst == "withdrawn" else "",
                            tokens,
                        )
                    )
                    iid += 1
                vid += 1
        counts["versions"] = copy(
            cursor,
            "catalog_catalogueversion",
            ["id", "district_id", "number", "state", "effective_from", "title", "note", "created_at", "published_at"],
            versions,
        )
        counts["items"] = copy(
            cursor,
            "catalog_catalogueitem",
            [
                "id",
                "version_id",
                "key",
                "code",
                "list",
                "type",
                "title",
                "description",
                "standard_funding",
                "delegating_unit",
                "issuing_level",
                "max_per_year",
                "allowed_months",
                "withdrawal_reason",
                "search_tokens",
                "source",
            ],
            ((*row, "reform") for row in items),
        )

        # One applicant user per department for the applications' created_by.
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM catalog_user")
        user_id = cursor.fetchone()[0]
        user_rows = [
            (
                user_id + n,
                f"bench-{scale}-{dept}",
                "department_staff",
                dept,
                "!",
                False,
                False,
                True,
                "2026-01-01 00:00:00+08",
                "",
                "",
                "",
            )
            for n, (dept, _d) in enumerate(departments)
        ]
        copy(
            cursor,
            "catalog_user",
            [
                "id",
                "username",
                "role",
                "unit_id",
                "password",
                "is_superuser",
                "is_staff",
                "is_active",
                "date_joined",
                "first_name",
                "last_name",
                "email",
            ],
            user_rows,
        )
        user_of = {dept: user_id + n for n, (dept, _d) in enumerate(departments)}
        dept_of = {}
        for dept, district in departments:
            dept_of.setdefault(district, dept)

        # Batches and applications with their ballots (consulting state, a batch per district).
        bid = next_id(cursor, "approvals_batch")
        batch_of = {}
        batches = []
        for district in districts:
            batches.append((bid, district, 2027, 1, "2027-01-05", "2027-01-20", "2027-01-28", "consulting", ""))
            batch_of[district] = bid
            bid += 1
        copy(
            cursor,
            "approvals_batch",
            [
                "id",
                "district_id",
                "year",
                "month",
                "intake_closes",
                "consultation_ends",
                "committee_meets",
                "state",
                "committee_minutes",
            ],
            batches,
        )
        communities_of: dict[int, list[int]] = {}
        for community, district in communities:
            communities_of.setdefault(district, []).append(community)
        aid = next_id(cursor, "approvals_application")
        ballot_rows, application_rows = [], []
        for _ in range(p["applications"]):
            district = (
                districts[min(int(rng.paretovariate(1.2)) - 1, len(districts) - 1)]
                if len(districts) > 1
                else districts[0]
            )
            dept = dept_of[district]
            title, description, _tokens = pool[rng.randrange(len(pool))]
            application_rows.append(
                (
                    aid,
                    district,
                    dept,
                    user_of[dept],
                    title,
                    description,
                    "assistance",
                    "work_task",
                    "communities",
                    "每月2个工作日",
                    "2027-03-01",
                    dept,
                    "1200.00",
                    False,
                    "",
                    "consulting",
                    batch_of[district],
                    "2026-11-20 10:00:00+08",
                )
            )
            chosen = rng.sample(communities_of[district], min(p["ballots"], len(communities_of[district])))
            for community in chosen:
                vote = rng.choice(["agree", "agree", "disagree", ""])
                ballot_rows.append(
                    (
                        aid,
                        community,
                        "2027-01-20",
                        vote,
                        "",
                        user_of[dept] if vote else None,
                        "2027-01-10 10:00:00+08" if vote else None,
                    )
                )
            aid += 1
        counts["applications"] = copy(
            cursor,
            "approvals_application",
            [
                "id",
                "district_id",
                "applicant_unit_id",
                "created_by_id",
                "title",
                "reason",
                "requested_list",
                "item_type",
                "scope",
                "workload",
                "start_date",
                "payer_id",
                "amount_per_community",
                "is_urgent",
                "urgency_justification",
                "state",
                "batch_id",
                "submitted_at",
            ],
            application_rows,
        )
        counts["ballots"] = copy(
            cursor,
            "approvals_ballot",
            ["application_id", "unit_id", "deadline", "vote", "comment", "voted_by_id", "voted_at"],
            ballot_rows,
        )

        # Contracts (one per department × 10 communities), instalments, and payments.
        cid = next_id(cursor, "funding_contract")
        inst_id = next_id(cursor, "funding_instalment")
        contract_rows, link_rows, instalment_rows = [], [], []
        instalments = []
        for dept, district in departments:
            for k, start in enumerate(range(0, len(communities_of[district]), 10)):
                chunk = communities_of[district][start : start + 10]
                contract_rows.append(
                    (
                        cid,
                        district,
                        dept,
                        f"B-{dept}-{k}",
                        uuid.uuid4(),
                        "基准协助事项",
                        "1200.00",
                        "2026-01-01",
                        "2026-12-31",
                        "in_force",
                        "",
                        user_of[dept],
                        "2026-01-01 00:00:00+08",
                        "2026-01-01 00:00:00+08",
                        "",
                    )
                )
                for community in chunk:
                    link_rows.append((cid, community))
                    for seq, due in ((1, "2026-06-30"), (2, "2026-12-31")):
                        instalment_rows.append((inst_id, cid, community, seq, due, "600000000.00", "0"))
                        instalments.append((inst_id, dept))
                        inst_id += 1
                cid += 1
                if len(contract_rows) * 10 >= max(p["payments"] // 20, 10):
                    break
        copy(
            cursor,
            "funding_contract",
            [
                "id",
                "district_id",
                "payer_id",
                "number",
                "item_key",
                "item_title",
                "amount_per_community",
                "starts_on",
                "ends_on",
                "state",
                "signed_document",
                "created_by_id",
                "created_at",
                "signed_at",
                "termination_reason",
            ],
            contract_rows,
        )
        copy(cursor, "funding_contract_communities", ["contract_id", "unit_id"], link_rows)
        copy(
            cursor,
            "funding_instalment",
            ["id", "contract_id", "community_id", "sequence", "due_on", "amount", "paid"],
            instalment_rows,
        )
        day0 = date(2026, 1, 1)
        counts["payments"] = copy(
            cursor,
            "funding_payment",
            [
                "instalment_id",
                "payer_id",
                "paid_on",
                "amount",
                "voucher",
                "voucher_key",
                "state",
                "note",
                "recorded_by_id",
                "recorded_at",
            ],
            (
                (
                    inst,
                    dept,
                    day0 + timedelta(days=n % 330),
                    "100.00",
                    f"B{scale}-{n}",
                    f"b{scale}-{n}",  # catalog.text.comparison_key of the voucher
                    "recorded",
                    "",
                    user_of[dept],
                    "2026-06-01 00:00:00+08",
                )
                for n in range(p["payments"])
                for inst, dept in [instalments[n % len(instalments)]]
            ),
        )
        # Triggers are off during the load: the stored search vectors are filled here.
        cursor.execute("UPDATE catalog_catalogueitem SET search_vector = to_tsvector('simple', search_tokens)")
        cursor.execute(
            "UPDATE funding_instalment i SET paid = s.total FROM (SELECT instalment_id, sum(amount) AS "
            "total FROM funding_payment GROUP BY instalment_id) s WHERE s.instalment_id = i.id"
        )
        reset_sequences(
            cursor,
            [
                "catalog_unit",
                "catalog_catalogueversion",
                "catalog_catalogueitem",
                "catalog_user",
                "approvals_batch",
                "approvals_application",
                "approvals_ballot",
                "funding_contract",
                "funding_instalment",
                "funding_payment",
                "catalog_districtpolicy",
                "funding_contract_communities",
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=SCALES, default="S")
    args = parser.parse_args()
    setup_django()
    print(generate(args.scale))


if __name__ == "__main__":
    main()
