"""The records released with a reply (Art. 36(2), 37: 区分处理), as the reply's transitions see them.

- ``draft_reply``: a reply that provides information in full (``disclosed.provided``) releases its
  records unredacted: a box on one is refused (a reply withholding a part is a partial reply,
  Art. 37); under ``partial`` every box's ground must be one of the draft's ``withheld_grounds``.
  A draft of another outcome releases nothing (its event says how many records it leaves aside).
- ``approve_reply`` (partial) and an agreeing ``confidentiality_review``: the draft records
  ``release``, the manifest of the released copies as they stand (``caseflow.release.records``),
  before the review's digest is taken: the review covers exactly those copies.
- ``issue_reply``: the records as they stand must be those reviewed (else refused: 须重新审查); the
  reply's event then carries the released copies (hashes, pages, redacted pages and grounds), each
  record is frozen with the event's number, and the letter lists the released files.

Nothing is added to a draft, an event or a letter of a request without records: their bytes are as
before. Refusals leave the request and its evidence unchanged (the engine rolls back).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from caseflow import law
from caseflow.cases.engine import Ctx
from caseflow.errors import FactsError, RuleViolation
from caseflow.models import Case, CaseDocument, ReleaseRecord
from caseflow.release import ORIGINAL, ORIGINAL_PDF, RELEASED, copies, records

#: The draft's key holding the manifest its review covers.
KEY = "release"
#: Art. 37: the part that may not be disclosed is withheld, the rest provided (区分处理).
ART37 = law.outcome("partial").basis_label
CHANGED = "审核后公开材料有改动"


def _plain(value: Any) -> Any:
    """JSON-native (as the draft column stores it): tuples become lists, so equal means equal."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _pages_text(pages: Iterable[int]) -> str:
    """2、5、7至9 (runs of three or more pages as a range)."""
    ordered = sorted(set(pages))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{ordered[i]}至{ordered[j]}")
        else:
            parts.extend(str(p) for p in ordered[i : j + 1])
        i = j + 1
    return "、".join(parts)


def _label(ground: str) -> str:
    return law.REDACTION_LABELS.get(ground, ground)


# --- The rules ------------------------------------------------------------------------------


def check_boxes(outcome_code: str, withheld_grounds: Sequence[str], rows: Sequence[ReleaseRecord]) -> None:
    """Refuse boxes a reply of this outcome cannot release (see the module's docstring)."""
    if outcome_code == "disclosed.provided":
        boxed = next((r for r in rows if r.boxes), None)
        if boxed is not None:
            raise RuleViolation(
                f"「{boxed.title}」有遮盖内容：予以公开的答复应当提供全部信息；有不予公开的部分的，"
                f"应当作出部分公开答复（{ART37}）",
                code="release_boxes_not_partial",
            )
    elif outcome_code == "partial":
        allowed = set(withheld_grounds)
        for row in rows:
            for box in sorted(row.boxes, key=lambda b: int(b["page"])):
                if box["ground"] not in allowed:
                    raise RuleViolation(
                        f"「{row.title}」第{box['page']}页的遮盖理由「{_label(box['ground'])}」不在本答复所列"
                        f"不予公开的理由中（{ART37}）：请在答复中增列该理由，或者修改遮盖",
                        code="release_ground_not_drafted",
                    )


def check_draft(ctx: Ctx, outcome_code: str, withheld_grounds: Sequence[str]) -> dict[str, Any]:
    """``draft_reply``: the records' boxes checked; the facts its event adds (none without records)."""
    assert ctx.case.id is not None
    rows = records.for_case(ctx.session, ctx.case.id)
    if not rows:
        return {}
    if outcome_code not in law.RELEASE_OUTCOMES:
        return {"release_ignored": len(rows)}  # this reply provides nothing: its records stay here
    check_boxes(outcome_code, withheld_grounds, rows)
    return {"release_records": len(rows)}


def _current(session: Session, case: Case) -> list[dict[str, Any]]:
    """The manifest of the records as they stand (FactsError: a copy missing or older than its boxes)."""
    return list(_plain(copies.manifest(session, case)))


def changed(session: Session, case: Case) -> bool:
    """Whether the records differ from those the draft's review covers (a copy not made counts)."""
    draft = case.draft or {}
    if draft.get("outcome") not in law.RELEASE_OUTCOMES or case.id is None:
        return False
    reviewed = draft.get(KEY) or []
    if not reviewed and not records.for_case(session, case.id):
        return False
    try:
        return _current(session, case) != reviewed
    except FactsError:
        return True


