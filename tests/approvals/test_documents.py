"""The gate's printed documents (GB/T 9704): the 审批表 of an application and the batch's review and decision sheet,
each a print view and a PDF, printable by exactly those who may read the application or the batch."""

import re
import subprocess

import pytest

from approvals import selectors
from approvals.models import Application, Batch

pytestmark = pytest.mark.django_db

USERS = ["minzheng", "jiedao", "bumen", "shuji", "shenji", "shiju", "minzheng_jn", "minzheng_sb"]


@pytest.fixture
def decided(world):
    """The demo's decided application of 锦江区 (tallied, reviewed, approved) and its batch."""
    from catalog.demo import load_demo

    load_demo()
    application = Application.objects.filter(
        district=world.unit("锦江区"), state="approved", pass_rate__isnull=False, batch__isnull=False
    ).first()
    return application, application.batch


def pdf_text(response, tmp_path) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "document.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", text)  # -raw: in the order drawn, cell by cell; a cell may wrap anywhere


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_application_form_pdf_holds_every_field_of_the_审批表(client, world, decided, tmp_path):
    application, _batch = decided
    client.force_login(world.user("minzheng"))
    text = pdf_text(client.get(f"/applications/{application.pk}/form.pdf"), tmp_path)
    for label in ["申请社区办理事项审批表", "申请单位", "事项名称", "申请理由", "工作量", "经费", "征求意见情况"]:
        assert label in text, label
    assert "审核意见" in text and "审批意见" in text and "（印章）" in text
    assert selectors.application_document_number(application) in text
    assert re.fullmatch(r"锦江区准入申〔\d{4}〕\d+号", selectors.application_document_number(application))
    for value in [application.applicant_unit.name, application.title, application.reason, application.workload]:
        assert flat(value) in text, value
    assert f"{application.amount_per_community:,.2f}元" in text  # 1,200.00 元
    assert f"{application.consulted_count}个单位中{application.votes_cast}个表态" in text
    assert flat(application.office_opinion) in text and flat(application.decision_minutes) in text
    assert "已批准" in text and "—1—" in text


def test_the_decision_sheet_pdf_is_the_committees_document_with_its_number(client, world, decided, tmp_path):
    application, batch = decided
    client.force_login(world.user("minzheng"))
    text = pdf_text(client.get(f"/batches/{batch.pk}/decision.pdf"), tmp_path)
    number = selectors.batch_document_number(batch)
    assert re.fullmatch(rf"锦江区社建委〔{batch.year}〕\d+号", number)
    assert "锦江区社区建设指导委员会文件" in text and number in text
    assert f"关于{batch.year}年{batch.month}月集中办理社区准入事项的审批决定" in text
    assert "各街道办事处，区级各部门：" in text
    for row in selectors.batch_decision_rows(batch):
        assert flat(row.title) in text and row.applicant_unit.name in text
        assert flat(row.get_state_display()) in text
    assert flat(application.office_opinion) in text
    assert "锦江区社区建设指导委员会" in text.split(number, 1)[1]  # signed at the end


def test_a_later_batch_of_the_year_takes_the_next_number(world, decided):
    _application, batch = decided
    later = Batch.objects.filter(district=batch.district, year=batch.year, month__gt=batch.month)
    earlier = Batch.objects.filter(district=batch.district, year=batch.year, month__lt=batch.month).count()
    assert selectors.batch_document_number(batch).endswith(f"〔{batch.year}〕{earlier + 1}号")
    for other in later:
        assert selectors.batch_document_number(other) != selectors.batch_document_number(batch)


@pytest.mark.parametrize("username", USERS)
def test_who_may_print_follows_who_may_read_the_page(client, world, decided, username):
    application, batch = decided
    client.force_login(world.user(username))
    page = client.get(f"/applications/{application.pk}/").status_code
    assert client.get(f"/applications/{application.pk}/form/").status_code == page
    assert client.get(f"/applications/{application.pk}/form.pdf").status_code == page
    page = client.get(f"/batches/{batch.pk}/").status_code
    assert client.get(f"/batches/{batch.pk}/decision/").status_code == page
    assert client.get(f"/batches/{batch.pk}/decision.pdf").status_code == page
    if username in ("minzheng_jn", "minzheng_sb"):
        assert page == 404  # another district's: existence not confirmed


def test_the_documents_need_a_login(client, decided):
    application, batch = decided
    for url in [f"/applications/{application.pk}/form/", f"/batches/{batch.pk}/decision.pdf"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_print_views_run_under_the_csp_and_are_linked_from_their_pages(client, world, decided):
    application, batch = decided
    client.force_login(world.user("minzheng"))
    for page, document in [
        (f"/applications/{application.pk}/", f"/applications/{application.pk}/form/"),
        (f"/batches/{batch.pk}/", f"/batches/{batch.pk}/decision/"),
    ]:
        assert f'href="{document}"' in client.get(page).content.decode()
        html = client.get(document).content.decode()
        assert "<script" not in html and "<style" not in html and "style=" not in html
        assert "css/document" in html and f'href="{document.removesuffix("/")}.pdf"' in html
