"""The redaction engine (no database): boxes suggested from a PDF's text layer, and the burn-in.

The released copy of a record is made of pictures only: every page is rendered by pdfium, the boxes
are filled black on the picture with their ground's short label (``law.REDACTION_LABELS``) in white,
and the pictures are written losslessly (Flate) into a new PDF by pikepdf (qpdf). Nothing of the
original's objects is copied: no text layer, metadata, annotations, forms or embedded files can
survive, so no text can be found under a box. Pages without colour are written in greyscale.

pdfium is not thread-safe: every use of it here holds ``_PDFIUM`` (released between pages).
"""

from __future__ import annotations

import functools
import io
import json
import math
import re
import shutil
import tempfile
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw, ImageFont

from caseflow import law
from caseflow.release.pdftext import page_hits

#: The largest record accepted (pages).
MAX_PAGES = 2000
#: How far a box may reach past its page's edge (points) before it is refused.
TOLERANCE = 0.5
#: Pages written to one temporary part before the parts are joined (bounds the memory used).
PART_PAGES = 32

_PDFIUM = threading.RLock()


class RedactionError(ValueError):
    """A PDF or a box file that cannot be used: the message in Chinese says which and why."""


@dataclass(frozen=True, slots=True)
class Box:
    """A redaction: 1-based ``page``, ``box`` = (x0, y0, x1, y1) in PDF points with the origin at the
    page's top-left corner, its ``ground`` (a key of ``law.REDACTION_LABELS``) and, for a suggestion,
    the ``text`` found under it."""

    page: int
    box: tuple[float, float, float, float]
    ground: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class PdfInfo:
    pages: int
    #: Each page's (width, height) in PDF points (as displayed: after its rotation).
    sizes: tuple[tuple[float, float], ...]


# --- Opening -------------------------------------------------------------------------------------


def _open(data: bytes) -> pdfium.PdfDocument:
    """The document, or RedactionError saying why it cannot be read. Call holding ``_PDFIUM``."""
    if b"%PDF-" not in data[:1024]:
        raise RedactionError("文件不是PDF文件（缺少PDF文件头），请上传PDF文件")
    if b"%%EOF" not in data[-2048:]:
        raise RedactionError("PDF文件不完整或已损坏（缺少文件结束标记），请重新导出后上传")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise RedactionError("PDF文件已加密（设有打开密码），请上传未加密的文件") from None
        if exc.err_code == pdfium_c.FPDF_ERR_PAGE:
            raise RedactionError("PDF文件没有页面") from None
        raise RedactionError("PDF文件已损坏，无法读取，请重新导出后上传") from None


@contextmanager
def _document(data: bytes) -> Iterator[pdfium.PdfDocument]:
    with _PDFIUM:
        doc = _open(data)
    try:
        yield doc
    finally:
        with _PDFIUM:
            doc.close()


def inspect(data: bytes) -> PdfInfo:
    """Open and check a PDF: RedactionError (Chinese) if not a PDF, encrypted, damaged, without pages
    or over ``MAX_PAGES``."""
    with _document(data) as doc, _PDFIUM:
        count = len(doc)
        if count < 1:
            raise RedactionError("PDF文件没有页面")
        if count > MAX_PAGES:
            raise RedactionError(f"共{count}页，超过{MAX_PAGES}页的上限，请拆分后上传")
        sizes = []
        for index in range(count):
            try:
                width, height = doc.get_page_size(index)  # pdfium: as displayed (rotation applied)
            except pdfium.PdfiumError:
                raise RedactionError(f"PDF文件已损坏：第{index + 1}页无法读取") from None
            sizes.append((round(width, 2), round(height, 2)))
    return PdfInfo(count, tuple(sizes))


# --- Suggestions ---------------------------------------------------------------------------------


