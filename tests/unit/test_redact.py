"""The redaction engine on real PDFs (WeasyPrint with the Noto CJK font, pypdf, pdfium): suggestions
from the text layer, the burn-in that leaves no text, metadata, annotation or attachment of the
original, the refusals, and ``caseflow redact``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops
from pypdf.annotations import FreeText
from typer.testing import CliRunner

from caseflow import law
from caseflow.cli import app
from caseflow.release import redact
from caseflow.release.redact import Box, RedactionError
from tests.idnumbers import valid_ric

ID_NUMBER = valid_ric()
MOBILE = "13812345678"
BODY = (
    f"<p>申请人：张三，身份证号码 {ID_NUMBER}，联系电话 {MOBILE}，固定电话 010-12345678。</p>"
    "<p>申请人要求公开王府井大街改造项目的批复文件。</p>"
)


def _weasy(body: str, style: str = "") -> bytes:
    import weasyprint

    html = (
        "<html><head><style>@page { size: A4; margin: 2cm } "
        f"body {{ font-family: 'Noto Sans CJK SC'; font-size: 12pt }} {style}</style></head>"
        f"<body>{body}</body></html>"
    )
    return bytes(weasyprint.HTML(string=html).write_pdf())


@pytest.fixture(scope="module")
def plain() -> bytes:
    return _weasy(BODY + '<p style="page-break-before: always">第二页 没有个人信息</p>')


@pytest.fixture(scope="module")
def source(plain: bytes) -> bytes:
    """The same record with a Title and Author, an annotation and an attachment (pypdf)."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(plain)))
    writer.add_metadata({"/Title": "内部标题", "/Author": "经办人李四"})
    writer.add_annotation(0, FreeText(text="批注：不宜公开", rect=(50, 50, 300, 100)))
    writer.add_attachment("底稿.txt", f"底稿 {ID_NUMBER}".encode())
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _text_box(data: bytes, page: int, box: tuple[float, float, float, float]) -> str:
    """The text pdfium finds inside ``box`` (top-left origin) of a page with rotation 0."""
    doc = pdfium.PdfDocument(data)
    try:
        height = doc[page - 1].get_height()
        textpage = doc[page - 1].get_textpage()
        return str(textpage.get_text_bounded(box[0], height - box[3], box[2], height - box[1]))
    finally:
        doc.close()


def test_suggestions_find_identity_phone_and_name_not_ordinary_words(plain: bytes) -> None:
    found = redact.suggest(plain)
    texts = [b.text for b in found]
    assert ID_NUMBER in texts and MOBILE in texts and "010-12345678" in texts and "张三" in texts
    assert not any("王" in t for t in texts)  # 王府井 is a street, not a person
    assert all(b.ground == law.SUGGESTION_GROUND and b.page == 1 for b in found)
    assert len(found) == len({(b.page, b.box, b.text) for b in found}) == 4
    for item in found:  # each box covers its text (rotation 0: x right, y down), less the 1 pt margin
        x0, y0, x1, y1 = item.box
        assert _text_box(plain, 1, (x0 + 1.5, y0, x1 - 1.5, y1)).replace(" ", "") == item.text


def test_suggestion_boxes_follow_a_rotated_page(plain: bytes) -> None:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(plain)))
    writer.pages[0].rotate(90)
    buffer = io.BytesIO()
    writer.write(buffer)
    rotated = buffer.getvalue()
    info = redact.inspect(rotated)
    assert info.sizes[0][0] > info.sizes[0][1]  # landscape as displayed
    box = next(b for b in redact.suggest(rotated) if b.text == ID_NUMBER).box
    assert box[3] - box[1] > 5 * (box[2] - box[0])  # the number now runs down the page
    scale = 2.0
    picture = Image.open(io.BytesIO(redact.render_page(rotated, 1, scale=scale))).convert("L")
    area = picture.crop(tuple(round(v * scale) for v in box))  # type: ignore[arg-type]
    assert area.getextrema()[0] < 80  # the digits' ink is inside the box
    redact.check_boxes(info, [Box(1, box, law.SUGGESTION_GROUND)])


