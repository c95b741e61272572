"""Bounds checked on an upload before anything parses it (decompression bombs).

An XLSX or DOCX is a zip archive: 0.5 MB of compressed XML once took 35 s and 4.7 GB of memory to import
(openpyxl holds all shared strings in memory, and reads every cell of a row even when it keeps 100). The
sizes a zip declares for its members bound what `zipfile` will decompress (it stops at the declared size and
refuses a member whose data does not match), so they can be checked first, from the central directory alone;
so can the number of members (each one costs memory just to list) and the cell range a worksheet declares.
Each check returns what is wrong, in words for the person who uploaded the file, or None.
"""

import io
import re
import struct
import zipfile

from django.utils.translation import gettext as _

MAX_MEMBERS = 500  # a workbook or document saved by an office program has a few dozen
MAX_UNCOMPRESSED_BYTES = 25 * 1024 * 1024  # all members together, decompressed
MAX_RATIO = 200  # decompressed : compressed, for each member of more than a megabyte
MAX_CELLS = 200_000  # 5,000 rows × 40 columns (the template has 18)
MAX_SHEET_BYTES = 20 * 1024 * 1024  # one worksheet's XML: 5,000 rows of 18 cells of 40 characters take 11 MB
MAX_CSV_SEPARATORS = 1_000_000

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def zip_member_count(file) -> int | None:
    """The number of members the zip's end record declares (read from its last 64 KB), or None if it has none."""
    file.seek(0, 2)
    size = file.tell()
    file.seek(max(0, size - 65_557))
    tail = file.read()
    file.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    (entries,) = struct.unpack("<H", tail[at + 10 : at + 12])
    return entries


def check_zip_bounds(file) -> str | None:
    """What makes the zip archive `file` (a binary file object) too large to open, or None."""
    count = zip_member_count(file)
    if count is None:
        return None  # not a zip: the caller's own reading says so
    if count >= 0xFFFF or count > MAX_MEMBERS:  # 0xFFFF: a ZIP64 archive, far beyond any office file
        return _("The file holds too many parts (more than %(n)s) to be an office document.") % {"n": MAX_MEMBERS}
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        file.seek(0)
    total = sum(m.file_size for m in members)
    limit = MAX_UNCOMPRESSED_BYTES // (1024 * 1024)
    if total > MAX_UNCOMPRESSED_BYTES:
        return _("The file unpacks to more than %(mb)s MB; split it into smaller files.") % {"mb": limit}
    for member in members:
        if member.filename.startswith("xl/worksheets/") and member.file_size > MAX_SHEET_BYTES:
            return _("A worksheet of the file unpacks to more than %(mb)s MB; split it into smaller files.") % {
                "mb": MAX_SHEET_BYTES // (1024 * 1024)
            }
        if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            return _("The file is compressed far more than any office program would; it was not opened.")
    return None


def check_workbook_bounds(file) -> str | None:
    """What makes the XLSX workbook `file` too large to parse (the zip's bounds, then the cells its worksheets
    declare), or None. Call it before openpyxl sees the file."""
    problem = check_zip_bounds(file)
    if problem:
        return problem
    try:
        with zipfile.ZipFile(file) as archive:
            sheets = [m for m in archive.infolist() if m.filename.startswith("xl/worksheets/")]
            for member in sheets:
                with archive.open(member) as stream:
                    head = stream.read(4096)  # the dimension comes before the sheet's data
                match = _DIMENSION.search(head)
                if not match:
                    continue
                first_col, first_row, last_col, last_row = match.groups()
                rows = int(last_row or first_row) - int(first_row) + 1
                cols = _column_number(last_col or first_col) - _column_number(first_col) + 1
                if rows * cols > MAX_CELLS:
                    return _("The worksheet declares %(cells)s cells; at most %(max)s can be imported.") % {
                        "cells": f"{rows * cols:,}",
                        "max": f"{MAX_CELLS:,}",
                    }
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None  # not a readable workbook: openpyxl's refusal says so
    finally:
        file.seek(0)
    return None


def check_csv_bounds(text: str) -> str | None:
    """What makes the CSV text too large to split into cells, or None."""
    if text.count(",") + text.count("\n") > MAX_CSV_SEPARATORS:
        return _("The CSV file has more than %(n)s cells; at most %(max)s can be imported.") % {
            "n": f"{MAX_CSV_SEPARATORS:,}",
            "max": f"{MAX_CELLS:,}",
        }
    return None


# --- Pictures (a photo or screenshot of a notice: catalog.photo) ---------------------------------------------

MAX_PICTURE_BYTES = 10 * 1024 * 1024  # a phone photo is 2–6 MB; a screenshot less
MAX_PICTURE_PIXELS = 50_000_000  # a 48-megapixel camera's full picture; a bomb declares far more in a few KB
MAX_PICTURE_SIDE = 20_000  # a long screenshot of a chat is tall, but not this tall
# The detector scales the short side up to 736 px, so its cost grows with the long side over the short: a 1 × 1
# picture took 100 s of both cores (past the time limit, which is looked at between stages only). Nothing that
# small or that narrow holds a notice's text.
MIN_PICTURE_SIDE = 32
MAX_PICTURE_RATIO = 25  # a chat screenshot of 1080 × 20,000 is 18.5 times as tall as wide
PICTURE_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "BMP", "GIF", "TIFF"}


def picture_too_large(size: int) -> str:
    return _("The picture is %(mb)s MB; at most %(max)s MB can be read. Send it at a smaller size.") % {
        "mb": f"{size / (1024 * 1024):.1f}",
        "max": MAX_PICTURE_BYTES // (1024 * 1024),
    }


def check_picture_bounds(data: bytes) -> str | None:
    """What makes the picture `data` too large to decode, or no picture, or None. Only the header is read: the
    bytes, the format and the size it declares are checked before a single pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        return _("The file is empty: choose a photo or screenshot of the notice.")
    if len(data) > MAX_PICTURE_BYTES:
        return picture_too_large(len(data))
    try:
        with Image.open(io.BytesIO(data)) as image:  # the header only
            kind, (width, height) = image.format, image.size
    except Image.DecompressionBombError:
        return _("The picture declares more pixels than any photo has; it was not opened.")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return _("The file is not a picture that can be read (JPEG, PNG or WebP): take a photo or screenshot.")
    if kind not in PICTURE_FORMATS:
        return _("Pictures of this kind (%(format)s) cannot be read; send a JPEG, PNG or WebP.") % {
            "format": kind or "?"
        }
    if width * height > MAX_PICTURE_PIXELS or max(width, height) > MAX_PICTURE_SIDE or min(width, height) < 1:
        return _(
            "The picture declares %(w)s × %(h)s pixels; at most %(max)s million can be read, %(side)s on a side. "
            "It was not opened."
        ) % {
            "w": f"{width:,}",
            "h": f"{height:,}",
            "max": MAX_PICTURE_PIXELS // 1_000_000,
            "side": f"{MAX_PICTURE_SIDE:,}",
        }
    if min(width, height) < MIN_PICTURE_SIDE or max(width, height) > MAX_PICTURE_RATIO * min(width, height):
        return _(
            "The picture is %(w)s × %(h)s pixels: too small or too narrow to hold a notice (at least %(min)s pixels "
            "a side, the long side at most %(ratio)s times the short one). Take a photo of the whole notice."
        ) % {"w": f"{width:,}", "h": f"{height:,}", "min": MIN_PICTURE_SIDE, "ratio": MAX_PICTURE_RATIO}
    return None
