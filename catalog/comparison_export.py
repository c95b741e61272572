"""The city comparison (catalog.selectors.city_comparison) as CSV and XLSX, as the page shows it: each district's
items per list and type with a totals row, and the items one district withdrew that another still assigns."""

import tempfile
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .choices import ItemList, ItemType
from .io import csv_stream, safe_cell

TOTAL = "合计"
CONFLICT_HEADER = ["撤出的区", "撤出的事项", "仍在派的区", "事项", "所在清单"]


def district_header() -> list[str]:
    return ["区", "清单版本", "生效日期", *(str(label) for _v, label in ItemList.choices)] + [
        str(label) for _v, label in ItemType.choices
    ]


def district_rows(comparison: dict) -> list[list]:
    rows = []
    for row in comparison["districts"]:
        version = row["version"]
        rows.append(
            [
                safe_cell(row["district"].name),
                f"第 {version.number} 版" if version else "—",
                version.effective_from if version else "",
                *(row["lists"][value] for value in ItemList.values),
                *(row["types"][value] for value in ItemType.values),
            ]
        )
    counts = [sum(r[n] for r in rows) for n in range(3, 3 + len(ItemList.values) + len(ItemType.values))]
    return [*rows, [TOTAL, "", "", *counts]]


def conflict_rows(comparison: dict) -> list[list]:
    return [
        [
            safe_cell(c["withdrawn_in"]),
            safe_cell(c["withdrawn"].title),
            safe_cell(c["assigned_in"]),
            safe_cell(c["assigned"].title),
            str(c["assigned"].get_list_display()),
        ]
        for c in comparison["conflicts"]
    ]


def comparison_csv(comparison: dict, *, title: str) -> Iterator[str]:
    conflicts = conflict_rows(comparison)
    return csv_stream(
        [title],
        [district_header(), *district_rows(comparison), [], ["撤出与仍在派的事项"], CONFLICT_HEADER, *conflicts],
    )


def _sheet(workbook, title: str, header: list[str], rows: list[list], *, heading: str, widths: list[int]):
    sheet = workbook.create_sheet(title)
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.freeze_panes = "B3"
    bold = Font(bold=True)
    head = WriteOnlyCell(sheet, value=heading)
    head.font = Font(bold=True, size=14)
    sheet.append([head])
    sheet.append([_bold(sheet, text, bold) for text in header])
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if hasattr(value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
            if row[0] == TOTAL:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    return sheet


def _bold(sheet, value, font):
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell


def comparison_xlsx(comparison: dict, *, title: str):
    workbook = Workbook(write_only=True)
    header = district_header()
    rows = district_rows(comparison)
    sheet = _sheet(workbook, "各区对比", header, rows, heading=title, widths=[14, 10, 12] + [10] * (len(header) - 3))
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(header))}{len(rows)}"  # the districts, not the totals
    conflicts = conflict_rows(comparison)
    sheet = _sheet(workbook, "撤出与仍在派", CONFLICT_HEADER, conflicts, heading=title, widths=[14, 36, 14, 36, 12])
    sheet.auto_filter.ref = f"A2:E{len(conflicts) + 2}"
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    workbook.save(handle)
    handle.seek(0)
    return handle
