"""Catalogue rows in and out: the XLSX/CSV/JSON format that districts keep their lists in.

One column per item field; headers may be the Chinese or the English names. Reading is tolerant, meaning is
strict: the header row is found below title rows, merged cells are read as what they show, and the ways people
write months (9月, 6月、12月, 全年), amounts (3,000元, full-width digits, 0.3万元) and levels (省级, 省级以上) are
understood; what could mean two things is refused with its row and column.
"""

import csv
import dataclasses
import io
import itertools
import json
import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from xml.etree.ElementTree import iterparse

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation

from .aliases import clean_aliases, split_aliases
from .choices import IssuingLevel, ItemList, ItemType
from .text import comparison_key, normalise
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
    ("aliases", "常见说法", "common wordings"),
]
FIELDS = [field for field, _zh, _en in COLUMNS]
# Other ways districts head the same columns in their own sheets.
HEADER_SYNONYMS = {
    "code": ("编号", "序列号"),
    "list": ("清单类别", "清单类型", "所属清单"),
    "type": ("事项类型", "事项类别", "类别"),
    "title": ("事项", "名称", "工作事项", "事项名"),
    "description": ("内容", "工作内容", "具体内容", "事项内容及要求"),
    "basis_document": ("依据", "政策依据", "法律依据", "设定依据", "依据文件名称"),
    "basis_number": ("发文字号", "文件编号", "依据文号"),
    "basis_article": ("依据条款", "条款内容", "具体条款"),
    "responsible_department": ("责任单位", "主管部门", "牵头部门"),
    "delegating_unit": ("委托部门", "交办单位", "委托单位（部门）"),
    "standard_funding": ("经费", "经费标准", "经费（元）", "每社区每年经费", "经费标准（元/社区/年）", "工作经费"),
    "issuing_level": ("层级", "发文机关层级", "考核层级"),
    "max_per_year": ("每年次数", "年度次数", "次数", "频次"),
    "allowed_months": ("月份", "开展月份", "考核月份", "时间"),
    "withdrawal_reason": ("退出原因", "理由"),
    "belongs_to": ("承接单位", "应由何处承担（承接主体）", "承担主体"),
    "source_reference": ("出处",),
    "aliases": ("别名", "其他说法"),
}
HEADER_TO_FIELD = {
    comparison_key(name): field
    for field, zh, en in COLUMNS
    for name in (zh, en, field, *HEADER_SYNONYMS.get(field, ()))
}
LIST_FIELDS = {"allowed_months", "aliases"}

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
# The words that name one choice inside longer writings (社区履职清单, 台账, 省级以上 …), tried in order.
CHOICE_WORDS = {
    "list": [
        ("履职", ItemList.DUTIES),
        ("协助", ItemList.ASSISTANCE),
        ("退出", ItemList.WITHDRAWN),
        ("负面", ItemList.WITHDRAWN),
        ("考核", ItemList.ASSESSMENTS),
        ("准入", ItemList.ASSESSMENTS),
    ],
    "type": [
        ("工作", ItemType.WORK_TASK),
        ("台账", ItemType.LEDGER),
        ("报表", ItemType.LEDGER),
        ("证明", ItemType.CERTIFICATE),
        ("盖章", ItemType.CERTIFICATE),
        ("检查", ItemType.INSPECTION),
        ("评比", ItemType.INSPECTION),
        ("机构", ItemType.PLAQUE),
        ("牌子", ItemType.PLAQUE),
    ],
    "issuing_level": [
        ("国家", IssuingLevel.NATIONAL),
        ("中央", IssuingLevel.NATIONAL),
        ("国务院", IssuingLevel.NATIONAL),
        ("部委", IssuingLevel.NATIONAL),
        ("省", IssuingLevel.PROVINCE),
        ("市", IssuingLevel.CITY),
        ("区", IssuingLevel.DISTRICT),
        ("县", IssuingLevel.DISTRICT),
    ],
}
CHOICES = {"list": ItemList, "type": ItemType, "issuing_level": IssuingLevel}
LIST_PREFIXES = {  # 序号 numbered per list when a row leaves it empty
    ItemList.DUTIES: "LZ",
    ItemList.ASSISTANCE: "XZ",
    ItemList.WITHDRAWN: "TC",
    ItemList.ASSESSMENTS: "KH",
}
MAX_ROWS = 5000
MAX_COLUMNS = 100
MAX_BYTES = 5 * 1024 * 1024
HEADER_SEARCH_ROWS = 10  # title rows above the header: a district's own sheets have one to three


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
    """Nothing was imported; `errors` says what is wrong and where. `sheet` is the file as read, when it
    could be read, so that the errors can be written back into it."""

    def __init__(self, errors: list[RowError], sheet=None):
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors
        self.sheet = sheet


