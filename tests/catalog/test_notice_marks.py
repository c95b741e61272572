"""Each demand of a photographed notice marked on the picture as the person sees it, however the photo was turned,
and kept by its characters when the secretary corrects the text.

The notices are rendered by bench/notices.py with the places of their lines known; the picture is turned the ways
a phone gives it (held sideways or upside down, or stored sideways with an EXIF orientation the browser applies), and
each demand's marks must contain the places of its lines on the picture as shown, and no other demand's line.
"""

import io
from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from bench.notices import render_lines
from catalog import photo
from catalog.notice import Placement, check_notice, placement_from_token, placement_token, split_notice
from catalog.photo import Line, join_lines, turned_back

ON = date(2026, 11, 2)
PARAGRAPHS = [
    "关于近期工作的通知",
    "各社区：",
    "一、请协助做好协税工作，并于本月底前将辖区企业纳税情况统计表报送街道经济科。",  # wraps onto two lines
    "二、调解邻里纠纷。",
    "三、组织居民开展防诈骗宣传活动。",
    "某某街道办事处",
    "2026年11月1日",
]
DEMAND_PARAGRAPHS = [2, 3, 4]


def _ccw(point, quarters: int):
    """Where a point at fractions (u, v) of a picture is once Pillow turns the picture `quarters` quarters
    counter-clockwise (Image.rotate(90 * quarters, expand=True))."""
    u, v = point
    for _ in range(quarters % 4):
        u, v = v, 1 - u
    return u, v


def test_the_tests_turn_is_pillows():
    """The expected places below are only as good as _ccw: a red dot, turned by Pillow, lands where it says."""
    for quarters in range(4):
        image = Image.new("RGB", (300, 200), "white")
        image.putpixel((240, 50), (255, 0, 0))  # at (0.8, 0.25)
        turned = image.rotate(90 * quarters, expand=True)
        (x, y) = next(
            (x, y) for x in range(turned.width) for y in range(turned.height) if turned.getpixel((x, y))[1] < 100
        )
        u, v = _ccw((240.5 / 300, 50.5 / 200), quarters)
        assert abs(x + 0.5 - u * turned.width) <= 1 and abs(y + 0.5 - v * turned.height) <= 1


def _jpeg(image, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, **kwargs)
    return out.getvalue()


@pytest.fixture(scope="module")
def rendered():
    return render_lines(PARAGRAPHS, width=720, size=26, margin=40)


def _centre_shown(box, size, quarters):
    (x0, y0, x1, y1), (w, h) = box, size
    return _ccw(((x0 + x1) / 2 / w, (y0 + y1) / 2 / h), quarters)


def _inside(point, region) -> bool:
    u, v = point
    left, top, right, bottom = region
    return left <= u <= right and top <= v <= bottom


# (how the file is made, how far the picture a person sees is turned from the page, counter-clockwise)
TURNS = {
    "upright": (lambda p: _jpeg(p), 0),
    "held sideways": (lambda p: _jpeg(p.rotate(90, expand=True)), 1),
    "upside down": (lambda p: _jpeg(p.rotate(180, expand=True)), 2),
    "held sideways the other way": (lambda p: _jpeg(p.rotate(270, expand=True)), 3),
    # Stored sideways with EXIF orientation 6 ("turn 90° clockwise to show"): the person sees the page upright.
    "stored sideways, EXIF upright": (lambda p: _jpeg(p.rotate(90, expand=True), exif=_orientation(6)), 0),
}


def _orientation(value):
    exif = Image.Exif()
    exif[0x0112] = value
    return exif


