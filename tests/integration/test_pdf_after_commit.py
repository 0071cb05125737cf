"""A letter's PDF after the commit that issued it (issue 17 item 1), on SQLite and PostgreSQL.

The issuing transition commits the HTML letter only and marks it pending; nothing renders it here
(the background renderer is off in tests: a process that died between the commit and the render).
The scheduled job then renders the PDF from the stored HTML and records ``letter_pdf``; the bytes are
those of rendering the same HTML inline, the chain verifies, and a second render records nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from caseflow import service
from caseflow.cases.letter_pdf import PDF_EXISTS, hand_over
from caseflow.dates import now
from caseflow.errors import RuleViolation
from caseflow.evidence.dbcheck import check_database
from caseflow.models import Case, CaseDocument, EvidenceEvent, Letter
from caseflow.replies import pdf_after
from caseflow.replies.issue import issued_files, issued_letters
from caseflow.replies.render import render_pdf
from caseflow.scheduled import JOBS
from caseflow.scheduled.runs import run_job
from tests.conftest import require
from tests.integration.conftest import World
from tests.integration.test_letter_pdf import PROVIDED, cjk_font_missing


def _issue(world: World, enable_pdf: Callable[[], None]) -> tuple[Case, Letter]:
    case = world.new_case()
    case = world.act(case, "draft_reply", PROVIDED)
    case = world.act(case, "confidentiality_review", {"conclusion": "agree"}, actor="reviewer")
    enable_pdf()
    case = world.act(case, "issue_reply", {})
    assert case.id is not None
    return case, issued_letters(world.session, case.id)[-1]


def _events(session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(EvidenceEvent.payload)
        .where(col(EvidenceEvent.case_id) == case_id)
        .order_by(col(EvidenceEvent.seq))
    ).all()
    return [json.loads(p) for p in rows]


def test_crash_before_render_then_the_job_renders_it_exactly_once(
    world: World, engine: Engine, enable_pdf: Callable[[], None]
) -> None:
    require("CJK font", cjk_font_missing())
    case, letter = _issue(world, enable_pdf)
    assert case.id is not None and letter.id is not None
    letter_id = letter.id
    # Committed with the HTML only: pending, the event's facts keep pdf_sha256 (null), no PDF cited.
    assert letter.pdf_pending and letter.pdf_sha256 is None
    issuing = _events(world.session, case.id)[-1]
    assert issuing["action"] == "issue_reply" and issuing["facts"]["letter"]["pdf_sha256"] is None
    assert [d["kind"] for d in issuing["documents"]] == ["letter.html:reply"]
    shown = {x["id"]: x for x in pdf_after_letters(world.session, case.id)}
    assert shown[letter.id]["pdf_pending"] is True and shown[letter.id]["pdf_sha256"] is None
    assert check_database(engine).intact  # a pending PDF is no finding

    version = case.version
    run, result = run_job(engine, JOBS["letter_pdfs"], now())
    assert result.done == [f"{letter.letter_no} PDF rendered"] and not result.failed
    world.session.rollback()
    found = world.session.get(Letter, letter.id)
    assert found is not None and not found.pdf_pending
    letter = found
    assert letter.pdf_sha256 is not None
    html = issued_files(letter)["html"]
    pdf = issued_files(letter)["pdf"]
    assert pdf == render_pdf(html.decode("utf-8"))  # the same bytes as rendering the HTML inline
    assert hashlib.sha256(pdf).hexdigest() == letter.pdf_sha256

    events = _events(world.session, case.id)
    recorded = events[-1]
    assert (
        recorded["action"] == "letter_pdf" and recorded["actor"] == "system" and recorded["role"] == "system"
    )
    assert recorded["facts"] == {
        "letter_no": letter.letter_no,
        "pdf_sha256": letter.pdf_sha256,
        "html_sha256": letter.html_sha256,
        "doc_type": "reply",
        "issued_seq": letter.event_seq,
    }
    assert recorded["documents"] == [{"kind": "letter.pdf:reply", "sha256": letter.pdf_sha256}]
    assert world.session.get(Case, case.id).state == "answered"  # type: ignore[union-attr]
    link = world.session.exec(select(CaseDocument).where(col(CaseDocument.sha256) == letter.pdf_sha256)).one()
    assert link.event_seq == recorded["seq"] and link.kind == "letter.pdf:reply"
    assert check_database(engine).intact

    # A second render (another process) records nothing; a forged letter_pdf is refused unchanged.
    assert pdf_after.render_letter(engine, letter_id) is None
    assert pdf_after.render_pending(engine).done == []
    hand_over(pdf)
    try:
        with Session(engine) as other, pytest.raises(RuleViolation) as refused:
            service.perform(
                session=other,
                case_id=case.id,
                actor=service.SYSTEM_ACTOR,
                action="letter_pdf",
                facts={"letter_no": letter.letter_no, "pdf_sha256": letter.pdf_sha256},
            )
    finally:
        hand_over(None)
    assert refused.value.code == PDF_EXISTS
    assert len(_events(world.session, case.id)) == len(events)
    world.session.rollback()
    assert world.session.get(Case, case.id).version == version + 1  # type: ignore[union-attr]


def test_a_pdf_row_not_bound_by_its_event_is_reported(
    world: World, engine: Engine, enable_pdf: Callable[[], None]
) -> None:
    require("CJK font", cjk_font_missing())
    case, letter = _issue(world, enable_pdf)
    assert pdf_after.render_pending(engine).done == [letter.letter_no]
    world.session.rollback()
    found = world.session.get(Letter, letter.id)
    assert found is not None and found.pdf_sha256
    letter = found
    with Session(engine) as s:  # the row pointed back at "pending" although the event binds a PDF
        s.execute(update(Letter).where(col(Letter.id) == letter.id).values(pdf_sha256=None, pdf_pending=True))
        s.commit()
    report = check_database(engine)
    assert [(f.field, f.action) for f in report.findings] == [("letter.pdf_sha256", "issue_reply")]


def pdf_after_letters(session: Session, case_id: int) -> list[dict[str, Any]]:
    from caseflow import queries

    return queries.letters(session, case_id)


def test_pages_and_api_show_pdf_pending_until_it_exists(web: Any, enable_pdf: Callable[[], None]) -> None:
    require("CJK font", cjk_font_missing())
    case, letter = _issue(web.world, enable_pdf)
    clerk, browser = web.api("clerk"), web.browser("clerk")
    listed = clerk.get(f"/api/v1/requests/{case.id}/letters").json()[-1]
    assert listed["pdf_pending"] is True and listed["pdf_sha256"] is None
    pending = clerk.get(f"/api/v1/letters/{letter.id}", params={"format": "pdf"})
    assert pending.status_code == 404 and "PDF 生成中" in pending.json()["detail"]
    page = browser.get(f"/cases/{case.id}").text
    assert "PDF 生成中" in page and f"/letters/{letter.id}?format=pdf" not in page

    assert pdf_after.render_pending(web.engine).done == [letter.letter_no]
    page = browser.get(f"/cases/{case.id}").text
    assert "PDF 生成中" not in page and f"/letters/{letter.id}?format=pdf" in page
    got = clerk.get(f"/api/v1/letters/{letter.id}", params={"format": "pdf"})
    assert got.status_code == 200 and got.content.startswith(b"%PDF")


def test_the_background_renderer_is_woken_by_the_commit(
    world: World, engine: Engine, enable_pdf: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    require("CJK font", cjk_font_missing())
    if engine.dialect.name != "sqlite":
        pytest.skip("one database is enough for the wakeup")
    monkeypatch.setenv("CASEFLOW_LETTER_PDF_WORKER", "1")
    _case, letter = _issue(world, enable_pdf)
    assert pdf_after.wait_idle(timeout=60)
    pdf_after._RENDERER._woken.clear()  # nothing for this test's database to render at exit
    world.session.rollback()
    found = world.session.get(Letter, letter.id)
    assert found is not None and found.pdf_sha256 is not None and not found.pdf_pending
