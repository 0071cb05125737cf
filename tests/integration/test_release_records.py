"""The records to release (issue 19, ``caseflow.release.records``): uploads by content (PDF as is,
images to PDF losslessly, Word/Excel through LibreOffice, refused without it), bad files refused with
nothing stored, boxes checked and kept with who drew them, suggestions accepted or rejected, the
released copy made from page images (no text) and hashed, the manifest refusing a stale copy,
records frozen once released or answered; SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pypdfium2
import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from caseflow import law
from caseflow.db import write_transaction
from caseflow.errors import FactsError, NotFound, RuleViolation
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, Document, ReleaseRecord
from caseflow.release import convert, copies, records, redact
from tests.conftest import require
from tests.idnumbers import RIC_1234
from tests.integration.conftest import World
from tests.integration.releasing import decide_all

SENTENCE = "道路维修工程预算表"
PII_HTML = f"""<html><body style="font-family: sans-serif; font-size: 14pt">
<p>{SENTENCE}</p><p>联系人：张三，电话 13812345678，身份证号 {RIC_1234}。</p>
<p style="page-break-before: always">第二页：工程概况。</p></body></html>"""
A4 = (595.28, 841.89)


# --- files ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def text_pdf() -> bytes:
    """Two pages with a text layer; page 1 has a name, a phone number and an identity number."""
    import weasyprint  # type: ignore[import-untyped]

    return bytes(weasyprint.HTML(string=PII_HTML).write_pdf())


@pytest.fixture(scope="session")
def docx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A Word file, made by LibreOffice from HTML."""
    require("LibreOffice", None if convert.soffice() else "soffice is not on PATH")
    work = tmp_path_factory.mktemp("docx")
    (work / "source.html").write_text(f"<html><body><p>{SENTENCE}</p></body></html>", encoding="utf-8")
    subprocess.run(
        [convert.soffice() or "soffice", f"-env:UserInstallation={(work / 'p').as_uri()}", "--headless"]
        + ["--convert-to", "docx:MS Word 2007 XML", "--outdir", str(work), str(work / "source.html")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (work / "source.docx").read_bytes()


def xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["项目", "金额"])
    sheet.append([SENTENCE, 1200])
    sheet.column_dimensions["A"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def image(fmt: str, size: tuple[int, int] = (64, 48), **options: Any) -> bytes:
    picture = Image.new("RGB", size, (255, 255, 255))
    for x in range(size[0]):  # a pattern, so that a lossy conversion would show
        picture.putpixel((x, x % size[1]), (x * 3 % 256, 20, 200))
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


def tiff_pages(n: int) -> bytes:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "green", "blue")[:n]]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def encrypted(pdf: bytes) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pages(n: int) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(n):
        writer.add_blank_page(width=A4[0], height=A4[1])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def text_of(pdf: bytes) -> str:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


# --- helpers ----------------------------------------------------------------------------------


def upload(world: World, case: Case, filename: str, data: bytes, **kw: Any) -> ReleaseRecord:
    with write_transaction(world.session):
        return records.add(world.session, case, actor="clerk", filename=filename, data=data, **kw)


def counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    rows = session.exec(select(func.count()).select_from(ReleaseRecord)).one()
    docs = session.exec(select(func.count()).select_from(Document)).one()
    return int(rows), int(docs)


def refused_upload(world: World, case: Case, filename: str, data: bytes) -> FactsError:
    """The upload is refused (field ``file``) and neither a row nor a document is written."""
    before = counts(world.session)
    with pytest.raises(FactsError) as info:
        upload(world, case, filename, data)
    assert info.value.errors[0][0] == "file"
    assert counts(world.session) == before
    return info.value


def stored(session: Session, sha256: str) -> Document:
    doc = session.get(Document, sha256)
    assert doc is not None
    assert hashlib.sha256(DocumentStore().read(sha256, session)).hexdigest() == sha256
    return doc


def fresh(session: Session, record: ReleaseRecord) -> ReleaseRecord:
    session.expire_all()
    again = session.get(ReleaseRecord, record.id)
    assert again is not None
    return again


def box(
    page: int = 1, rect: tuple[float, ...] = (50, 60, 200, 90), ground: str = "withheld.third_party"
) -> dict[str, Any]:
    return {"page": page, "box": list(rect), "ground": ground}


def set_boxes(world: World, record: ReleaseRecord, boxes: list[dict[str, Any]], actor: str = "clerk") -> None:
    with write_transaction(world.session):
        records.set_boxes(world.session, fresh(world.session, record), boxes, actor=actor)


