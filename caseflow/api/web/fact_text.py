"""How the evidence chain's steps read on the case page (zh-CN): the actions' Chinese names, the facts
each step recorded with their labels and their values by name, and the notice after an action.

The facts are shown with the labels of the action forms (``caseflow.api.web.forms``) and their choice values
by name; a fact with no Chinese label (hashes, internal counters) is left out, never shown as JSON.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from caseflow import casefile, law
from caseflow.api.web.forms import ACTION_CHOICES, ACTION_LABELS, CHOICES, LABELS
from caseflow.dates import zh_moment  # 2026年11月28日 20:11, the one time format of the pages
from caseflow.states.actions import ACTIONS, RECORD_ONLY

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