@pytest.mark.django_db
@pytest.mark.parametrize("turn", list(TURNS))
def test_each_demand_is_marked_where_its_lines_are_on_the_picture_as_shown(world, rendered, turn):
    image, lines = rendered
    make, quarters = TURNS[turn]
    reading = photo.read_picture(make(image), time_limit=120)  # the rule is the place, not the speed
    result = check_notice(community=world.unit("牛沙路社区"), on=ON, text=reading.text, reading=reading)
    assert len(result.demands) == len(DEMAND_PARAGRAPHS), reading.text
    for judged, paragraph in zip(result.demands, DEMAND_PARAGRAPHS, strict=True):
        assert judged.marks and judged.region is not None
        for index, _text, box in lines:
            centre = _centre_shown(box, image.size, quarters)
            if index == paragraph:
                # Every line of the demand is inside one of its marks, and so inside its region.
                assert any(_inside(centre, mark) for mark in judged.marks), (turn, judged.demand.text, centre)
                assert _inside(centre, judged.region)
            else:
                assert not any(_inside(centre, mark) for mark in judged.marks), (turn, judged.demand.text, index)
    # A wrapped demand has a mark for each of its lines.
    assert len(result.demands[0].marks) == sum(1 for index, _t, _b in lines if index == DEMAND_PARAGRAPHS[0])


def _reading(paragraph_lines: list[list[str]], rotated: int = 0):
    """A reading without a picture: each paragraph's lines, one under the other, 20 px a character."""
    lines, y = [], 10
    for paragraph in paragraph_lines:
        for k, text in enumerate(paragraph):
            last = k == len(paragraph) - 1
            # Wrapped lines reach the right margin (1,000 px); a paragraph's last line ends where its text does.
            lines.append(Line(text, (20, y, 1000 if not last else 20 + 20 * len(text), y + 30), 0.99))
            y += 50
    text = join_lines(lines)
    return photo.Reading(text, lines, 1020, y + 10, 0.1, rotated)


def test_two_sentences_on_one_line_are_each_marked_on_their_own_part_of_it():
    reading = _reading(
        [["关于近期工作的通知"], ["各社区："], ["请报送辖区商铺名单。请组织居民开展宣传。"], ["某某街道办事处"]]
    )
    placement = Placement.of_reading(reading)
    notice = split_notice(reading.text)
    first, second = placement.marks(reading.text, notice.demands)
    ((l1, t1, r1, b1),) = first
    ((l2, t2, r2, b2),) = second
    assert (t1, b1) == (t2, b2) and l1 < r1 <= l2 < r2  # side by side on the one line, not overlapping
    # Ten characters, then ten: the first's words end one character (its 。) before the second begins.
    assert l2 - r1 == pytest.approx((r2 - l1) / 19, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(
    # Two alphabets apart: the added point shares no character with what was read.
    points=st.lists(
        st.text(alphabet="请报送名单组织居民宣传统计表格街道", min_size=4, max_size=40),
        min_size=2,
        max_size=5,
        unique=True,
    ),
    added=st.text(alphabet="开展防诈骗活动社区", min_size=3, max_size=20),
    at=st.integers(min_value=0, max_value=5),
    fixed=st.integers(min_value=0, max_value=200),
    rotated=st.sampled_from([0, 90, 180, 270]),
)
def test_a_corrected_text_keeps_the_marks_of_what_is_still_there_and_marks_nothing_typed_in(
    points, added, at, fixed, rotated
):
    numbered = [f"{i + 1}.{p}。" for i, p in enumerate(points)]
    # Each point on one or two lines, as a page wraps it.
    paragraphs = [[p] if len(p) <= 12 else [p[:12], p[12:]] for p in numbered]
    reading = _reading([["关于近期工作的通知"], ["各社区："], *paragraphs, ["某某街道办事处"]], rotated)
    placement = placement_from_token(placement_token(Placement.of_reading(reading)))  # as the page carries it
    original = split_notice(reading.text)
    before = dict(zip((d.text for d in original.demands), placement.marks(reading.text, original.demands), strict=True))

    # The secretary adds a point the photo cut off, and fixes one misread character of another point.
    rows = reading.text.split("\n")
    insert_at = 2 + at % (len(points) + 1)
    rows.insert(insert_at, f"{len(points) + 1}.{added}。")
    corrected_row = 2 + (fixed % len(points)) + (1 if 2 + fixed % len(points) >= insert_at else 0)
    body = rows[corrected_row]
    k = 2 + fixed % max(1, len(body) - 3)
    rows[corrected_row] = body[:k] + ("务" if body[k] != "务" else "须") + body[k + 1 :]
    text = "\n".join(rows)
    notice = split_notice(text)
    assume(len({d.text for d in notice.demands}) == len(notice.demands))  # one demand, one text
    after = placement.marks(text, notice.demands)

    for demand, marks in zip(notice.demands, after, strict=True):
        if demand.text == f"{added}。":
            assert marks == []  # typed in: not on the picture
        elif demand.text in before:
            assert marks == before[demand.text]  # untouched: where it was
        else:
            # The corrected point: still on its lines, each part within the line it was on.
            assert marks and all(any(_within(m, b) for b in _all_marks(before)) for m in marks)


def _all_marks(before):
    return [m for marks in before.values() for m in marks]


def _within(inner, outer) -> bool:
    return all(inner[i] >= outer[i] - 1e-3 for i in (0, 1)) and all(inner[i] <= outer[i] + 1e-3 for i in (2, 3))


@given(
    box=st.tuples(*[st.floats(0, 1)] * 4).map(
        lambda b: (min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3]))
    ),
    quarters=st.integers(0, 3),
)
def test_a_box_turned_back_is_where_pillows_turn_puts_it(box, quarters):
    """The reading turns the picture clockwise (catalog.photo); turned back, a box lands where turning the read
    picture counter-clockwise by as much puts it."""
    corners = [_ccw((box[0], box[1]), quarters), _ccw((box[2], box[3]), quarters)]
    expected = (
        min(c[0] for c in corners),
        min(c[1] for c in corners),
        max(c[0] for c in corners),
        max(c[1] for c in corners),
    )
    assert turned_back(box, 90 * quarters) == pytest.approx(expected, abs=1e-4)


