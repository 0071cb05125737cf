"""Art. 35 (大量、频繁): ask the applicant for reasons, record them or their absence, and what follows.

申请公开政府信息的数量、频次明显超过合理范围，行政机关可以要求申请人说明理由。理由不合理的，告知申请人
不予处理；理由合理但无法在规定期限内答复的，可以确定延迟答复的合理期限并告知申请人。

So a ``rejected.excessive`` reply and an Art. 35 date (``set_delayed_date``) both need the step
"request the applicant's reasons" first: its letter (``art35_reasons_notice``) states the period the
office sets, in working days from the day after the applicant receives it; its delivery is recorded
(``record_notice_delivery``); then ``record_art35_reasons`` records the reasons received, or that none
came, which may be recorded only after the period, counted from the recorded delivery, has run out.
The step is kept in ``art35_step`` (one row per request, the latest counting).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from caseflow import law
from caseflow.calendar import WorkingCalendar
from caseflow.cases.delivery import received_on
from caseflow.cases.engine import Ctx, Effect, LetterRequest, handler, not_before
from caseflow.dates import zh
from caseflow.errors import FactsError, RuleViolation
from caseflow.models import Art35Step, Case, Letter
from caseflow.states import facts as f

DOC_TYPE = "art35_reasons_notice"
ARTICLE = f"{law.REGULATION}{law.ART35_REASONS.basis.article}"
ANSWER_NAMES = {"given": "已说明理由", "not_given": "逾期未说明理由"}


def latest(session: Session, case_id: int) -> Art35Step | None:
    """The request's latest Art. 35 step (None: the applicant was never asked for reasons)."""
    return session.exec(
        select(Art35Step).where(col(Art35Step.case_id) == case_id).order_by(col(Art35Step.id).desc())
    ).first()


def completed(session: Session, case: Case, what: str) -> Art35Step:
    """The step, recorded (reasons given or not); refuse ``what`` when it is missing or pending."""
    assert case.id is not None
    step = latest(session, case.id)
    if step is None:
        raise RuleViolation(
            f"{what}，须先要求申请人说明理由并登记其说明情况（{ARTICLE}）：本申请尚未要求申请人说明理由",
            code="art35_reasons_missing",
        )
    if step.status == "pending":
        raise RuleViolation(
            f"{what}，须先登记申请人说明理由的情况（{ARTICLE}）：{zh(step.notice_date)}已要求申请人说明理由，"
            "尚未登记收到理由或者逾期未说明",
            code="art35_reasons_pending",
        )
    return step


def delivered_on(session: Session, case_id: int) -> dt.date | None:
    """The day the applicant received the latest reasons notice (recorded delivery), if recorded."""
    return received_on(session, case_id, DOC_TYPE)


def period_end(step: Art35Step, delivered: dt.date, calendar: WorkingCalendar) -> dt.date:
    """The last day to give reasons: ``period_days`` working days from the day after receipt."""
    return calendar.add_working_days(delivered, step.period_days)


def _notice_no(session: Session, case_id: int) -> str:
    letter = session.exec(
        select(Letter.letter_no)
        .where(col(Letter.case_id) == case_id, col(Letter.doc_type) == DOC_TYPE)
        .order_by(col(Letter.id).desc())
    ).first()
    return letter or ""


def letter_context(session: Session, case: Case) -> dict[str, Any] | None:
    """What the Art. 35 letters (the delay notice, a ``rejected.excessive`` reply) say of the step."""
    if case.id is None:
        return None
    step = latest(session, case.id)
    if step is None or step.status == "pending":
        return None
    return {
        "notice_date": zh(step.notice_date),
        "notice_no": _notice_no(session, case.id),
        "period_days": step.period_days,
        "asked": step.asked,
        "answer": step.status,
        "reasons": step.reasons,
        "reasons_on": zh(step.reasons_on) if step.reasons_on else "",
    }


