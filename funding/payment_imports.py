"""A paying unit's sheet of payment vouchers into its payments: a proposal first, then a decision.

The sheet is read with the catalogue import's tolerance (catalog.io: the header found below title rows, headers
in Chinese or English or a district's own words, amounts as 3,000元 or ３０００, dates as 2026/3/31 or
2026年3月31日, GBK CSV, the upload bounds of catalog.uploads). Each row names a contract of the paying unit by its
number (合同编号), a community and an instalment (期次); anything else (another unit's or district's contract, a
community the contract does not fund) is refused with its row and column.

The proposal is a dry run of the same batch that applying records (funding.payment_batches): what is confirmed
is what was checked, and applying checks it again under the locks, all or nothing. A file is recorded once: a
second upload of a file already recorded is refused, and an applied proposal cannot be applied again (409).
"""

import hashlib
import io as bytes_io
import uuid
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from catalog import io
from catalog.choices import Role, UnitKind
from catalog.io import ImportRejected, RowError
from catalog.models import User
from catalog.text import comparison_key, normalise
from catalog.transitions import StateConflict, StateMachine, Transition

from .choices import PaymentImportState as S
from .models import Contract, PaymentImport
from .payment_batches import BatchRejected, PaymentLine, payments_record_batch, where_of

LAYOUT = io.Layout(
    columns=(
        ("contract", "合同编号", "contract number"),
        ("community", "社区", "community"),
        ("sequence", "期次", "instalment"),
        ("voucher", "凭证号", "voucher number"),
        ("paid_on", "付款日期", "paid on"),
        ("amount", "金额", "amount"),
        ("note", "备注", "note"),
    ),
    synonyms={
        "contract": ("合同号", "协议编号", "协议号", "合同", "协议"),
        "community": ("社区名称", "收款社区", "收款单位", "社区居委会"),
        "sequence": ("期数", "分期", "第几期", "付款期次", "期"),
        "voucher": ("凭证编号", "凭证", "记账凭证号", "凭证号码", "付款凭证号"),
        "paid_on": ("日期", "支付日期", "付款时间", "付款日", "拨付日期"),
        "amount": ("金额（元）", "付款金额", "支付金额", "实付金额", "拨付金额", "金额(元)"),
        "note": ("说明", "摘要"),
    },
    required=("contract", "community", "voucher", "paid_on", "amount"),
    required_message=gettext_lazy(
        "The columns 合同编号, 社区, 凭证号, 付款日期 and 金额 are required (期次 too where a "
        "contract pays a community in more than one instalment)."
    ),
)
# Where a line's field is written in the sheet (its errors are marked there).
SHEET_FIELD = {"instalment": "sequence", "voucher": "voucher", "paid_on": "paid_on", "amount": "amount", "note": "note"}
NOTE_CHARS = 300

IMPORT = StateMachine(
    PaymentImport,
    {
        "apply": Transition(
            {S.PROPOSED},
            S.APPLIED,
            gettext_lazy("Record these payments"),
            confirm=gettext_lazy(
                "Record the payments listed above? A payment, once recorded, is undone only by a counter-entry."
            ),
        ),
        "cancel": Transition({S.PROPOSED}, S.CANCELLED, gettext_lazy("Cancel this import")),
    },
)


def can_import(user: User, payer=None) -> bool:
    """A paying unit's own staff import its vouchers (an administrator may decide on an import too)."""
    if not user.is_authenticated:
        return False
    if payer is None:
        return user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF) and user.unit_id is not None
    return user.role == Role.ADMIN or (
        user.role in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF) and user.unit_id == payer.pk
    )


def imports_visible_to(user: User):
    """A paying unit's staff see its imports; an administrator every one."""
    if user.is_authenticated and user.role == Role.ADMIN:
        return PaymentImport.objects.all()
    if can_import(user):
        return PaymentImport.objects.filter(payer_id=user.unit_id)
    return PaymentImport.objects.none()


def _sequence(text: str) -> int | None:
    """期次 as written: 1 · １ · 第1期 · 第一期 · 一 · 1.0 (a number cell)."""
    folded = normalise(text).replace(" ", "").removeprefix("第").removesuffix("期")
    return io.parse_count(folded)