def bind(ctx: Ctx, draft: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``approve_reply`` / agreeing ``confidentiality_review``: (the draft with the manifest its review
    covers, the facts the event adds). Both unchanged for a request without records."""
    if draft.get("outcome") not in law.RELEASE_OUTCOMES or ctx.case.id is None:
        return draft, {}
    rows = records.for_case(ctx.session, ctx.case.id)
    if not rows and not draft.get(KEY):
        return draft, {}
    check_boxes(draft["outcome"], draft.get("withheld_grounds") or (), rows)
    manifest = _current(ctx.session, ctx.case)
    return {**draft, KEY: manifest}, {KEY: summary(rows)}


# --- The release ----------------------------------------------------------------------------


def summary(rows: Sequence[ReleaseRecord]) -> list[dict[str, Any]]:
    """What the evidence says of each released copy (no box text, no who or when)."""
    out = []
    for row in rows:
        grounds: dict[str, set[int]] = {}
        for box in row.boxes:
            grounds.setdefault(box["ground"], set()).add(int(box["page"]))
        boxed = sorted({p for pages in grounds.values() for p in pages})
        out.append(
            {
                "title": row.title,
                "pages": row.pages,
                "redacted_pages": len(boxed),
                "redacted_page_numbers": boxed,
                "grounds": {g: sorted(pages) for g, pages in sorted(grounds.items())},
                "sha256": row.released_sha256,
                "original_sha256": row.original_sha256,
            }
        )
    return out


def letter_rows(released: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The letter's table of released files: 序号, 名称, 页数, 遮盖情况."""
    rows = []
    for number, item in enumerate(released, start=1):
        grounds: dict[str, list[int]] = item["grounds"]
        if not item["redacted_page_numbers"]:
            redaction = "无遮盖"
        else:
            where = f"第{_pages_text(item['redacted_page_numbers'])}页遮盖"
            if len(grounds) == 1:
                why = _label(next(iter(grounds)))
            else:
                why = "、".join(f"{_label(g)}（第{_pages_text(p)}页）" for g, p in grounds.items())
            redaction = f"{where}，依据{why}"
        rows.append(
            {"number": number, "title": item["title"], "pages": item["pages"], "redaction": redaction}
        )
    return rows


@dataclass
class Release:
    """What ``issue_reply`` adds: the event's facts and documents, the letter's table."""

    facts: dict[str, Any] = field(default_factory=dict)
    documents: tuple[tuple[str, str], ...] = ()
    letter: dict[str, Any] = field(default_factory=dict)


def check_issue(session: Session, case: Case) -> None:
    """Refuse to issue a reply whose records changed since its review (须重新审查)."""
    draft = case.draft or {}
    if draft.get("outcome") not in law.RELEASE_OUTCOMES or case.id is None:
        return
    reviewed = draft.get(KEY) or []
    rows = records.for_case(session, case.id)
    if not rows and not reviewed:
        return
    try:
        current = _current(session, case)
    except FactsError as exc:
        raise RuleViolation(f"{CHANGED}（{exc.message}），须重新审查后签发", code="release_changed") from None
    if current != reviewed:
        raise RuleViolation(
            f"{CHANGED}（{_difference(reviewed, current)}），须重新审查后签发", code="release_changed"
        )


def _difference(reviewed: list[dict[str, Any]], current: list[dict[str, Any]]) -> str:
    """Which record changed, in words."""
    before = {(m.get("record_id"), m.get("original_sha256")): m for m in reviewed}
    after = {(m.get("record_id"), m.get("original_sha256")): m for m in current}
    added = [after[k]["title"] for k in after if k not in before]
    removed = [before[k]["title"] for k in before if k not in after]
    edited = [after[k]["title"] for k in after if k in before and after[k] != before[k]]
    parts = [f"「{t}」的遮盖已修改" for t in edited]
    parts += [f"新增「{t}」" for t in added] + [f"撤下「{t}」" for t in removed]
    return "；".join(parts) or "公开材料的顺序已改变"


def release(ctx: Ctx, outcome_code: str) -> Release:
    """``issue_reply`` (after ``check_issue``): the released copies join the event, each record is
    frozen with the event's number, and the letter gets its table (nothing for a request without
    records or a reply that provides nothing)."""
    if outcome_code not in law.RELEASE_OUTCOMES or ctx.case.id is None:
        return Release()
    rows = records.for_case(ctx.session, ctx.case.id)
    if not rows:
        return Release()
    seq = ctx.case.event_count + 1  # the event this transition appends
    documents: list[tuple[str, str]] = []
    for row in rows:
        assert row.released_sha256 is not None  # check_issue: the manifest has every copy
        kinds = [(RELEASED, row.released_sha256), (ORIGINAL, row.original_sha256)]
        if row.pdf_sha256 != row.original_sha256:
            kinds.append((ORIGINAL_PDF, row.pdf_sha256))
        for kind, sha in kinds:
            documents.append((kind, sha))
            ctx.session.add(CaseDocument(case_id=ctx.case.id, sha256=sha, kind=kind, event_seq=seq))
        row.issued_seq = seq
        ctx.session.add(row)
    released = summary(rows)
    letter = {"released": letter_rows(released), "released_basis": ART37}
    return Release({"released": released}, tuple(documents), letter)


def preview_rows(session: Session, case: Case) -> dict[str, Any]:
    """The letter's table for the draft's preview (the records as they stand; copies not needed)."""
    if (case.draft or {}).get("outcome") not in law.RELEASE_OUTCOMES or case.id is None:
        return {}
    rows = records.for_case(session, case.id)
    if not rows:
        return {}
    return {"released": letter_rows(summary(rows)), "released_basis": ART37}
