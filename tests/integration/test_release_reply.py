"""Records released with the reply (issue 19: Art. 36(2), 37, 17) on SQLite and PostgreSQL.

The reviewer's approval and the confidentiality review bind the released copies (``draft["release"]``);
``issue_reply`` releases exactly those: their SHA-256s in the event, ``case_document`` rows of kind
"released", each record frozen with the event's number, and the letter (HTML and PDF) lists the files
with their pages, redacted pages and grounds. Boxes changed after the review refuse the issue (and
leave everything unchanged) until the draft is reviewed again; a disclosed.provided reply with a box,
or a partial reply boxing on a ground it does not state, is refused at the draft.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from sqlmodel import col, func, select

from caseflow.errors import FactsError, RuleViolation
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, CaseDocument, Letter, ReleaseRecord
from caseflow.release import copies, records
from caseflow.replies.issue import issued_files, issued_letters, preview
from caseflow.replies.pdf_after import render_pending
from tests.integration.conftest import World, snapshot
from tests.integration.releasing import decide_all
from tests.integration.test_disclosure_review import AGREE, PARTIAL, PROVIDED, Steps
from tests.integration.test_letter_pdf import pdf_text
from tests.integration.test_tamper import run_cli

APPROVE = {"comments": "同意，遮盖适当"}
BUDGET = "2025年道路维修工程预算表"
#: A box on page 2 (PDF points, origin top-left) on the draft's own ground.
BOX_P2 = {"page": 2, "box": [72.0, 72.0, 300.0, 120.0], "ground": "withheld.process_info"}
BOX_P3 = {"page": 3, "box": [72.0, 200.0, 300.0, 260.0], "ground": "withheld.process_info"}
OTHER_GROUND = {"page": 2, "box": [72.0, 300.0, 300.0, 340.0], "ground": "withheld.third_party"}


@cache
def small_pdf(pages: int = 3, contact: str = "") -> bytes:
    """A small real PDF (WeasyPrint), ``pages`` pages of text (with ``contact`` on page 1: a phone
    number there is a suggested box)."""
    from weasyprint import HTML

    body = "".join(
        f'<section style="page-break-after: always"><p>Road repair budget, page {n}</p>'
        f"<p>Line items and discussion notes {n}</p>{f'<p>{contact}</p>' if n == 1 else ''}</section>"
        for n in range(1, pages + 1)
    )
    data = HTML(string=f"<html><body>{body}</body></html>").write_pdf()
    assert data is not None
    return bytes(data)


def add_record(
    s: Steps, title: str, boxes: list[dict[str, Any]], *, prepare: bool = True, data: bytes | None = None
) -> int:
    """Upload a record (``data``, default ``small_pdf()``) on the request, draw ``boxes`` and (by
    default) make its released copy."""
    session = s.world.session
    case = session.get(Case, s.id)
    assert case is not None
    record = records.add(
        session, case, actor="clerk", filename=f"{title}.pdf", data=data or small_pdf(), title=title
    )
    if boxes:
        records.set_boxes(session, record, boxes, actor="clerk")
    if prepare:
        copies.prepare_all(session, case)
    session.commit()
    assert record.id is not None
    return record.id


def redraw(s: Steps, record_id: int, boxes: list[dict[str, Any]], *, prepare: bool = True) -> None:
    session = s.world.session
    session.expire_all()
    record = session.get(ReleaseRecord, record_id)
    assert record is not None
    records.set_boxes(session, record, boxes, actor="clerk")
    if prepare:
        copies.prepare(session, record)
    session.commit()


def record_rows(s: Steps) -> list[dict[str, Any]]:
    s.world.session.expire_all()
    return [r.model_dump() for r in records.for_case(s.world.session, s.id)]


def documents_of(s: Steps, kind: str) -> list[CaseDocument]:
    return list(
        s.world.session.exec(
            select(CaseDocument).where(col(CaseDocument.case_id) == s.id, col(CaseDocument.kind) == kind)
        )
    )


def reply_letter(s: Steps) -> Letter:
    return [x for x in issued_letters(s.world.session, s.id) if x.doc_type == "reply"][-1]


def refused_all_unchanged(
    s: Steps, error: type[Exception], action: str, facts: Any, actor: str = "clerk"
) -> Any:
    """Refused, and the request, its evidence, its records and its documents are as before."""
    session = s.world.session
    rows, docs = record_rows(s), session.exec(select(func.count()).select_from(CaseDocument)).one()
    err = s.refused(error, action, facts, actor=actor)
    session.rollback()
    assert record_rows(s) == rows
    assert session.exec(select(func.count()).select_from(CaseDocument)).one() == docs
    return err


def test_a_partial_reply_releases_the_reviewed_redacted_copy(
    world: World, db_url: str, enable_pdf: Callable[[], None]
) -> None:
    s = Steps(world)
    record_id = add_record(s, BUDGET, [BOX_P2])
    s.act("draft_reply", PARTIAL)
    assert s.last_event()["facts"]["release_records"] == 1

    case = s.act("approve_reply", APPROVE, actor="reviewer")
    assert case.draft is not None
    manifest = copies.manifest(world.session, case)
    assert case.draft["release"] == json.loads(json.dumps(manifest))
    approved = s.last_event()["facts"]["release"]
    assert [(m["title"], m["redacted_page_numbers"], m["grounds"]) for m in approved] == [
        (BUDGET, [2], {"withheld.process_info": [2]})
    ]
    case = s.act("confidentiality_review", AGREE, actor="reviewer")
    assert case.draft is not None and case.draft["release"] == json.loads(json.dumps(manifest))

    enable_pdf()
    case = s.act("issue_reply", {})
    assert (case.state, case.outcome) == ("answered", "partial")
    event = s.last_event()
    record = world.session.get(ReleaseRecord, record_id)
    assert record is not None and record.released_sha256 is not None
    store = DocumentStore()
    released_bytes = store.read(record.released_sha256, world.session)
    [released] = event["facts"]["released"]
    assert released == {
        "title": BUDGET,
        "pages": 3,
        "redacted_pages": 1,
        "redacted_page_numbers": [2],
        "grounds": {"withheld.process_info": [2]},
        "sha256": hashlib.sha256(released_bytes).hexdigest(),
        "original_sha256": hashlib.sha256(small_pdf()).hexdigest(),
    }
    assert released["sha256"] != released["original_sha256"]  # the burnt-in copy, not the original
    assert released_bytes.startswith(b"%PDF")
    assert {"kind": "released", "sha256": released["sha256"]} in event["documents"]
    assert {"kind": "release_original", "sha256": released["original_sha256"]} in event["documents"]
    assert [(d.sha256, d.event_seq) for d in documents_of(s, "released")] == [
        (released["sha256"], event["seq"])
    ]
    assert [d.sha256 for d in documents_of(s, "release_original")] == [released["original_sha256"]]
    assert record.issued_seq == event["seq"]

    letter = reply_letter(s)
    assert letter.template == "reply_partial_released" and letter.event_seq == event["seq"]
    html = issued_files(letter)["html"].decode()
    assert "随本答复提供的政府信息（公开文本）共1件" in html
    assert f"<td>1</td><td>{BUDGET}</td><td>3</td><td>第2页遮盖，依据第十六条 过程性信息</td>" in html
    assert "不予公开的内容已作遮盖处理" in html and "第三十七条" in html
    assert render_pending(world.session.get_bind()).done  # type: ignore[arg-type]
    world.session.rollback()
    text = pdf_text(issued_files(reply_letter(s))["pdf"])
    assert BUDGET in text and "第2页遮盖，依据第十六条过程性信息" in text and "已作遮盖处理" in text

    # Frozen: the released record cannot change any more (caseflow.release.records).
    frozen = world.session.get(ReleaseRecord, record_id)
    assert frozen is not None
    with pytest.raises(RuleViolation, match="不能再"):
        records.set_boxes(world.session, frozen, [BOX_P3], actor="clerk")
    world.session.rollback()
    result = run_cli(world.session, db_url, "verify")
    assert result.exit_code == 0, result.output


def test_boxes_changed_after_the_review_refuse_the_issue_until_reviewed_again(world: World) -> None:
    s = Steps(world)
    record_id = add_record(s, BUDGET, [BOX_P2])
    s.act("draft_reply", PARTIAL)
    s.act("approve_reply", APPROVE, actor="reviewer")
    s.act("confidentiality_review", AGREE, actor="reviewer")
    reviewed = copies.manifest(world.session, s.case)

    redraw(s, record_id, [BOX_P2, BOX_P3], prepare=False)  # the copy not made yet for the new boxes
    err = refused_all_unchanged(s, RuleViolation, "issue_reply", {})
    assert (
        "审核后公开材料有改动" in err.message and BUDGET in err.message and "须重新审查后签发" in err.message
    )
    copies.prepare_all(world.session, world.session.get(Case, s.id))  # type: ignore[arg-type]
    world.session.commit()
    err = refused_all_unchanged(s, RuleViolation, "issue_reply", {})
    assert f"「{BUDGET}」的遮盖已修改" in err.message and "须重新审查后签发" in err.message
    assert "issue_reply" not in s.offered("clerk") and "confidentiality_review" in s.offered("reviewer")
    assert not documents_of(s, "released")

    s.act("confidentiality_review", AGREE, actor="reviewer")  # the review of the records as they stand
    case = s.act("issue_reply", {})
    assert case.state == "answered"
    [released] = s.last_event()["facts"]["released"]
    assert released["redacted_page_numbers"] == [2, 3] and released["sha256"] != reviewed[0]["sha256"]
    html = issued_files(reply_letter(s))["html"].decode()
    assert "第2、3页遮盖，依据第十六条 过程性信息" in html


def test_a_stale_copy_refuses_the_approval(world: World) -> None:
    s = Steps(world)
    add_record(s, BUDGET, [BOX_P2], prepare=False)
    s.act("draft_reply", PARTIAL)  # copies are not needed to draft
    err = refused_all_unchanged(s, FactsError, "approve_reply", APPROVE, actor="reviewer")
    assert "尚未按当前遮盖生成" in err.message and BUDGET in err.message


def test_an_open_suggestion_refuses_the_review_until_it_is_decided(world: World) -> None:
    """Every suggested box is accepted or rejected by a person before the reviewer approves (partial)
    or reviews (provided); the refusal names the record and how many are open, and changes nothing."""
    data = small_pdf(3, "Contact: 13812345678, 13912345678")
    for outcome, action, facts, boxes in (
        (PARTIAL, "approve_reply", APPROVE, [BOX_P2]),
        (PROVIDED, "confidentiality_review", AGREE, []),
    ):
        s = Steps(world)
        record_id = add_record(s, BUDGET, boxes, data=data)
        record = world.session.get(ReleaseRecord, record_id)
        assert record is not None
        suggested = [x["id"] for x in record.suggestions]
        assert len(suggested) == 2 and {x["status"] for x in record.suggestions} == {"open"}
        drafted = s.act("draft_reply", outcome)  # drafting needs no decision yet
        events = snapshot(world.session, s.id)[1]
        err = refused_all_unchanged(s, FactsError, action, facts, actor="reviewer")
        assert err.code == "release_suggestions_open"
        assert err.errors == [("release", f"「{BUDGET}」还有2处建议遮盖未处理，请逐一采纳或不采纳")]
        case, count = snapshot(world.session, s.id)
        assert count == events and case["draft"] == drafted.draft and "release" not in case["draft"]
        assert not documents_of(s, "released")

        session = world.session
        one = session.get(ReleaseRecord, record_id)
        assert one is not None
        records.decide(session, one, suggested[0], False, actor="clerk")  # one decided, one open
        session.commit()
        err = refused_all_unchanged(s, FactsError, action, facts, actor="reviewer")
        assert err.errors == [("release", f"「{BUDGET}」还有1处建议遮盖未处理，请逐一采纳或不采纳")]
        assert decide_all(session, s.case, accept=False, actor="reviewer") == 1
        session.commit()
        reviewed = s.act(action, facts, actor="reviewer")  # decided: the review passes
        assert reviewed.draft is not None
        [entry] = reviewed.draft["release"]
        assert entry["boxes"] == [
            {**b, "by": "clerk", "source": "manual"} for b in boxes
        ]  # the rejected suggestions are not boxed
        assert snapshot(world.session, s.id)[1] == events + 1
        decided = world.session.get(ReleaseRecord, record_id)
        assert decided is not None
        assert [(x["status"], x["by"]) for x in decided.suggestions] == [
            ("rejected", "clerk"),
            ("rejected", "reviewer"),
        ]


def test_a_provided_reply_releases_records_unredacted(world: World) -> None:
    s = Steps(world)
    record_id = add_record(s, BUDGET, [BOX_P2])
    err = refused_all_unchanged(s, RuleViolation, "draft_reply", PROVIDED)
    assert err.message == (
        f"「{BUDGET}」有遮盖内容：予以公开的答复应当提供全部信息；有不予公开的部分的，应当作出部分公开答复"
        "（《中华人民共和国政府信息公开条例》第三十七条）"
    )
    redraw(s, record_id, [])
    s.act("draft_reply", PROVIDED)
    assert BUDGET in preview(world.session, s.case, today=s.at.date())  # the draft letter lists it too
    s.act("confidentiality_review", AGREE, actor="reviewer")
    s.act("issue_reply", {})
    [released] = s.last_event()["facts"]["released"]
    assert released["sha256"] == released["original_sha256"] == hashlib.sha256(small_pdf()).hexdigest()
    assert released["redacted_pages"] == 0 and released["grounds"] == {}
    kinds = sorted(d["kind"] for d in s.last_event()["documents"] if d["sha256"] == released["sha256"])
    assert kinds == ["release_original", "released"]  # the same bytes twice in one event
    assert len(documents_of(s, "released")) == len(documents_of(s, "release_original")) == 1
    letter = reply_letter(s)
    assert letter.template == "reply_disclosed_provided_released"
    html = issued_files(letter)["html"].decode()
    assert f"<td>{BUDGET}</td><td>3</td><td>无遮盖</td>" in html and "已作遮盖处理" not in html


def test_a_partial_reply_boxes_only_on_its_stated_grounds(world: World) -> None:
    s = Steps(world)
    record_id = add_record(s, BUDGET, [BOX_P2, OTHER_GROUND])
    err = refused_all_unchanged(s, RuleViolation, "draft_reply", PARTIAL)
    assert f"「{BUDGET}」第2页的遮盖理由「第十五条 第三方权益」不在本答复所列不予公开的理由中" in err.message

    redraw(s, record_id, [BOX_P2])
    s.act("draft_reply", PARTIAL)
    redraw(s, record_id, [BOX_P2, OTHER_GROUND])  # a box on another ground after the draft
    err = refused_all_unchanged(s, RuleViolation, "approve_reply", APPROVE, actor="reviewer")
    assert "第十五条 第三方权益" in err.message and "第三十七条" in err.message


def test_a_reply_that_provides_nothing_releases_nothing(world: World) -> None:
    s = Steps(world)
    add_record(s, BUDGET, [BOX_P2])
    s.act("draft_reply", {"outcome": "withheld.process_info", "reasons": "属于讨论记录，不予公开"})
    assert s.last_event()["facts"]["release_ignored"] == 1
    s.act("approve_reply", APPROVE, actor="reviewer")
    case = s.act("issue_reply", {})
    assert case.draft is not None and "release" not in case.draft
    event = s.last_event()
    assert "released" not in event["facts"] and not documents_of(s, "released")
    assert all(r["issued_seq"] is None for r in record_rows(s))
    letter = reply_letter(s)
    assert letter.template == "reply_withheld_process_info"
    assert "随本答复提供" not in issued_files(letter)["html"].decode()


def test_a_reply_without_records_is_as_before(world: World) -> None:
    s = Steps(world)
    s.act("draft_reply", PARTIAL)
    s.act("approve_reply", APPROVE, actor="reviewer")
    case = s.act("confidentiality_review", AGREE, actor="reviewer")
    assert case.draft is not None and "release" not in case.draft
    assert "release" not in s.last_event()["facts"]
    s.act("issue_reply", {})
    event = s.last_event()
    assert "released" not in event["facts"] and [d["kind"] for d in event["documents"]] == [
        "letter.html:reply"
    ]
    letter = reply_letter(s)
    assert letter.template == "reply_partial" and "随本答复提供" not in issued_files(letter)["html"].decode()
