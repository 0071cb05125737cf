"""The lapses that follow a delivered notice's period (Art. 30; the Fee Measures).

When the applicant's supplement or payment period has run out, the sweep does not close the request:
it proposes the lapse (``propose_lapse``, notifying the handler), since 逾期不补正 needs 无正当理由
(Art. 30), a human judgement, and a letter may still be in the post. The clerk confirms it
(``lapse_supplement`` / ``lapse_fee``) or records why to keep waiting (``keep_waiting``). The period
runs from the notice's delivery (``caseflow.cases.delivery``).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from caseflow import law
from caseflow.cases.delivery import received_on
from caseflow.cases.engine import Ctx, Effect, handler
from caseflow.dates import zh
from caseflow.errors import FactsError, RuleViolation
from caseflow.models import Case, FeeAssessment, User
from caseflow.states import record_facts as rf
from caseflow.states.machine import State
from caseflow.states.roles import SUPERVISOR

#: The notification reason of a proposed lapse (``caseflow.notifications.REASON_NAMES``).
LAPSE_REASON = "lapse_proposed"


_LAPSE_STATE = {law.LapseKind.SUPPLEMENT: State.SUPPLEMENT_REQUIRED, law.LapseKind.FEE: State.FEE_PENDING}
_LAPSE_NOTICE = {law.LapseKind.SUPPLEMENT: "supplement_notice", law.LapseKind.FEE: "fee_notice"}


def lapse_kind_of(case: Case) -> law.LapseKind | None:
    """The applicant's period the request waits on in its state (None: none)."""
    for kind, state in _LAPSE_STATE.items():
        if case.state == state.value:
            return kind
    return None


def period_end(ctx_or_session: Ctx | Session, case: Case, kind: law.LapseKind) -> dt.date | None:
    """The last day of the applicant's period of ``kind`` (None until its notice is delivered)."""
    if kind is law.LapseKind.SUPPLEMENT:
        return case.supplement_due
    session = ctx_or_session.session if isinstance(ctx_or_session, Ctx) else ctx_or_session
    fee = session.exec(
        select(FeeAssessment).where(
            col(FeeAssessment.case_id) == case.id, col(FeeAssessment.status) == "pending"
        )
    ).first()
    return fee.pay_by if fee else None


def refuse_early(
    session: Session, case: Case, kind: law.LapseKind, today: dt.date
) -> tuple[dt.date, dt.date]:
    """(delivery date, period end) when the period of ``kind`` has run out by ``today``; otherwise a
    refusal naming the rule (not delivered: the period has not started; still running)."""
    period = law.LAPSE_PERIODS[kind]
    notice = law.DOCUMENT_TYPES_BY_CODE[_LAPSE_NOTICE[kind]].name
    assert case.id is not None
    received = received_on(session, case.id, _LAPSE_NOTICE[kind])
    end = period_end(session, case, kind)
    what = "逾期不补正" if kind is law.LapseKind.SUPPLEMENT else "逾期未缴费"
    if received is None or end is None:
        raise RuleViolation(
            f"{period.name}自申请人收到{notice}之次日起计算（{period.basis.label}）：{notice}"
            f"{law.NOT_DELIVERED}，不能认定{what}"
        )
    if today <= end:
        raise RuleViolation(
            f"{period.name}自申请人于{zh(received)}收到{notice}之次日起计算，至{zh(end)}届满"
            f"（{period.basis.label}）：期限届满前不能认定{what}"
        )
    return received, end


def clear_lapse(case: Case) -> None:
    """The period's wait is over (supplied, paid, closed): no proposal, no waiting."""
    case.lapse_proposed = None
    case.lapse_proposed_on = None
    case.lapse_waiting = None
    case.lapse_wait_until = None


@handler("propose_lapse")
def propose_lapse(ctx: Ctx, facts: rf.ProposeLapseFacts) -> Effect:
    case = ctx.case
    kind = facts.kind
    if case.state != _LAPSE_STATE[kind].value:
        period = law.LAPSE_PERIODS[kind]
        raise RuleViolation(f"本申请不在等待申请人的{period.name}（{period.basis.label}）")
    if case.lapse_proposed is not None:
        raise RuleViolation(
            f"{law.LAPSE_PROPOSED_NAMES[kind]}（{zh(case.lapse_proposed_on or ctx.today)}已提请）"
        )
    if case.lapse_waiting == kind.value and (
        case.lapse_wait_until is None or ctx.today <= case.lapse_wait_until
    ):
        until = zh(case.lapse_wait_until) if case.lapse_wait_until else "经办人处理"
        raise RuleViolation(f"经办人已决定继续等待至{until}")
    received, end = refuse_early(ctx.session, case, kind, ctx.today)
    case.lapse_proposed, case.lapse_proposed_on = kind.value, ctx.today
    case.lapse_waiting, case.lapse_wait_until = None, None
    notified = _notify(ctx, kind, received, end)
    return Effect(
        facts={"received_on": received.isoformat(), "period_end": end.isoformat(), "notified": notified},
        basis=(law.LAPSE_PERIODS[kind].basis.label,),
    )


@handler("keep_waiting")
def keep_waiting(ctx: Ctx, facts: rf.KeepWaitingFacts) -> Effect:
    case = ctx.case
    if case.lapse_proposed is None:
        raise RuleViolation("没有待确认的逾期提请（期限届满后由系统提请，或直接确认逾期）")
    if facts.until is not None and facts.until < ctx.today:
        raise FactsError([("until", f"继续等待至{zh(facts.until)}已过（今天是{zh(ctx.today)}）")])
    kind = case.lapse_proposed
    case.lapse_proposed, case.lapse_proposed_on = None, None
    case.lapse_waiting, case.lapse_wait_until = kind, facts.until
    return Effect(facts={"kind": kind}, basis=(law.LAPSE_PERIODS[law.LapseKind(kind)].basis.label,))


def _notify(ctx: Ctx, kind: law.LapseKind, received: dt.date, end: dt.date) -> list[str]:
    """Tell the handler (or, with none, the agency's supervisors) in the same transaction."""
    from caseflow.scheduled.inbox import insert_notifications
    from caseflow.scheduled.links import case_path

    case = ctx.case
    users: list[User] = []
    if case.handler_id is not None:
        user = ctx.session.get(User, case.handler_id)
        if user is not None and user.active:
            users.append(user)
    if not users:
        users = [
            u
            for u in ctx.session.exec(
                select(User).where(col(User.agency_id) == case.agency_id, col(User.active))
            )
            if SUPERVISOR in u.role_set
        ]
    notice = law.DOCUMENT_TYPES_BY_CODE[_LAPSE_NOTICE[kind]].name
    period = law.LAPSE_PERIODS[kind]
    title = f"{case.tracking_no} {law.LAPSE_PROPOSED_NAMES[kind]}"
    body = (
        f"申请人于{zh(received)}收到{notice}，{period.name}已于{zh(end)}届满（{period.basis.label}）。"
        "请核实有无正当理由、有无在途邮件：确认逾期的，终止处理并发出告知书；否则登记继续等待的理由。"
        f"\n{case_path(case.id or 0)}"
    )
    rows = [
        {
            "dedupe_key": f"{LAPSE_REASON}:{case.id}:{kind.value}:{ctx.today.isoformat()}:{u.id}",
            "user_id": u.id,
            "case_id": case.id,
            "reason": LAPSE_REASON,
            "due_on": end,
            "title": title,
            "body": body,
        }
        for u in users
    ]
    insert_notifications(ctx.session, rows, ctx.now)
    return [u.username for u in users]
