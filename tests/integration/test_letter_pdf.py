"""Letters as PDF/A-3b (issue 4): WeasyPrint with the prepared CJK font, read back with pypdf.

SQLite only (the PDF does not depend on the database). PDF rendering is off for the test session
(tests/conftest.py); these tests turn it on just before the letter they look at, so that only a
few PDFs are rendered. The tests that render need an installed CJK font (Debian: fonts-noto-cjk):
without one they skip with the reason, or fail under CASEFLOW_REQUIRE_ALL=1.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import col, func, select
from typer.testing import CliRunner

import caseflow.db
from caseflow import law
from caseflow.calendar import reset_default_calendar
from caseflow.cli import app
from caseflow.models import Case, Counter, EvidenceEvent, Letter
from caseflow.replies import fonts
from caseflow.replies.fonts import INSTALL_HINT, FontMissing
from caseflow.replies.issue import issued_files, issued_letters
from caseflow.replies.pdf_after import render_pending
from caseflow.settings import get_settings
from tests.conftest import require
from tests.integration.conftest import World, snapshot

PROVIDED = {"outcome": "disclosed.provided", "provided": "2025年道路维修工程预算表（电子版）"}
TITLE = "政府信息公开申请答复书"
RARE = "𠀾"  # U+2003E, outside GB 2312: not in the prepared base font


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """SQLite only (overrides the conftest's SQLite-and-PostgreSQL parametrisation)."""
    path = tmp_path / "caseflow.db"
    shutil.copy(sqlite_template, path)
    yield f"sqlite:///{path}"


def _forget_caches() -> None:
    get_settings.cache_clear()
    caseflow.db._engine_for.cache_clear()
    reset_default_calendar()


def cjk_font_missing() -> str | None:
    try:
        fonts.find_source()
    except FontMissing as exc:
        return str(exc)
    return None


def issue_reply_as_pdf(world: World, enable_pdf: Callable[[], None], **changes: Any) -> tuple[Case, Letter]:
    """A disclosed.provided reply: registered and drafted as HTML only, issued with its PDF."""
    case = world.new_case(**changes)
    case = world.act(case, "draft_reply", PROVIDED)
    case = world.act(case, "confidentiality_review", {"conclusion": "agree"}, actor="reviewer")  # Art. 17
    enable_pdf()
    case = world.act(case, "issue_reply", {})
    assert case.id is not None
    # The PDF is rendered after the commit (caseflow.replies.pdf_after): here, synchronously.
    assert render_pending(world.session.get_bind()).done  # type: ignore[arg-type]
    world.session.rollback()
    receipt, reply = issued_letters(world.session, case.id)
    assert receipt.pdf_sha256 is None and reply.doc_type == "reply"
    return case, reply


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def page_fonts(data: bytes) -> dict[str, Any]:
    """The fonts the pages use: base font name (subset tag removed) -> the font's descriptor."""
    found: dict[str, Any] = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        resources = page["/Resources"].get_object()
        for font in resources.get("/Font", {}).values():
            font = font.get_object()
            name = str(font["/BaseFont"]).split("+", 1)[-1]
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            found[name] = descriptor.get_object() if descriptor is not None else None
    return found


def test_reply_pdf_is_pdfa_with_extractable_chinese_in_the_prepared_font(
    world: World, enable_pdf: Callable[[], None], db_url: str, tmp_path: Path
) -> None:
    require("CJK font", cjk_font_missing())
    case, letter = issue_reply_as_pdf(world, enable_pdf, applicant_name="张晓明")
    assert letter.pdf_sha256 is not None
    data = issued_files(letter)["pdf"]
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == letter.pdf_sha256

    text = pdf_text(data)
    assert TITLE in text and "张晓明" in text
    cited = law.cite(law.outcome("disclosed.provided").basis)  # one title per instrument
    assert cited in text, cited
    assert letter.letter_no in text and "某市人民政府办公室" in text

    reader = PdfReader(io.BytesIO(data))
    xmp = reader.xmp_metadata
    raw = xmp.rdf_root.toxml() if xmp is not None else data.decode("latin-1")
    assert re.search(r'pdfaid:part(="|>)3', raw), "declares PDF/A part 3"
    assert re.search(r'pdfaid:conformance(="|>)B', raw), "declares conformance B"

    used = page_fonts(data)
    assert used, "the PDF embeds its fonts"
    assert not [name for name in used if "Noto" in name], f"a system font was embedded whole: {used}"
    assert set(used) <= {"CaseflowLetter0", "CaseflowLetter0-Bold"}, sorted(used)
    for name, descriptor in used.items():  # embedded, with the prepared TrueType outlines
        assert descriptor is not None and "/FontFile2" in descriptor, name

    # The system's letter_pdf event after the issuing one records the PDF, bound to the HTML.
    event = world.session.exec(
        select(EvidenceEvent).where(
            col(EvidenceEvent.case_id) == case.id, col(EvidenceEvent.seq) == letter.event_seq + 1
        )
    ).one()
    body = json.loads(event.payload)
    assert body["action"] == "letter_pdf" and body["facts"]["pdf_sha256"] == letter.pdf_sha256
    assert body["facts"]["html_sha256"] == letter.html_sha256
    assert {"kind": "letter.pdf:reply", "sha256": letter.pdf_sha256} in body["documents"]

    # ``caseflow letters`` writes the PDF as issued too.
    world.session.rollback()
    out = tmp_path / "letters"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATABASE_URL", db_url)
        _forget_caches()
        try:
            result = CliRunner().invoke(app, ["letters", "--case", case.tracking_no, "--out", str(out)])
        finally:
            caseflow.db._engine_for(db_url).dispose()
            _forget_caches()
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "letters.json").read_text(encoding="utf-8"))
    assert [set(e["files"]) for e in manifest] == [{"html"}, {"html", "pdf"}]
    entry = manifest[1]["files"]["pdf"]
    assert entry["sha256"] == letter.pdf_sha256 and (out / entry["name"]).read_bytes() == data