def header_of(field: str) -> str:
    return next(zh for f, zh, _en in COLUMNS if f == field)


# --- Reading ------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """A table as read: its rows (sheet row number, {field: raw text}), the fields its columns hold, and where
    the header is (so that errors can be marked on the cells they are about)."""

    rows: list[tuple[int, dict]]
    fields: list[str]
    header_row: int
    # header text as written → column number (1-based)
    columns: dict[str, int] = dataclasses.field(default_factory=dict)
    kind: str = "xlsx"
    data: bytes = b""


@dataclass(frozen=True)
class Layout:
    """What a kind of sheet holds: its columns (field, Chinese header, English header), the other ways people
    head them, and the fields without which a row means nothing. The catalogue's is CATALOGUE; other imports
    (funding's payment vouchers) read their own sheets with the same tolerance."""

    columns: tuple
    synonyms: dict
    required: tuple
    required_message: object  # a (lazy) translated text

    def header_of(self, field: str) -> str:
        return next(zh for f, zh, _en in self.columns if f == field)

    @cached_property
    def _by_header(self) -> dict:
        return {
            comparison_key(name): field
            for field, zh, en in self.columns
            for name in (zh, en, field, *self.synonyms.get(field, ()))
        }

    def field_of(self, text: str) -> str | None:
        return self._by_header.get(comparison_key(text).lstrip("*"))


CATALOGUE = Layout(
    columns=tuple(COLUMNS),
    synonyms=HEADER_SYNONYMS,
    required=("title", "list"),
    required_message=gettext_lazy("The columns “事项名称” (title) and “清单” (list) are required."),
)


def read_table(upload, filename: str, layout: Layout = CATALOGUE) -> Sheet:
    """Every non-empty row below the header of a CSV or XLSX file, with the fields of its columns (the
    catalogue's, or those of another `layout`)."""
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportRejected([RowError(0, "", _("The file is larger than 5 MB."))])
    name = filename.lower()
    if name.endswith(".xlsx"):
        kind, table = "xlsx", _xlsx_rows(data)
    elif name.endswith(".csv"):
        kind, table = "csv", _csv_rows(data)
    else:
        raise ImportRejected([RowError(0, "", _("Upload an .xlsx or .csv file (the template has the columns)."))])
    if not any(any(_text(v) for v in row) for row in table):
        raise ImportRejected([RowError(0, "", _("The file is empty."))])
    index, header = _find_header(table, layout)
    header_number = index + 1
    sheet = Sheet(rows=[], fields=[], header_row=header_number, kind=kind, data=data)
    fields, errors, previous = [], [], None
    for column, name in enumerate(header, start=1):
        text = _text(name)
        field = layout.field_of(text)
        if text and text == previous:  # a header cell merged across columns: read once
            fields.append(None)
            continue
        previous = text
        if text:
            sheet.columns.setdefault(text, column)
        if text and field is None:
            errors.append(RowError(header_number, text, _("Unknown column; use the headers of the template.")))
        if field and field in fields:
            errors.append(
                RowError(
                    header_number, text, _("A second column for “%(field)s”.") % {"field": layout.header_of(field)}
                )
            )
            field = None
        if field:
            sheet.columns.setdefault(layout.header_of(field), column)
        fields.append(field)
    sheet.fields = [f for f in fields if f]
    if any(required not in fields for required in layout.required):
        errors.append(RowError(header_number, "", str(layout.required_message)))
    body = table[index + 1 :]
    if len(body) > MAX_ROWS:
        errors.append(
            RowError(
                MAX_ROWS + header_number + 1, "", _("At most %(n)s rows can be imported at once.") % {"n": MAX_ROWS}
            )
        )
    if errors:
        raise ImportRejected(errors, sheet if len(body) <= MAX_ROWS else None)
    for number, values in enumerate(body, start=header_number + 1):
        row = {f: _cell_text(v) for f, v in zip(fields, values, strict=False) if f}
        if any(row.values()):
            sheet.rows.append((number, row))
    if not sheet.rows:
        raise ImportRejected([RowError(0, "", _("The file has the headers but no rows below them."))])
    return sheet


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number cell holding 3000 reads as 3000.0
    text = _text(value)
    # Our exports protect text that a spreadsheet would run as a formula with one leading apostrophe.
    if text.startswith("'") and text[1:2] and (text[1] == "'" or _starts_formula(text[1:])):
        text = text[1:]
    return text


def _header_field(text: str) -> str | None:
    return CATALOGUE.field_of(text)


def _find_header(table: list[list], layout: Layout = None) -> tuple[int, list]:
    """The header: of the first rows, the one naming most known columns; a header of two rows (a merged
    parent such as 依据 over 文件/文号/条款) is read as one, the child's name first, then parent + child."""
    field_of = (layout or CATALOGUE).field_of
    best, best_score = 0, -1
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        score = len({field_of(_text(value)) for value in row} - {None})
        if score > best_score:
            best, best_score = index, score
    header = list(table[best])
    if best > 0:
        parent = table[best - 1]
        for column, value in enumerate(header):
            above = _text(parent[column]) if column < len(parent) else ""
            if field_of(_text(value)) or not above:
                continue
            if not _text(value) and field_of(above):
                header[column] = above  # a header cell merged down over two rows
            elif field_of(above + _text(value)):
                header[column] = above + _text(value)
    return best, header


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
        return list(itertools.islice(reader, MAX_ROWS + HEADER_SEARCH_ROWS + 2))
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
    rows = [list(row) for row in itertools.islice(rows, MAX_ROWS + HEADER_SEARCH_ROWS + 2)]
    if len(rows) <= MAX_ROWS + HEADER_SEARCH_ROWS + 1:
        _fill_merged(rows, _merged_ranges(sheet))
    workbook.close()
    return rows


def _merged_ranges(sheet) -> list[str]:
    """The merged ranges of a read-only sheet (openpyxl reads them only when loading the whole workbook)."""
    ranges = []
    try:
        with sheet._get_source() as source:
            for _event, element in iterparse(source):
                if element.tag.endswith("}mergeCell"):
                    ranges.append(element.get("ref", ""))
                element.clear()
    except Exception:  # merges are a courtesy: a sheet whose XML we cannot walk is read as it is
        return []
    return ranges[:10_000]


def _fill_merged(rows: list[list], ranges: list[str]) -> None:
    """A merged cell shows its value in every cell it covers (清单 merged down over a list's rows)."""
    for ref in ranges:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if min_row > len(rows) or min_col > MAX_COLUMNS:
            continue
        top = rows[min_row - 1]
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        for r in range(min_row, min(max_row, len(rows)) + 1):
            row = rows[r - 1]
            for c in range(min_col, min(max_col, MAX_COLUMNS) + 1):
                while len(row) < c:
                    row.append(None)
                if row[c - 1] in (None, ""):
                    row[c - 1] = value


# --- Understanding the values ---------------------------------------------------------------------------

CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _foreign_digits(text: str) -> bool:
    """Digits of another script or form (², ١, ①): int() would read some of them, a person did not write them."""
    return any(unicodedata.digit(c, None) is not None and not ("0" <= c <= "9" or "０" <= c <= "９") for c in text)


def _cn_number(text: str) -> int | None:
    """1–99 written as digits or in Chinese numerals (九, 十二, 二十)."""
    if text.isascii() and text.isdigit():
        return int(text) if len(text) <= 3 else None
    if not text or any(c not in CN_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return CN_DIGITS[text] if len(text) == 1 else None
    tens, _sep, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)


MONTH_SPANS = {"全年": [], "不限": [], "不限月份": [], "上半年": list(range(1, 7)), "下半年": list(range(7, 13))}
_MONTH_SEPARATORS = re.compile(r"[、,，;；/\s和及]+")
_MONTH_RANGE = re.compile(r"^(\w+?)月?(?:-|~|～|至|到)(\w+?)月?$")


def parse_months(text: str) -> list[int] | None:
    """Months 1–12 from 9月 · 6月、12月 · 3,6,9 · 1-3月 · 十一月 · 全年 (no restriction, []); None if unclear."""
    if _foreign_digits(text):
        return None
    text = unicodedata.normalize("NFKC", text).replace("份", "").strip()
    if text in MONTH_SPANS:
        return MONTH_SPANS[text]
    months = []
    for part in _MONTH_SEPARATORS.split(text):
        if not part:
            continue
        span = _MONTH_RANGE.match(part)
        if span:
            first, last = _cn_number(span.group(1)), _cn_number(span.group(2))
            if first is None or last is None or not 1 <= first <= last <= 12:
                return None
            months.extend(range(first, last + 1))
            continue
        number = _cn_number(part.removesuffix("月"))
        if number is None or not 1 <= number <= 12:
            return None
        months.append(number)
    return sorted(set(months))


_AMOUNT = re.compile(r"^(?:人民币|¥|￥)?(\d+(?:\.\d+)?)(万)?(?:元)?(?:/(?:社区/)?年|每年)?$")


def parse_amount(text: str) -> Decimal | None:
    """Yuan from 3000 · 3,000元 · ３，０００ · ¥3000.00 · 0.3万元; None if it is not one amount."""
    text = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "").replace("，", "")
    match = _AMOUNT.match(text)
    if not match:
        return None
    try:
        amount = Decimal(match.group(1))
    except InvalidOperation:
        return None
    if match.group(2):
        amount *= 10_000
    return amount


