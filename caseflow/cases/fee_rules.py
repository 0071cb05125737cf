"""The preconditions of a fee and of a pause (Regulation Art. 42; Fee Measures; 2007 Art. 24 para. 3).

Called at the top of the handlers in ``caseflow.cases.actions`` (inside ``engine.perform``'s
transaction, so a refusal leaves the request and its evidence unchanged):

- ``check_assessment`` (assess_fee): not under the 2007 text, not for a request received before the
  Fee Measures came into force, not after the reply deadline in force, per page only for a form of
  provision that supplies copies;
- ``check_reply_outcome`` (draft_reply): after a per-page fee, only an outcome that supplies the
  information;
- ``check_consultation`` (start_consultation): under the 2007 text only a third party's consultation
  stops the reply period.
"""

from __future__ import annotations

from sqlmodel import col, select

from caseflow import law
from caseflow.cases.engine import Ctx
from caseflow.dates import zh
from caseflow.errors import RuleViolation
from caseflow.fees import FeeMethod
from caseflow.models import Case, FeeAssessment
from caseflow.states import facts as f


def rule_set(case: Case) -> law.RuleSet:
    """The rule set the request's clock runs on (derived from its receipt date)."""
    return law.RULE_SETS.get(case.rules) or law.rules_for(case.receipt_date)


def check_assessment(ctx: Ctx, facts: f.AssessFeeFacts) -> None:
    """Refuse a fee notice the law does not allow (each refusal names its rule and article)."""
    case = ctx.case
    notice_date = facts.notice_date
    assert notice_date is not None
    rules = rule_set(case)
    if not rules.fees_allowed:
        raise RuleViolation(
            f"本申请于{zh(case.receipt_date)}收到，适用{rules.name}：依{rules.pause_basis.label}，"
            "只有征求第三方意见所需时间不计算在答复期限内，不能以收取信息处理费中止答复期限；"
            f"{law.FEE_MEASURES}自{zh(law.FEE_MEASURES_IN_FORCE)}起施行（{law.FEE_IN_FORCE_BASIS.label}），"
            "不适用于该申请"
        )
    if case.receipt_date < law.FEE_MEASURES_IN_FORCE:
        raise RuleViolation(
            f"{law.FEE_MEASURES}自{zh(law.FEE_MEASURES_IN_FORCE)}起施行（{law.FEE_IN_FORCE_BASIS.label}）："
            f"本申请于{zh(case.receipt_date)}收到，不收取信息处理费"
        )
    if case.reply_due is not None and notice_date > case.reply_due:
        raise RuleViolation(
            f"收费通知应当在答复期限内发出（{law.FEE_NOTICE_BASIS.label}）：现行答复期限于"
            f"{zh(case.reply_due)}届满，不能于{zh(notice_date)}发出收费通知"
        )
    if facts.method is FeeMethod.PER_PAGE:
        form = law.ProvisionForm(case.provision_form)
        if form not in law.FEE_PER_PAGE_FORMS:
            allowed = "、".join(
                law.PROVISION_FORM_NAMES[p] for p in law.ProvisionForm if p in law.FEE_PER_PAGE_FORMS
            )
            raise RuleViolation(
                "按量计收仅适用于申请人要求以提供纸质件、发送电子邮件、复制电子数据等方式获取政府信息的情形"
                f"（{law.FEE_PER_PAGE_BASIS.label}）：本申请要求的提供形式为"
                f"“{law.PROVISION_FORM_NAMES[form]}”，不能按页计收（可按量计收的形式：{allowed}）"
            )


def check_reply_outcome(ctx: Ctx, outcome_code: str) -> None:
    """After a per-page fee (pending or paid), the reply must supply the information it charged for."""
    if outcome_code in law.FEE_PER_PAGE_OUTCOMES:
        return
    charged = ctx.session.exec(
        select(FeeAssessment.id).where(
            col(FeeAssessment.case_id) == ctx.case.id,
            col(FeeAssessment.method) == FeeMethod.PER_PAGE.value,
            col(FeeAssessment.status) != "lapsed",
        )
    ).first()
    if charged is None:
        return
    allowed = "、".join(f"{law.outcome(c).name}（{c}）" for c in law.FEE_PER_PAGE_OUTCOMES)
    raise RuleViolation(
        f"本申请已按量计收信息处理费（{law.FEE_PER_PAGE_BASIS.label}：按页数计收的是向申请人提供的政府信息），"
        f"答复类型只能为{allowed}；作出“{law.outcome(outcome_code).name}”答复前，应当先依法处理已收取的费用"
    )


def check_consultation(ctx: Ctx, party_kind: str) -> None:
    """Under the 2007 text only a third party's consultation stops the reply period (Art. 24 para. 3)."""
    rules = rule_set(ctx.case)
    if party_kind in rules.pausing_consultations:
        return
    party = law.CONSULTATION_PARTY_NAMES.get(party_kind, party_kind)
    pausing = "、".join(law.CONSULTATION_PARTY_NAMES[k] for k in rules.pausing_consultations)
    raise RuleViolation(
        f"本申请于{zh(ctx.case.receipt_date)}收到，适用{rules.name}：依{rules.pause_basis.label}，"
        f"只有征求{pausing}意见所需时间不计算在答复期限内；征求{party}意见不中止答复期限，"
        "不能以此登记期限中止"
    )


def consultation_basis(case: Case, party_kind: str) -> tuple[str, ...]:
    """What a consultation letter's evidence cites: the consultation article and the pause's."""
    rules = rule_set(case)
    if party_kind == "third_party":
        return rules.third_party_basis.label, rules.pause_basis.label
    # A co-producer: Art. 34; another agency: only Art. 33 para. 3 speaks of it (the pause).
    own = law.CONSULTATION_PERIODS[party_kind].basis.label
    pause = law.PAUSE_REASON_BASIS[law.PauseReason.CONSULTATION].label
    return (own, pause) if own != pause else (pause,)
