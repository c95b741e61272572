"""The notice (全区通报) as a 公文: the red issuer line, its 文号, the title, the text and the deadline, signed."""

import re
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from audits import selectors, services
from catalog.models import Unit

pytestmark = pytest.mark.django_db


def _issue(world, title):
    unit = Unit.objects.get(name="区市场监督管理局", district=world.unit("锦江区"))
    finding = services.finding_record(
        actor=world.user("minzheng"), unit=unit, kind="withdrawn_assigned", description="下派辖区企业登记统计。"
    )
    return services.notice_issue(
        finding=finding,
        actor=world.user("minzheng"),
        title=title,
        body="要求社区开展辖区企业登记统计。\n\n该事项已列入退出清单。",
        correct_by=timezone.localdate() + timedelta(days=10),
    )


def test_the_notice_pdf_carries_its_number_title_text_and_deadline(client, world, tmp_path):
    notice = _issue(world, "关于区市场监督管理局违规下派事项的通报")
    response = client.get(f"/notices/{notice.pk}/document.pdf")  # public: a published notice
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "notice.pdf"
    path.write_bytes(response.content)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout)
    number = selectors.notice_document_number(notice)
    year = timezone.localtime(notice.published_at).year
    assert re.fullmatch(rf"锦江区社建办通〔{year}〕\d+号", number)
    assert "锦江区社区建设指导委员会办公室文件" in text and number in text
    assert notice.title in text and "要求社区开展辖区企业登记统计。" in text and "该事项已列入退出清单。" in text
    assert "区市场监督管理局" in text and f"{notice.correct_by:%Y}年{notice.correct_by.month}月" in text
    assert "现予全区通报" in text and "—1—" in text


def test_each_notice_of_the_year_takes_the_next_number_and_keeps_it(world):
    first = _issue(world, "第一份通报")
    before = selectors.notice_document_number(first)
    second = _issue(world, "第二份通报")
    n = int(re.search(r"〕(\d+)号", before).group(1))
    assert selectors.notice_document_number(second).endswith(f"〕{n + 1}号")
    assert selectors.notice_document_number(first) == before


def test_the_print_view_is_linked_from_the_notice_and_runs_under_the_csp(client, world):
    notice = _issue(world, "关于区市场监督管理局违规下派事项的通报")
    assert f'href="/notices/{notice.pk}/document/"' in client.get(f"/notices/{notice.pk}/").content.decode()
    html = client.get(f"/notices/{notice.pk}/document/").content.decode()
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert selectors.notice_document_number(notice) in html


def test_who_may_print_a_notice_follows_who_may_read_it(client, world):
    notice = _issue(world, "关于区市场监督管理局违规下派事项的通报")
    for username in [None, "shuji", "minzheng_jn", "shuji_sb"]:
        client.logout()
        if username:
            client.force_login(world.user(username))
        page = client.get(f"/notices/{notice.pk}/").status_code
        assert client.get(f"/notices/{notice.pk}/document/").status_code == page == 200
    assert client.get("/notices/999999/document.pdf").status_code == 404
