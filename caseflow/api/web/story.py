"""The case page's story (zh-CN): the uploaded scans and envelopes (and the route that opens them),
every delivery record, the evidence timeline with the actions' Chinese names, the people's names and
the facts each step recorded, the success notice after an action, and the reply's draft with its
difference from the draft the reviewer returned.

The facts are shown with the labels of the action forms (``caseflow.api.web.forms``) and their choice values
by name; a fact with no Chinese label (hashes, internal counters) is left out, never shown as JSON.

Opening an uploaded document is recorded as evidence (``view_document``: who, when, which file by
its SHA-256) before its bytes are sent, as a full ID number is (``view_identity``): an application
scan often shows the applicant's whole identity card. It is a form posted with the CSRF token, never
a link, so that nothing records a view by merely loading a page.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from caseflow import casefile, law, service
from caseflow.api.deps import Authorized, CurrentCase, Id, SessionDep, actor_of, authorize, check_csrf
from caseflow.api.downloads import disposition_headers
from caseflow.api.web.forms import ACTION_CHOICES, ACTION_LABELS, CHOICES, LABELS
from caseflow.dates import zh_moment  # 2026年11月28日 20:11, the one time format of the pages
from caseflow.errors import NotFound
from caseflow.evidence.store import DocumentStore
from caseflow.states.facts import DraftReplyFacts
from caseflow.states.machine import ACTIONS, RECORD_ONLY

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)

#: Shown in the browser (what an office scans: images and PDFs); anything else is saved, never shown.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})

#: Events that are not actions of the state machine.
EVENT_NAMES: dict[str, str] = {"register": "登记申请", "bulk_history": "导入的历史办理记录"}
OTHER_EVENT = "其他记录"

#: Labels of recorded facts that no action form asks for (derived by the engine, or at intake).
FACT_LABELS: dict[str, str] = {
    "applicant_name": "申请人",
    "applicant_type": "申请人类型",
    "id_type": "证件类型",
    "id_number_masked": "证件号码",
    "id_number": "证件号码",
    "phone": "联系电话",
    "email": "电子邮箱",
    "address": "通信地址",
    "description": "所需信息的内容描述",
    "document_no_sought": "所需信息的文号",
    "provision_form": "要求的提供形式",
    "channel": "提交方式",
    "arrived_at": "申请到达时间",
    "confirmed_on": "确认收到日期",
    "receipt_date": "收到申请日期",
    "receipt_rule": "收到日期的认定",
    "receipt_proof": "收到凭证",
    "late_confirmation_reason": "延后确认的理由",
    "tracking_no": "受理编号",
    "kind": "类别",
    "letter": "制发的文书",
    "supplement_due": "补正期限届满日",
    "supplement_days": "补正期限（工作日）",
    "pay_by": "缴费期限届满日",
    "pay_days": "缴费期限（工作日）",
    "amount_yuan": "应缴金额（元）",
    "gross_yuan": "减免前金额（元）",
    "standard": "计收标准",
    "window_days": "征求意见期限（工作日）",
    "window_end": "答复期限届满日",
    "period_end": "期限届满日",
    "conclusion_name": "审查结论",
    "late": "逾期答复",
    "letter_issued_on": "文书签发日期",
    "letter_no": "文号",
    "date_rule": "收到日期的认定",
    "asked": "要求申请人说明的事项",
    "answer": "说明理由情况",
    "reasons_on": "收到理由日期",
    "record_id": "记录编号",
    "applicant_submitted_at": "申请人在线提交时间",  # the applicant's online supplement or withdrawal
    "applicant_client_address": "提交地址",
}
#: Labels that differ in one action ("action.field").
FACT_ACTION_LABELS: dict[str, str] = {
    "view_document.kind": "查看的材料",
    "view_document.filename": "文件名",
    "record_delivery.method": "送达方式",
    "record_notice_delivery.document": "送达的文书",
    "record_notice_delivery.received_on": "收件人收到日期",
    "record_notice_delivery.proof": "送达凭证",
    "propose_lapse.kind": "期限种类",
    "propose_lapse.received_on": "收件人收到日期",
    "conclude_remedy.kind": "类别",
    "lapse_supplement.received_on": "收件人收到补正告知日期",
    "lapse_fee.received_on": "收件人收到收费通知日期",
    "issue_reply.reasons": "理由",
    "record_notice_delivery.period_days": "期限",
    # the applicant's download on the request page (issue 18): its first download is its delivery
    "applicant_download.client_address": "下载地址",
    "applicant_download.downloaded_at": "下载时间",
    "applicant_download.method": "送达方式",
    "applicant_download.delivered_on": "答复送达日期",
    "applicant_download.received_on": "申请人收到日期",
    # an applicant's online supplement or withdrawal (issue 18 / D), recorded or declined
    "decline_applicant_submission.note": "不予登记的理由",
}
#: Facts kept for the chain's sake, not for people: hashes, ids, counters, flags.
HIDDEN_FACTS = frozenset(
    {
        "id_number_hmac",
        "html_sha256",
        "pdf_sha256",
        "letter_id",
        "issued_seq",  # letter_pdf: the event that issued the letter
        "clock_event",
        "clock_date",
        "open_consultations",
        "needs_review",
        "notified",
        "draft_digest",
        "consultation_id",
        "consultations",
        "earlier_request",
        "agency",
        "units",
        "template",
        "template_sha256",
        "confidentiality_review.kind",
        "confidentiality_review.conclusion",
        "id_number_redacted",
        "supplement_days",  # the same as period_days
    }
)
#: Counts of working days, shown with their unit.
WORKING_DAY_FACTS = frozenset({"period_days", "pay_days", "window_days", "wait_days"})
#: Choice values by their names ("action.field" first, then "field").
VALUE_NAMES: dict[str, dict[str, str]] = {
    "record_delivery.method": casefile.REPLY_DELIVERY_METHODS,
    "record_notice_delivery.method": {m.value: n for m, n in law.DELIVERY_METHOD_NAMES.items()},
    "applicant_download.method": {"online": "网上送达（在线下载）", "electronic": "电子送达（在线下载）"},
    "register.kind": {k.value: n for k, n in law.REQUEST_KIND_NAMES.items()},
    "propose_lapse.kind": {k.value: law.LAPSE_PERIODS[k].name for k in law.LapseKind},
    "view_document.kind": casefile.UPLOAD_KIND_NAMES,
    "conclude_remedy.kind": {"review": "行政复议", "litigation": "行政诉讼"},
    "applicant_type": {t.value: n for t, n in law.APPLICANT_TYPE_NAMES.items()},
    "channel": {c.value: n for c, n in law.CHANNEL_NAMES.items()},
    "provision_form": {p.value: n for p, n in law.PROVISION_FORM_NAMES.items()},
    "provided_form": {p.value: n for p, n in law.PROVISION_FORM_NAMES.items()},
    "document": {c: d.name for c, d in law.DOCUMENT_TYPES_BY_CODE.items()},
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def zh_date(day: dt.date | str | None) -> str:
    if not day:
        return "—"
    d = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


def event_name(action: str) -> str:
    """The Chinese name of an evidence event's action."""
    if action in ACTIONS:
        return ACTIONS[action].label
    return EVENT_NAMES.get(action, OTHER_EVENT)