def prepare(world: World, case: Case) -> list[dict[str, Any]]:
    with write_transaction(world.session):
        copies.prepare_all(world.session, case)
    return copies.manifest(world.session, case)


# --- uploads ----------------------------------------------------------------------------------


def test_a_pdf_is_kept_as_is_with_its_suggestions_and_images_become_lossless_pages(
    world: World, text_pdf: bytes
) -> None:
    case = world.new_case()
    assert copies.manifest(world.session, case) == []
    record = upload(world, case, "C:\\fakepath\\预算表.pdf", text_pdf)
    assert (record.title, record.filename, record.position, record.pages) == ("预算表", "预算表.pdf", 1, 2)
    assert record.original_sha256 == record.pdf_sha256 == hashlib.sha256(text_pdf).hexdigest()
    assert stored(world.session, record.pdf_sha256).media_type == "application/pdf"
    assert record.boxes == [] and record.uploaded_by == "clerk"
    suggestions = record.suggestions
    assert len(suggestions) >= 2  # the phone number and the identity number at least
    assert [s["id"] for s in suggestions] == [f"s{i}" for i in range(1, len(suggestions) + 1)]
    assert {s["status"] for s in suggestions} == {"open"}
    assert {s["ground"] for s in suggestions} == {law.SUGGESTION_GROUND}
    assert {s["page"] for s in suggestions} == {1}
    assert any("13812345678" in s["text"] for s in suggestions)

    png = image("PNG")
    photo = upload(world, case, "扫描件.png", png, title="现场照片")
    assert (photo.title, photo.position, photo.pages) == ("现场照片", 2, 1)
    assert photo.original_sha256 == hashlib.sha256(png).hexdigest() != photo.pdf_sha256
    assert stored(world.session, photo.original_sha256).media_type == "image/png"
    pdf = DocumentStore().read(photo.pdf_sha256, world.session)
    (embedded,) = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images
    assert embedded.image.convert("RGB").tobytes() == Image.open(io.BytesIO(png)).tobytes()  # lossless

    jpeg = upload(world, case, "named-as.png", image("JPEG", quality=90))  # the content decides
    assert jpeg.filename == "named-as.jpg" and jpeg.pages == 1
    assert stored(world.session, jpeg.original_sha256).media_type == "image/jpeg"
    assert upload(world, case, "三页.tif", tiff_pages(3)).pages == 3
    assert [r.position for r in records.for_case(world.session, case.id or 0)] == [1, 2, 3, 4]

    with pytest.raises(FactsError) as open_ones:  # every suggestion is decided by a person first
        prepare(world, case)
    assert open_ones.value.code == "release_suggestions_open"
    assert open_ones.value.errors == [
        ("release", f"「预算表」还有{len(suggestions)}处建议遮盖未处理，请逐一采纳或不采纳")
    ]
    with write_transaction(world.session):
        assert decide_all(world.session, case, accept=False, actor="clerk") == len(suggestions)
    released = prepare(world, case)  # nothing boxed: the PDFs themselves are released
    assert [m["sha256"] for m in released] == [
        r.pdf_sha256 for r in records.for_case(world.session, case.id or 0)
    ]
    assert released[0]["redacted_pages"] == 0 and released[0]["boxes"] == []


def test_word_and_excel_go_through_libreoffice(world: World, docx: bytes, engine: Any) -> None:
    """One conversion per database (LibreOffice takes seconds): Word on SQLite, Excel on PostgreSQL."""
    case = world.new_case()
    name, data, media_type = (
        ("说明.docx", docx, "wordprocessingml.document")
        if engine.dialect.name == "sqlite"
        else ("明细.xlsx", xlsx(), "spreadsheetml.sheet")
    )
    record = upload(world, case, name, data)
    assert record.original_sha256 != record.pdf_sha256 and record.pages >= 1
    assert stored(world.session, record.original_sha256).media_type.endswith(media_type)
    assert SENTENCE in text_of(DocumentStore().read(record.pdf_sha256, world.session))