def _lines(payer, sheet: io.Sheet) -> tuple[list[PaymentLine], list[RowError]]:
    """The rows as payment lines of the payer's instalments, and what in them could not be read."""
    contracts = {
        comparison_key(c.number): c
        for c in Contract.objects.filter(payer=payer).prefetch_related("communities", "instalments__community")
    }
    lines, errors = [], []
    for number, raw in sheet.rows:

        def refuse(field, message, number=number):
            errors.append(RowError(number, LAYOUT.header_of(field), message))

        text = {f: (raw.get(f) or "").strip() for f, _zh, _en in LAYOUT.columns}
        contract = contracts.get(comparison_key(text["contract"]))
        instalment = None
        if not text["contract"]:
            refuse("contract", _("Give the contract number (合同编号)."))
        elif contract is None:
            refuse(
                "contract",
                _("Your unit has no contract numbered “%(value)s”; payments are imported for your own contracts.")
                % {"value": text["contract"]},
            )
        else:
            funded = {comparison_key(u.name): u for u in contract.communities.all()}
            community = funded.get(comparison_key(text["community"]))
            if community is None:
                refuse(
                    "community",
                    _("Contract %(number)s does not fund a community named “%(value)s”; it funds: %(names)s.")
                    % {
                        "number": contract.number,
                        "value": text["community"],
                        "names": "、".join(sorted(funded_name.name for funded_name in funded.values())),
                    },
                )
            else:
                own = [i for i in contract.instalments.all() if i.community_id == community.pk]
                sequence = _sequence(text["sequence"]) if text["sequence"] else None
                if not text["sequence"] and len(own) == 1:
                    instalment = own[0]
                elif sequence is None:
                    refuse(
                        "sequence",
                        _("Give the instalment (期次) as a number from 1 to %(n)s, e.g. 1 or 第1期.") % {"n": len(own)},
                    )
                else:
                    instalment = next((i for i in own if i.sequence == sequence), None)
                    if instalment is None:
                        refuse(
                            "sequence",
                            _(
                                "Contract %(number)s pays %(community)s in instalments 1 to %(n)s; "
                                "there is no %(value)s."
                            )
                            % {
                                "number": contract.number,
                                "community": community.name,
                                "n": len(own),
                                "value": text["sequence"],
                            },
                        )
        amount = io.parse_amount(text["amount"]) if text["amount"] else None
        if text["amount"] and (
            amount is None or not amount.is_finite() or amount >= 10**12 or amount.as_tuple().exponent < -2
        ):
            refuse(
                "amount", _("“%(value)s” is not an amount in yuan, e.g. 600 or 3,000.00元.") % {"value": text["amount"]}
            )
            amount = None
        paid_on = io.parse_date(text["paid_on"]) if text["paid_on"] else None
        if text["paid_on"] and paid_on is None:
            refuse(
                "paid_on",
                _("“%(value)s” is not a date, e.g. 2026-03-31 or 2026年3月31日.") % {"value": text["paid_on"]},
            )
        if len(text["note"]) > NOTE_CHARS:
            refuse("note", _("A note takes at most %(n)s characters.") % {"n": NOTE_CHARS})
        where = _("Row %(row)s") % {"row": number}
        if instalment is not None:
            where = f"{where} ({instalment.contract.number} · {where_of(instalment)})"
        lines.append(
            PaymentLine(
                instalment_id=instalment.pk if instalment else None,
                amount=amount,
                paid_on=paid_on,
                voucher=text["voucher"],
                note=text["note"],
                where=where,
                row=number,
            )
        )
    return lines, errors


def _row_errors(exc: BatchRejected) -> list[RowError]:
    return [RowError(e.line.row, LAYOUT.header_of(SHEET_FIELD.get(e.field, "voucher")), e.message) for e in exc.errors]


def _stored_name(filename: str) -> str:
    return f"{uuid.uuid4().hex}.{'xlsx' if filename.lower().endswith('.xlsx') else 'csv'}"


def _save(record: PaymentImport, data: bytes) -> PaymentImport:
    with transaction.atomic():
        record.upload.save(_stored_name(record.filename), ContentFile(data), save=False)
        record.save()
    return record


