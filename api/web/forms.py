"""HTML forms for actions, generated from each action's facts model (one source for API and pages)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from caseflow import law

LABELS: dict[str, str] = {
    "items": "需补正的事项（每行一项）",
    "period_days": "补正期限（工作日，留空为默认）",
    "notice_date": "告知日期",
    "received_on": "收到补正日期",
    "summary": "补正内容摘要",
    "party_kind": "征求对象",
    "party_name": "对象名称",
    "matters": "征求意见的事项",
    "letter_date": "发函日期",
    "opinion": "意见",
    "opinion_text": "意见内容",
    "opinion_date": "收到意见日期",
    "method": "计收方式",
    "pages": "页数",
    "items_split": "按“一事一申请”拆分的件数（按件计收，未拆分为1）",
    "reduction_yuan": "减免金额（元）",
    "reduction_reason": "减免理由",
    "paid_on": "缴费日期",
    "payment_ref": "缴费凭证号",
    "reason": "理由",
    "days": "延长工作日数（留空为最长期限）",
    "decided_on": "决定日期",
    "due": "答复期限",
    "outcome": "答复类型",
    "reasons": "理由",
    "where_to_obtain": "获取途径",
    "responsible_agency": "负责公开的机关（第三十六条第五项：能够确定的填写，不能确定的留空）",
    "responsible_contact": "负责公开机关的联系方式",
    "search_description": "检索情况（在何处、以何种方式检索，第三十六条第四项）",
    "query_law": "规定该查询事项的法律、行政法规（第三十六条第七项）",
    "query_where": "办理查询的机关或场所",
    "provided": "提供的信息及方式",
    "earlier_tracking_no": "此前已答复的相同申请的受理编号（重复申请时填写）",
    "withheld_grounds": "不予公开部分的理由类别（部分公开时填写，每行一项："
    + "、".join(f"{c} {law.outcome(c).name}" for c in law.WITHHOLDING_GROUNDS)
    + "）",
    "provided_form": "实际提供形式（留空：按申请人要求的形式）",
    "provided_form_reason": "未按申请人要求的形式提供的理由（条例第四十条）",
    "provision_place": "查阅或领取地点（当场查阅、自行领取的须填写）",
    "provision_time": "查阅或领取时间（当场查阅、自行领取的须填写）",
    "comments": "审核意见",
    "issued_on": "签发日期",
    "proof": "送达凭证",
    "delivered_on": "送达日期",
    "withdrawn_on": "撤回日期",
    "body": "复议机关",
    "reference_no": "案号",
    "filed_on": "申请/起诉日期",
    "court": "法院",
    "path": "起诉方式",
    "subject": "复议或诉讼针对的行为（留空：已作出答复的为答复，未答复的为逾期不答复）",
    "record_id": "记录编号",
    "result": "结果",
    "concluded_on": "审结日期",
    "participants": "会商参加人",
    "consultation_id": "征求意见事项（同时有多项征求意见的，须选择）",
    "content": "决定公开的政府信息内容",
    "wait_days": "公开前等待的工作日数（自第三方收到告知书之次日起计算，留空为15）",
    "text": "说明",
    "handler": "新经办人（用户名）",
}
#: Labels of a field that means something else in one action ("action.field").
ACTION_LABELS: dict[str, str] = {
    "request_art35_reasons.period_days": "说明理由期限（工作日，自申请人收到告知书之次日起计算）",
    "request_art35_reasons.asked": "要求申请人说明的事项",
    "request_art35_reasons.notice_date": "告知日期",
    "record_art35_reasons.answer": "说明理由情况",
    "record_art35_reasons.reasons": "申请人说明的理由（未说明的留空）",
    "record_art35_reasons.reasons_on": "收到理由日期（未说明的留空）",
    "set_delayed_date.due": "延迟答复期限（须晚于现行答复期限）",
    "record_notice_delivery.document": "送达的文书（同类文书有多份的，为最近一份尚未登记送达的）",
    "record_notice_delivery.method": "送达方式",
    "record_notice_delivery.proof": "送达凭证（如EMS单号及签收记录、送达回证、系统到达记录）",
    "record_notice_delivery.received_on": "收件人收到日期（邮寄为签收日，电子送达为到达收件人系统之日）",
    "propose_lapse.kind": "期限种类",
    "confidentiality_review.conclusion": "审查结论",
    "confidentiality_review.comments": "审查意见（不同意公开的须写明）",
    "keep_waiting.reason": "暂不认定逾期、继续等待的理由",
    "keep_waiting.until": "等待至（留空：待经办人处理，系统不再提请）",
}
#: Choices of a field that means something else in one action ("action.field").
ACTION_CHOICES: dict[str, dict[str, str]] = {
    "record_notice_delivery.document": {
        code: law.DOCUMENT_TYPES_BY_CODE[code].name if code in law.DOCUMENT_TYPES_BY_CODE else code
        for code in law.PERIOD_FROM_DELIVERY
    },
    "record_notice_delivery.method": {
        m.value: f"{law.DELIVERY_METHOD_NAMES[m]}（{law.DELIVERY_DATE_RULES[m]}）" for m in law.DeliveryMethod
    },
    "propose_lapse.kind": {k.value: law.LAPSE_PERIODS[k].name for k in law.LapseKind},
    "confidentiality_review.conclusion": law.DISCLOSURE_REVIEW_CONCLUSIONS,
}
CHOICES: dict[str, dict[str, str]] = {
    "party_kind": {
        "third_party": "第三方（第三十二条）",
        "co_producer": "共同制作机关（第三十四条，逾期未提出意见的视为同意）",
        "agency": "其他机关（非共同制作，逾期未提出意见的由本机关决定）",
    },
    "opinion": {"consent": "同意公开", "object": "不同意公开", "partial": "部分同意"},
    "method": {"per_page": "按量计收", "per_application": "按件计收"},
    "outcome": {o.code: f"{o.report_row} {o.name}".strip() for o in law.OUTCOMES if not o.without_reply},
    "path": {"direct": "直接起诉", "after_review": "复议后起诉"},
    "provided_form": {f.value: name for f, name in law.PROVISION_FORM_NAMES.items()},
    "subject": law.REMEDY_SUBJECTS,
    "answer": {"given": "申请人已说明理由", "not_given": "申请人逾期未说明理由"},
    "result": {"maintained": "维持", "corrected": "纠正", "other": "其他结果"},
    "method_delivery": {
        "in_person": "直接送达",
        "post": "邮寄",
        "email": "电子邮件",
        "online": "网上送达",
        "fax": "传真",
    },
}
TEXTAREAS = frozenset(
    {
        "items",
        "reasons",
        "provided",
        "opinion_text",
        "matters",
        "comments",
        "text",
        "opinion",
        "summary",
        "reason",
        "asked",
        "content",
        "provided_form_reason",
        "search_description",
        "query_where",
    }
)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # text, textarea, number, date, select
    required: bool
    choices: dict[str, str]
    value: str


def for_kind(fields: list[Field], kind: str) -> list[Field]:
    """The draft form offers only the outcomes of the request's kind (a correction request's, Art. 41)."""
    allowed = {o.code for o in law.outcomes_for(kind)}
    return [
        dataclasses.replace(f, choices={k: v for k, v in f.choices.items() if k in allowed})
        if f.name == "outcome"
        else f
        for f in fields
    ]


def fields_for(model: type[BaseModel], action: str, values: dict[str, Any] | None = None) -> list[Field]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        kind = "text"
        options = ACTION_CHOICES.get(f"{action}.{name}") or CHOICES.get(
            "method_delivery" if action == "record_delivery" and name == "method" else name, {}
        )
        types = {p.get("type") for p in prop.get("anyOf", [prop])} | {prop.get("format")}
        if "enum" in prop or options:
            kind = "select"
            options = options or {v: v for v in prop.get("enum", [])}
        elif "date" in {p.get("format") for p in prop.get("anyOf", [prop])}:
            kind = "date"
        elif "integer" in types:
            kind = "number"
        elif name in TEXTAREAS or "array" in types:
            kind = "textarea"
        value = (values or {}).get(name, "")
        out.append(
            Field(
                name,
                ACTION_LABELS.get(f"{action}.{name}", LABELS.get(name, name)),
                kind,
                name in required,
                options,
                "\n".join(value) if isinstance(value, list) else str(value or ""),
            )
        )
    return out


def with_choices(fields: Any, name: str, choices: dict[str, str]) -> list[Field]:
    """The field ``name`` offered as a choice among ``choices`` (values known only per request)."""
    return [
        dataclasses.replace(f, kind="select", choices=choices) if f.name == name and choices else f
        for f in fields
    ]


def facts_from_form(model: type[BaseModel], form: dict[str, str]) -> dict[str, Any]:
    """Form fields to facts: empty optional fields omitted, lists split by line, numbers parsed."""
    schema = model.model_json_schema()
    facts: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        raw = (form.get(name) or "").strip()
        if not raw:
            continue
        types = {p.get("type") for p in prop.get("anyOf", [prop])}
        if "array" in types:
            facts[name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif "integer" in types:
            facts[name] = int(raw) if raw.lstrip("-").isdigit() else raw
        else:
            facts[name] = raw
    return facts


def zh_date(value: str | dt.date | None) -> str:
    if not value:
        return "—"
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


#: Field errors as people in the office read them (validation messages are English for the API).
ZH_MESSAGES: tuple[tuple[str, str], ...] = (
    ("Field required", "必填"),
    ("String should have at least", "不能为空"),
    ("String should have at most", "内容过长"),
    ("List should have at least", "至少填写一项"),
    ("List should have at most", "填写的项数过多"),
    ("unable to parse raw data as a unicode string", "含有不允许的字符（孤立的代理码元）"),
    ("Input should be a valid datetime", "请填写有效的日期和时间"),
    ("Input should have timezone info", "请填写有效的日期和时间"),
    ("Input should be a valid date", "请填写有效的日期"),
    ("Input should be a valid integer", "请填写整数"),
    ("Input should be greater than or equal", "数值过小"),
    ("Input should be less than or equal", "数值过大"),
    ("Input should be", "请选择有效的选项"),
    ("Extra inputs are not permitted", "不接受该字段"),
    ("the application must give at least one contact", "至少填写一种联系方式（电话、电子邮箱或通信地址）"),
    ("required for", f"该提交方式须填写（条例{law.RECEIPT_DATE_BASIS.article}）"),
    ("cannot be before the application arrived", "不能早于申请到达时间"),
    ("is in the future", "不能晚于今天"),
    ("is before", "早于应有的日期"),
    ("must give its reasons", "须写明理由"),
    ("must name the ground(s) of the withheld part", "部分公开的，须写明不予公开部分的理由类别"),
    ("only a partial reply names grounds", "仅部分公开答复填写不予公开部分的理由类别"),
    ("not a ground of withholding", "不是不予公开的理由类别"),
    ("must name the earlier request", "重复申请的，须填写此前已答复的申请的受理编号（条例第三十六条第六项）"),
    ("only a rejected.duplicate reply names an earlier request", "仅重复申请答复填写此前申请的受理编号"),
    ("must say where to obtain it", "须写明获取途径"),
    ("must not contain NUL", "含有无效字符"),
    ("is outside the dates caseflow handles", "超出可处理的日期范围"),
    ("every item to supplement", "每一项补正事项都须写明"),
    ("record the reasons the applicant gave", "须填写申请人说明的理由"),
    ("no reasons were given", "申请人未说明理由的，理由及收到日期应留空"),
    ("states the form of provision", "仅予以公开（提供）和部分公开的答复填写提供形式"),
    ("starts no period for its recipient", "该文书不启动收件人的期限，无须在此登记送达"),
)


def zh_error(message: str) -> str:
    """The Chinese wording of a field error (the original is kept after it when it adds detail)."""
    for english, chinese in ZH_MESSAGES:
        if english in message:
            return chinese
    return message
