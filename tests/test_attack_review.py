"""A reviewer's attacks on the newly added pieces: slips, photo check, payments, supervision API, trail."""

import io

import pytest
from django.test import Client

from catalog.models import ReplySlip

pytestmark = pytest.mark.django_db


@pytest.fixture
def community(world):
    return world.unit("牛沙路社区")


def _issue(client, community, q, **extra):
    response = client.post("/check/slip/", {"community": community.pk, "q": q, **extra})
    assert response.status_code == 303, response.content
    return ReplySlip.objects.order_by("-id").first()


# --- Slips ----------------------------------------------------------------------------------------------


def test_issuing_a_slip_needs_the_csrf_token(community):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/check/slip/", {"community": community.pk, "q": "协税"})
    assert response.status_code == 403
    assert not ReplySlip.objects.exists()


def test_markup_in_the_demanding_unit_is_shown_as_text_on_the_verification_page(client, community):
    evil = "<img src=x onerror=alert(1)>"
    slip = _issue(client, community, f"协税 {evil}", demanding_unit=evil)
    page = client.get(f"/check/slips/{slip.token}/")
    assert page.status_code == 200
    assert b"<img src=x" not in page.content


@pytest.mark.parametrize(
    "token",
    ["x", "锦江区-2026-000001", "锦江区-2026-000001:AAAA", ":" * 50, "a" * 5000, "%00", "..", "\u3000"],
)
def test_a_made_up_token_is_refused_not_a_500(client, community, token):
    response = client.get(f"/check/slips/{token}/")
    assert response.status_code in (400, 404)
    response = client.get(f"/check/slips/{token}/slip.pdf")
    assert response.status_code in (400, 404)


def test_a_slip_token_with_its_serial_changed_is_refused(client, community):
    slip = _issue(client, community, "协税")
    serial, signature = slip.token.rsplit(":", 1)
    other = serial[:-1] + ("2" if serial[-1] != "2" else "3")
    response = client.get(f"/check/slips/{other}:{signature}/")
    assert response.status_code == 400


def test_a_slip_is_verified_from_the_primary_even_where_the_check_reads_a_replica(client, community, monkeypatch):
    """/check/ may be read from a replica; a slip issued a moment ago and scanned on the demanding unit's phone
    (no pin cookie) must not be called "never issued" because a replica lags. No replica is configured here: a
    read sent to one fails, so the slip must be read on the primary. (The test's transaction would keep every read
    on the primary: the router is told there is none.)"""
    from django.db import DEFAULT_DB_ALIAS

    from catalog.slips import slip_from_token
    from config import db_router

    slip = _issue(client, community, "协税")

    class NotAtomic:
        in_atomic_block = False

    monkeypatch.setattr(db_router, "connections", {DEFAULT_DB_ALIAS: NotAtomic()})
    with db_router.reads_from("replica_1"):
        assert slip_from_token(slip.token).pk == slip.pk


# --- 拍照查一查 ---------------------------------------------------------------------------------------------


def _png_declaring(width, height) -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


@pytest.mark.parametrize("size", [(60_000, 60_000), (30_000, 10)])
def test_a_picture_declaring_a_bomb_or_broken_is_a_400_on_the_page_and_the_api(client, community, size):
    data = _png_declaring(*size)
    upload = io.BytesIO(data)
    upload.name = "bomb.png"
    response = client.post("/check/photo/", {"community": community.pk, "image": upload})
    assert response.status_code == 400, response.status_code
    upload = io.BytesIO(data)
    upload.name = "bomb.png"
    response = client.post("/api/v1/check/photo/", {"community": community.pk, "image": upload})
    assert response.status_code == 400, response.status_code


def _picture(width, height) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("size", [(1, 1), (8, 8), (1, 1600), (3000, 40)])
def test_a_tiny_or_thin_picture_is_refused_before_the_detector_blows_it_up(client, community, monkeypatch, size):
    """The detector scales a picture's short side up to 736 px: a 1 × 1 PNG of 70 bytes cost 100 s of both cores
    (an anonymous request, past the 20 s limit). It is refused from its header, the engine never started."""
    from catalog import photo

    def no_engine():
        raise AssertionError("the OCR engine was started for a picture that cannot hold a notice")

    monkeypatch.setattr(photo, "engine", no_engine)
    for url in ("/check/photo/", "/api/v1/check/photo/"):
        upload = io.BytesIO(_picture(*size))
        upload.name = "tiny.png"
        response = client.post(url, {"community": community.pk, "image": upload})
        assert response.status_code == 400, (url, response.status_code)
        assert "太小或太窄" in response.content.decode()


def test_a_photo_for_a_community_id_out_of_range_is_a_400(client):
    upload = io.BytesIO(_png_declaring(10, 10))
    upload.name = "a.png"
    response = client.post("/check/photo/", {"community": "99999999999999999999", "image": upload})
    assert response.status_code == 400