def _refuse(*, payer, actor, filename, sheet, errors, digest, keep=True) -> ImportRejected:
    exc = ImportRejected(errors, sheet)
    exc.record = None
    if sheet is not None and keep:
        exc.record = _save(
            PaymentImport(
                payer=payer,
                state=S.REFUSED,
                filename=filename[:255],
                kind=sheet.kind,
                digest=digest,
                columns=sheet.columns,
                errors=[[e.row, e.column, e.message] for e in errors],
                created_by=actor,
            ),
            sheet.data,
        )
    return exc


def _applied_before(payer, digest: str) -> PaymentImport | None:
    return (
        PaymentImport.objects.filter(payer=payer, digest=digest, state=S.APPLIED).select_related("decided_by").first()
    )


def _already_applied_message(earlier: PaymentImport) -> str:
    return _(
        "This file was already recorded on %(date)s (“%(file)s”, %(count)s payments, %(total)s yuan): "
        "a file of vouchers is recorded once."
    ) % {
        "date": timezone.localtime(earlier.decided_at).strftime("%Y-%m-%d %H:%M"),
        "file": earlier.filename,
        "count": earlier.count,
        "total": f"{earlier.total:,.2f}",
    }


def import_propose(
    *, actor: User, upload, filename: str, today: date | None = None, keep_refused: bool = True
) -> PaymentImport:
    """Read a sheet of vouchers and check, by a dry run, that every row can be recorded; nothing is recorded.
    Raises ImportRejected listing every problem with its row and column; with `.record`, a refused import whose
    file can be returned marked, when the file could be read as a table and `keep_refused` (the page keeps it
    for the marked file; the API answers the errors alone)."""
    if not can_import(actor):
        raise PermissionDenied(_("Only a paying unit's staff import its payments."))
    payer = actor.unit
    if payer.kind not in (UnitKind.DEPARTMENT, UnitKind.STREET):
        raise PermissionDenied(_("Only a paying unit's staff import its payments."))
    data = upload.read(io.MAX_BYTES + 1)
    digest = hashlib.sha256(data).hexdigest()
    try:
        sheet = io.read_table(bytes_io.BytesIO(data), filename, LAYOUT)
    except ImportRejected as exc:
        raise _refuse(
            payer=payer,
            actor=actor,
            filename=filename,
            sheet=exc.sheet,
            errors=exc.errors,
            digest=digest,
            keep=keep_refused,
        ) from None
    if earlier := _applied_before(payer, digest):
        raise _refuse(
            payer=payer,
            actor=actor,
            filename=filename,
            sheet=None,
            errors=[RowError(0, "", _already_applied_message(earlier))],
            digest=digest,
        )
    lines, errors = _lines(payer, sheet)
    if not errors:
        try:
            outcome = payments_record_batch(actor=actor, payer=payer, lines=lines, today=today, dry_run=True)
        except BatchRejected as exc:
            errors = _row_errors(exc)
        else:
            if not outcome.recorded:  # a file saved again, or retyped: its vouchers are all recorded already
                errors = [RowError(0, "", _("Every voucher of this file is already recorded; nothing would be added."))]
    if errors:
        raise _refuse(
            payer=payer, actor=actor, filename=filename, sheet=sheet, errors=errors, digest=digest, keep=keep_refused
        )
    record = PaymentImport(
        payer=payer,
        filename=filename[:255],
        kind=sheet.kind,
        digest=digest,
        columns=sheet.columns,
        lines=[_stored(line) for line in outcome.lines],
        count=len(outcome.recorded),
        total=outcome.total,
        created_by=actor,
    )
    return _save(record, sheet.data)


def _stored(line: PaymentLine) -> dict:
    instalment = line.instalment
    return {
        "row": line.row,
        "instalment": line.instalment_id,
        "contract": instalment.contract.number,
        "community": instalment.community.name,
        "sequence": instalment.sequence,
        "voucher": line.voucher,
        "paid_on": line.paid_on.isoformat(),
        "amount": str(line.amount),
        "note": line.note,
        "outcome": line.outcome,  # what the dry run found: recorded · repeat · already
        "where": line.where,
    }


def stored_lines(record: PaymentImport) -> list[PaymentLine]:
    return [
        PaymentLine(
            instalment_id=row["instalment"],
            amount=Decimal(row["amount"]),
            paid_on=date.fromisoformat(row["paid_on"]),
            voucher=row["voucher"],
            note=row["note"],
            where=row["where"],
            row=row["row"],
        )
        for row in record.lines
    ]