_DATE = re.compile(r"^(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))(?:[ T]00:00(?::00)?)?$")


def parse_date(text: str) -> date | None:
    """A day from 2026-03-31 · 2026/3/31 · 2026.3.31 · 2026年3月31日 · 20260331 · ２０２６－０３－３１ · a date
    cell (read as 2026-03-31 00:00:00); None if it is not one real day."""
    if _foreign_digits(text):
        return None
    match = _DATE.match(unicodedata.normalize("NFKC", text).replace(" ", " ").strip().translate(_DATE_DASHES))
    if not match:
        return None
    year, month, day = match.group(1), match.group(2) or match.group(4), match.group(3) or match.group(5)
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


_DATE_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212\uff0d"), "-")


def parse_count(text: str) -> int | None:
    """A whole number from 2 · ２ · 2次 · 两次 · 每年2次 · 2.0 (a number cell)."""
    if _foreign_digits(text):
        return None
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
    text = text.removeprefix("每年").removeprefix("全年").removeprefix("不超过").removeprefix("最多")
    text = text.removesuffix("次").removesuffix("回")
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return _cn_number(text)


def parse_choice(kind: str, text: str):
    """The choice a writing names: the value, the label, the short name, or one word of CHOICE_WORDS."""
    folded = unicodedata.normalize("NFKC", text).strip()
    lowered = folded.lower()
    exact = SHORT_NAMES[kind].get(folded) or next(
        (c for c in CHOICES[kind] if lowered in (c.value, str(c.label).lower())), None
    )
    if exact:
        return exact
    found = {choice for word, choice in CHOICE_WORDS[kind] if word in folded}
    if kind == "issuing_level" and len(found) > 1:
        # 省级以上 names one level; "省市两级" names two and stays ambiguous. The highest named wins only where
        # the writing says "or above" (以上).
        if "以上" in folded:
            return next(choice for choice in IssuingLevel if choice in found)
        return None
    return found.pop() if len(found) == 1 else None