def suggest(data: bytes) -> list[Box]:
    """Boxes over identity numbers, phone numbers and names of natural persons in the text layer."""
    boxes: list[Box] = []
    seen: set[tuple[int, tuple[float, float, float, float], str]] = set()
    with _document(data) as doc:
        for index in range(len(doc)):
            with _PDFIUM:
                page = doc[index]
                try:
                    hits = page_hits(page)
                finally:
                    page.close()
            for hit in hits:
                key = (index + 1, hit.box, hit.text)
                if key not in seen:
                    seen.add(key)
                    boxes.append(Box(index + 1, hit.box, law.SUGGESTION_GROUND, hit.text))
    return boxes


# --- Boxes ---------------------------------------------------------------------------------------


def _pt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def check_boxes(info: PdfInfo, boxes: list[Box]) -> None:
    """RedactionError naming the box for a page that does not exist, a rectangle outside its page or
    empty, or an unknown ground."""
    for number, item in enumerate(boxes, 1):
        where = f"第{number}个遮盖框："
        if item.ground not in law.REDACTION_LABELS:
            raise RedactionError(f"{where}理由 {item.ground} 不是不予公开的理由")
        if not 1 <= item.page <= info.pages:
            raise RedactionError(f"{where}第{item.page}页不存在（共{info.pages}页）")
        x0, y0, x1, y1 = item.box
        if not all(math.isfinite(v) for v in item.box) or not (x0 < x1 and y0 < y1):
            raise RedactionError(f"{where}第{item.page}页上的矩形为空（须 x0 < x1 且 y0 < y1）")
        width, height = info.sizes[item.page - 1]
        if x0 < -TOLERANCE or y0 < -TOLERANCE or x1 > width + TOLERANCE or y1 > height + TOLERANCE:
            raise RedactionError(
                f"{where}第{item.page}页上的矩形 [{_pt(x0)}, {_pt(y0)}, {_pt(x1)}, {_pt(y1)}] "
                f"超出页面范围（页面 {_pt(width)}×{_pt(height)} 点）"
            )


def _entry(number: int, raw: Any) -> Box:
    where = f"遮盖框文件第{number}项："
    if not isinstance(raw, dict):
        raise RedactionError(f"{where}应为对象（含 page、box、ground）")
    page, box, ground, text = raw.get("page"), raw.get("box"), raw.get("ground"), raw.get("text", "")
    if not isinstance(page, int) or isinstance(page, bool):
        raise RedactionError(f"{where}page 应为页码（整数）")
    if (
        not isinstance(box, list)
        or len(box) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in box)
    ):
        raise RedactionError(f"{where}box 应为4个数 [x0, y0, x1, y1]（单位：点，原点在页面左上角）")
    if not isinstance(ground, str) or not ground:
        raise RedactionError(f"{where}ground 应为不予公开的理由（如 {law.SUGGESTION_GROUND}）")
    if not isinstance(text, str):
        raise RedactionError(f"{where}text 应为文字")
    x0, y0, x1, y1 = (float(v) for v in box)
    return Box(page, (x0, y0, x1, y1), ground, text)


