"""Reading a photograph of a notice (通知): the text on it, in reading order, lines joined into sentences.

Demands reach a community as paper notices, forwarded pictures and screenshots; the secretary photographs one and
the check judges each demand in it (catalog.notice). The reading runs on the CPU with RapidOCR on ONNX Runtime
(`rapidocr-onnxruntime`), whose PP-OCR detection, direction and recognition models come inside its wheel:
nothing is fetched at run time.

What a picture may cost is bounded before it is decoded (catalog.uploads.check_picture_bounds): its bytes,
then the size its header declares (a decompression bomb declares tens of thousands of pixels a side in a few
kilobytes). A JPEG is decoded straight at a reduced scale (Pillow's draft mode), and every picture is read at
WORK_SIDE pixels on its long side, which keeps a notice's characters 20–40 px high and the detection to about a
second on two cores. The engine is built once per process with two threads, and one picture is read at a time
per process (it uses both cores); a picture that takes longer than the time limit is refused, between stages,
with a message saying so.

The picture is never stored here: only the caller decides to keep it (a burden report's evidence).
"""

import io
import math
import re
import threading
import time
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .uploads import check_picture_bounds

WORK_SIDE = 1600  # the long side the picture is read at (the recognition reads its lines at this resolution)
DET_SIDE = 960  # the long side the lines are found at
DET_MAX_RATIO = 4  # the long side over the short one of what the detector is given (catalog.photo._detect)
TIME_LIMIT = 20.0  # seconds for one picture, waiting included
THREADS = 2  # ONNX Runtime's threads per inference: the machine's two cores
_REC_BATCH = 12  # lines recognised between two looks at the clock


class PictureRejected(ValueError):
    """The picture cannot be read: too large, not a picture, or too slow. The message says which, for a person."""


@dataclass
class Line:
    """One line of the notice as read: its text, its box on the picture (x0, y0, x1, y1, in the picture's
    pixels after orientation) and where it is in the reading's text."""

    text: str
    box: tuple[int, int, int, int]
    score: float
    start: int = 0
    end: int = 0


@dataclass
class Reading:
    text: str  # paragraphs, one a line
    lines: list[Line] = field(default_factory=list)
    width: int = 0
    height: int = 0
    seconds: float = 0.0
    rotated: int = 0  # degrees the picture was turned clockwise to read it (0, 90, 180, 270)

    def fractions(self, box) -> tuple[float, float, float, float]:
        """`box` (x0, y0, x1, y1 in the pixels as read) as fractions of the picture as read."""
        w, h = max(1, self.width), max(1, self.height)
        return (box[0] / w, box[1] / h, box[2] / w, box[3] / h)

    def shown_box(self, box) -> tuple[float, float, float, float]:
        """`box` (as read) as fractions of the picture as a person sees it (catalog.photo.turned_back)."""
        return turned_back(self.fractions(box), self.rotated)


