"""The printed form of the letters after GB/T 9704-2012 (issue 15, item 10), read back with pypdf's
text positions.

- every letter the service issues (each document type and each reply outcome) keeps the agency's
  name, the date and the seal place on the page of the last paragraph, also when the text grows so
  that the signature would fall onto a page of its own;
- a receipt (登记回执) fits on one page;
- page numbers "— n —" stand right on odd pages and left on even pages.

SQLite only (the PDF does not depend on the database); needs an installed CJK font, like
test_letter_pdf.py.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from caseflow import law
from caseflow.models import Case, Letter
from caseflow.replies.issue import issued_files, issued_letters
from caseflow.replies.render import render_pdf
from tests.conftest import require
from tests.integration.conftest import World
from tests.integration.test_letter_pdf import cjk_font_missing
from tests.integration.test_letters import (
    CITY,
    NOTICE_ACTIONS,
    art35_step,
    issue_outcome,
    text_of,
)

#: A sentence of a plausible request (40 characters), repeated to make descriptions of any length.
SENTENCE = "申请公开本市二〇二五年度道路维修工程的预算编制说明、招标文件及中标通知书等相关材料，"


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """SQLite only (overrides the conftest's SQLite-and-PostgreSQL parametrisation)."""
    path = tmp_path / "caseflow.db"
    shutil.copy(sqlite_template, path)
    yield f"sqlite:///{path}"


@dataclass(frozen=True)
class Run:
    """A piece of text drawn on a page, at (x, y) in points from the page's lower left corner."""

    text: str
    x: float
    y: float


@dataclass(frozen=True)
class Page:
    width: float
    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return re.sub(r"\s+", "", "".join(r.text for r in self.runs))


def layout(data: bytes) -> list[Page]:
    """Each page's text runs with their positions (pypdf's text visitor)."""
    pages = []
    for page in PdfReader(io.BytesIO(data)).pages:
        runs: list[Run] = []

        def visit(text: str, cm: Any, tm: Any, _font: Any, _size: Any, runs: list[Run] = runs) -> None:
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                runs.append(Run(text, float(x), float(y)))

        page.extract_text(visitor_text=visit)
        pages.append(Page(float(page.mediabox.width), tuple(runs)))
    return pages


def last_paragraph(html: str) -> str:
    """The text of the last paragraph before the signature block."""
    head = html.split('<div class="signature">', 1)[0]
    paragraphs = re.findall(r"<p(?: [^>]*)?>(.*?)</p>", head, re.S)
    return text_of(paragraphs[-1])


def check_closing(html: str, pdf: bytes, what: str) -> list[Page]:
    """The agency's name, the date and the seal place on the page that ends the last paragraph."""
    pages = layout(pdf)
    signature = re.search(r'<div class="signature">(.*?)</div>', html, re.S)
    assert signature, what
    name, date, seal = (text_of(p) for p in re.findall(r"<p[^>]*>(.*?)</p>", signature.group(1)))
    on = [i for i, page in enumerate(pages) if date in page.text and seal in page.text]
    assert on, f"{what}: the signature is not in the PDF"
    page = pages[on[-1]]
    assert name in page.text, f"{what}: the agency's name is not on the page of the date"
    tail = last_paragraph(html)[-12:]
    assert tail in page.text, f"{what}: the last paragraph ends on another page than the signature"
    # The date stands below the end of the last paragraph, on that page.
    y_date = min(r.y for r in page.runs if date[:5] in r.text.replace(" ", ""))
    text_runs = [r for r in page.runs if r.y > y_date + 1]
    assert text_runs, f"{what}: the signature stands alone on page {on[-1] + 1}"
    note = re.search(r'<div class="note">(.*?)</div>', html, re.S)
    if note:  # 附注 below the date, on its page (GB/T 9704 7.3.7)
        assert text_of(note.group(1))[-12:] in page.text, f"{what}: the note is not with the signature"
    return pages


def check_page_numbers(pages: list[Page], what: str) -> None:
    """ "— n —" on every page: right of the middle on odd pages, left of it on even pages."""
    for number, page in enumerate(pages, start=1):
        found = [r for r in page.runs if re.fullmatch(rf"\s*—\s*{number}\s*—\s*", r.text)]
        if not found:  # drawn in pieces: the figure between its two dashes
            found = [r for r in page.runs if r.text.strip() == str(number) and r.y < 100]
        assert found, f"{what}: no page number on page {number}: {[r.text for r in page.runs][-5:]}"
        x = found[0].x
        if number % 2:
            assert x > page.width / 2, f"{what}: page {number} (odd) has its number at x={x}"
        else:
            assert x < page.width / 2, f"{what}: page {number} (even) has its number at x={x}"


def pdf_of(letter: Letter) -> tuple[str, bytes]:
    html = issued_files(letter)["html"].decode("utf-8")
    return html, render_pdf(html)


def every_letter(world: World, description: str) -> list[tuple[str, Letter]]:
    """Each document type and each reply outcome, issued by the real transitions."""
    letters: list[tuple[str, Letter]] = []
    for doc_type, (actor, action, facts) in NOTICE_ACTIONS.items():
        case = world.new_case(description=description)
        if doc_type == "art35_notice":
            case = art35_step(world, case)
        case = world.act(case, action, facts, actor=actor)
        letters.append((doc_type, last_of(world, case, doc_type)))
        if doc_type == "supplement_notice":
            letters.append(("receipt", last_of(world, case, "receipt")))
    with asking(world, description):
        for outcome in law.OUTCOMES:
            _case, letter = issue_outcome(world, outcome.code)
            letters.append((outcome.code, letter))
    return letters


@contextmanager
def asking(world: World, description: str) -> Iterator[None]:
    """Requests registered meanwhile ask for ``description`` (issue_outcome registers its own)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            world,
            "application",
            lambda **changes: World.application(world, **{"description": description, **changes}),
        )
        yield


def last_of(world: World, case: Case, doc_type: str) -> Letter:
    world.session.expire_all()
    return [x for x in issued_letters(world.session, case.id or 0) if x.doc_type == doc_type][-1]


def test_every_letter_keeps_its_signature_with_the_last_paragraph(world: World) -> None:
    require("CJK font", cjk_font_missing())
    for what, letter in every_letter(world, SENTENCE * 2):
        html, pdf = pdf_of(letter)
        pages = check_closing(html, pdf, what)
        check_page_numbers(pages, what)
        if letter.doc_type == "receipt":
            assert len(pages) == 1, f"a receipt fits on one page, this one has {len(pages)}"


def test_signature_never_alone_as_the_text_grows(world: World) -> None:
    """A reply whose description grows a line at a time: wherever the page break falls, the closing
    keeps the last lines of the last paragraph; page numbers alternate right and left."""
    require("CJK font", cjk_font_missing())
    seen_pages = set()
    for lines in (*range(0, 20), 60):  # one sentence is about a line and a half; 60: three pages
        with asking(world, SENTENCE * (1 + lines)):
            _case, letter = issue_outcome(world, "withheld.process_info")
        html, pdf = pdf_of(letter)
        pages = check_closing(html, pdf, f"{lines} lines")
        check_page_numbers(pages, f"{lines} lines")
        seen_pages.add(len(pages))
    assert len(seen_pages) >= 2 and max(seen_pages) >= 3, seen_pages


def test_receipt_fits_on_one_page(world: World) -> None:
    require("CJK font", cjk_font_missing())
    case = world.new_case(description=SENTENCE * 3, document_no_sought="某政发〔2025〕12号")
    receipt = last_of(world, case, "receipt")
    html, pdf = pdf_of(receipt)
    pages = check_closing(html, pdf, "receipt")
    assert len(pages) == 1
    assert CITY in pages[0].text