def load_boxes(path: Path) -> list[Box]:
    """A box file (the JSON of ``caseflow redact --suggest``); RedactionError if malformed."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RedactionError(f"无法读取遮盖框文件 {path}：{exc.strerror}") from None
    except UnicodeDecodeError:
        raise RedactionError(f"遮盖框文件 {path} 不是UTF-8文本") from None
    except json.JSONDecodeError as exc:
        raise RedactionError(f"遮盖框文件 {path} 不是有效的JSON（第{exc.lineno}行：{exc.msg}）") from None
    if not isinstance(raw, list):
        raise RedactionError(f"遮盖框文件 {path} 应为JSON数组（每项含 page、box、ground）")
    return [_entry(number, item) for number, item in enumerate(raw, 1)]


# --- Pictures ------------------------------------------------------------------------------------


def _has_colour(page: pdfium.PdfPage) -> bool:
    """Whether anything on the page may be drawn in colour (else it is rendered in greyscale):
    annotations, shadings, colour images and non-grey fills or strokes count as colour."""
    if pdfium_c.FPDFPage_GetAnnotCount(page) > 0:
        return True
    r, g, b, a = (pdfium_c.c_uint() for _ in range(4))
    for obj in page.get_objects():
        kind = obj.type
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            continue  # its objects are visited too
        if kind == pdfium_c.FPDF_PAGEOBJ_SHADING:
            return True
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            meta = pdfium_c.FPDF_IMAGEOBJ_METADATA()
            if not pdfium_c.FPDFImageObj_GetImageMetadata(obj, page, meta):
                return True
            if meta.colorspace in (pdfium_c.FPDF_COLORSPACE_DEVICEGRAY, pdfium_c.FPDF_COLORSPACE_CALGRAY):
                continue
            if meta.bits_per_pixel != 1 or meta.colorspace != pdfium_c.FPDF_COLORSPACE_UNKNOWN:
                return True  # a 1-bit stencil mask (no colour space) is painted in the fill colour
        for getter in (pdfium_c.FPDFPageObj_GetFillColor, pdfium_c.FPDFPageObj_GetStrokeColor):
            if getter(obj, r, g, b, a) and not r.value == g.value == b.value:
                return True
    return False


def _picture(doc: pdfium.PdfDocument, index: int, scale: float) -> tuple[Image.Image, float, float]:
    """Page ``index`` (0-based) rendered as shown (annotations and form fields included), in "L"
    when it has no colour, else "RGB"; with its displayed size in points."""
    with _PDFIUM:
        try:
            page = doc[index]
        except pdfium.PdfiumError:
            raise RedactionError(f"PDF文件已损坏：第{index + 1}页无法读取") from None
        try:
            width, height = page.get_size()
            grey = not _has_colour(page)
            bitmap = page.render(scale=scale, grayscale=grey, may_draw_forms=True, draw_annots=True)
            image = bitmap.to_pil()
            if image.mode == "L":
                image = image.copy()  # "L" shares pdfium's buffer, freed with the bitmap
            bitmap.close()
        finally:
            page.close()
    return (image if image.mode in ("L", "RGB") else image.convert("RGB")), width, height


@functools.cache
def _font_source() -> tuple[Path, int]:
    from caseflow.replies.fonts import find_source

    found = find_source()
    return found.path, found.index


@functools.lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont:
    path, index = _font_source()
    return ImageFont.truetype(str(path), size, index=index, layout_engine=ImageFont.Layout.BASIC)


@functools.lru_cache(maxsize=1024)
def _text_width(text: str, size: int) -> float:
    return _font(size).getlength(text)


@functools.lru_cache(maxsize=1024)
def _fitted(text: str, width: int, height: int) -> int | None:
    """The largest font size (6 px or more) in which ``text`` fits the box with a margin, or None."""
    size = min(int(height * 0.7), 48)
    while size >= 6:
        if _text_width(text, size) <= width - 4:
            return size
        size = size - 1 if size <= 12 else int(size * 0.85)
    return None


@functools.lru_cache(maxsize=256)
def _label(text: str, size: int) -> Image.Image:
    """``text`` drawn once in white on black at ``size`` px without anti-aliasing: a paste mask."""
    font = _font(size)
    left, top, right, bottom = (int(v) for v in font.getbbox(text, anchor="mm"))
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    draw = ImageDraw.Draw(mask)
    draw.fontmode = "1"  # no anti-aliasing: a box holds black and white only
    draw.text((-left, -top), text, fill=255, font=font, anchor="mm")
    return mask


def _draw(image: Image.Image, boxes: list[Box], scale: float) -> None:
    """Each box filled black (its edges rounded outwards to whole pixels), its label in white."""
    draw = ImageDraw.Draw(image)
    black, white = (0, 255) if image.mode == "L" else ((0, 0, 0), (255, 255, 255))
    for item in boxes:
        x0, y0, x1, y1 = item.box
        left, top = max(0, math.floor(x0 * scale)), max(0, math.floor(y0 * scale))
        right = min(image.width, math.ceil(x1 * scale))
        bottom = min(image.height, math.ceil(y1 * scale))
        draw.rectangle((left, top, right - 1, bottom - 1), fill=black)
        label = law.REDACTION_LABELS[item.ground]
        for text in (label, re.split(r"\s+", label)[0]):
            size = _fitted(text, right - left, bottom - top)
            if size is not None:
                mask = _label(text, size)
                at = ((left + right - mask.width) // 2, (top + bottom - mask.height) // 2)
                image.paste(white, (*at, at[0] + mask.width, at[1] + mask.height), mask)
                break


def _add_page(pdf: pikepdf.Pdf, image: Image.Image, width: float, height: float) -> None:
    """A page of ``width`` × ``height`` points showing ``image`` (Flate, lossless) and nothing else."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)  # fastest on mostly-white pages
    picture = pikepdf.Stream(pdf, packer.compress(image.tobytes()) + packer.flush())
    picture.Type = pikepdf.Name.XObject
    picture.Subtype = pikepdf.Name.Image
    picture.Width, picture.Height = image.width, image.height
    picture.ColorSpace = pikepdf.Name.DeviceGray if image.mode == "L" else pikepdf.Name.DeviceRGB
    picture.BitsPerComponent = 8
    picture.Filter = pikepdf.Name.FlateDecode
    page = pdf.add_blank_page(page_size=(width, height))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=picture))
    page.Contents = pdf.make_stream(
        pikepdf.unparse_content_stream(
            [
                pikepdf.ContentStreamInstruction([], pikepdf.Operator("q")),
                pikepdf.ContentStreamInstruction([width, 0, 0, height, 0, 0], pikepdf.Operator("cm")),
                pikepdf.ContentStreamInstruction([pikepdf.Name.Im0], pikepdf.Operator("Do")),
                pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q")),
            ]
        )
    )


