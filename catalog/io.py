"""Catalogue rows in and out: the XLSX/CSV/JSON format that districts keep their lists in.

One column per item field; headers may be the Chinese or the English names. Values of list, type and issuing
level may be the Chinese short names used in the districts' own spreadsheets (履职, 台账报表, 省 …).
"""

import csv
import io
import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from .aliases import clean_aliases, split_aliases
from .choices import IssuingLevel, ItemList, ItemType
from .text import normalise
from .uploads import check_csv_bounds, check_workbook_bounds

# field, Chinese header, English header
COLUMNS = [
    ("key", "编号键", "key"),
    ("code", "序号", "code"),
    ("list", "清单", "list"),
    ("type", "类型", "type"),
    ("title", "事项名称", "title"),
    ("description", "事项内容", "description"),
    ("basis_document", "依据文件", "basis document"),
    ("basis_number", "文号", "document number"),
    ("basis_article", "条款", "article"),
    ("responsible_department", "责任部门", "responsible department"),
    ("delegating_unit", "委托单位", "delegating department"),
    ("standard_funding", "每社区每年经费（元）", "funding per community per year"),
    ("issuing_level", "发文层级", "issuing level"),
    ("max_per_year", "每年最多次数", "maximum per year"),
    ("allowed_months", "允许月份", "months allowed"),
    ("withdrawal_reason", "退出理由", "reason for withdrawal"),
    ("belongs_to", "应由何处承担", "belongs to"),
    ("source_reference", "来源", "source reference"),
    ("aliases", "常见说法", "common wordings"),  # separated by 、 or new lines
]
FIELDS = [field for field, _zh, _en in COLUMNS]
HEADER_TO_FIELD = {name.strip().lower(): field for field, zh, en in COLUMNS for name in (zh, en, field)}