def test_the_notice_slip_for_a_missing_community_is_a_400(client):
    response = client.post("/check/notice/slip.pdf", {"community": "999999", "text": "请社区协助统计"})
    assert response.status_code == 400


# --- Odd inputs on the new readers: never a 500 ----------------------------------------------------------

ODD = "?since=2026-13-40&until=0000-00-00&unit=１２&person=%00&action=zzz&object=zzz&routine=maybe&page=-1"
ODD += "&page_size=abc&cursor=!!&community=١٢&demanding_unit=x&state=zzz&ordering=reporter&inspection=x&group=zzz"
ODD += "&start=2026-02-30&end=9999-12-31&format=zzz&mine=1&findings=1&search=%E0%A4"
ODD_PATHS = [
    "/api/v1/trail/",
    "/supervision/trail/",
    "/supervision/trail/export.csv",
    "/supervision/trail/export.xlsx",
    "/api/v1/burden-reports/",
    "/api/v1/assessments/",
    "/api/v1/inspections/",
    "/api/v1/findings/",
    "/api/v1/notices/",
    "/api/v1/payment-imports/",
    "/api/v1/funding-report/",
    "/funding/report/",
    "/funding/report/export.csv",
    "/funding/report/export.summary.csv",
    "/funding/report/export.xlsx",
    "/funding/report/export.pdf",
    "/check/",
]


@pytest.mark.parametrize("username", ["admin", "shenji", "shiju", "bumen", "shuji", "minzheng"])
def test_odd_query_strings_on_the_new_readers_are_never_a_server_error(client, world, username):
    client.force_login(world.user(username))
    for path in ODD_PATHS:
        response = client.get(path + ODD)
        assert response.status_code < 500, (path, response.status_code)


def test_a_draft_items_title_is_not_read_through_the_public_check_or_a_slip(client, world, community):
    """`?item=` names a catalogue item by id: one of the district's unpublished draft must not be judged (its
    title becomes the answer's demand, shown to anyone and kept on a signed slip)."""
    from catalog import services
    from catalog.models import CatalogueItem

    draft = services.draft_start(district=world.unit("锦江区"), actor=world.user("minzheng"))
    secret = draft.items.order_by("pk").first()
    CatalogueItem.objects.filter(pk=secret.pk).update(title="尚未公布的草案事项甲乙丙")
    page = client.get("/check/", {"community": community.pk, "item": secret.pk})
    assert "尚未公布的草案事项甲乙丙" not in page.content.decode()
    client.post("/check/slip/", {"community": community.pk, "item": secret.pk, "q": ""})
    assert not ReplySlip.objects.filter(demand__contains="尚未公布").exists()
    answer = client.get("/api/v1/check/", {"community": community.pk, "item": secret.pk})
    assert "尚未公布的草案事项甲乙丙" not in answer.content.decode()


HUGE = 10**30


@pytest.mark.parametrize(
    ("username", "url", "body"),
    [
        ("minzheng", "/api/v1/findings/", {"unit": HUGE, "kind": "unlisted_work", "description": "x"}),
        ("minzheng", "/api/v1/findings/", {"unit": -1, "kind": "unlisted_work", "description": "x", "contract": HUGE}),
        ("jiedao", "/api/v1/assessments/", {"community": HUGE, "held_on": "2026-11-01", "title": "x"}),
        ("jiedao", "/api/v1/assessments/", {"community": 1, "held_on": "2026-11-01", "item": HUGE}),
        ("bumen", "/api/v1/contracts/1/payments/", {"payments": [{"instalment": 1, "amount": "1e400"}]}),
        ("shuji", "/api/v1/burden-reports/", {"demanding_unit": HUGE, "demand": "x", "demanded_on": "2026-11-01"}),
        ("minzheng", "/api/v1/inspections/", {"unit": HUGE, "title": "x", "planned_on": "2026-11-01"}),
        ("shuji", "/api/v1/check/notice/", {"community": 1, "text": "x" * 6000}),
    ],
)
def test_huge_ids_and_numbers_in_the_new_writes_are_a_400_not_a_500(api_client, world, username, url, body):
    api_client.force_authenticate(world.user(username))
    response = api_client.post(url, body, format="json")
    assert response.status_code < 500, (url, response.status_code, response.content[:300])


# --- Burden reports: the reporter's community named in the demand ------------------------------------------


