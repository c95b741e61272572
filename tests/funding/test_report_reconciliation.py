"""The funding report reconciles: for any filter, the selector, the page, the API, both CSVs, the workbook and the
PDF show the same figures to the fen, and those figures are what their stated basis says (an oracle computed here
from the generated contracts, instalments, payments and counter-entries)."""

import csv
import io
import re
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from catalog.models import Unit
from funding import selectors
from funding.choices import ContractState, PaymentState
from funding.models import Contract, Instalment, Payment

pytestmark = pytest.mark.django_db

TODAY = date(2026, 10, 15)
YEAR_START = date(2026, 1, 1)
FEN = Decimal("0.01")
KEYS = ("due", "paid", "settled", "outstanding", "overdue")
PAYERS = ("区卫生健康局", "区民政局")
COMMUNITIES = ("牛沙路社区", "五福桥社区", "静居寺社区")
ITEMS = ("协助开展爱国卫生运动和健康教育", "协助开展养老服务补贴审核")

days = st.integers(min_value=0, max_value=(TODAY - YEAR_START).days)
money = st.integers(min_value=1, max_value=500_000).map(lambda fen: Decimal(fen) / 100)


@st.composite
def instalment_plans(draw):
    """An instalment's amount and due date, and its payments: (day paid, amount, day reversed or None)."""
    amount = draw(money)
    due = YEAR_START + timedelta(days=draw(st.integers(min_value=-40, max_value=420)))
    payments, paid = [], Decimal("0")
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if paid >= amount:
            break
        share = draw(st.integers(min_value=1, max_value=int((amount - paid) * 100))) / Decimal(100)
        on = YEAR_START + timedelta(days=draw(days))
        reversed_on = None
        if draw(st.integers(0, 2)) == 0:
            reversed_on = on + timedelta(days=draw(st.integers(min_value=0, max_value=(TODAY - on).days)))
        else:
            paid += share
        payments.append((on, share, reversed_on))
    return amount, due, payments


@st.composite
def contract_plans(draw):
    return {
        "payer": draw(st.sampled_from(PAYERS)),
        "item": draw(st.sampled_from(ITEMS)),
        "state": draw(
            st.sampled_from(
                [
                    ContractState.IN_FORCE,
                    ContractState.IN_FORCE,
                    ContractState.COMPLETED,
                    ContractState.TERMINATED,
                    ContractState.DRAFT,
                ]
            )
        ),
        "instalments": draw(
            st.lists(
                st.tuples(st.sampled_from(COMMUNITIES), instalment_plans()),
                min_size=1,
                max_size=4,
                unique_by=lambda pair: pair[0],
            )
        ),
    }


@st.composite
def filters(draw):
    start = YEAR_START + timedelta(days=draw(st.integers(min_value=-60, max_value=400)))
    end = start + timedelta(days=draw(st.integers(min_value=0, max_value=400)))
    return {
        "start": start,
        "end": end,
        "group": draw(st.sampled_from(["payer", "community", "item"])),
        "payer": draw(st.sampled_from([None, *PAYERS])),
        "community": draw(st.sampled_from([None, *COMMUNITIES])),
        "item": draw(st.sampled_from([None, "养老", "卫生", "不存在的事项"])),  # a part of the title
    }


@dataclass
class Entry:
    instalment: Instalment
    payer: str
    item: str
    community: str
    counted: bool  # in the auditor's scope and not a draft
    payments: list = field(default_factory=list)  # (paid_on, amount), counter-entries negative