@handler("request_art35_reasons")
def request_art35_reasons(ctx: Ctx, facts: f.RequestArt35ReasonsFacts) -> Effect:
    assert facts.notice_date is not None and ctx.case.id is not None
    step = latest(ctx.session, ctx.case.id)
    if step is not None and step.status == "pending":
        raise RuleViolation(
            f"{zh(step.notice_date)}已要求申请人说明理由，须先登记其说明情况，才能再次要求（{ARTICLE}）"
        )
    not_before("notice_date", facts.notice_date, ctx.case.receipt_date, "收到申请之日")
    ctx.session.add(
        Art35Step(
            case_id=ctx.case.id,
            notice_date=facts.notice_date,
            period_days=facts.period_days,
            asked=facts.asked,
        )
    )
    return Effect(
        basis=(law.ART35_REASONS.basis.label,),
        letter=LetterRequest(
            DOC_TYPE, facts.notice_date, notice={"asked": facts.asked, "period_days": facts.period_days}
        ),
    )


@handler("record_art35_reasons")
def record_art35_reasons(ctx: Ctx, facts: f.RecordArt35ReasonsFacts) -> Effect:
    assert ctx.case.id is not None
    step = latest(ctx.session, ctx.case.id)
    if step is None or step.status != "pending":
        raise RuleViolation(f"本申请没有待登记的说明理由要求，须先要求申请人说明理由（{ARTICLE}）")
    out: dict[str, Any] = {"period_days": step.period_days}
    if facts.answer == "given":
        reasons_on = facts.reasons_on or ctx.today
        if reasons_on > ctx.today:
            raise FactsError(
                [
                    (
                        "reasons_on",
                        f"{zh(reasons_on)}晚于今天（今天是{zh(ctx.today)}），不能登记尚未发生的事项",
                    )
                ]
            )
        not_before("reasons_on", reasons_on, step.notice_date, "要求说明理由之日")
        step.reasons, step.reasons_on = facts.reasons, reasons_on
        out["reasons_on"] = reasons_on.isoformat()
    else:
        delivered = delivered_on(ctx.session, ctx.case.id)
        if delivered is None:
            raise RuleViolation(
                f"说明理由的期限自申请人收到要求说明理由告知书之次日起计算（{ARTICLE}）：尚未登记送达，"
                "不能认定逾期未说明理由"
            )
        end = period_end(step, delivered, ctx.calendar)
        if ctx.today <= end:
            raise RuleViolation(
                f"说明理由的期限自申请人收到要求说明理由告知书之次日起计算（{ARTICLE}）：申请人于"
                f"{zh(delivered)}收到告知书，可在{step.period_days}个工作日内、即{zh(end)}前说明理由，"
                "期限届满前不能登记为逾期未说明理由"
            )
        out.update(delivered_on=delivered.isoformat(), period_end=end.isoformat())
    step.status, step.recorded_on = facts.answer, ctx.today
    ctx.session.add(step)
    return Effect(facts=out, basis=(law.ART35_REASONS.basis.label,))


def check_delayed_date(ctx: Ctx, facts: f.SetDelayedDateFacts) -> Art35Step:
    """Art. 35 date: after the reasons step, decided by the deadline in force, and later than it."""
    assert facts.decided_on is not None
    step = completed(ctx.session, ctx.case, "确定延迟答复的合理期限")
    assert step.recorded_on is not None
    not_before("decided_on", facts.decided_on, step.recorded_on, "登记申请人说明理由情况之日")
    due = ctx.case.reply_due
    if due is None:
        raise RuleViolation(f"答复期限中止中，不能确定延迟答复的合理期限（{ARTICLE}）", code="art35_date")
    if facts.decided_on > due:
        raise RuleViolation(
            f"延迟答复的合理期限须在现行答复期限届满前确定（{ARTICLE}）：现行答复期限为{zh(due)}，"
            f"决定日期{zh(facts.decided_on)}已超过该期限",
            code="art35_date",
        )
    if facts.due <= due:
        raise RuleViolation(
            f"延迟答复的合理期限须晚于现行答复期限（{ARTICLE}）：现行答复期限为{zh(due)}，"
            f"确定的期限{zh(facts.due)}不晚于该期限",
            code="art35_date",
        )
    return step