def test_burn_in_leaves_no_text_metadata_annotation_or_attachment(source: bytes, tmp_path: Path) -> None:
    boxes = redact.suggest(source)
    manual = Box(1, (40.0, 300.0, 300.0, 360.0), "withheld.internal_affairs")
    out = io.BytesIO()
    assert redact.burn_in(source, [*boxes, manual], out) == 1
    released = out.getvalue()

    reader = pypdf.PdfReader(io.BytesIO(released))
    assert [p.extract_text() for p in reader.pages] == ["", ""]
    doc = pdfium.PdfDocument(released)
    assert [doc[i].get_textpage().count_chars() for i in range(len(doc))] == [0, 0]
    assert doc.count_attachments() == 0
    doc.close()
    assert ID_NUMBER.encode() not in released and "张三".encode() not in released
    assert "/Metadata" not in reader.trailer["/Root"] and "/Names" not in reader.trailer["/Root"]
    assert not reader.metadata  # no /Info: neither the Title nor the Author of the original
    assert all("/Annots" not in p for p in reader.pages)
    assert b"EmbeddedFile" not in released and b"Annot" not in released

    original = redact.inspect(source)
    assert redact.inspect(released) == original  # page count and sizes kept

    scale = 150 / 72
    spaces = [p["/Resources"]["/XObject"]["/Im0"]["/ColorSpace"] for p in reader.pages]
    assert spaces == ["/DeviceRGB", "/DeviceGray"]  # an annotated page may have colour; the other not
    picture = Image.open(io.BytesIO(redact.render_page(released, 1, scale=scale))).convert("L")
    for item in [*boxes, manual]:
        x0, y0, x1, y1 = item.box
        inner = picture.crop(
            (round(x0 * scale) + 2, round(y0 * scale) + 2, round(x1 * scale) - 2, round(y1 * scale) - 2)
        )
        histogram = inner.histogram()
        pixels = sum(histogram)
        black, white = sum(histogram[:40]), sum(histogram[216:])
        assert black + white == pixels  # black and the label's white (not anti-aliased): nothing else
        assert black > 0.5 * pixels

    again = io.BytesIO()
    redact.burn_in(source, [*boxes, manual], again)
    assert again.getvalue() == released  # the same input and boxes give the same bytes