def build(world, plans) -> list[Entry]:
    """The plans as rows, written as the services leave them (paid kept, a reversal a negative counter-entry), plus
    one contract in another district that a 锦江区 auditor must never count."""
    jinjiang, other = world.unit("锦江区"), Unit.objects.districts().exclude(name="锦江区").first()
    payer_user = world.user("bumen")
    entries = []
    foreign_payer = Unit.objects.filter(district=other, kind="department").first()
    foreign_community = Unit.objects.communities().filter(district=other).first()
    foreign = {
        "payer": foreign_payer,
        "item": ITEMS[0],
        "state": ContractState.IN_FORCE,
        "instalments": [
            (foreign_community, (Decimal("777.77"), date(2026, 6, 1), [(date(2026, 6, 2), Decimal("111.11"), None)]))
        ],
    }
    for n, plan in enumerate([*plans, foreign]):
        district = other if plan is foreign else jinjiang
        payer = plan["payer"] if plan is foreign else Unit.objects.get(name=plan["payer"], district=jinjiang)
        contract = Contract.objects.create(
            district=district,
            payer=payer,
            number=f"P-{n}",
            item_key=uuid.uuid4(),
            item_title=plan["item"],
            amount_per_community=Decimal("1"),
            starts_on=date(2025, 1, 1),
            ends_on=date(2027, 12, 31),
            state=plan["state"],
            created_by=payer_user,
        )
        for sequence, (community, (amount, due, payments)) in enumerate(plan["instalments"], start=1):
            if not isinstance(community, Unit):
                community = world.unit(community)
            contract.communities.add(community)
            instalment = Instalment.objects.create(
                contract=contract, community=community, sequence=sequence, due_on=due, amount=amount
            )
            entry = Entry(
                instalment,
                payer.name,
                plan["item"],
                community.name,
                counted=plan is not foreign and plan["state"] != ContractState.DRAFT,
            )
            for k, (on, share, reversed_on) in enumerate(payments):
                payment = Payment.objects.create(
                    instalment=instalment,
                    payer=payer,
                    paid_on=on,
                    amount=share,
                    voucher=f"V{n}-{sequence}-{k}",
                    recorded_by=payer_user,
                    state=PaymentState.REVERSED if reversed_on else PaymentState.RECORDED,
                )
                entry.payments.append((on, share))
                if reversed_on:
                    Payment.objects.create(
                        instalment=instalment,
                        payer=payer,
                        paid_on=reversed_on,
                        amount=-share,
                        voucher=f"V{n}-{sequence}-{k}-冲",
                        reverses=payment,
                        recorded_by=payer_user,
                        state=PaymentState.REVERSAL,
                    )
                    entry.payments.append((reversed_on, -share))
            instalment.paid = sum((a for _on, a in entry.payments), Decimal("0"))
            instalment.save(update_fields=["paid"])
            entries.append(entry)
    return entries


def oracle(entries: list[Entry], f: dict) -> dict:
    """The figures as their basis states them (funding.selectors.FundingFigures), per group and in total."""
    as_of = min(f["end"], TODAY)
    groups: dict[str, dict] = {}
    for e in entries:
        if (
            not e.counted
            or (f["payer"] and e.payer != f["payer"])
            or (f["community"] and e.community != f["community"])
            or (f["item"] and f["item"] not in e.item)
        ):
            continue
        name = {"payer": e.payer, "community": e.community, "item": e.item}[f["group"]]
        i = e.instalment
        due_in_period = f["start"] <= i.due_on <= f["end"]
        paid_in_period = sum((a for on, a in e.payments if f["start"] <= on <= f["end"]), Decimal("0"))
        by_as_of = sum((a for on, a in e.payments if on <= as_of), Decimal("0"))
        if not due_in_period and not any(f["start"] <= on <= f["end"] for on, _a in e.payments):
            continue
        g = groups.setdefault(name, dict.fromkeys(KEYS, Decimal("0")))
        g["paid"] += paid_in_period
        if due_in_period:
            g["due"] += i.amount
            g["settled"] += by_as_of
            g["outstanding"] += i.amount - by_as_of
            if i.due_on < as_of:
                g["overdue"] += i.amount - by_as_of
    totals = {key: sum((g[key] for g in groups.values()), Decimal("0")) for key in KEYS}
    return {"rows": groups, "totals": totals}


def fen(value) -> Decimal:
    return Decimal(str(value)).quantize(FEN)


def pdf_totals(content: bytes) -> list[Decimal]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        text = subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True).stdout
    return [Decimal(m.replace(",", "")) for m in re.findall(r"-?\d[\d,]*\.\d{2}", text)]


