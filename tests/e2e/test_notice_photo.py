"""拍照查一查 on a phone: a photographed notice becomes one verdict per demand, corrected, and one reply slip."""

import io

import pytest
from playwright.sync_api import expect

from bench.notices import render
from tests.catalog.test_photo import PARAGRAPHS

from .test_accessibility import _severe
from .test_journeys import assert_no_horizontal_overflow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_secretary_photographs_a_notice_corrects_it_and_prints_one_slip_on_a_phone(world, open_page, tmp_path):
    niushalu = world.unit("牛沙路社区")
    picture = tmp_path / "通知.jpg"
    out = io.BytesIO()
    render(PARAGRAPHS, width=720, size=26, margin=40).save(out, "JPEG", quality=75)
    picture.write_bytes(out.getvalue())
    page = open_page("phone")

    page.goto(f"/check/?community={niushalu.pk}")
    form = page.get_by_test_id("photo-form")
    expect(form.locator('input[type=file][capture="environment"]')).to_have_attribute("accept", "image/*")
    assert_no_horizontal_overflow(page, 390)
    form.locator('input[name="image"]').set_input_files(str(picture))
    form.locator("button[type=submit]").click()

    demands = page.get_by_test_id("demands").locator("> li")
    expect(demands).to_have_count(2, timeout=60_000)  # the reading takes a few seconds on two cores
    expect(demands.nth(0)).to_have_attribute("data-verdict", "refuse")
    expect(demands.nth(1)).to_have_attribute("data-verdict", "must_do")
    expect(page.get_by_test_id("read-text").locator("mark")).to_have_count(2)
    assert_no_horizontal_overflow(page, 390)
    assert _severe(page) == []  # the result page is reached by a POST: the page-by-page accessibility run misses it
    page.screenshot(path=str(tmp_path / "notice-phone.png"), full_page=True)

    # The secretary adds what the photo cut off; the corrected text is judged again without the picture.
    text = page.locator("textarea[name=text]")
    text.fill(text.input_value().replace("某某街道办事处", "三、组织跳广场舞比赛。\n某某街道办事处"))
    page.get_by_test_id("text-form").locator("button.primary").click()
    expect(demands).to_have_count(3)
    expect(demands.nth(2)).to_have_attribute("data-verdict", "must_do")

    # One reply slip for the whole notice.
    token = page.locator("[data-testid=text-form] input[name=csrfmiddlewaretoken]").input_value()
    response = page.request.post(
        "/check/notice/slip.pdf",
        form={"csrfmiddlewaretoken": token, "community": str(niushalu.pk), "text": text.input_value()},
        headers={"Referer": page.url},
    )
    assert response.status == 200 and response.body().startswith(b"%PDF"), response.text()[:300]
    (tmp_path / "notice-slip.pdf").write_bytes(response.body())