def test_colour_pages_keep_their_colour_and_parts_join(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _weasy(
        '<p style="color: #c00000">红色印章文字</p>'
        + "".join(f'<p style="page-break-before: always">第{i}页</p>' for i in range(2, 6))
    )
    monkeypatch.setattr(redact, "PART_PAGES", 2)  # five pages in three parts
    out = io.BytesIO()
    assert redact.burn_in(data, [Box(5, (10, 10, 100, 40), "withheld.process_info")], out) == 1
    released = out.getvalue()
    assert redact.inspect(released).pages == 5
    first = Image.open(io.BytesIO(redact.render_page(released, 1, scale=2))).convert("RGB")
    red, green, _ = first.split()
    assert ImageChops.subtract(red, green).getextrema()[1] > 120  # the red text is still red
    last = Image.open(io.BytesIO(redact.render_page(released, 5, scale=1))).convert("L")
    assert last.crop((12, 12, 98, 38)).getextrema()[0] == 0


def test_label_fits_or_shrinks_to_the_article(plain: bytes) -> None:
    out = io.BytesIO()
    narrow = Box(1, (300.0, 500.0, 340.0, 520.0), "withheld.process_info")  # 40 pt: no room for the ground
    tiny = Box(1, (300.0, 600.0, 303.0, 603.0), "withheld.process_info")
    redact.burn_in(plain, [narrow, tiny], out)
    picture = Image.open(io.BytesIO(redact.render_page(out.getvalue(), 1, scale=150 / 72))).convert("L")
    s = 150 / 72
    narrow_area = picture.crop(
        (round(300 * s) + 1, round(500 * s) + 1, round(340 * s) - 1, round(520 * s) - 1)
    )
    assert narrow_area.getextrema() == (0, 255)  # a white label inside
    tiny_area = picture.crop((round(300 * s) + 1, round(600 * s) + 1, round(303 * s) - 1, round(603 * s) - 1))
    assert tiny_area.getextrema()[1] < 40  # too small for any label: black only


def _blank_pdf(pages: int) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_refusals_of_files(plain: bytes) -> None:
    with pytest.raises(RedactionError, match="不是PDF文件"):
        redact.inspect(b"GIF89a not a pdf")
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(plain)))
    writer.encrypt("secret", algorithm="AES-256")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(RedactionError, match="已加密"):
        redact.inspect(locked.getvalue())
    with pytest.raises(RedactionError, match="不完整或已损坏"):
        redact.inspect(plain[: len(plain) // 2])
    with pytest.raises(RedactionError, match="已损坏"):
        redact.inspect(b"%PDF-1.7\n" + b"\x00garbage" * 100 + b"\n%%EOF\n")
    with pytest.raises(RedactionError, match="共2001页，超过2000页的上限，请拆分后上传"):
        redact.inspect(_blank_pdf(2001))
    with pytest.raises(RedactionError, match="已加密"):
        redact.burn_in(locked.getvalue(), [], io.BytesIO())


def test_refusals_of_boxes(plain: bytes) -> None:
    info = redact.inspect(plain)
    assert info.pages == 2 and info.sizes[0] == (595.28, 841.89)
    cases = [
        (Box(5, (1, 1, 2, 2), "withheld.third_party"), "第2个遮盖框：第5页不存在（共2页）"),
        (
            Box(1, (500, 800, 600, 850), "withheld.third_party"),
            "第2个遮盖框：第1页上的矩形 .* 超出页面范围（页面 595.3×841.9 点）",
        ),
        (
            Box(1, (10, 10, 20, 20), "disclosed.provided"),
            "第2个遮盖框：理由 disclosed.provided 不是不予公开的理由",
        ),
        (Box(1, (20, 10, 10, 20), "withheld.third_party"), "第2个遮盖框：第1页上的矩形为空"),
    ]
    fine = Box(1, (0, 0, 595.5, 842.2), "withheld.third_party")  # within the 0.5 pt tolerance
    redact.check_boxes(info, [fine])
    for bad, message in cases:
        with pytest.raises(RedactionError, match=message):
            redact.check_boxes(info, [fine, bad])
        out = io.BytesIO()
        with pytest.raises(RedactionError):
            redact.burn_in(plain, [fine, bad], out)
        assert out.getvalue() == b""  # refused before anything is written


def test_load_boxes(tmp_path: Path) -> None:
    path = tmp_path / "boxes.json"
    path.write_text(
        json.dumps([{"page": 1, "box": [1, 2, 3, 4], "ground": "withheld.third_party"}]), encoding="utf-8"
    )
    assert redact.load_boxes(path) == [Box(1, (1.0, 2.0, 3.0, 4.0), "withheld.third_party")]
    for content, message in [
        ("{", "不是有效的JSON"),
        ('{"page": 1}', "应为JSON数组"),
        ('[{"page": "1", "box": [1, 2, 3, 4], "ground": "x"}]', "第1项：page 应为页码"),
        ('[{"page": 1, "box": [1, 2, 3], "ground": "x"}]', "第1项：box 应为4个数"),
        ('[{"page": 1, "box": [1, 2, 3, 4]}]', "第1项：ground"),
    ]:
        path.write_text(content, encoding="utf-8")
        with pytest.raises(RedactionError, match=message):
            redact.load_boxes(path)


def test_cli_suggest_and_burn_in(plain: bytes, tmp_path: Path) -> None:
    pdf = tmp_path / "in.pdf"
    pdf.write_bytes(plain)
    runner = CliRunner()
    result = runner.invoke(app, ["redact", str(pdf), "--suggest"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {"page", "box", "ground", "text"} == set(found[0]) and ID_NUMBER in {f["text"] for f in found}
    assert all(len(f["box"]) == 4 and f["ground"] == "withheld.third_party" for f in found)

    boxes = tmp_path / "boxes.json"
    boxes.write_text(result.stdout, encoding="utf-8")
    out = tmp_path / "out" / "released.pdf"
    result = runner.invoke(app, ["redact", str(pdf), "--boxes", str(boxes), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "共2页，其中1页有遮盖" in result.stdout
    assert pypdf.PdfReader(out).pages[0].extract_text() == ""

    bad = json.loads(boxes.read_text(encoding="utf-8"))
    bad[0]["page"] = 9
    boxes.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    refused = tmp_path / "refused" / "released.pdf"
    result = runner.invoke(app, ["redact", str(pdf), "--boxes", str(boxes), "--out", str(refused)])
    assert result.exit_code == 2
    assert "第1个遮盖框：第9页不存在（共2页）" in result.stderr
    assert not refused.exists() and list(refused.parent.iterdir()) == []  # nothing left half-written
