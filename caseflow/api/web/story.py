"""The case page's story (zh-CN): the uploaded scans and envelopes (and the route that opens them),
every delivery record, the evidence timeline with the actions' Chinese names, the people's names and
the facts each step recorded (as ``caseflow.api.web.fact_text`` words them), the success notice after
an action, and the reply's draft with its difference from the draft the reviewer returned.

Opening an uploaded document is recorded as evidence (``view_document``: who, when, which file by
its SHA-256) before its bytes are sent, as a full ID number is (``view_identity``): an application
scan often shows the applicant's whole identity card. It is a form posted with the CSRF token, never
a link, so that nothing records a view by merely loading a page.
"""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from caseflow import casefile, service
from caseflow.api.deps import Authorized, CurrentCase, Id, SessionDep, actor_of, authorize, check_csrf
from caseflow.api.downloads import disposition_headers
from caseflow.api.web.fact_text import done_notice, event_name, fact_label, fact_lines, fact_value, zh_date
from caseflow.dates import zh_moment  # 2026年11月28日 20:11, the one time format of the pages
from caseflow.errors import NotFound
from caseflow.evidence.store import DocumentStore
from caseflow.states.facts import DraftReplyFacts

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)

#: Shown in the browser (what an office scans: images and PDFs); anything else is saved, never shown.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})

# --- The draft and its difference from the returned one --------------------------------------

DRAFT_FIELDS = tuple(DraftReplyFacts.model_fields)


def draft_lines(draft: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The reply's draft as the reviewer reads it: the outcome by name, the reasons, the grounds..."""
    if not draft:
        return []
    return fact_lines("draft_reply", {k: draft.get(k) for k in DRAFT_FIELDS})


def inline_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(op, text) segments of ``new`` against ``old`` (op: same, del, ins), by character: Chinese has
    no spaces between words."""
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", new[j1:j2]))
            continue
        if op in ("delete", "replace"):
            out.append(("del", old[i1:i2]))
        if op in ("insert", "replace"):
            out.append(("ins", new[j1:j2]))
    return out


def draft_difference(previous: dict[str, Any], current: dict[str, Any]) -> list[dict[str, Any]]:
    """Field by field, the returned draft against the new one: label, old, new, changed, and for a
    changed text the character diff."""
    rows = []
    for key in DRAFT_FIELDS:
        label = fact_label("draft_reply", key)
        if label is None:
            continue
        old = fact_value("draft_reply", key, previous.get(key)) or ""
        new = fact_value("draft_reply", key, current.get(key)) or ""
        if not old and not new:
            continue
        changed = old != new
        rows.append(
            {
                "field": key,
                "label": label,
                "old": old or "—",
                "new": new or "—",
                "changed": changed,
                "segments": inline_diff(old, new) if changed and old and new else None,
            }
        )
    return rows


def context(session: Any, case_id: int, draft: dict[str, Any] | None, done: str | None) -> dict[str, Any]:
    """What the case page's story sections show (one call from the workspace)."""
    steps = casefile.timeline(session, case_id)
    rounds = casefile.draft_rounds(steps)
    difference = None
    if len(rounds) >= 2 and draft:
        previous = rounds[-2]
        difference = {
            "rows": draft_difference(previous.facts, rounds[-1].facts),
            "returned_by": previous.returned_by,
            "returned_comments": previous.returned_comments,
            "previous_at": zh_moment(previous.moment),
            "current_at": zh_moment(rounds[-1].moment),
        }
    return {
        "story_documents": [
            {
                **d,
                "uploaded_at": zh_moment(d["uploaded_at"]),
                "size_text": size_text(d["size"]),
                "inline": _media(d["media_type"]) in INLINE_TYPES,  # 打开 in the browser, else 下载
            }
            for d in casefile.documents(session, case_id)
        ],
        "story_deliveries": [
            {**d, "received_on": zh_date(d["received_on"]), "recorded_at": zh_moment(d["recorded_at"])}
            for d in casefile.deliveries(session, case_id)
        ],
        "story_timeline": [
            {
                "seq": s.seq,
                "when": zh_moment(s.moment),
                "who": s.actor_name,
                "role": s.role,
                "action": s.action,
                "action_name": event_name(s.action),
                "from_state": s.from_state,
                "to_state": s.to_state,
                "facts": fact_lines(s.action, s.facts),
                "basis": s.basis,
                "hash": s.hash,
            }
            for s in steps
        ],
        "story_draft": draft_lines(draft),
        "story_difference": difference,
        "story_done": done_notice(done),
    }


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


# --- Opening an uploaded document --------------------------------------------------------------


@router.post("/cases/{case_id}/documents/{document_id}", name="page_case_document")
async def page_case_document(
    request: Request, case: CurrentCase, document_id: Id, caller: Authorized, session: SessionDep
) -> Response:
    """The bytes of one uploaded file of the request (scoped like the request: another agency's is
    404), after the view is recorded (``view_document``): images and PDFs shown in the browser under
    their own type, anything else saved as a file. A file missing from the store records nothing."""
    await check_csrf(request, caller)
    assert case.id is not None
    found = casefile.document(session, case.id, document_id)
    if found is None:
        raise NotFound("没有这份材料")
    link, doc = found
    try:
        data = DocumentStore().read(doc.sha256, session)
    except FileNotFoundError:
        raise NotFound("该材料的文件不在文件库中，请联系管理员") from None
    case_id = case.id
    await run_in_threadpool(
        lambda: service.perform_grouped(
            session=session,
            case_id=case_id,
            actor=actor_of(caller),
            action="view_document",
            facts={"document_id": document_id},
        )
    )
    media = _media(doc.media_type)
    inline = media in INLINE_TYPES
    name = doc.filename or f"{casefile.upload_kind_name(link.kind)}"
    headers = disposition_headers(name, inline=inline, fallback=f"document-{link.id}{_suffix(name)}")
    headers.update({"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store, private"})
    return Response(data, media_type=media if inline else "application/octet-stream", headers=headers)


def _media(media_type: str) -> str:
    """The media type without its parameters, lower case (``application/pdf; x=y`` -> ``application/pdf``)."""
    return media_type.split(";", 1)[0].strip().lower()


def _suffix(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f".{ext}" if dot and stem and ext.isascii() and ext.isalnum() else ""