def parse_row(number: int, raw: dict) -> tuple[dict, list[RowError]]:
    """Typed field values of one row, and the errors found in it."""
    values, errors = {}, []

    def refuse(field, message):
        errors.append(RowError(number, header_of(field), message))

    for field, text in raw.items():
        if field in CHOICES:
            if not text:
                values[field] = ""
                continue
            choice = parse_choice(field, text)
            if choice is None:
                allowed = "、".join(SHORT_NAMES[field])
                refuse(field, _("“%(value)s” is not one of: %(allowed)s.") % {"value": text, "allowed": allowed})
            else:
                values[field] = choice.value
        elif field == "standard_funding":
            amount = parse_amount(text) if text else None
            # The column holds 12 digits, 2 of them decimals; "Infinity" and "NaN" are no amounts.
            if text and (
                amount is None or not amount.is_finite() or amount >= 10**10 or amount.as_tuple().exponent < -2
            ):
                refuse(
                    field,
                    _("“%(value)s” is not an amount in yuan ≥ 0 with at most two decimals, e.g. 3000 or 3,000元.")
                    % {"value": text},
                )
            else:
                values[field] = amount
        elif field == "max_per_year":
            count = parse_count(text) if text else None
            if text and count is None:
                refuse(field, _("“%(value)s” is not a whole number, e.g. 2 or 2次.") % {"value": text})
            else:
                values[field] = count
        elif field == "allowed_months":
            months = parse_months(text) if text else []
            if months is None:
                refuse(
                    field,
                    _("“%(value)s” must name months 1–12, e.g. 9月, 6月、12月, 3-5月 or 全年.") % {"value": text},
                )
            else:
                values[field] = months
        elif field == "aliases":
            try:
                values[field] = clean_aliases(split_aliases(text))
            except ValidationError as exc:
                for message in exc.messages:
                    refuse(field, message)
        elif field == "key":
            if text:
                try:
                    values[field] = uuid.UUID(text)
                except ValueError:
                    refuse(
                        field,
                        _("“%(value)s” is not an item key from an export; leave 编号键 empty for a new item.")
                        % {"value": text},
                    )
        else:
            values[field] = text
    return values, errors