def import_apply(*, record: PaymentImport, actor: User, today: date | None = None) -> PaymentImport:
    """Record the proposal's payments in one transaction, checked again under the locks; all or nothing. An
    import already decided, or a file recorded since by another proposal, is a conflict (409)."""
    if not can_import(actor, record.payer):
        raise PermissionDenied(_("Only the paying unit records its payments."))
    try:
        with transaction.atomic():
            record = IMPORT.begin(record, "apply")
            if earlier := _applied_before(record.payer, record.digest):
                raise StateConflict(_already_applied_message(earlier))
            outcome = payments_record_batch(actor=actor, payer=record.payer, lines=stored_lines(record), today=today)
            record.count, record.total = len(outcome.recorded), outcome.total
            record.decided_by, record.decided_at = actor, timezone.now()
            IMPORT.finish(record, "apply", actor=actor, note=outcome.summary())
    except IntegrityError as exc:  # the same file applied at the same moment by another request
        raise StateConflict(_("This file was recorded meanwhile by another import; nothing was added.")) from exc
    except BatchRejected as exc:
        raise ImportRejected(_row_errors(exc)) from None
    return record


def import_cancel(*, record: PaymentImport, actor: User) -> PaymentImport:
    if not can_import(actor, record.payer):
        raise PermissionDenied(_("Only the paying unit decides on its imports."))
    with transaction.atomic():
        record = IMPORT.begin(record, "cancel")
        record.decided_by, record.decided_at = actor, timezone.now()
        IMPORT.finish(record, "cancel", actor=actor)
    return record


def error_workbook(record: PaymentImport) -> bytes:
    """The uploaded file with each wrong cell highlighted and commented."""
    with record.upload.open("rb") as file:
        data = file.read()
    errors = [RowError(*e) for e in record.errors]
    return io.annotated_workbook(data=data, kind=record.kind, errors=errors, columns=record.columns)


INSTRUCTIONS = [
    ("怎样填写", ""),
    ("1", "每行一笔付款（一张凭证）。表头请勿改动；没有的付款不必留空行。"),
    ("合同编号", "本单位合同的编号，与合同页上的一致。"),
    ("社区", "收款社区的名称，如 牛沙路社区。"),
    ("期次", "第几期，如 1 或 第1期；合同对该社区只有一期时可留空。"),
    ("凭证号", "记账凭证号。同一凭证号只记一次付款（全角、空格写法不同也视为同一凭证）。"),
    ("付款日期", "如 2026-03-31、2026/3/31 或 2026年3月31日；须在合同期内，且不晚于今天。"),
    ("金额", "元，如 600、3,000.00元；不得超过该期尚未支付的金额。"),
    ("2", "上传后先显示将要记录的付款，确认后才记录；有任何一行有误，整张表都不记录，并标出错在哪一行哪一列。"),
]


def template_xlsx(contracts=()) -> bytes:
    """An empty sheet of vouchers with the columns, and one row per instalment still due of `contracts` (the
    paying unit's own) with the contract, community and instalment filled in, ready for the voucher numbers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "付款凭证"
    headers = [zh for _f, zh, _en in LAYOUT.columns]
    sheet.append(["付款凭证导入表（每行一笔付款）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.append(headers)
    widths = {"合同编号": 16, "社区": 18, "期次": 8, "凭证号": 16, "付款日期": 14, "金额": 14, "备注": 30}
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(2, column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.alignment = Alignment(vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = widths.get(header, 14)
    for contract in contracts:
        for instalment in contract.instalments.all():
            if instalment.paid < instalment.amount:
                sheet.append(
                    [io.safe_cell(contract.number), io.safe_cell(instalment.community.name), instalment.sequence]
                )
    for (cell,) in sheet.iter_rows(min_row=3, min_col=6, max_col=6, max_row=max(sheet.max_row, 3) + 200):
        cell.number_format = "#,##0.00"
    for (cell,) in sheet.iter_rows(min_row=3, min_col=5, max_col=5, max_row=max(sheet.max_row, 3) + 200):
        cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A3"
    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 90
    for label, text in INSTRUCTIONS:
        notes.append([label, text])
        if not text:
            notes.cell(notes.max_row, 1).font = Font(bold=True)
    buffer = bytes_io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
