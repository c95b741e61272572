"""拍照查一查 on the check page: the photo form, the notice's demands with their verdicts, the corrected text judged
again without the picture, and one reply slip for the notice."""

import html
import io
import re
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

pytestmark = pytest.mark.django_db

TEXT = "关于近期工作的通知\n各社区：\n一、请协助做好协税工作。\n二、调解邻里纠纷。\n某某街道办事处\n2026年11月1日"


@pytest.fixture
def community(world):
    return world.unit("牛沙路社区")


def _blank_png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), "white").save(out, "PNG")
    return SimpleUploadedFile("通知.png", out.getvalue(), content_type="image/png")


def test_the_check_page_offers_the_camera(client, community):
    html = client.get("/check/", {"community": community.pk}).content.decode()
    assert 'accept="image/*" capture="environment"' in html
    assert 'action="/check/photo/"' in html and 'enctype="multipart/form-data"' in html


def test_a_corrected_text_is_judged_again_demand_by_demand(client, community, django_assert_max_num_queries):
    with django_assert_max_num_queries(4 + 3 * 2):
        response = client.post("/check/notice/", {"community": community.pk, "text": TEXT, "date": "2026-11-02"})
    assert response.status_code == 200
    verdicts = [j.result.verdict for j in response.context["result"].demands]
    assert verdicts == ["refuse", "must_do"]
    html = response.content.decode()
    assert html.count('data-verdict="refuse"') == 1 and html.count('data-verdict="must_do"') == 1
    assert "<mark" in html and "请协助做好协税工作。" in html
    # The text stays editable, with the slip for the whole notice beside it.
    assert 'name="text"' in html and 'formaction="/check/notice/slip.pdf"' in html


def test_a_picture_without_text_says_no_demand_was_found_and_keeps_nothing(client, community, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    response = client.post("/check/photo/", {"community": community.pk, "image": _blank_png()})
    assert response.status_code == 200 and response.context["result"].demands == []
    assert b'data-testid="no-demands"' in response.content
    assert list(tmp_path.iterdir()) == []  # the picture was not stored


def test_a_photo_that_cannot_be_read_says_why(client, community):
    client.cookies["django_language"] = "en"
    bad = SimpleUploadedFile("通知.jpg", b"not a picture at all", content_type="image/jpeg")
    response = client.post("/check/photo/", {"community": community.pk, "photo": bad})
    assert response.status_code == 400 and b"not a picture that can be read" in response.content
    response = client.post("/check/photo/", {"community": community.pk})
    assert response.status_code == 400 and b"Take a photo of the notice" in response.content
    response = client.post("/check/notice/", {"community": 999999, "text": TEXT})
    assert response.status_code == 400 and b"Choose the community first" in response.content


def test_one_reply_slip_lists_every_demand_with_its_verdict(client, community, tmp_path):
    response = client.post("/check/notice/slip.pdf", {"community": community.pk, "text": TEXT, "date": "2026-11-02"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = "".join(text.split())  # table cells wrap
    assert "请协助做好协税工作" in text and "调解邻里纠纷" in text
    assert "牛沙路社区" in text


def test_a_secretary_may_report_a_refusable_demand_and_attach_the_photo_there(client, world, community):
    client.force_login(world.user("shuji"))
    response = client.post("/check/notice/", {"community": community.pk, "text": TEXT, "date": "2026-11-02"})
    links = re.findall(r'href="([^"]+)" data-testid="report-burden"', response.content.decode())
    assert len(links) == 1  # the refusable demand, not the duty
    form = client.get(html.unescape(links[0])).context["form"]
    assert form.initial["demand"] == "请协助做好协税工作。"