@given(plans=st.lists(contract_plans(), min_size=1, max_size=3), f=filters(), with_pdf=st.integers(0, 3))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_every_output_of_the_funding_report_agrees_to_the_fen(
    world, client, api_client, monkeypatch, plans, f, with_pdf
):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    auditor = world.user("shenji")
    client.force_login(auditor)
    api_client.force_authenticate(auditor)
    with transaction.atomic():
        entries = build(world, plans)
        expected = oracle(entries, f)
        jinjiang = world.unit("锦江区")
        query = {"start": f["start"].isoformat(), "end": f["end"].isoformat(), "group": f["group"]}
        if f["payer"]:
            query["payer"] = Unit.objects.get(name=f["payer"], district=jinjiang).pk
        if f["community"]:
            query["community"] = world.unit(f["community"]).pk
        if f["item"]:
            query["item"] = f["item"]

        # The selector, as the views call it.
        instalments = selectors.instalments_visible_to(auditor).exclude(contract__state=ContractState.DRAFT)
        if f["payer"]:
            instalments = instalments.filter(contract__payer_id=query["payer"])
        if f["community"]:
            instalments = instalments.filter(community_id=query["community"])
        if f["item"]:
            instalments = instalments.filter(contract__item_title__icontains=f["item"])
        figures = selectors.funding_figures(
            instalments=instalments, start=f["start"], end=f["end"], today=TODAY, group=f["group"]
        )
        totals = expected["totals"]
        assert figures.totals == totals
        assert {row["group"]: {k: row[k] for k in KEYS} for row in figures.rows} == expected["rows"]
        assert sum((m["due"] for m in figures.months), Decimal("0")) == totals["due"]  # the chart adds up too
        assert sum((m["paid"] for m in figures.months), Decimal("0")) == totals["paid"]

        # The page.
        page = client.get("/funding/report/", query)
        assert page.status_code == 200
        assert page.context["totals"] == totals and page.context["rows"] == figures.rows

        # The API.
        api = api_client.get("/api/v1/funding-report/", query).json()
        assert {k: Decimal(v) for k, v in api["totals"].items()} == totals
        assert {r["group"]: {k: Decimal(r[k]) for k in KEYS} for r in api["rows"]} == expected["rows"]
        assert (api["start"], api["end"], api["as_of"]) == (
            query["start"],
            query["end"],
            min(f["end"], TODAY).isoformat(),
        )

        # The payment lines (CSV): their sum and their 合计 row are 已付.
        body = b"".join(client.get("/funding/report/export.csv", query).streaming_content).decode("utf-8-sig")
        lines = list(csv.reader(io.StringIO(body)))
        assert lines[-1][0] == "合计" and Decimal(lines[-1][2]) == totals["paid"]
        assert sum((Decimal(row[2]) for row in lines[1:-2]), Decimal("0")) == totals["paid"]

        # The summary (CSV): grouped as the page, with the totals.
        body = b"".join(client.get("/funding/report/export.summary.csv", query).streaming_content).decode("utf-8-sig")
        summary = list(csv.reader(io.StringIO(body)))
        total_row = next(row for row in summary if row and row[0] == "合计")
        assert [Decimal(v) for v in total_row[1:6]] == [totals[k] for k in KEYS]
        assert len(summary[2 : summary.index(total_row)]) == len(figures.rows)

        # The workbook: the summary sheet's totals row and the lines sheet's total.
        xlsx = b"".join(client.get("/funding/report/export.xlsx", query).streaming_content)
        book = load_workbook(io.BytesIO(xlsx))
        rows = list(book["汇总"].iter_rows(values_only=True))
        xlsx_total = next(row for row in rows if row[0] == "合计")
        assert [fen(v) for v in xlsx_total[1:6]] == [totals[k] for k in KEYS]
        assert {r[0]: [fen(v) for v in r[1:6]] for r in rows[2 : rows.index(xlsx_total)]} == {
            g: [v[k] for k in KEYS] for g, v in expected["rows"].items()
        }
        lines = list(book["付款明细"].iter_rows(values_only=True))
        assert lines[-1][0] == "合计" and fen(lines[-1][2]) == totals["paid"]
        assert sum((fen(row[2]) for row in lines[1:-2]), Decimal("0")) == totals["paid"]

        # The PDF (the slowest): its totals table, as text.
        if with_pdf == 0:
            assert pdf_totals(client.get("/funding/report/export.pdf", query).content)[:5] == [totals[k] for k in KEYS]
        transaction.set_rollback(True)
