"""拍照查一查 on the check page: the photo form, the notice's demands with their verdicts, the corrected text judged
again without the picture, and one reply slip for the notice."""

import html
import io
import re
import subprocess
from urllib.parse import unquote

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog import limits, slips
from catalog.choices import Verdict
from catalog.models import ReplySlip
from catalog.privacy import mask_personal_numbers
from tests.conftest import trail_queries

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
    # The text stays editable, with the slip for the whole notice beside it; a typed text has no picture to mark.
    assert 'name="text"' in html and 'formaction="/check/notice/slip.pdf"' in html
    assert "notice-picture" not in html


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


NOTICE = (
    "关于近期工作的通知\n各社区：\n一、请协助做好协税工作。\n二、调解邻里纠纷。\n"
    "三、请于本月底前报送辖区商铺名单，联系电话13800138000。\n某某街道办事处\n2026年11月1日"
)


def _issue_notice_slip(client, community, text=NOTICE, **extra):
    response = client.post(
        "/check/notice/slip.pdf", {"community": community.pk, "text": text, "date": "2026-11-02", **extra}
    )
    assert response.status_code == 303, response.content
    return response["Location"]


def _pdf_text(response, tmp_path) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(response.content)
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_the_notice_slip_is_issued_numbered_and_lists_exactly_the_demands_and_verdicts_shown(
    client, community, tmp_path
):
    shown = client.post("/check/notice/", {"community": community.pk, "text": NOTICE, "date": "2026-11-02"})
    demands = [(j.demand.text, j.result.verdict) for j in shown.context["result"].demands]
    assert len(demands) == 3
    url = _issue_notice_slip(client, community, demanding_unit="某某街道办事处")
    slip = ReplySlip.objects.get()
    assert slip.is_notice and slip.serial.startswith("锦江区-") and slip.demand == "关于近期工作的通知"
    assert slip.demanding_unit == "某某街道办事处" and slip.asked_on.isoformat() == "2026-11-02"
    # The slip keeps what the page showed, in its order; personal numbers masked before they are kept.
    assert [(d["text"], d["verdict"]) for d in slip.demands] == [
        (mask_personal_numbers(text), verdict) for text, verdict in demands
    ]
    assert "***" in slip.demands[2]["text"]
    text = _pdf_text(client.get(url), tmp_path)
    flat = "".join(text.split())  # table cells wrap
    assert slip.serial in text and "某某街道办事处" in flat and "牛沙路社区" in flat
    for demand in slip.demands:
        assert "".join(demand["text"].split()) in flat
    labels = [str(Verdict(v).label) for _t, v in demands]
    assert all("".join(label.split()) in flat for label in labels)
    assert "13800138000" not in flat
    verify = "http://testserver" + unquote(url).removesuffix("slip.pdf")
    assert verify in flat  # the full address printed beside the QR code


def test_the_verification_page_shows_every_demand_of_the_notice_as_issued(client, community, monkeypatch):
    url = _issue_notice_slip(client, community)
    slip = ReplySlip.objects.get()

    def no_new_judgement(**kwargs):
        raise AssertionError("the verification page must not judge the demands again")

    monkeypatch.setattr("catalog.notice.check_demand", no_new_judgement)
    monkeypatch.setattr("catalog.views.check.check_demand", no_new_judgement)
    response = client.get(url.removesuffix("slip.pdf"))
    assert response.status_code == 200
    page = response.content.decode()
    shown = re.findall(r'<li class="[^"]*" data-testid="slip-demand" data-verdict="([^"]+)">', page)
    assert shown == [d["verdict"] for d in slip.demands]
    for demand in slip.demands:
        assert html.escape(demand["text"]) in page
    assert slip.serial in page and "关于近期工作的通知" in page


def test_a_tampered_or_unknown_notice_slip_says_so(client, community):
    url = _issue_notice_slip(client, community)
    token = unquote(url.split("/")[3])
    serial, signature = token.rsplit(":", 1)
    forged = serial.replace("-000001", "-000002") + ":" + signature
    response = client.get(f"/check/slips/{forged}/")
    assert response.status_code == 400 and "此回执单无法核验" in response.content.decode()
    assert client.get(f"/check/slips/{forged}/slip.pdf").status_code == 400
    made_up = signing.Signer(salt=slips.SALT).sign(serial.replace("-000001", "-000099"))
    response = client.get(f"/check/slips/{made_up}/")
    assert response.status_code == 404 and "没有开具过编号为" in response.content.decode()