# --- Showing values as a person writes them -------------------------------------------------------------


def months_text(months) -> str:
    return "、".join(f"{m}月" for m in months or [])


def amount_text(amount) -> str:
    return "" if amount is None else f"{Decimal(amount):,.2f}元"


def display(field: str, value) -> str:
    """A field's value as the preview and the sheets show it: 10月、11月, 3,000.00元, 履职, 省."""
    if value is None or value == "" or value == []:
        return ""
    if field == "allowed_months":
        return months_text(value)
    if field == "standard_funding":
        return amount_text(value)
    if field in LIST_FIELDS:
        return "、".join(str(v) for v in value)
    if field in SHORT_NAMES:
        labels = {v: k for k, v in SHORT_NAMES[field].items()}
        return labels.get(value, str(value))
    return str(value)


# --- Writing ------------------------------------------------------------------------------------------


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value for a spreadsheet cell (CSV or XLSX, every app's exports). Text starting with = + - @ tab or CR
    would run as a formula in Excel (CSV injection), so it gets a leading apostrophe (as does text that already
    starts with one before such a character, so that reading it back removes exactly one). Numbers stay
    numbers: a negative amount is not a formula, and a spreadsheet must still add it up."""
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
    protect = _starts_formula(text) or (text.startswith("'") and (text[1:2] == "'" or _starts_formula(text[1:])))
    return "'" + text if protect else text


def _starts_formula(text: str) -> bool:
    """Whether a spreadsheet would run `text` as a formula: = + - @ tab CR, and their full-width forms (＝＋－＠)."""
    first = text[:1]
    if not first:
        return False
    return first in FORMULA_STARTS or (not first.isascii() and normalise(first)[:1] in FORMULA_STARTS)


def item_row(item) -> list:
    row = []
    for field in FIELDS:
        value = getattr(item, field, "")
        if field == "key":
            value = str(value) if value else ""
        elif field == "standard_funding":
            value = Decimal(value) if value not in (None, "") else None
        else:
            value = display(field, value)
        row.append(safe_cell(value))
    return row


def header_row() -> list[str]:
    return [zh for _f, zh, _en in COLUMNS]


def heading_text(*, district: str, holds: str, on: date) -> str:
    """The first row of an export: whose catalogue, which version or the draft, and when it was written."""
    return _("%(district)s community work item lists · %(holds)s · exported %(date)s") % {
        "district": district,
        "holds": holds,
        "date": on.isoformat(),
    }


def export_filename(*, district: str, holds: str, on: date, ext: str) -> str:
    """锦江区_社区工作事项清单_草稿_2026-12-01.xlsx: what the file holds, readable in a folder of downloads."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "", f"{district}_{_('community work item lists')}_{holds}_{on.isoformat()}")
    return f"{safe}.{ext}"


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


def csv_lines(items, *, heading: str = "") -> Iterator[str]:
    """The import format as CSV: a heading line (what the file holds) when given, the header, one row per item."""
    writer = csv.writer(_Echo())
    if heading:
        yield "\ufeff" + writer.writerow([heading])
        yield writer.writerow(header_row())
    else:
        yield "\ufeff" + writer.writerow(header_row())
    for item in items:
        yield writer.writerow(item_row(item))


WIDTHS = {"key": 12, "code": 8, "list": 8, "type": 10, "title": 36, "description": 48, "basis_document": 30}
KEY_NOTE = "编号键让同一事项在各版本之间保持为同一事项（用于比较新旧版本）。请勿修改；新增事项请留空，系统会自动生成。"


def xlsx_bytes(items, *, title: str = "清单", heading: str = "", examples: bool = False) -> bytes:
    """A workbook in the import format: a heading row (what the file holds), the header (frozen), one row per
    item, dropdowns for 清单, 类型 and 发文层级, and a sheet of instructions in Chinese."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = re.sub(r"[\\/*?:\[\]]", "", title)[:31] or "清单"
    width = len(FIELDS)
    sheet.append([heading or title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.append(header_row())
    for column, field in enumerate(FIELDS, start=1):
        cell = sheet.cell(2, column)
        cell.font = Font(bold=True, color="808080" if field == "key" else "000000")
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = WIDTHS.get(field, 16)
    sheet.cell(2, 1).comment = Comment(KEY_NOTE, "清单系统")
    count = 0
    for item in items:
        sheet.append(item_row(item))
        count += 1
    funding = FIELDS.index("standard_funding") + 1
    for (cell,) in sheet.iter_rows(min_row=3, min_col=funding, max_col=funding):
        cell.number_format = "#,##0.00"
    sheet.freeze_panes = "C3"
    last = max(count + 2, 2) + 500  # room for new rows
    for field in ("list", "type", "issuing_level"):
        letter = get_column_letter(FIELDS.index(field) + 1)
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(SHORT_NAMES[field]) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="请从下拉列表中选择",
            error="可选：" + "、".join(SHORT_NAMES[field]),
        )
        validation.add(f"{letter}3:{letter}{last}")
        sheet.add_data_validation(validation)
    _instructions(workbook.create_sheet("填写说明"), examples=examples)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


INSTRUCTIONS = [
    ("怎样使用本表", ""),
    ("1", "第一行写明本表是哪个区、哪一版（或草稿）、导出日期；第二行是表头，请勿改动表头文字。"),
    ("2", "每行一个事项。清单、类型、发文层级请从下拉列表中选择。"),
    ("3", "编号键：让同一事项在各版本之间保持为同一事项。请勿修改或删除；新增事项请留空。"),
    ("4", "序号可留空：导入时按清单自动编号（履职 LZ-、协助 XZ-、退出 TC-、考核 KH-）。"),
    ("5", "导入后先看“将要发生的变化”，确认后才会写入草稿；草稿发布前不对外公开。"),
    ("6", "表中没有的列不会被改动；只有勾选“本表是完整清单”，表中没有的事项才会从该清单删除。"),
    ("各清单的必填项", ""),
    ("履职", "事项名称。"),
    ("协助", "委托单位、每社区每年经费（元）（谁委托谁出钱、费随事转）。"),
    ("退出", "退出理由；可填应由何处承担。"),
    ("考核", "发文层级须为省级或国家级；每年最多次数；允许月份可填，如 9月、6月、12月、3-5月、全年。"),
    ("写法", ""),
    ("金额", "3000、3,000元、0.3万元 均可。"),
    ("月份", "9月、6月、12月、3,6,9、全年（不限月份）均可。"),
    ("发文层级", "国家、省（省级、省级以上）、市、区。"),
    ("常见说法", "多个说法用“、”分隔。"),
]
EXAMPLES = [
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
        "standard_funding": Decimal("3000.00"),
    },
    {
        "code": "TC-01",
        "list": "withdrawn",
        "type": "work_task",
        "title": "招商引资",
        "withdrawal_reason": "经济职能已从社区剥离",
        "belongs_to": "区级产业功能区",
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


def _instructions(sheet, *, examples: bool) -> None:
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 90
    for label, text in INSTRUCTIONS:
        sheet.append([label, text])
        if not text:
            sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    if examples:
        sheet.append(["示例", "“清单”表中每个清单各有一行示例，导入前请删除或改写。"])


def template_xlsx() -> bytes:
    """An empty workbook with the headers, the dropdowns, the instructions and one example row per list."""
    from types import SimpleNamespace

    items = [SimpleNamespace(**{field: example.get(field, "") for field in FIELDS}) for example in EXAMPLES]
    return xlsx_bytes(items, title="导入模板", heading="社区工作事项清单 · 导入模板（每个清单一行示例）", examples=True)


# --- Errors written back into the file ------------------------------------------------------------------


ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")


def annotated_workbook(*, data: bytes, kind: str, errors: list[RowError], columns: dict[str, int]) -> bytes:
    """The uploaded file as a workbook, each wrong cell highlighted with a comment saying what is wrong (a
    row's own problem goes on its first cell). A CSV comes back as a workbook of its rows."""
    if kind == "xlsx":
        workbook = load_workbook(io.BytesIO(data))
        sheet = workbook.worksheets[0]
    else:
        workbook = Workbook()
        sheet = workbook.active
        for row in _csv_rows(data):
            sheet.append([safe_cell(v) for v in row])
    by_cell: dict[tuple[int, int], list[str]] = {}
    for error in errors:
        if not error.row:
            continue
        column = columns.get(error.column, 1)
        by_cell.setdefault((error.row, column), []).append(error.message)
    for (row, column), messages in by_cell.items():
        cell = sheet.cell(row, column)
        if type(cell).__name__ == "MergedCell":  # a covered cell of a merge: mark the merge's own cell
            for merged in sheet.merged_cells.ranges:
                if cell.coordinate in merged:
                    cell = sheet.cell(merged.min_row, merged.min_col)
                    break
        cell.fill = ERROR_FILL
        cell.comment = Comment("\n".join(messages), "清单系统", width=300, height=120)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