def _save(pdf: pikepdf.Pdf, target: Path | BinaryIO) -> None:
    """Deterministic: the same pages give the same bytes (the file ID derives from the content)."""
    pdf.save(target, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def burn_in(data: bytes, boxes: list[Box], out: BinaryIO, *, dpi: int = 150) -> int:
    """Write the released copy of ``data`` to ``out``: every page rendered to an image, the boxes
    filled black with their ground's short label in white; no text layer, metadata, annotations or
    embedded files of the original. Returns the number of pages that carry a box.

    The pages go to temporary parts of ``PART_PAGES`` pages which are then joined (qpdf copies
    their picture streams from the files as it writes), so memory does not grow with the pages."""
    info = inspect(data)
    check_boxes(info, boxes)
    by_page: dict[int, list[Box]] = {}
    for item in boxes:
        by_page.setdefault(item.page, []).append(item)
    scale = dpi / 72
    with tempfile.TemporaryDirectory(prefix="caseflow-redact-") as name, _document(data) as doc:
        if doc.get_formtype() != pdfium_c.FORMTYPE_NONE:
            with _PDFIUM:
                doc.init_forms()
        parts: list[Path] = []
        for start in range(0, info.pages, PART_PAGES):
            with pikepdf.new() as part:
                for index in range(start, min(start + PART_PAGES, info.pages)):
                    image, width, height = _picture(doc, index, scale)
                    _draw(image, by_page.get(index + 1, []), scale)
                    _add_page(part, image, width, height)
                    del image
                parts.append(Path(name) / f"part-{len(parts):04d}.pdf")
                _save(part, parts[-1])
        if len(parts) == 1:
            with parts[0].open("rb") as single:
                shutil.copyfileobj(single, out)
        else:
            sources = [pikepdf.open(path) for path in parts]
            try:
                with pikepdf.new() as whole:
                    for source in sources:
                        whole.pages.extend(source.pages)
                    _save(whole, out)
            finally:
                for source in sources:
                    source.close()
    return len(by_page)


def render_page(data: bytes, page: int, *, scale: float = 1.0) -> bytes:
    """One page (1-based) as PNG at ``scale`` × 72 dpi (the redaction editor's page image)."""
    if not 0 < scale <= 8:
        raise RedactionError(f"缩放比例 {scale} 无效（应在0到8之间）")
    with _document(data) as doc:
        if not 1 <= page <= len(doc):
            raise RedactionError(f"第{page}页不存在（共{len(doc)}页）")
        image, _, _ = _picture(doc, page - 1, scale)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()
