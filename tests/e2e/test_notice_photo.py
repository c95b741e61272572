"""拍照查一查 on a phone: a photographed notice becomes one verdict per demand, each outlined on the picture, corrected,
and one numbered reply slip that its QR code's page verifies."""

import io
import os

import pytest
from PIL import Image
from playwright.sync_api import expect

from bench.notices import render_lines
from tests.catalog.test_photo import PARAGRAPHS

from .test_accessibility import _severe
from .test_journeys import assert_no_horizontal_overflow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("E2E_SCREENSHOTS", "")  # a folder to keep the screenshots in, for a person to look at


def _sideways_photo(path):
    """The notice as a phone stores a photo taken held sideways: the pixels turned, an EXIF orientation that says
    how to show it upright (6: turn 90° clockwise). Returns where each line is on the page (the picture as shown)."""
    page, lines = render_lines(PARAGRAPHS, width=720, size=26, margin=40)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    page.rotate(90, expand=True).save(out, "JPEG", quality=80, exif=exif)
    path.write_bytes(out.getvalue())
    return page.size, lines


def _centre_on_screen(image_box, size, box):
    (x0, y0, x1, y1), (w, h) = box, size
    return (
        image_box["x"] + (x0 + x1) / 2 / w * image_box["width"],
        image_box["y"] + (y0 + y1) / 2 / h * image_box["height"],
    )


def _contains(rect, point) -> bool:
    x, y = point
    return rect["x"] <= x <= rect["x"] + rect["width"] and rect["y"] <= y <= rect["y"] + rect["height"]


def _shoot(page, name, tmp_path):
    page.screenshot(path=str(tmp_path / name), full_page=True)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_secretary_photographs_a_notice_sees_each_demand_marked_corrects_it_and_issues_one_slip(
    world, open_page, tmp_path, viewport
):
    niushalu = world.unit("牛沙路社区")
    picture = tmp_path / "通知.jpg"
    size, lines = _sideways_photo(picture)
    page = open_page(viewport)
    width = page.viewport_size["width"]

    page.goto(f"/check/?community={niushalu.pk}")
    form = page.get_by_test_id("photo-form")
    expect(form.locator('input[type=file][capture="environment"]')).to_have_attribute("accept", "image/*")
    assert_no_horizontal_overflow(page, width)
    form.locator('input[name="image"]').set_input_files(str(picture))
    form.locator("button[type=submit]").click()

    demands = page.get_by_test_id("demands").locator("> li")
    expect(demands).to_have_count(2, timeout=60_000)  # the reading takes a few seconds on two cores
    expect(demands.nth(0)).to_have_attribute("data-verdict", "refuse")
    expect(demands.nth(1)).to_have_attribute("data-verdict", "must_do")
    expect(page.get_by_test_id("read-text").locator("mark")).to_have_count(2)

    # The picture the secretary chose, shown from the browser's memory, upright as the phone meant it, each demand
    # outlined over the line it was read from, with its number and verdict in words.
    figure = page.get_by_test_id("notice-picture")
    expect(figure).to_be_visible()
    image = figure.locator("img")
    assert image.evaluate("img => img.src").startswith("blob:")
    page.wait_for_function("document.querySelector('[data-notice-image]').complete")
    natural = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural[0] < natural[1]  # portrait: the EXIF orientation was applied, as the reading applied it
    marks = figure.get_by_test_id("notice-mark")
    expect(marks).to_have_count(2)
    expect(marks.nth(0)).to_contain_text("1")
    expect(marks.nth(0)).to_contain_text("可以拒绝")
    expect(marks.nth(1)).to_contain_text("2")
    image_box = image.bounding_box()
    demand_lines = {2: 0, 3: 1}  # paragraph → its demand's mark
    for index, _text, box in lines:
        centre = _centre_on_screen(image_box, size, box)
        for paragraph, mark in demand_lines.items():
            inside = _contains(marks.nth(mark).bounding_box(), centre)
            assert inside == (index == paragraph), (viewport, index, mark)
    assert_no_horizontal_overflow(page, width)
    assert _severe(page) == []  # the result page is reached by a POST: the page-by-page accessibility run misses it
    _shoot(page, f"notice-{viewport}.png", tmp_path)

    # A mark leads to its demand in the list.
    marks.nth(1).click()
    assert page.evaluate("location.hash") == "#demand-2"

    # The secretary adds what the photo cut off; the corrected text is judged again without the picture being read
    # again, and the picture stays with the marks of the lines still there. The typed-in point is not marked.
    text = page.locator("textarea[name=text]")
    text.fill(text.input_value().replace("某某街道办事处", "三、组织跳广场舞比赛。\n某某街道办事处"))
    page.get_by_test_id("text-form").locator("button.primary").click()
    expect(demands).to_have_count(3)
    expect(demands.nth(2)).to_have_attribute("data-verdict", "must_do")
    expect(figure).to_be_visible()
    expect(marks).to_have_count(2)
    expect(demands.nth(2).locator("[data-needs-picture]")).to_be_visible()
    expect(demands.nth(2).locator("[data-needs-picture] a")).to_have_count(0)
    _shoot(page, f"notice-corrected-{viewport}.png", tmp_path)

    # One numbered reply slip for the whole notice; its QR code's page lists every demand as issued.
    token = page.locator("[data-testid=text-form] input[name=csrfmiddlewaretoken]").input_value()
    fields = {"csrfmiddlewaretoken": token, "community": str(niushalu.pk), "text": text.input_value()}
    response = page.request.post("/check/notice/slip.pdf", form=fields, headers={"Referer": page.url}, max_redirects=0)
    assert response.status == 303, response.text()[:300]
    location = response.headers["location"]
    pdf = page.request.get(location)
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    page.goto(location.removesuffix("slip.pdf"))
    shown = page.get_by_test_id("slip-demand")
    expect(shown).to_have_count(3)
    assert [shown.nth(i).get_attribute("data-verdict") for i in range(3)] == ["refuse", "must_do", "must_do"]
    assert_no_horizontal_overflow(page, width)
    _shoot(page, f"notice-slip-verify-{viewport}.png", tmp_path)