def test_without_libreoffice_office_files_are_refused(
    world: World, docx: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = world.new_case()
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice, no libreoffice to be found
    assert convert.soffice() is None
    for name, data in (("说明.docx", docx), ("明细.xlsx", xlsx())):
        error = refused_upload(world, case, name, data)
        assert "本系统未安装LibreOffice，无法将Word/Excel文件转换为PDF；请先转换为PDF后上传" in error.message
    assert upload(world, case, "图.png", image("PNG")).pages == 1  # images need no LibreOffice


def test_bad_files_are_refused_with_nothing_stored(world: World, text_pdf: bytes) -> None:
    case = world.new_case()
    html = b"<!DOCTYPE html><html><body><p>not a pdf</p></body></html>"
    assert "不支持的文件类型" in refused_upload(world, case, "报告.pdf", html).message
    assert (
        "（支持PDF、JPEG、PNG、Word"
        in refused_upload(world, case, "a.zip", b"PK\x03\x04" + b"\0" * 40).message
    )
    png = image("PNG", size=(300, 300))
    assert "不是有效的图片文件" in refused_upload(world, case, "坏图.png", png[: len(png) // 2]).message
    locked = refused_upload(world, case, "锁定.pdf", encrypted(text_pdf)).message
    assert "“锁定.pdf”" in locked and "加密" in locked
    huge = refused_upload(world, case, "两千零一页.pdf", blank_pages(2001)).message
    assert "2001页" in huge and "2000页" in huge
    assert "20 MB" in refused_upload(world, case, "大.pdf", b"%PDF-1.7\n" + b"0" * (20 * 1024 * 1024)).message
    assert "空文件" in refused_upload(world, case, "空.pdf", b"").message
    assert records.for_case(world.session, case.id or 0) == []


# --- boxes and suggestions ---------------------------------------------------------------------


def test_boxes_are_checked_and_keep_who_drew_them(world: World, text_pdf: bytes) -> None:
    case = world.new_case()
    record = upload(world, case, "预算表.pdf", text_pdf)
    first = box(1, (50, 60, 200, 90))
    set_boxes(world, record, [first], actor="clerk")
    drawn = fresh(world.session, record)
    ((kept,),) = [drawn.boxes]
    assert (kept["by"], kept["source"], kept["box"]) == ("clerk", "manual", [50.0, 60.0, 200.0, 90.0])
    assert drawn.boxes_digest == records.boxes_digest([first]) != records.boxes_digest([])
    assert drawn.updated_by == "clerk"

    before = fresh(world.session, record).model_dump()
    for bad in (
        [first, box(1, (500, 800, 700, 900))],  # beyond the page's right edge
        [box(3)],  # the PDF has 2 pages
        [box(1, (100, 100, 100, 150))],  # empty
        [box(ground="withheld.no_such_ground")],
        [{"page": 1, "box": [1, 2, 3]}],  # malformed
    ):
        with pytest.raises(FactsError) as info:
            set_boxes(world, record, bad, actor="reviewer")
        assert info.value.errors[0][0] == "boxes" and "预算表" in info.value.message
        assert fresh(world.session, record).model_dump() == before

    # the reviewer posts the clerk's box again (to within 0.1 pt) and adds one on page 2
    second = box(2, (10, 10, 100, 40), "withheld.process_info")
    set_boxes(world, record, [{**first, "box": [50.04, 60, 200, 89.96]}, second], actor="reviewer")
    boxes = fresh(world.session, record).boxes
    assert [(b["page"], b["by"], b["at"], b["source"]) for b in boxes] == [
        (1, "clerk", kept["at"], "manual"),
        (2, "reviewer", boxes[1]["at"], "manual"),
    ]
    assert boxes[0]["box"] == kept["box"]
    set_boxes(world, record, [second], actor="reviewer")
    assert [b["page"] for b in fresh(world.session, record).boxes] == [2]


def test_suggestions_are_accepted_or_rejected_once(world: World, text_pdf: bytes) -> None:
    case = world.new_case()
    record = upload(world, case, "预算表.pdf", text_pdf)
    s1, s2 = record.suggestions[0], record.suggestions[1]

    def decide(sid: str, accept: bool, actor: str = "reviewer") -> ReleaseRecord:
        with write_transaction(world.session):
            records.decide(world.session, fresh(world.session, record), sid, accept, actor=actor)
        return fresh(world.session, record)

    after = decide("s1", True)
    assert after.boxes == [
        {
            "page": s1["page"],
            "box": s1["box"],
            "ground": s1["ground"],
            "by": "reviewer",
            "at": after.boxes[0]["at"],
            "source": "suggested",
        }
    ]
    assert (after.suggestions[0]["status"], after.suggestions[0]["by"]) == ("accepted", "reviewer")
    assert after.boxes_digest == records.boxes_digest(after.boxes)
    assert decide("s1", True, actor="clerk").model_dump() == after.model_dump()  # the same again: nothing
    with pytest.raises(RuleViolation, match="采纳"):
        decide("s1", False)
    rejected = decide("s2", False, actor="clerk")
    assert (rejected.suggestions[1]["status"], rejected.suggestions[1]["by"]) == ("rejected", "clerk")
    assert rejected.boxes == after.boxes and s2["status"] == "open"
    with pytest.raises(NotFound):
        decide("s999", True)
    assert fresh(world.session, record).model_dump() == rejected.model_dump()


# --- released copies and the manifest ---------------------------------------------------------


def test_the_released_copy_is_burnt_in_and_the_manifest_refuses_a_stale_one(
    world: World, text_pdf: bytes
) -> None:
    case = world.new_case()
    record = upload(world, case, "预算表.pdf", text_pdf)
    set_boxes(world, record, [box(1, (40, 40, 400, 120)), box(2, ground="withheld.process_info")])
    with write_transaction(world.session):  # the suggestions rejected: the boxes stay as drawn
        assert decide_all(world.session, case, accept=False, actor="reviewer") == len(record.suggestions)
    assert fresh(world.session, record).boxes_digest == records.boxes_digest(
        [box(1, (40, 40, 400, 120)), box(2, ground="withheld.process_info")]
    )
    with pytest.raises(FactsError) as info:
        copies.manifest(world.session, case)
    assert info.value.errors == [("release", "「预算表」的公开文本尚未按当前遮盖生成，请先生成公开文本")]

    (entry,) = prepare(world, case)
    made = fresh(world.session, record)
    assert made.released_sha256 not in (None, made.pdf_sha256)
    assert made.released_digest == made.boxes_digest and made.redacted_pages == 2
    doc = stored(world.session, made.released_sha256 or "")
    assert (doc.media_type, doc.filename) == ("application/pdf", "预算表（公开文本）.pdf")
    released = DocumentStore().read(made.released_sha256 or "", world.session)
    assert hashlib.sha256(released).hexdigest() == entry["sha256"]
    assert text_of(released).strip() == "" and len(pypdfium2.PdfDocument(released)) == 2
    assert entry == {
        "record_id": record.id,
        "title": "预算表",
        "pages": 2,
        "redacted_pages": 2,
        "redacted_page_numbers": [1, 2],
        "grounds": {"withheld.process_info": [2], "withheld.third_party": [1]},
        "sha256": made.released_sha256,
        "original_sha256": made.original_sha256,
        "pdf_sha256": made.pdf_sha256,
        "boxes": [
            {
                "page": 1,
                "box": [40.0, 40.0, 400.0, 120.0],
                "ground": "withheld.third_party",
                "by": "clerk",
                "source": "manual",
            },
            {
                "page": 2,
                "box": [50.0, 60.0, 200.0, 90.0],
                "ground": "withheld.process_info",
                "by": "clerk",
                "source": "manual",
            },
        ],
    }
    documents = counts(world.session)[1]
    assert prepare(world, case) == [entry] and counts(world.session)[1] == documents  # made already

    set_boxes(world, record, [box(1, (40, 40, 400, 120))])  # a box taken off: the copy is stale
    with pytest.raises(FactsError, match="预算表"):
        copies.manifest(world.session, case)
    (again,) = prepare(world, case)
    assert again["sha256"] != entry["sha256"] and again["redacted_page_numbers"] == [1]
    assert again["redacted_pages"] == 1
    set_boxes(world, record, [])
    (plain,) = prepare(world, case)
    assert (plain["sha256"], plain["redacted_pages"]) == (made.pdf_sha256, 0)


def black_share(pdf: bytes, page: int, rect: tuple[float, float, float, float]) -> float:
    """The share of black pixels inside ``rect`` (PDF points, origin top-left, 2 px in from its
    edges) on ``page`` of ``pdf`` rendered at 150 dpi."""
    scale = 150 / 72
    picture = Image.open(io.BytesIO(redact.render_page(pdf, page, scale=scale))).convert("L")
    x0, y0, x1, y1 = (round(v * scale) for v in rect)
    histogram = picture.crop((x0 + 2, y0 + 2, x1 - 2, y1 - 2)).histogram()
    return sum(histogram[:40]) / sum(histogram)


def test_copies_made_before_the_lock_are_stored_only_for_the_boxes_as_they_are(
    world: World, text_pdf: bytes, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``copies.prepare_outside_lock`` burns before the write lock; boxes changed by another writer in
    between are burnt again inside it: the stored copy is the one for the new boxes."""
    case = world.new_case()
    record = upload(world, case, "预算表.pdf", text_pdf)
    first = box(2, (72, 300, 300, 360), "withheld.process_info")
    set_boxes(world, record, [first])
    copies.prepare_outside_lock(world.session, case)
    made = fresh(world.session, record)
    assert copies.current(made) and made.released_digest == records.boxes_digest([first])
    assert made.released_sha256 not in (None, made.pdf_sha256) and made.redacted_pages == 1
    released = DocumentStore().read(made.released_sha256 or "", world.session)
    assert black_share(released, 2, (72, 300, 300, 360)) > 0.5

    second = box(2, (72, 450, 300, 510), "withheld.process_info")
    moved = box(2, (72, 600, 300, 660), "withheld.internal_affairs")
    set_boxes(world, record, [second])
    burnt: list[str] = []
    real_burn = copies.burn

    def burn_then_another_writer(
        session: Session, item: ReleaseRecord, store: DocumentStore | None = None
    ) -> copies.Copy:
        made = real_burn(session, item, store)
        burnt.append(made.digest)
        if len(burnt) == 1:  # after the first burn, another writer moves the box and commits
            with Session(engine, expire_on_commit=False) as other, write_transaction(other):
                again = other.get(ReleaseRecord, item.id)
                assert again is not None
                records.set_boxes(other, again, [moved], actor="reviewer")
        return made

    monkeypatch.setattr(copies, "burn", burn_then_another_writer)
    documents = counts(world.session)[1]
    copies.prepare_outside_lock(world.session, case)
    assert burnt == [records.boxes_digest([second]), records.boxes_digest([moved])]  # burnt again
    stored_copy = fresh(world.session, record)
    assert stored_copy.boxes_digest == records.boxes_digest([moved]) == stored_copy.released_digest
    assert copies.current(stored_copy) and stored_copy.updated_by == "reviewer"
    assert counts(world.session)[1] == documents + 1  # the copy for the old boxes was never stored
    copy = DocumentStore().read(stored_copy.released_sha256 or "", world.session)
    assert black_share(copy, 2, (72, 600, 300, 660)) > 0.5  # the new box is filled
    assert black_share(copy, 2, (72, 450, 300, 510)) < 0.05  # the box taken away is not
    assert black_share(copy, 2, (72, 300, 300, 360)) < 0.05
    assert text_of(copy).strip() == ""
    with write_transaction(world.session):  # (rejecting keeps the boxes: the copy stays current)
        decide_all(world.session, case, actor="clerk")
    (entry,) = copies.manifest(world.session, case)
    assert entry["sha256"] == stored_copy.released_sha256 and entry["redacted_page_numbers"] == [2]


def test_records_are_frozen_once_released_or_answered(world: World, text_pdf: bytes) -> None:
    case = world.new_case()
    first, second, third = (upload(world, case, f"{n}.pdf", text_pdf, title=n) for n in ("甲", "乙", "丙"))
    with write_transaction(world.session):
        records.remove(world.session, fresh(world.session, second), actor="clerk")
    assert [(r.title, r.position) for r in records.for_case(world.session, case.id or 0)] == [
        ("甲", 1),
        ("丙", 2),
    ]
    assert upload(world, case, "丁.pdf", text_pdf).position == 3

    with write_transaction(world.session):  # what issuing the reply records (caseflow.cases, helper B2)
        released = fresh(world.session, first)
        released.issued_seq = 7
        world.session.add(released)
    before = counts(world.session), fresh(world.session, first).model_dump()
    for attempt in (
        lambda r: records.set_boxes(world.session, r, [box()], actor="clerk"),
        lambda r: records.decide(world.session, r, "s1", True, actor="clerk"),
        lambda r: records.remove(world.session, r, actor="clerk"),
    ):
        with pytest.raises(RuleViolation, match="已随答复公开"), write_transaction(world.session):
            attempt(fresh(world.session, first))
    with pytest.raises(RuleViolation, match="已随答复公开"):
        upload(world, case, "戊.pdf", text_pdf)
    assert (counts(world.session), fresh(world.session, first).model_dump()) == before

    withdrawn = world.new_case()
    kept = upload(world, withdrawn, "甲.pdf", text_pdf)
    withdrawn = world.act(withdrawn, "withdraw", {"reason": "申请人自行撤回", "withdrawn_on": "2026-09-29"})
    assert withdrawn.state == "withdrawn"
    with pytest.raises(RuleViolation, match="已撤回"):
        upload(world, withdrawn, "乙.pdf", text_pdf)
    with pytest.raises(RuleViolation), write_transaction(world.session):
        records.set_boxes(world.session, fresh(world.session, kept), [box()], actor="clerk")
    assert (
        fresh(world.session, kept).boxes == []
        and len(records.for_case(world.session, withdrawn.id or 0)) == 1
    )


def test_a_conversion_that_takes_too_long_is_killed_and_refused() -> None:
    require("LibreOffice", None if convert.soffice() else "soffice is not on PATH")
    with pytest.raises(convert.ConversionError, match="超过0.2秒未完成"):
        convert.office_to_pdf(xlsx(), "xlsx", "明细.xlsx", timeout=0.2)