def test_the_community_named_in_an_anonymous_reports_demand_is_withheld_from_the_demanding_unit(api_client, world):
    """拍照查一查 fills a burden report with a notice's sentence, and notices name the community they are sent to
    (请牛沙路社区…): the unit must neither read the name nor find the report by searching for it."""
    from datetime import timedelta

    from django.utils import timezone

    from audits import services
    from catalog.models import Unit, User

    economy = Unit.objects.get(name="区市场监督管理局", district=world.unit("锦江区"))
    staff = User.objects.create(username="scjg-review", role="department_staff", unit=economy)
    report = services.report_submit(
        actor=world.user("shuji"),
        demanding_unit=economy,
        demand="请牛沙路社区于本周内统计辖区企业并报双桂路街道",
        demanded_on=timezone.localdate() - timedelta(days=1),
        reveal_reporter=False,
    )
    services.report_triage(report=report, actor=world.user("minzheng"), decision="ask", note="请说明依据")
    api_client.force_authenticate(staff)
    for url in (f"/api/v1/burden-reports/{report.pk}/", "/api/v1/burden-reports/"):
        text = api_client.get(url).content.decode()
        assert "牛沙路" not in text and "双桂路" not in text, url
        assert "统计辖区企业" in text
    assert api_client.get("/api/v1/burden-reports/", {"search": "牛沙路"}).json()["results"] == []
    assert len(api_client.get("/api/v1/burden-reports/", {"search": "统计辖区企业"}).json()["results"]) == 1
    api_client.force_login(staff)
    page = api_client.get(f"/supervision/reports/{report.pk}/").content.decode()
    assert "牛沙路" not in page and "统计辖区企业" in page
    listing = api_client.get("/supervision/reports/", {"q": "牛沙路"}).content.decode()
    assert f"/supervision/reports/{report.pk}/" not in listing
    # The office reads the demand as filed.
    api_client.force_authenticate(world.user("minzheng"))
    assert "请牛沙路社区" in api_client.get(f"/api/v1/burden-reports/{report.pk}/").json()["demand"]


# --- Found by the review and fixed after it: a caller's reply slips are counted -------------------------------


def test_one_address_cannot_issue_reply_slips_without_bound(client, community):
    from catalog.limits import RATES

    answers = [
        client.post("/check/slip/", {"community": community.pk, "q": f"协税 {n}"}).status_code
        for n in range(RATES["slip"][0] + 5)
    ]
    assert 429 in answers  # catalog.limits.rate_take (tests/catalog/test_rates.py holds the rule)


# --- The trail: each reader's part only -------------------------------------------------------------------


@pytest.mark.parametrize("username", ["shenji", "shiju"])
def test_the_trail_api_and_exports_hold_only_the_readers_districts(client, api_client, world, username):
    from audits.models import AuditEntry
    from catalog.models import Unit
    from catalog.selectors import district_scope_q

    reader = world.user(username)
    client.post("/check/slip/", {"community": world.unit("牛沙路社区").pk, "q": "协税"})
    client.post("/check/slip/", {"community": world.unit("商邱路社区").pk, "q": "协税"})
    mine = set(Unit.objects.districts().filter(district_scope_q(reader, field="district")).values_list("pk", flat=True))
    api_client.force_authenticate(reader)
    ids, url = [], "/api/v1/trail/?routine=1&page_size=200"
    while url:
        page = api_client.get(url).json()
        ids += [row["id"] for row in page["results"]]
        url = page["next"]
    assert ids
    districts = set(AuditEntry.objects.filter(pk__in=ids).values_list("district_id", flat=True))
    assert None not in districts and districts <= mine
    client.force_login(reader)
    export = b"".join(client.get("/supervision/trail/export.csv?routine=1").streaming_content).decode()
    rows = [line.split(",", 1)[0].lstrip("\ufeff") for line in export.splitlines()[1:]]
    exported = {int(r) for r in rows if r.isdigit()}
    assert exported and set(AuditEntry.objects.filter(pk__in=exported).values_list("district_id", flat=True)) <= mine


@pytest.mark.parametrize("size", [(3000, 120), (120, 3000), (1600, 64), (4000, 3000), (1080, 2400)])
def test_the_detector_is_never_handed_a_thin_strip(size):
    """RapidOCR scales the short side of what it detects on up to 736 px: a strip 25 times as long as wide (allowed
    by the bounds, a long screenshot) would become 736 × 18,400 pixels. It is handed at most 4 : 1, padded."""
    import numpy as np

    from catalog import photo

    class Spy:
        shapes = []

        def maybe_add_letterbox(self, image, record):
            return image, record

        def text_det(self, image):
            self.shapes.append(image.shape[:2])
            return None, 0.0

    spy = Spy()
    image = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    assert photo._detect(spy, image) == []
    (h, w) = spy.shapes[0]
    assert max(h, w) <= photo.DET_MAX_RATIO * min(h, w) + 1
    assert max(h, w) == min(photo.DET_SIDE, max(size))  # the long side as before: nothing is shrunk further
