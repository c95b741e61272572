"""Photographs of notices with known text: how well the check reads them (catalog.photo, catalog.notice).

    python bench/notices.py                # 60 notices, the figures
    python bench/notices.py --n 3 --quiet  # the CI version: three notices

Each notice is built from demands whose catalogue items are known (bench/check_eval_data/dev.tsv), in the shape
of a real 通知: a heading, the addressee, an introduction, numbered points (一、 （一） 1.) or asking sentences, the
issuer and the date. It is rendered with the font the project installs (WenQuanYi Micro Hei) at phone-photo size,
long lines wrapped, then made to look photographed: turned a few degrees (some a quarter or half turn, as a phone
held sideways gives), blurred, lit unevenly and saved as a JPEG of middling quality; some stay clean screenshots.

The figures: character accuracy (1 − edit distance / characters, spaces and line breaks ignored); demands found
(the known demands a read demand matches) and invented (read demands that match none: a heading or a signature
taken for a demand); verdict agreement (the read demand's verdict equals the typed demand's); seconds per picture
(wall clock, reading and judging) and the CPU seconds they took (both of ONNX Runtime's threads counted; on a
shared machine the wall clock also measures the neighbours, so the load average is printed beside it).
The catalogue is published in a fresh database, as bench/check_eval.py does. Figures are printed, nothing asserted.
"""

import argparse
import io
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
ON = date(2026, 10, 15)  # replaced by the day of the run (main)
_CN = "一二三四五六七八九十"
HEADINGS = [
    "关于做好近期社区重点工作的通知",
    "关于落实有关工作任务的通知",
    "紧急通知",
    "关于开展专项工作的通知",
    "关于报送相关材料的函",
]
ISSUERS = ["某某街道办事处", "锦江区民政局", "XX街道党工委", "区应急管理局办公室", "街道综合办"]
INTROS = [
    "为进一步做好相关工作，现将有关事项通知如下：",
    "根据区里工作安排，结合街道实际，现就有关事项通知如下：",
    "",
]
STYLES = [lambda i: f"{_CN[i]}、", lambda i: f"（{_CN[i]}）", lambda i: f"{i + 1}.", lambda i: f"{i + 1}、"]


def demands_known(path: Path = ROOT / "bench/check_eval_data/dev.tsv") -> list[str]:
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text = line.rpartition("\t")[0].strip()
            if 6 <= len(text) <= 80 and "\n" not in text:
                texts.append(text)
    return texts


def make_notice(rng: random.Random, pool: list[str]) -> tuple[list[str], list[str]]:
    """(paragraphs, the demands as typed). Demands end with 。 so that a point is one sentence."""
    demands = [d.rstrip("。！!，,") + "。" for d in rng.sample(pool, rng.randint(2, 4))]
    paragraphs = [rng.choice(HEADINGS), rng.choice(["各社区：", "各社区居委会：", "各村（社区）："])]
    intro = rng.choice(INTROS)
    if intro:
        paragraphs.append(intro)
    style = rng.choice(STYLES)
    paragraphs += [style(i) + d for i, d in enumerate(demands)]
    paragraphs += [rng.choice(ISSUERS), f"2026年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"]
    return paragraphs, demands


def render(paragraphs: list[str], *, width: int = 1080, size: int = 34, margin: int = 70):
    """The notice as a page: the heading centred and larger, paragraphs wrapped at the margin, the issuer and date
    to the right."""
    return render_lines(paragraphs, width=width, size=size, margin=margin)[0]