SHORT_NAMES = {
    "list": {
        "履职": ItemList.DUTIES,
        "协助": ItemList.ASSISTANCE,
        "退出": ItemList.WITHDRAWN,
        "考核": ItemList.ASSESSMENTS,
    },
    "type": {
        "工作事项": ItemType.WORK_TASK,
        "台账报表": ItemType.LEDGER,
        "证明盖章": ItemType.CERTIFICATE,
        "检查评比": ItemType.INSPECTION,
        "机构牌子": ItemType.PLAQUE,
    },
    "issuing_level": {
        "国家": IssuingLevel.NATIONAL,
        "省": IssuingLevel.PROVINCE,
        "市": IssuingLevel.CITY,
        "区": IssuingLevel.DISTRICT,
    },
}
CHOICES = {"list": ItemList, "type": ItemType, "issuing_level": IssuingLevel}
MAX_ROWS = 5000
MAX_COLUMNS = 100
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        # Row 0 is the file as a whole; an empty column is the row as a whole.
        if not self.row:
            return self.message
        if not self.column:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)s, column “%(column)s”: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class ImportRejected(Exception):
    """Nothing was imported; `errors` says what is wrong and where."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def header_of(field: str) -> str:
    return next(zh for f, zh, _en in COLUMNS if f == field)


# --- Reading ------------------------------------------------------------------------------------------


def read_table(upload, filename: str) -> list[tuple[int, dict]]:
    """(row number as the user sees it, {field: raw text}) for every non-empty row of a CSV or XLSX file."""
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportRejected([RowError(0, "", _("The file is larger than 5 MB."))])
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif name.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise ImportRejected([RowError(0, "", _("Upload an .xlsx or .csv file (the template has the columns)."))])
    if not table:
        raise ImportRejected([RowError(0, "", _("The file is empty."))])
    header, *body = table
    fields, errors = [], []
    for name in header:
        field = HEADER_TO_FIELD.get(str(name or "").strip().lower())
        if name not in (None, "") and field is None:
            errors.append(RowError(1, str(name), _("Unknown column; use the headers of the template.")))
        fields.append(field)
    if "title" not in fields or "list" not in fields:
        errors.append(RowError(1, "", _("The columns “事项名称” (title) and “清单” (list) are required.")))
    if len(body) > MAX_ROWS:
        errors.append(RowError(MAX_ROWS + 2, "", _("At most %(n)s rows can be imported at once.") % {"n": MAX_ROWS}))
    if errors:
        raise ImportRejected(errors)
    rows = []
    for number, values in enumerate(body, start=2):
        row = {f: ("" if v is None else str(v).strip()) for f, v in zip(fields, values, strict=False) if f}
        if any(row.values()):
            rows.append((number, row))
    if not rows:
        raise ImportRejected([RowError(0, "", _("The file has the headers but no rows below them."))])
    return rows


def _csv_rows(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves CSV in GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected([RowError(0, "", _("The CSV file is neither UTF-8 nor GBK text."))])
    if "\x00" in text:  # the database cannot store it, and no spreadsheet writes it into a CSV
        raise ImportRejected(
            [RowError(0, "", _("The CSV file contains NUL characters, so it is not plain text; save it again as CSV."))]
        )
    if problem := check_csv_bounds(text):
        raise ImportRejected([RowError(0, "", problem)])
    reader = csv.reader(io.StringIO(text))
    try:
        # One row more than the limit is enough to refuse the file; a longer one is not read into memory.
        return list(itertools.islice(reader, MAX_ROWS + 2))
    except csv.Error as exc:  # e.g. a cell longer than the csv module's field limit
        raise ImportRejected(
            [RowError(reader.line_num, "", _("This line cannot be read as CSV (%(reason)s).") % {"reason": exc})]
        ) from exc


def _xlsx_rows(data: bytes) -> list[list]:
    if problem := check_workbook_bounds(io.BytesIO(data)):  # before openpyxl: decompression bombs
        raise ImportRejected([RowError(0, "", problem)])
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file; all mean "not a workbook"
        raise ImportRejected([RowError(0, "", _("The file is not a readable XLSX workbook."))]) from exc
    if not workbook.worksheets:
        raise ImportRejected([RowError(0, "", _("The workbook has no worksheet with rows."))])
    sheet = workbook.worksheets[0]
    # A few compressed megabytes can hold millions of rows: read one more than the limit, and no more columns
    # than a template could have, so that a workbook built to exhaust memory is refused like any other.
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    rows = [list(row) for row in itertools.islice(rows, MAX_ROWS + 2)]
    workbook.close()
    return rows


def parse_row(number: int, raw: dict) -> tuple[dict, list[RowError]]:
    """Typed field values of one row, and the errors found in it."""
    values, errors = {}, []
    for field, text in raw.items():
        column = header_of(field)
        if field in CHOICES:
            if not text:
                values[field] = ""
                continue
            choice = SHORT_NAMES[field].get(text) or next(
                (c for c in CHOICES[field] if text.lower() in (c.value, str(c.label).lower())), None
            )
            if choice is None:
                allowed = "、".join(SHORT_NAMES[field])
                errors.append(
                    RowError(
                        number,
                        column,
                        _("“%(value)s” is not one of: %(allowed)s.") % {"value": text, "allowed": allowed},
                    )
                )
            else:
                values[field] = choice.value
        elif field == "standard_funding":
            try:
                values[field] = Decimal(text.replace(",", "")) if text else None
                if values[field] is not None and (
                    not values[field].is_finite()
                    or not 0 <= values[field] < 10**10  # the column holds 12 digits, 2 of them decimals
                    or values[field].as_tuple().exponent < -2
                ):
                    raise InvalidOperation
            except InvalidOperation:
                errors.append(
                    RowError(
                        number,
                        column,
                        _("“%(value)s” is not an amount in yuan ≥ 0 with at most two decimals.") % {"value": text},
                    )
                )
        elif field == "max_per_year":
            if text and not (text.isascii() and text.isdigit() and len(text) <= 9):  # "²".isdigit() is True
                errors.append(RowError(number, column, _("“%(value)s” is not a whole number.") % {"value": text}))
            else:
                values[field] = int(text) if text else None
        elif field == "allowed_months":
            parts = [p for p in text.replace("、", ",").replace("，", ",").split(",") if p.strip()]
            if any(not (p.strip().isascii() and p.strip().isdigit() and 1 <= int(p) <= 12) for p in parts):
                errors.append(
                    RowError(number, column, _("“%(value)s” must list months 1–12, e.g. 3,6,9.") % {"value": text})
                )
            else:
                values[field] = [int(p) for p in parts]
        elif field == "aliases":
            try:
                values[field] = clean_aliases(split_aliases(text))
            except ValidationError as exc:
                errors.extend(RowError(number, column, message) for message in exc.messages)
        elif field == "key":
            if text:
                try:
                    values[field] = uuid.UUID(text)
                except ValueError:
                    errors.append(
                        RowError(number, column, _("“%(value)s” is not an item key from an export.") % {"value": text})
                    )
        else:
            values[field] = text
    return values, errors


# --- Writing ------------------------------------------------------------------------------------------


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value for a spreadsheet cell (CSV or XLSX, every app's exports). Text starting with = + - @ tab or CR
    would run as a formula in Excel (CSV injection), so it gets a leading apostrophe. Numbers stay numbers: a
    negative amount is not a formula, and a spreadsheet must still add it up."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    if isinstance(value, list):
        text = ",".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = str(value)
    first = text[:1] if text[:1].isascii() else normalise(text[:1])[:1]  # full-width ＝＋－＠ run as formulas too
    return "'" + text if first and first in FORMULA_STARTS else text


def item_row(item) -> list[str]:
    labels = {kind: {v: k for k, v in names.items()} for kind, names in SHORT_NAMES.items()}
    row = []
    for field in FIELDS:
        value = getattr(item, field)
        if field in labels:
            value = labels[field].get(value, value)
        elif field == "aliases":
            value = "、".join(value or [])
        row.append(safe_cell(value))
    return row


def header_row() -> list[str]:
    return [zh for _f, zh, _en in COLUMNS]


class _Echo:
    def write(self, value):
        return value


def csv_stream(header: list[str], rows) -> Iterator[str]:
    """CSV lines one at a time, for a streaming response (constant memory), with a BOM so that Excel reads
    UTF-8. Every app's CSV export goes through here."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def csv_lines(items) -> Iterator[str]:
    return csv_stream(header_row(), (item_row(item) for item in items))


