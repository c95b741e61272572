"""Funding exports: CSV and XLSX that stream with constant memory, a PDF summary, OCDS-style JSON."""

import tempfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from catalog.io import csv_stream as streamed_csv
from catalog.io import safe_cell

from .models import Contract, Payment
from .selectors import FundingFigures, Obligation

PAYMENT_HEADER = [
    "凭证号",
    "付款日期",
    "金额（元）",
    "付款单位",
    "社区",
    "协议编号",
    "事项",
    "期次",
    "冲销凭证",
    "备注",
]
PAYMENT_WIDTHS = [16, 12, 14, 22, 18, 16, 36, 6, 16, 30]
CHUNK = 2000
TOTAL = "合计"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
GROUP_HEADER = {"payer": "付款单位", "community": "社区", "item": "事项"}


def payment_rows(payments: QuerySet[Payment]) -> Iterator[list]:
    """Rows straight from a server-side cursor on PostgreSQL (iterator), never the whole table in memory."""
    columns = (
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
    for row in payments.order_by("paid_on", "id").values_list(*columns).iterator(chunk_size=CHUNK):
        yield [value if isinstance(value, date) else safe_cell(value) for value in row]


def _with_total(rows: Iterator[list], width: int) -> Iterator[list]:
    """The payment lines, then (after a blank row, so that a filter or a sort leaves it alone) their total: the
    已付 of the report for the same filter."""
    total = Decimal("0")
    for row in rows:
        total += row[2]
        yield row
    yield []
    yield [TOTAL, "", total.quantize(Decimal("0.01"))] + [""] * (width - 3)


def csv_stream(payments: QuerySet[Payment]) -> Iterator[str]:
    return streamed_csv(PAYMENT_HEADER, _with_total(payment_rows(payments), len(PAYMENT_HEADER)))


def summary_header(figures: FundingFigures) -> list[str]:
    period = f"{figures.start:%Y-%m-%d}至{figures.end:%Y-%m-%d}"
    as_of = f"{figures.as_of:%Y-%m-%d}"
    return [
        GROUP_HEADER[figures.group],
        f"应付（元）：{period}到期",
        f"已付（元）：{period}付款",
        f"应付中已付（元）：截至{as_of}",
        f"未付（元）：截至{as_of}",
        f"逾期（元）：截至{as_of}",
    ]


def summary_rows(figures: FundingFigures) -> list[list]:
    keys = ("due", "paid", "settled", "outstanding", "overdue")
    rows = [[safe_cell(row["group"]), *(row[k] for k in keys)] for row in figures.rows]
    return [*rows, [TOTAL, *(figures.totals[k] for k in keys)]]


def basis_lines(figures: FundingFigures) -> list[str]:
    """What each figure counts, in the words of the page (funding/report.html says the same)."""
    period = f"{figures.start:%Y-%m-%d}至{figures.end:%Y-%m-%d}"
    as_of = f"{figures.as_of:%Y-%m-%d}"
    return [
        f"应付：到期日在{period}之间的期次金额（按到期日）。",
        f"已付：付款日期在{period}之间的付款，冲销为负数，不论所付期次何时到期（按付款日；即付款明细的合计）。",
        f"应付中已付：对上述到期的期次，截至{as_of}已付的金额（不论何时付款）。未付 = 应付 − 应付中已付。",
        f"逾期：上述期次中到期日早于{as_of}、截至{as_of}仍未付的金额。",
    ]


def summary_csv(figures: FundingFigures, *, title: str) -> Iterator[str]:
    """The summary as the page shows it: a title line, the header, one row per group, the totals, the basis."""
    header = summary_header(figures)
    lines = [*summary_rows(figures), [], *([line] for line in basis_lines(figures))]
    return streamed_csv([title], [header, *lines])


def _cell(sheet, value, number_format=None, font=None):
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if font:
        cell.font = font
    return cell


def _sheet(workbook, title: str, widths: list[int]):
    sheet = workbook.create_sheet(title)
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    return sheet


def xlsx_file(figures: FundingFigures, *, title: str):
    """A write-only workbook spooled to a temporary file: memory stays flat however many payment lines there are.

    Sheet 汇总: the title, the header, one row per group as the page shows them, the totals, the basis of each
    figure. Sheet 付款明细: the payments behind 已付 with their total. Dates are dates, money is #,##0.00, the
    header is frozen and filtered on both."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    summary = _sheet(workbook, "汇总", [28, 24, 24, 24, 20, 20])
    summary.freeze_panes = "B3"
    summary.append([_cell(summary, title, font=Font(bold=True, size=14))])
    summary.append([_cell(summary, text, font=bold) for text in summary_header(figures)])
    rows = summary_rows(figures)
    for row in rows:
        font = bold if row[0] == TOTAL else None
        summary.append([_cell(summary, row[0], font=font), *(_cell(summary, v, MONEY_FORMAT, font) for v in row[1:])])
    summary.auto_filter.ref = f"A2:F{len(rows) + 1}"  # the groups, not the totals row below them
    summary.append([])
    for line in basis_lines(figures):
        summary.append([line])

    lines = _sheet(workbook, "付款明细", PAYMENT_WIDTHS)
    lines.freeze_panes = "A2"
    lines.append([_cell(lines, text, font=bold) for text in PAYMENT_HEADER])
    count = 0
    for row in _with_total(payment_rows(figures.payments), len(PAYMENT_HEADER)):
        if not row:  # the blank row before the total closes the filtered range
            lines.auto_filter.ref = f"A1:J{count + 1}"
            lines.append([])
            continue
        count += 1
        paid_on = row[1] if isinstance(row[1], date) else None
        lines.append(
            [
                _cell(lines, row[0], font=bold if row[0] == TOTAL and paid_on is None else None),
                _cell(lines, row[1], DATE_FORMAT) if paid_on else row[1],
                _cell(lines, row[2], MONEY_FORMAT),
                *row[3:],
            ]
        )
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    workbook.save(handle)
    handle.seek(0)
    return handle


UNFUNDED_HEADER = ["区", "街道", "社区", "事项", "应出资单位（委托单位）", "每社区每年经费（元）"]
UNFUNDED_WIDTHS = [12, 18, 18, 40, 24, 20]


def unfunded_rows(obligations: list[Obligation]) -> list[list]:
    return [
        [
            safe_cell(o.district.name),
            safe_cell(o.community.parent.name if o.community.parent_id else ""),
            safe_cell(o.community.name),
            safe_cell(o.item.title),
            safe_cell(o.item.delegating_unit),
            o.item.standard_funding,
        ]
        for o in obligations
    ]


def unfunded_total(obligations: list[Obligation]) -> list:
    total = sum((o.item.standard_funding or Decimal("0") for o in obligations), Decimal("0"))
    return [TOTAL, "", f"{len(obligations)}项", "", "", total.quantize(Decimal("0.01"))]


def unfunded_csv(obligations: list[Obligation], *, title: str) -> Iterator[str]:
    return streamed_csv([title], [UNFUNDED_HEADER, *unfunded_rows(obligations), [], unfunded_total(obligations)])


def unfunded_xlsx(obligations: list[Obligation], *, title: str):
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    sheet = _sheet(workbook, "未落实经费事项", UNFUNDED_WIDTHS)
    sheet.freeze_panes = "A3"
    sheet.append([_cell(sheet, title, font=Font(bold=True, size=14))])
    sheet.append([_cell(sheet, text, font=bold) for text in UNFUNDED_HEADER])
    rows = unfunded_rows(obligations)
    for row in rows:
        sheet.append([*row[:5], _cell(sheet, row[5], MONEY_FORMAT)])
    sheet.auto_filter.ref = f"A2:F{len(rows) + 2}"
    sheet.append([])
    total = unfunded_total(obligations)
    sheet.append([*(_cell(sheet, v, font=bold) for v in total[:5]), _cell(sheet, total[5], MONEY_FORMAT, bold)])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    workbook.save(handle)
    handle.seek(0)
    return handle


def ocds(contract: Contract, *, community=None) -> dict:
    """The contract in the shape of the Open Contracting Data Standard: parties, contract, milestones, transactions.
    With `community`, only that community's part (what its secretary may see)."""
    communities = list(contract.communities.order_by("name"))
    instalments = contract.instalments.select_related("community").order_by("due_on", "community__name")
    payments = Payment.objects.filter(instalment__contract=contract).select_related("instalment__community")
    if community is not None:
        communities = [c for c in communities if c.pk == community.pk]
        instalments = instalments.filter(community=community)
        payments = payments.filter(instalment__community=community)
    instalments, payments = list(instalments), list(payments.order_by("paid_on", "id"))
    payer_id = f"unit-{contract.payer_id}"
    return {
        "ocid": f"ocds-community-access-{contract.pk}",
        "id": contract.number,
        "date": contract.created_at.isoformat(),
        "tag": ["contract", "implementation"],
        "parties": [{"id": payer_id, "name": contract.payer.name, "roles": ["buyer", "payer"]}]
        + [{"id": f"unit-{c.pk}", "name": c.name, "roles": ["supplier", "payee"]} for c in communities],
        "buyer": {"id": payer_id, "name": contract.payer.name},
        "contracts": [
            {
                "id": contract.number,
                "title": contract.item_title,
                "status": {
                    "draft": "pending",
                    "signed": "pending",
                    "in_force": "active",
                    "completed": "terminated",
                    "terminated": "cancelled",
                }[contract.state],
                "value": {"amount": str(contract.amount_per_community * len(communities)), "currency": "CNY"},
                "period": {"startDate": contract.starts_on.isoformat(), "endDate": contract.ends_on.isoformat()},
                "dateSigned": contract.signed_at.isoformat() if contract.signed_at else None,
                "milestones": [
                    {
                        "id": f"{i.community_id}-{i.sequence}",
                        "title": f"{i.community.name} 第{i.sequence}期",
                        "type": "financing",
                        "dueDate": i.due_on.isoformat(),
                        "status": "met" if i.paid >= i.amount else "scheduled",
                        "value": {"amount": str(i.amount), "currency": "CNY"},
                    }
                    for i in instalments
                ],
                "implementation": {
                    "transactions": [
                        {
                            "id": p.voucher,
                            "date": p.paid_on.isoformat(),
                            "value": {"amount": str(p.amount), "currency": "CNY"},
                            "payer": {"id": payer_id, "name": contract.payer.name},
                            "payee": {"id": f"unit-{p.instalment.community_id}", "name": p.instalment.community.name},
                        }
                        for p in payments
                    ]
                },
            }
        ],
    }