def done_notice(action: str | None) -> str | None:
    """The notice "已完成：登记送达" for an action just done (only a known action that is offered as one)."""
    if not action or action not in ACTIONS or action in RECORD_ONLY:
        return None
    return f"已完成：{ACTIONS[action].label}"


def fact_label(action: str, key: str) -> str | None:
    """The Chinese label of a recorded fact (None: not for people)."""
    if key in HIDDEN_FACTS or f"{action}.{key}" in HIDDEN_FACTS:
        return None
    label = (
        FACT_ACTION_LABELS.get(f"{action}.{key}")
        or ACTION_LABELS.get(f"{action}.{key}")
        or FACT_LABELS.get(key)
        or LABELS.get(key)
    )
    return label.split("（", 1)[0] if label else None  # the form's hint ("（留空…）") is not the fact's name


def fact_value(action: str, key: str, value: Any) -> str | None:
    """A recorded value as people read it (None: nothing to show)."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if key == "letter" and isinstance(value, dict):
        doc = law.DOCUMENT_TYPES_BY_CODE.get(str(value.get("doc_type")))
        return " ".join(x for x in (doc.name if doc else "", str(value.get("letter_no") or "")) if x) or None
    if isinstance(value, dict):
        return None
    if key == "outcome" and isinstance(value, str):
        found = law.OUTCOMES_BY_CODE.get(value)
        return found.name if found else value
    if key == "withheld_grounds" and isinstance(value, list):
        return "；".join(law.OUTCOMES_BY_CODE[g].name if g in law.OUTCOMES_BY_CODE else str(g) for g in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in WORKING_DAY_FACTS and isinstance(value, int):
        return f"{value}个工作日"
    names = (
        VALUE_NAMES.get(f"{action}.{key}")
        or ACTION_CHOICES.get(f"{action}.{key}")
        or VALUE_NAMES.get(key)
        or CHOICES.get(key)
    )
    if isinstance(value, list):
        return "；".join(str(v) for v in value if v not in (None, "")) or None
    text = str(value)
    if names and text in names:
        return names[text]
    if _ISO_DATE.match(text):
        return zh_date(text)
    if _ISO_MOMENT.match(text):
        try:
            return zh_moment(text)
        except ValueError:
            return text
    return text


def fact_lines(action: str, facts: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of every recorded fact people read, in the order the chain keeps them."""
    out = []
    for key, value in facts.items():
        label = fact_label(action, key)
        shown = fact_value(action, key, value) if label else None
        if label and shown:
            out.append((label, shown))
    return out


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
