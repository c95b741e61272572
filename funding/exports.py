"""Funding exports: CSV and XLSX that stream with constant memory, a PDF summary, OCDS-style JSON."""

import tempfile
from collections.abc import Iterator

from django.db.models import QuerySet
from openpyxl import Workbook

from catalog.io import csv_stream as streamed_csv
from catalog.io import safe_cell

from .models import Contract, Payment

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
CHUNK = 2000


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
        yield [safe_cell(value) for value in row]


def csv_stream(payments: QuerySet[Payment]) -> Iterator[str]:
    return streamed_csv(PAYMENT_HEADER, payment_rows(payments))


def xlsx_file(payments: QuerySet[Payment]):
    """A write-only workbook spooled to a temporary file: memory stays flat however many rows there are."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("付款明细")
    sheet.append(PAYMENT_HEADER)
    for row in payment_rows(payments):
        sheet.append(row)
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
