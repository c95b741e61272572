"""Reading a photo of a notice: bounded before decoding, upright, in reading order, lines joined into sentences.

Only two tests run the OCR engine (slow on two cores); the rest check the bounds and the layout on text and boxes.
"""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from bench.notices import render
from catalog import photo, uploads
from catalog.photo import Line, PictureRejected, join_lines

PARAGRAPHS = [
    "关于近期工作的通知",
    "各社区：",
    "一、请协助做好协税工作。",
    "二、调解邻里纠纷。",
    "某某街道办事处",
    "2026年11月1日",
]


@pytest.fixture(autouse=True)
def _english():
    """The messages are asserted in English; people read them in Chinese (below)."""
    with translation.override("en"):
        yield


def test_a_refusal_is_said_in_chinese_first():
    with translation.override("zh-hans"):
        assert "8,000 × 8,000 像素" in uploads.check_picture_bounds(_png_declaring(8_000, 8_000))


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header declares width × height pixels (a decompression bomb's shape)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def _jpeg(image, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, **kwargs)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (_png_declaring(8_000, 8_000), "8,000 × 8,000"),  # 64 million pixels: more than any notice needs
        (_png_declaring(60_000, 60_000), "more pixels than any photo"),  # beyond Pillow's own bomb limit
        (_png_declaring(30, 30_000), "30 × 30,000"),  # too tall a side
        (b"%PDF-1.7 not a picture", "not a picture"),
        (b"", "empty"),
    ],
)
def test_a_picture_too_large_or_no_picture_is_refused_before_decoding(data, words):
    message = uploads.check_picture_bounds(data)
    assert message and words in message
    with pytest.raises(PictureRejected, match=words):
        photo.open_picture(data)


def test_bytes_are_bounded_before_anything_reads_the_header():
    data = b"\xff\xd8" + b"\0" * uploads.MAX_PICTURE_BYTES
    assert "10.0 MB; at most 10 MB" in uploads.check_picture_bounds(data)


def test_the_exif_orientation_is_applied_and_a_large_photo_is_read_at_the_working_size():
    sideways = Image.new("RGB", (4000, 3000), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: the picture must be rotated 90° clockwise to stand upright
    picture = photo.open_picture(_jpeg(sideways, exif=exif))
    assert picture.size == (photo.WORK_SIDE * 3 // 4, photo.WORK_SIDE)


def _line(text, x0, y0, x1, y1):
    return Line(text, (x0, y0, x1, y1), 0.99)


def test_lines_that_reach_the_margin_run_on_and_short_or_numbered_lines_stand_alone():
    lines = [
        _line("关于开展检查的通知", 300, 10, 700, 50),  # centred heading
        _line("各社区：", 50, 80, 200, 110),
        _line("一、请于12月10日前将辖区商铺的名称、地址和", 50, 130, 1000, 160),  # wraps
        _line("联系人报送街道。", 50, 170, 400, 200),
        _line("二、组织居民开展宣传。", 50, 210, 520, 240),
        _line("某某街道办事处", 750, 300, 1000, 330),
    ]
    text = join_lines(lines)
    assert text.split("\n") == [
        "关于开展检查的通知",
        "各社区：",
        "一、请于12月10日前将辖区商铺的名称、地址和联系人报送街道。",
        "二、组织居民开展宣传。",
        "某某街道办事处",
    ]
    for line in lines:
        assert text[line.start : line.end] == line.text


def test_a_skewed_photo_keeps_its_reading_order():
    import math

    import numpy as np

    angle = math.radians(5)  # lines slope down to the right; the right half of the first line sits lower

    def box(x, y, w, h=30):
        points = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
        return np.array(
            [
                (px * math.cos(angle) - py * math.sin(angle), px * math.sin(angle) + py * math.cos(angle))
                for px, py in points
            ]
        )

    pieces = [
        (box(600, 100, 400), "第一行右半", 0.9),
        (box(50, 100, 500), "第一行左半", 0.9),
        (box(50, 150, 500), "第二行", 0.9),
    ]
    assert [line.text for line in photo._reading_order(pieces)] == ["第一行左半第一行右半", "第二行"]


@pytest.fixture(scope="module")
def notice_picture():
    return render(PARAGRAPHS, width=720, size=26, margin=40)


def test_an_upside_down_photo_reads_as_the_upright_one(notice_picture):
    upright = photo.read_picture(_jpeg(notice_picture))
    assert upright.text.split("\n") == PARAGRAPHS
    turned = photo.read_picture(_jpeg(notice_picture.rotate(180)))
    assert turned.rotated == 180 and turned.text == upright.text
    with pytest.raises(PictureRejected, match="longer than"):
        photo.read_picture(_jpeg(notice_picture), time_limit=0.01)


@pytest.mark.django_db
def test_the_photo_api_reads_the_notice_and_judges_each_demand(api_client, world, notice_picture):
    community = world.unit("牛沙路社区")
    image = SimpleUploadedFile("通知.jpg", _jpeg(notice_picture), content_type="image/jpeg")
    response = api_client.post(
        "/api/v1/check/photo/", {"image": image, "community": community.pk, "date": "2026-11-02"}, format="multipart"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["heading"] == "关于近期工作的通知" and body["signature"] == "某某街道办事处 2026年11月1日"
    assert [(d["text"], d["verdict"]) for d in body["demands"]] == [
        ("请协助做好协税工作。", "refuse"),
        ("调解邻里纠纷。", "must_do"),
    ]
    typed = api_client.get("/api/v1/check/", {"community": community.pk, "q": "调解邻里纠纷。", "date": "2026-11-02"})
    assert body["demands"][1]["candidates"] == typed.json()["candidates"]
    for demand in body["demands"]:
        assert body["text"][demand["span"]["start"] : demand["span"]["end"]] == demand["text"]
        ((x0, y0, x1, y1),) = demand["boxes"]
        assert 0 <= x0 < x1 <= body["width"] and 0 <= y0 < y1 <= body["height"]
        # On an upright picture the marks are the boxes as fractions, cut to the demand's words (not its number).
        ((left, top, right, bottom),) = demand["marks"]
        assert demand["region"] == [left, top, right, bottom]
        assert x0 / body["width"] < left < right <= x1 / body["width"] + 1e-3
        assert (top, bottom) == pytest.approx((y0 / body["height"], y1 / body["height"]), abs=1e-3)
    assert body["placement"]
    assert body["seconds"] > 0


@pytest.mark.django_db
def test_the_photo_api_says_what_is_wrong_with_the_picture(api_client, world):
    community = world.unit("牛沙路社区")
    bomb = SimpleUploadedFile("大图.png", _png_declaring(60_000, 60_000), content_type="image/png")
    response = api_client.post("/api/v1/check/photo/", {"image": bomb, "community": community.pk}, format="multipart")
    assert response.status_code == 400 and "image" in response.json()
    blank = SimpleUploadedFile("白纸.png", _png_bytes(Image.new("RGB", (60, 40), "white")), content_type="image/png")
    response = api_client.post("/api/v1/check/photo/", {"image": blank, "community": 999999}, format="multipart")
    assert response.status_code == 400 and "community" in response.json()
    blank.seek(0)
    response = api_client.post("/api/v1/check/photo/", {"image": blank, "community": community.pk}, format="multipart")
    assert response.status_code == 200 and response.json()["demands"] == [] and response.json()["text"] == ""


def _png_bytes(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