def render_lines(paragraphs: list[str], *, width: int = 1080, size: int = 34, margin: int = 70):
    """The page (as `render`) and where its lines are: [(paragraph's index, the line's text, (x0, y0, x1, y1) of
    its ink on the page)], top to bottom. A test knows from it where each demand is on the picture."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, size)
    big = ImageFont.truetype(FONT, int(size * 1.3))
    usable = width - 2 * margin
    rows = []  # (paragraph's index, text, font, align)
    for i, paragraph in enumerate(paragraphs):
        tail = i >= len(paragraphs) - 2
        if i == 0:
            rows.append((i, paragraph, big, "center"))
            continue
        line = ""
        for char in paragraph:
            if font.getlength(line + char) > usable:
                rows.append((i, line, font, "left"))
                line = ""
            line += char
        rows.append((i, line, font, "right" if tail else "left"))
    line_height = int(size * 1.9)
    height = max(int(width * 1.3), margin * 2 + line_height * (len(rows) + 1))
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    y = margin
    placed = []
    for i, text, f, align in rows:
        length = f.getlength(text)
        x = {"left": margin, "center": (width - length) / 2, "right": width - margin - length}[align]
        draw.text((x, y), text, font=f, fill=(20, 20, 20))
        placed.append((i, text, draw.textbbox((x, y), text, font=f)))
        y += line_height
    return page, placed


def photograph(page, rng: random.Random):
    """The page as a phone gives it: turned, blurred, unevenly lit, JPEG-compressed. Returns JPEG bytes."""
    import numpy as np
    from PIL import Image, ImageFilter

    kind = rng.random()
    if kind < 0.2:  # a screenshot: clean, PNG
        out = io.BytesIO()
        page.save(out, "PNG")
        return out.getvalue(), "screenshot"
    image = page.rotate(rng.uniform(-4, 4), expand=True, fillcolor=(235, 235, 230), resample=Image.BICUBIC)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    # Uneven light: a gradient from one corner, darker by up to a third.
    array = np.asarray(image).astype(np.float32)
    h, w = array.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy = rng.choice([(0, 0), (w, 0), (0, h), (w, h)])
    distance = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / np.hypot(w, h)
    light = 1.0 - rng.uniform(0.15, 0.35) * distance
    array = np.clip(array * light[..., None] + rng.uniform(-8, 8), 0, 255).astype(np.uint8)
    image = Image.fromarray(array)
    turn = rng.random()
    label = "photo"
    if turn < 0.1:
        image, label = image.rotate(90, expand=True), "photo turned 90°"
    elif turn < 0.2:
        image, label = image.rotate(180, expand=True), "photo upside down"
    scale = rng.uniform(1.8, 2.8)  # a phone photo: 2,000–3,000 px wide
    image = image.resize((int(image.width * scale), int(image.height * scale)), Image.BICUBIC)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=rng.randint(55, 80))
    return out.getvalue(), label


def _plain(text: str) -> str:
    return "".join(text.split())


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    a, b = _plain(a), _plain(b)
    return 1 - edit_distance(a, b) / max(len(a), len(b), 1)


def run(community, n: int, *, on: date | None = None, seed: int = 19, quiet: bool = False, out=print) -> dict:
    from catalog.check import check_demand
    from catalog.notice import check_notice
    from catalog.photo import PictureRejected, read_picture

    on = on or ON
    rng = random.Random(seed)
    pool = demands_known()
    chars = errors = known = found = invented = agree = judged = refused = 0
    seconds, cpu = [], []
    load_before = os.getloadavg()[0]
    for number in range(n):
        paragraphs, demands = make_notice(rng, pool)
        data, kind = photograph(render(paragraphs), rng)
        truth = "\n".join(paragraphs)
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            reading = read_picture(data, time_limit=60)
        except PictureRejected as exc:
            refused += 1
            known += len(demands)
            chars += len(_plain(truth))
            errors += len(_plain(truth))
            out(f"{number:3d} {kind:<18} refused: {exc}")
            continue
        result = check_notice(community=community, on=on, text=reading.text, reading=reading)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        chars += len(_plain(truth))
        errors += min(len(_plain(truth)), edit_distance(_plain(reading.text), _plain(truth)))
        known += len(demands)
        matched = set()
        for judged_demand in result.demands:
            best = max(range(len(demands)), key=lambda i: similarity(judged_demand.demand.text, demands[i]))
            if similarity(judged_demand.demand.text, demands[best]) < 0.6 or best in matched:
                invented += 1
                continue
            matched.add(best)
            typed = check_demand(community=community, on=on, q=demands[best])
            judged += 1
            agree += typed.verdict == judged_demand.result.verdict
        found += len(matched)
        if not quiet:
            accuracy = 1 - edit_distance(_plain(reading.text), _plain(truth)) / len(_plain(truth))
            out(
                f"{number:3d} {kind:<18} {seconds[-1]:5.2f} s ({cpu[-1]:4.2f} s CPU)  "
                f"read {len(result.demands)}/{len(demands)} demands  chars {accuracy:.1%}"
            )
            for i, demand in enumerate(demands):
                if i not in matched:
                    out(f"      missed: {demand}")
    pct = lambda k, total: 100.0 * k / total if total else 0.0  # noqa: E731
    seconds.sort()
    cpu.sort()
    median = seconds[len(seconds) // 2] if seconds else 0.0
    cpu_median = cpu[len(cpu) // 2] if cpu else 0.0
    summary = (
        f"notices: n={n} chars={pct(chars - errors, chars):.1f}% demands_found={pct(found, known):.1f}% "
        f"invented={invented} verdicts_agree={pct(agree, judged):.1f}% refused={refused} "
        f"seconds_median={median:.2f} seconds_max={seconds[-1] if seconds else 0:.2f} "
        f"cpu_seconds_median={cpu_median:.2f} load={load_before:.1f}-{os.getloadavg()[0]:.1f}"
    )
    out(summary)
    return {"summary": summary, "found": found, "known": known, "invented": invented, "agree": agree}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    from bench.check_eval import _setup_database, load_catalogue

    old_name = _setup_database()
    from django.db import connection

    try:
        from django.utils import timezone

        global ON
        ON = timezone.localdate()  # a catalogue is published from today on, never in the past
        community = load_catalogue(ROOT / "bench/check_eval_data/catalogue.csv", effective_from=ON)
        from catalog.check import check_demand
        from catalog.photo import engine

        check_demand(community=community, on=ON, q="社区")  # the version's index is built once, here
        engine()
        run(community, args.n, seed=args.seed, quiet=args.quiet)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