def test_a_notice_slip_takes_a_numbered_place_in_the_districts_series(client, community):
    single = client.post("/check/slip/", {"community": community.pk, "q": "协税"})
    assert single.status_code == 303
    _issue_notice_slip(client, community)
    first, second = ReplySlip.objects.order_by("sequence")
    assert (first.is_notice, second.is_notice) == (False, True)
    assert second.sequence == first.sequence + 1 and second.year == first.year


def test_a_notice_without_demands_issues_no_slip(client, community):
    client.cookies["django_language"] = "en"
    response = client.post(
        "/check/notice/slip.pdf", {"community": community.pk, "text": "关于近期工作的通知\n各社区："}
    )
    assert response.status_code == 400 and b"would answer nothing" in response.content
    assert client.post("/check/notice/slip.pdf", {"community": 999999, "text": NOTICE}).status_code == 400
    assert not ReplySlip.objects.exists()


def test_notice_slips_are_counted_with_the_reply_slips(world, settings):
    from django.test import Client

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    community = world.unit("牛沙路社区")
    client = Client()
    allowance = limits.RATES["slip"][0]
    for _ in range(allowance - 1):
        assert client.post("/check/slip/", {"community": community.pk, "q": "协税"}).status_code == 303
    assert client.post("/check/notice/slip.pdf", {"community": community.pk, "text": NOTICE}).status_code == 303
    assert client.post("/check/notice/slip.pdf", {"community": community.pk, "text": NOTICE}).status_code == 429
    assert ReplySlip.objects.count() == allowance


def test_the_corrected_text_keeps_the_marks_of_the_lines_still_there(client, community):
    from catalog import photo
    from catalog.notice import Placement, placement_token
    from catalog.photo import Line, join_lines

    rows = TEXT.split("\n")
    lines = [Line(row, (20, 10 + 50 * i, 20 + 20 * len(row), 40 + 50 * i), 0.99) for i, row in enumerate(rows)]
    reading = photo.Reading(join_lines(lines), lines, 1000, 400, 0.1, 0)
    token = placement_token(Placement.of_reading(reading))
    corrected = reading.text.replace("某某街道办事处", "三、组织跳广场舞比赛。\n某某街道办事处")
    response = client.post(
        "/check/notice/", {"community": community.pk, "text": corrected, "date": "2026-11-02", "placement": token}
    )
    page = response.content.decode()
    marks = re.findall(r'<a class="notice-mark[^"]*" id="mark-(\d+)"', page)
    assert marks == ["1", "2"]  # the typed-in third demand is not on the picture
    assert 'data-testid="notice-picture"' in page and page.count("data-needs-picture") == 3
    assert 'href="#mark-1"' in page and 'href="#mark-2"' in page and 'href="#mark-3"' not in page
    # The places go back with the corrected text, for the next correction.
    assert f'value="{token}"' in page
    # Without them (or altered), nothing is marked and the page still judges the text.
    plain = client.post("/check/notice/", {"community": community.pk, "text": corrected, "placement": token[:-3]})
    assert plain.status_code == 200 and "notice-mark" not in plain.content.decode()
    assert len(plain.context["result"].demands) == 3


def test_a_secretary_may_report_a_refusable_demand_and_attach_the_photo_there(client, world, community):
    client.force_login(world.user("shuji"))
    response = client.post("/check/notice/", {"community": community.pk, "text": TEXT, "date": "2026-11-02"})
    links = re.findall(r'href="([^"]+)" data-testid="report-burden"', response.content.decode())
    assert len(links) == 1  # the refusable demand, not the duty
    form = client.get(html.unescape(links[0])).context["form"]
    assert form.initial["demand"] == "请协助做好协税工作。"


def test_the_policy_lets_pictures_come_from_the_browsers_memory_and_nothing_else(client, community):
    response = client.post("/check/notice/", {"community": community.pk, "text": TEXT})
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    assert directives["img-src"] == ["'self'", "blob:"]  # the secretary's own photo, never sent back
    assert all("blob:" not in values for name, values in directives.items() if name != "img-src")


def test_issuing_a_notice_slip_costs_a_bounded_number_of_queries(client, community, django_assert_max_num_queries):
    # The community, the version, each demand's check (two a demand at most), the district locked, its last
    # number, the slip.
    with django_assert_max_num_queries(6 + 3 * 2 + trail_queries(3)):  # on SQLite: the slip's audit entry
        url = _issue_notice_slip(client, community)
    # Its verification page: the slip with its district, community and street, however many demands it lists.
    with django_assert_max_num_queries(3):
        assert client.get(url.removesuffix("slip.pdf")).status_code == 200