def xlsx_bytes(items, *, title: str = "清单") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header_row())
    for item in items:
        sheet.append(item_row(item))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_xlsx() -> bytes:
    """An empty workbook with the headers and one example row per list."""
    from types import SimpleNamespace

    examples = [
        {
            "code": "LZ-01",
            "list": "duties",
            "type": "work_task",
            "title": "召开居民会议和居民代表会议",
            "basis_document": "中华人民共和国城市居民委员会组织法",
            "basis_article": "第九条",
        },
        {
            "code": "XZ-01",
            "list": "assistance",
            "type": "work_task",
            "title": "协助做好最低生活保障对象的调查核实",
            "delegating_unit": "区民政局",
            "standard_funding": "3000.00",
        },
        {
            "code": "TC-01",
            "list": "withdrawn",
            "type": "work_task",
            "title": "招商引资",
            "withdrawal_reason": "经济职能已从社区剥离",
            "belongs_to": "区级产业功能区",
            "aliases": ["拉投资", "引进企业任务"],
        },
        {
            "code": "KH-01",
            "list": "assessments",
            "type": "inspection",
            "title": "省级文明社区测评",
            "issuing_level": "province",
            "max_per_year": 1,
            "allowed_months": [11],
        },
    ]
    items = [SimpleNamespace(**{field: example.get(field, "") for field in FIELDS}) for example in examples]
    return xlsx_bytes(items, title="导入模板")