def turned_back(box, rotated: int) -> tuple[float, float, float, float]:
    """A box given as fractions (left, top, right, bottom) of the picture as read, in the picture as a person sees
    it: upright by its EXIF orientation, before it was turned `rotated` degrees clockwise to be read. A browser
    showing the file draws it in that frame, at any size, so the fractions place it at any width."""
    # Turned back a quarter, a point at fractions (u, v) of the reading is at (v, 1 - u) of the picture before the
    # turn: twice, (1 - u, 1 - v) after 180°; three times, (1 - v, u) after 270°.
    corners = [(box[0], box[1]), (box[2], box[3])]
    for _quarter in range((rotated // 90) % 4):
        corners = [(v, 1 - u) for u, v in corners]
    (a, b), (c, d) = corners
    return tuple(round(min(max(n, 0.0), 1.0), 4) for n in (min(a, c), min(b, d), max(a, c), max(b, d)))


# --- Opening the picture -------------------------------------------------------------------------------------


def open_picture(data: bytes):
    """The picture in `data` as an RGB Pillow image, upright (EXIF orientation) and at most WORK_SIDE on its long
    side; PictureRejected, saying why, if it is too large or no picture. Nothing is decoded before the bounds
    are checked."""
    from PIL import Image, ImageOps

    problem = check_picture_bounds(data)
    if problem:
        raise PictureRejected(problem)
    image = Image.open(io.BytesIO(data))
    try:
        if image.format in ("JPEG", "MPO"):
            image.draft("RGB", (WORK_SIDE, WORK_SIDE))  # decode at 1/2, 1/4 or 1/8 scale: faster, less memory
        image = ImageOps.exif_transpose(image)
        image = image.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise PictureRejected(_("The picture is damaged and could not be decoded; take it again.")) from exc
    scale = WORK_SIDE / max(image.size)
    if scale < 1:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
    return image


# --- The engine ------------------------------------------------------------------------------------------------

_engine = None
_engine_lock = threading.Lock()
_reading_lock = threading.Lock()  # one picture at a time per process: each reading uses both cores


def engine():
    """The RapidOCR engine of this process, built on first use (its three models load in about half a second)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from rapidocr_onnxruntime import RapidOCR

            _engine = RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=1, print_verbose=False)
        return _engine


def _too_slow(limit: float) -> PictureRejected:
    return PictureRejected(
        _(
            "Reading the picture took longer than %(s)s seconds and was stopped. Photograph the notice closer and "
            "straight, or type its demands."
        )
        % {"s": f"{limit:g}"}
    )


def read_picture(data: bytes, *, time_limit: float = TIME_LIMIT) -> Reading:
    """The text of the notice in the picture `data` (bytes of a JPEG, PNG, WebP …)."""
    started = time.monotonic()
    deadline = started + time_limit
    picture = open_picture(data)
    ocr = engine()
    if not _reading_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise _too_slow(time_limit)
    try:
        lines, rotated, size = _read(ocr, picture, deadline, time_limit)
    finally:
        _reading_lock.release()
    text = join_lines(lines)
    return Reading(text, lines, size[0], size[1], round(time.monotonic() - started, 2), rotated)


def _read(ocr, picture, deadline: float, limit: float):
    import numpy as np

    def check_clock():
        if time.monotonic() > deadline:
            raise _too_slow(limit)

    image = np.ascontiguousarray(np.asarray(picture)[:, :, ::-1])  # BGR, as OpenCV reads
    rotated = 0
    boxes = _detect(ocr, image)
    check_clock()
    if boxes and _mostly_upright_boxes(boxes):
        # The text runs up or down the picture (a photo taken sideways): read it turned a quarter.
        image = np.ascontiguousarray(np.rot90(image, k=-1))
        rotated = 90
        boxes = _detect(ocr, image)
        check_clock()
    if not boxes:
        h, w = image.shape[:2]
        return [], rotated, (w, h)
    crops, flipped = _oriented_crops(ocr, image, boxes)
    check_clock()
    if flipped * 2 > len(crops):
        # Most lines are upside down: the picture is. Read it turned round, so that the boxes give the order.
        image = np.ascontiguousarray(np.rot90(image, k=2))
        rotated = (rotated + 180) % 360
        boxes = _detect(ocr, image)
        crops, _flipped = _oriented_crops(ocr, image, boxes)
        check_clock()
    h, w = image.shape[:2]
    recognised = []
    for at in range(0, len(crops), _REC_BATCH):
        results, _elapsed = ocr.text_rec(crops[at : at + _REC_BATCH], False)
        recognised.extend(results)
        check_clock()
    pieces = []
    for box, (text, score, *_rest) in zip(boxes, recognised, strict=True):
        text = text.strip()
        if text and float(score) >= 0.5:
            pieces.append((box, text, float(score)))
    return _reading_order(pieces), rotated, (w, h)


def _oriented_crops(ocr, image, boxes) -> tuple[list, int]:
    """Each box's crop the right way up (the direction classifier), and how many had to be turned."""
    if not boxes:
        return [], 0
    crops, directions, _elapsed = ocr.text_cls(ocr.get_crop_img_list(image, boxes))
    return crops, sum(label == "180" and score > 0.9 for label, score in directions)


def _detect(ocr, image) -> list:
    """The text boxes of `image`, found on a copy at most DET_SIDE on its long side (detection costs by the pixel;
    a line's box needs no more) and placed back on the image, whose full resolution the recognition reads."""
    import cv2

    scale = min(1.0, DET_SIDE / max(image.shape[:2]))
    small = image if scale == 1.0 else cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # The detector scales the short side up to 736 px, so a thin strip (a long screenshot) would grow to tens of
    # millions of pixels and minutes of both cores: padded with white below or to the right (the boxes keep their
    # places) to at most DET_MAX_RATIO, it grows to at most 736 × 2,944.
    h, w = small.shape[:2]
    pad_below = max(0, math.ceil(w / DET_MAX_RATIO) - h)
    pad_right = max(0, math.ceil(h / DET_MAX_RATIO) - w)
    if pad_below or pad_right:
        small = cv2.copyMakeBorder(small, 0, pad_below, 0, pad_right, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    padded, record = ocr.maybe_add_letterbox(small, {})
    boxes, _elapsed = ocr.text_det(padded)
    if boxes is None or len(boxes) == 0:
        return []
    boxes = boxes.astype("float32")
    boxes[:, :, 1] -= record.get("padding_1", {}).get("top", 0)
    boxes /= scale
    h, w = image.shape[:2]
    boxes[:, :, 0] = boxes[:, :, 0].clip(0, w - 1)
    boxes[:, :, 1] = boxes[:, :, 1].clip(0, h - 1)
    return list(boxes)


def _mostly_upright_boxes(boxes) -> bool:
    """Whether most text boxes are taller than wide, as lines of horizontal text photographed sideways are."""
    tall = 0
    for box in boxes:
        width = math.dist(box[0], box[1])
        height = math.dist(box[0], box[3])
        tall += height > 1.5 * width and height > 40
    return tall * 2 > len(boxes)


# --- Reading order and sentences -------------------------------------------------------------------------------


def _reading_order(pieces: list) -> list[Line]:
    """Lines top to bottom, the pieces of one line left to right; a slightly skewed photo is straightened first
    (the median slope of the boxes' top edges)."""
    if not pieces:
        return []
    slopes = sorted(math.atan2(b[1][1] - b[0][1], b[1][0] - b[0][0]) for b, _t, _s in pieces)
    angle = slopes[len(slopes) // 2]
    cos, sin = math.cos(-angle), math.sin(-angle)
    placed = []
    for box, text, score in pieces:
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        cx, cy = sum(xs) / 4, sum(ys) / 4
        # Centre and left edge in the straightened frame.
        ry = cx * sin + cy * cos
        rx = min(x * cos - y * sin for x, y in zip(xs, ys, strict=True))
        height = max(1.0, math.dist(box[0], box[3]))
        placed.append((ry, rx, height, text, score, (int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys)))))
    placed.sort(key=lambda p: p[0])
    rows: list[list] = []
    for piece in placed:
        if rows and abs(piece[0] - rows[-1][0][0]) < 0.5 * min(piece[2], rows[-1][0][2]):
            rows[-1].append(piece)
        else:
            rows.append([piece])
    lines = []
    for row in rows:
        row.sort(key=lambda p: p[1])
        text = ""
        for piece in row:
            text = _glue(text, piece[3])
        box = (
            min(p[5][0] for p in row),
            min(p[5][1] for p in row),
            max(p[5][2] for p in row),
            max(p[5][3] for p in row),
        )
        lines.append(Line(text, box, min(p[4] for p in row)))
    return lines


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _glue(left: str, right: str) -> str:
    """Two pieces of text side by side: Chinese runs on without a space; Latin words and numbers keep one."""
    if not left:
        return right
    if _CJK.match(left[-1]) or _CJK.match(right[0]):
        return left + right
    return left + " " + right


_ENDS = "。！？；：!?;:）)"
_NUMBERED = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[、.．](?!\d)|[①-⑳])"
)


def join_lines(lines: list[Line]) -> str:
    """The paragraphs of the notice, one a line. A line that reaches the right margin and does not end a sentence
    runs on into the next (a wrapped sentence), unless the next begins a numbered point; a short line (a heading,
    the addressee, a signature set to the right) stands alone. Each line learns where it is in the text."""
    if not lines:
        return ""
    right = max(line.box[2] for line in lines)
    left = min(line.box[0] for line in lines)
    width = max(1, right - left)
    text = ""
    for i, line in enumerate(lines):
        if i:
            previous = lines[i - 1]
            wrapped = (
                previous.box[2] >= right - 0.12 * width
                and previous.box[2] - previous.box[0] >= 0.75 * width  # not a short line set to the right
                and previous.text[-1] not in _ENDS
                and not _NUMBERED.match(line.text)
            )
            text = _glue(text, line.text)[: -len(line.text)] if wrapped else text + "\n"
        line.start = len(text)
        text += line.text
        line.end = len(text)
    return text
