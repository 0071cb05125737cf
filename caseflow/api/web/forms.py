"""HTML forms for actions, generated from each action's facts model (one source for API and pages)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from caseflow import law
from caseflow.validation_zh import has_cjk, zh_pydantic


def _article(outcome: str) -> str:
    """The article of the Regulation an outcome rests on (its last basis: the item of Art. 36)."""
    return law.outcome(outcome).basis[-1].article


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
    "responsible_agency": f"负责公开的机关（{_article('unable.not_ours')}：能够确定的填写，不能确定的留空）",
    "responsible_contact": "负责公开机关的联系方式",
    "search_description": f"检索情况（在何处、以何种方式检索，{_article('unable.not_held')}）",
    "query_law": f"规定该查询事项的法律、行政法规（{_article('withheld.query_matter')}）",
    "query_where": "办理查询的机关或场所",
    "provided": "提供的信息及方式",
    "earlier_tracking_no": "此前已答复的相同申请的受理编号（重复申请时填写）",
    "withheld_grounds": "不予公开部分的理由类别（部分公开时填写，每行一项："
    + "、".join(f"{c} {law.outcome(c).name}" for c in law.WITHHOLDING_GROUNDS)
    + "）",
    "provided_form": "实际提供形式（留空：按申请人要求的形式）",
    "provided_form_reason": f"未按申请人要求的形式提供的理由（条例{law.PROVISION_FORM_BASIS.article}）",
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
        "third_party": f"第三方（{law.THIRD_PARTY_OPINION.basis.article}）",
        "co_producer": f"共同制作机关（{law.CO_PRODUCER_OPINION.basis.article}，逾期未提出意见的视为同意）",
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


#: Field errors as people in the office read them: the engine's own messages are Chinese at their
#: source (caseflow/); what is left here are English texts from libraries.
#: (pydantic's own messages are translated by their kind: ``caseflow.validation_zh.zh_pydantic``.)
ZH_MESSAGES: tuple[tuple[str, str], ...] = (("must not contain NUL", "含有无效字符"),)


def zh_error(message: str) -> str:
    """The Chinese wording of a field error given as text (a Chinese one is kept as it is)."""
    if has_cjk(message):
        return message
    for english, chinese in ZH_MESSAGES:
        if english in message:
            return chinese
    return message


def zh_validation(error: Any) -> str:
    """The Chinese message of one pydantic error (by its kind; a model's own check by its text)."""
    return zh_pydantic(error) or zh_error(str(error.get("msg", "")).removeprefix("Value error, "))


#: The application's own fields as the forms label them: the clerk's registration form and the
#: applicant's online form (``caseflow.api.web.apply``).
APPLICATION_LABELS: dict[str, str] = {
    "kind": "申请类型",
    "applicant_type": "申请人类型",
    "applicant_name": "姓名或名称",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "phone": "联系电话",
    "email": "电子邮箱",
    "address": "通信地址",
    "description": "所需政府信息的描述",
    "document_no_sought": "文号",
    "provision_form": "提供形式",
}
#: The registration form's fields (caseflow/api/web/templates/intake.html) as the form labels them.
INTAKE_LABELS: dict[str, str] = {
    **APPLICATION_LABELS,
    "channel": "提交方式",
    "arrived_at": "到达时间",
    "confirmed_on": "签收或确认日期",
    "receipt_proof": "收件凭证",
    "late_confirmation_reason": "确认晚于到达之日的理由",
    "application_scan": "申请书扫描件",
    "envelope": "信封或确认记录",
    "proof": "更正申请的证据",
    "pending": "已上传的文件",
}
#: Names of inputs that are not a form's fields (a whole-model check, a header, the query string).
OTHER_LABELS: dict[str, str] = {
    "release": "公开材料",
    "": "表单",
    "form": "表单",
    "facts": "表单",
    "body": "请求内容",
    "csrf_token": "表单安全令牌",
    "expected_version": "案件版本",
    "page": "页码",
    "q": "查询内容",
    "state": "状态",
    "year": "年度",
    "username": "用户名",
    "password": "密码",
    "next": "登录后返回的页面",
    "tracking_no": "受理编号",
    "code": "查询码",
    "size": "每页条数",
    "format": "格式",
    "masked": "脱敏",
}


def label_of(field: str, action: str | None = None) -> str:
    """The Chinese name of a field for an error message: the form's label without its hints in
    brackets (an action's own label first, then the intake form's, the actions', the others')."""
    name = str(field).rsplit(".", 1)[-1] if str(field) not in OTHER_LABELS else str(field)
    label = (
        (ACTION_LABELS.get(f"{action}.{name}") if action else None)
        or INTAKE_LABELS.get(name)
        or LABELS.get(name)
        or OTHER_LABELS.get(name)
    )
    return name if label is None else label.split("（", 1)[0]  # (an unknown field: its own name)