def test_rare_character_in_a_name_gets_a_glyph(world: World, enable_pdf: Callable[[], None]) -> None:
    require("CJK font", cjk_font_missing())
    _case, letter = issue_reply_as_pdf(world, enable_pdf, applicant_name=f"{RARE}王小明")
    data = issued_files(letter)["pdf"]
    assert f"{RARE}王小明" in pdf_text(data)
    used = page_fonts(data)
    assert "CaseflowLetter1" in used, f"the extra font for characters outside GB 2312: {sorted(used)}"
    assert not [name for name in used if "Noto" in name], sorted(used)


def test_no_cjk_font_says_how_to_install_and_records_no_pdf(
    world: World, enable_pdf: Callable[[], None]
) -> None:
    """The PDF is rendered after the commit: without a CJK font the HTML letter (the letter of record)
    is issued, its PDF stays pending, and the render says how to install one and records nothing."""
    case = world.new_case()
    case = world.act(case, "draft_reply", PROVIDED)
    case = world.act(case, "confidentiality_review", {"conclusion": "agree"}, actor="reviewer")  # Art. 17
    assert case.id is not None
    engine = world.session.get_bind()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fonts, "find_source", lambda: (_ for _ in ()).throw(FontMissing(INSTALL_HINT)))
        enable_pdf()
        case = world.act(case, "issue_reply", {})
        before = snapshot(world.session, case.id)  # type: ignore[arg-type]
        rendered = render_pending(engine)  # type: ignore[arg-type]
        assert rendered.done == [] and len(rendered.failed) == 1
        assert "apt-get install fonts-noto-cjk" in rendered.failed[0][1]
        world.session.rollback()
        assert snapshot(world.session, case.id) == before  # type: ignore[arg-type]
    assert case.id is not None
    reply = issued_letters(world.session, case.id)[-1]
    assert reply.letter_no == "某政办公开〔2026〕1号" and reply.pdf_sha256 is None and reply.pdf_pending
    assert int(world.session.exec(select(func.count()).select_from(Counter)).one()) >= 1
    if cjk_font_missing() is None:  # the font is back: the next render records it
        assert render_pending(engine).done == [reply.letter_no]  # type: ignore[arg-type]