def test_an_altered_placement_marks_nothing():
    reading = _reading([["关于近期工作的通知"], ["各社区："], ["一、请报送辖区商铺名单。"], ["某某街道办事处"]])
    token = placement_token(Placement.of_reading(reading))
    assert placement_from_token(token) is not None
    assert placement_from_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]) is None
    assert placement_from_token("") is None and placement_from_token("x" * 30_000) is None


@pytest.mark.django_db
def test_the_notice_api_marks_a_corrected_text_from_the_photos_placement(api_client, world):
    community = world.unit("牛沙路社区")
    reading = _reading([["关于近期工作的通知"], ["各社区："], ["一、请协助做好协税工作。"], ["某某街道办事处"]], 90)
    token = placement_token(Placement.of_reading(reading))
    corrected = reading.text.replace("某某街道办事处", "二、调解邻里纠纷。\n某某街道办事处")
    body = api_client.post(
        "/api/v1/check/notice/", {"community": community.pk, "text": corrected, "placement": token}, format="json"
    ).json()
    first, typed = body["demands"]
    assert first["marks"] and typed["marks"] == [] and typed["region"] is None
    # Read turned a quarter clockwise: on the picture as shown, the line runs up it (taller than wide).
    ((left, top, right, bottom),) = first["marks"]
    assert bottom - top > right - left
    # The same places go on with the text, for the next correction.
    assert placement_from_token(body["placement"]) == placement_from_token(token)
    plain = api_client.post("/api/v1/check/notice/", {"community": community.pk, "text": corrected}, format="json")
    assert [d["marks"] for d in plain.json()["demands"]] == [[], []] and plain.json()["placement"] == ""


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), m=st.integers(1, 60), at=st.integers(0, 59), budget=st.integers(0, 3000))
def test_a_correction_is_aligned_by_characters_only_while_the_budget_lasts(n, m, at, budget):
    """A replayed placement with a text rewritten at will must not cost the server the square of the notice: the
    characters of changed paragraphs are aligned while their lengths' product stays within the budget, and the
    paragraphs left as read are always aligned."""
    from catalog import notice

    kept = "各社区报送材料"
    read = kept + "\n" + "甲" * n
    corrected = kept + "\n" + "甲" * (at % m) + "乙" + "甲" * (m - at % m - 1)  # m characters, one changed
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notice, "ALIGN_BUDGET", budget)
        moved = notice._aligned(read, corrected)
    assert moved[: len(kept)] == list(range(len(kept)))
    changed = moved[len(kept) + 1 :]
    if n * m > budget:
        assert changed == [None] * n
    else:
        assert any(place is not None for place in changed) == (m > 1)
