"""Consultations (Art. 32, 33 para. 3, 34) and the Art. 32 decision notice to a third party.

Three kinds of consulted party (``law.CONSULTATION_PARTY_NAMES``): a third party (Art. 32: its
silence is not consent, the office decides), a co-producing agency (共同制作, Art. 34: its silence
is consent) and another agency that did not co-produce the information (its silence is no opinion).

Several consultations may be open at once, each with its own letter, delivery, window and answer
(``Consultation.letter_id``). The reply period does not run while any is open: the request's clock
gets ``pause_started`` when the first opens and ``pause_ended`` when the last one closes (on the
latest day any of them closed), and the request stays in ``consultation`` until then. An action
closing one of several open consultations names it (``consultation_id``).

After deciding to disclose over a third party's objection, the office sends the third party the
公开决定告知书 (what it will disclose, why, and the remedies) and discloses only after the period it
states, counted from the day after the third party received it (``notify_third_party_decision``,
its delivery, ``check_disclosure``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.cases import fee_rules
from caseflow.cases.engine import Ctx, Effect, LetterRequest, handler, not_before
from caseflow.dates import zh
from caseflow.errors import FactsError, RuleViolation
from caseflow.models import Consultation, Letter
from caseflow.replies.issue import issue_letter
from caseflow.states import facts as f

DECISION_NOTICE = "third_party_decision_notice"


#: Built once (read by every consultation step and every reply).
_CONSULTATIONS = (
    select(Consultation)
    .where(col(Consultation.case_id) == bindparam("case_id"))
    .order_by(col(Consultation.id))
)


def consultations(session: Session, case_id: int) -> list[Consultation]:
    """The request's consultations, in the order they were started."""
    return list(session.exec(_CONSULTATIONS, params={"case_id": case_id}))


def open_consultations(session: Session, case_id: int) -> list[Consultation]:
    return [c for c in consultations(session, case_id) if c.opinion_date is None]


def describe(row: Consultation) -> str:
    """编号3（第三方：某公司）: how a consultation is named in a refusal or a form."""
    kind = law.CONSULTATION_PARTY_NAMES.get(row.party_kind, row.party_kind)
    return f"编号{row.id}（{kind}：{row.party_name}）"


def _pick(rows: list[Consultation], consultation_id: int | None, what: str) -> Consultation:
    """The consultation an action names, or the only candidate; a 422 naming the field otherwise."""
    if consultation_id is not None:
        for row in rows:
            if row.id == consultation_id:
                return row
        choices = "、".join(describe(r) for r in rows) or "无"
        raise FactsError([("consultation_id", f"编号{consultation_id}不是本申请{what}（可选：{choices}）")])
    if not rows:
        raise RuleViolation(f"本申请没有{what}")
    if len(rows) > 1:
        choices = "、".join(describe(r) for r in rows)
        raise FactsError([("consultation_id", f"本申请有{len(rows)}项{what}（{choices}），请指明是哪一项")])
    return rows[0]


def _issue(ctx: Ctx, request: LetterRequest) -> tuple[int, dict[str, Any], tuple[tuple[str, str], ...]]:
    """Issue a letter inside the handler (its row is linked to the consultation): (letter id, the
    facts and documents the engine would have recorded for ``Effect.letter``)."""
    issued = issue_letter(ctx.session, ctx.case, request, ctx.now)
    assert issued.letter_id is not None
    return issued.letter_id, dict(issued.facts), tuple(issued.documents)


def _pause_start(ctx: Ctx) -> dt.date:
    """The day the open consultation pause started (the latest consultation pause on the ledger)."""
    return dt.date.fromisoformat(
        next(
            e["date"]
            for e in reversed(ctx.case.ledger)
            if e["type"] == "pause_started" and e.get("reason") == law.PauseReason.CONSULTATION.value
        )
    )


@handler("start_consultation")
def start_consultation(ctx: Ctx, facts: f.StartConsultationFacts) -> Effect:
    assert facts.letter_date is not None and ctx.case.id is not None
    kind = facts.party_kind
    fee_rules.check_consultation(ctx, kind)  # 2007 Art. 24(3): third parties only
    period = law.CONSULTATION_PERIODS[kind]
    assert period.days is not None
    already = open_consultations(ctx.session, ctx.case.id)
    if already:
        # One pause for all the open consultations: a letter cannot predate it.
        not_before("letter_date", facts.letter_date, _pause_start(ctx), "正在征求意见的中止开始之日")
    # Art. 32, 34: the window runs from the day after the party receives the letter; its end is
    # known once the delivery is recorded (caseflow.cases.delivery). The pause runs from the letter.
    row = Consultation(
        case_id=ctx.case.id,
        party_kind=kind,
        party_name=facts.party_name,
        letter_date=facts.letter_date,
        window_end=None,
    )
    ctx.session.add(row)
    ctx.session.flush()
    letter_id, letter_facts, documents = _issue(
        ctx,
        LetterRequest(
            law.CONSULTATION_LETTERS[kind],
            facts.letter_date,
            notice={"party_name": facts.party_name, "matters": facts.matters, "window_days": period.days},
        ),
    )
    row.letter_id = letter_id
    ctx.session.add(row)
    return Effect(
        # The clock is paused once, when the first consultation opens.
        clock=None
        if already
        else {"type": "pause_started", "date": facts.letter_date.isoformat(), "reason": "consultation"},
        facts={
            "consultation_id": row.id,
            "window_end": None,
            "window_days": period.days,
            "clock_event": not already,
            "open_consultations": len(already) + 1,
            **letter_facts,
        },
        basis=fee_rules.consultation_basis(ctx.case, kind),  # 2007: Art. 23, 24(3)
        documents=documents,
    )


def _close(
    ctx: Ctx, row: Consultation, closed_on: dt.date, rows: list[Consultation]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(clock event, facts) when ``row`` (one of the request's consultations ``rows``, read once by
    the handler) closes on ``closed_on``: the pause ends with the last open consultation, on the
    latest day any consultation of this pause closed."""
    others = [c for c in rows if c.id != row.id and c.opinion_date is None]
    if others:
        return None, {"clock_event": False, "open_consultations": len(others)}
    start = _pause_start(ctx)
    ends = [
        c.opinion_date
        for c in rows
        if c.id != row.id and c.opinion_date is not None and c.letter_date >= start
    ]
    end = max([closed_on, *ends])
    return {"type": "pause_ended", "date": end.isoformat()}, {
        "clock_event": True,
        "clock_date": end.isoformat(),
        "open_consultations": 0,
    }


@handler("receive_opinion")
def receive_opinion(ctx: Ctx, facts: f.ReceiveOpinionFacts) -> Effect:
    assert facts.opinion_date is not None and ctx.case.id is not None
    rows = consultations(ctx.session, ctx.case.id)
    row = _pick([c for c in rows if c.opinion_date is None], facts.consultation_id, "正在进行的征求意见")
    not_before("opinion_date", facts.opinion_date, row.letter_date, "征求意见书发出之日")
    row.opinion_date, row.opinion, row.opinion_text = facts.opinion_date, facts.opinion, facts.opinion_text
    ctx.session.add(row)
    clock, out = _close(ctx, row, facts.opinion_date, rows)
    return Effect(
        clock=clock,
        facts={"consultation_id": row.id, "party_name": row.party_name, "party_kind": row.party_kind, **out},
        basis=(law.PAUSE_REASON_BASIS[law.PauseReason.CONSULTATION].label,),
    )


@handler("lapse_consultation")
def lapse_consultation(ctx: Ctx, facts: f.LapseConsultationFacts) -> Effect:
    assert ctx.case.id is not None
    rows = consultations(ctx.session, ctx.case.id)
    row = _pick([c for c in rows if c.opinion_date is None], facts.consultation_id, "正在进行的征求意见")
    period = law.CONSULTATION_PERIODS[row.party_kind]
    if row.window_end is None:
        raise RuleViolation(
            f"{period.name}自被征求意见方收到征求意见书之次日起计算（{period.basis.label}）："
            f"征求意见书{law.NOT_DELIVERED}，不能认定逾期未提出意见"
        )
    if ctx.today <= row.window_end:
        raise RuleViolation(
            f"被征求意见方可以在{zh(row.window_end)}（含当日）前提出意见（{period.basis.label}）"
        )
    # Art. 34: a co-producer's silence is consent; a third party's (Art. 32) or another agency's is
    # no opinion, and the office decides.
    row.opinion_date, row.opinion = row.window_end, law.CONSULTATION_SILENCE[row.party_kind]
    ctx.session.add(row)
    clock, out = _close(ctx, row, row.window_end, rows)
    return Effect(
        clock=clock,
        facts={
            "consultation_id": row.id,
            "window_end": row.window_end.isoformat(),
            "party_name": row.party_name,
            "party_kind": row.party_kind,
            "deemed": row.opinion,
            **out,
        },
        basis=(period.basis.label,),
    )


# --- Art. 32: disclosure over a third party's objection ------------------------------------------


def objections(session: Session, case_id: int) -> list[Consultation]:
    """The third parties that objected (wholly or in part) to disclosure."""
    return [
        c
        for c in consultations(session, case_id)
        if c.party_kind == "third_party" and c.opinion in law.OBJECTION_BLOCKS
    ]


@handler("notify_third_party_decision")
def notify_third_party_decision(ctx: Ctx, facts: f.NotifyThirdPartyDecisionFacts) -> Effect:
    assert facts.notice_date is not None and ctx.case.id is not None
    basis = fee_rules.rule_set(ctx.case).third_party_basis
    rows = objections(ctx.session, ctx.case.id)
    if not rows:
        raise RuleViolation(
            f"公开决定告知书用于第三方不同意公开、本机关决定予以公开的情形（{basis.label}）："
            "本申请没有第三方提出不同意公开的意见"
        )
    row = _pick(rows, facts.consultation_id, "不同意公开的第三方")
    if row.decision_letter_id is not None:
        raise RuleViolation(f"已向{row.party_name}发出公开决定告知书，不能重复发出")
    assert row.opinion_date is not None
    not_before("notice_date", facts.notice_date, row.opinion_date, "第三方提出意见之日")
    days = facts.wait_days or law.THIRD_PARTY_DECISION_WAIT.days
    assert days is not None
    letter_id, letter_facts, documents = _issue(
        ctx,
        LetterRequest(
            DECISION_NOTICE,
            facts.notice_date,
            notice={
                "party_name": row.party_name,
                "opinion_date": zh(row.opinion_date),
                "opinion_text": row.opinion_text,
                "content": facts.content,
                "reasons": facts.reasons,
                "wait_days": days,
            },
        ),
    )
    row.decision_letter_id, row.decision_wait_days, row.decision_wait_end = letter_id, days, None
    ctx.session.add(row)
    return Effect(
        facts={"consultation_id": row.id, "party_name": row.party_name, "wait_days": days, **letter_facts},
        basis=(basis.label,),
        documents=documents,
    )


def check_disclosure(ctx: Ctx, outcome_code: str, issued_on: dt.date, withheld: Collection[str] = ()) -> None:
    """Art. 32: a reply disclosing what a third party objected to is issued only after the decision
    notice was sent to it, delivered, and the period it states has run out (the day after its end).
    A partial reply withholding on the third party's ground (``withheld``: its withheld grounds)
    honours the objection (``law.OBJECTION_HONOURED_BY``)."""
    assert ctx.case.id is not None
    basis = fee_rules.rule_set(ctx.case).third_party_basis
    honoured = outcome_code == "partial" and law.OBJECTION_HONOURED_BY in withheld
    for row in objections(ctx.session, ctx.case.id):
        assert row.opinion is not None
        if honoured or not outcome_code.startswith(law.OBJECTION_BLOCKS[row.opinion]):
            continue
        said = "不同意公开" if row.opinion == "object" else "部分不同意公开"
        rule = (
            f"第三方{row.party_name}{said}，本机关决定予以公开的，应当将决定公开的政府信息内容和理由"
            f"书面告知第三方，并在告知书载明的期限届满后公开（{basis.label}）"
        )
        if row.decision_letter_id is None:
            raise RuleViolation(f"{rule}：尚未发出公开决定告知书")
        if row.decision_wait_end is None:
            raise RuleViolation(f"{rule}：公开决定告知书{law.NOT_DELIVERED}，期限尚未起算")
        if issued_on <= row.decision_wait_end:
            raise RuleViolation(
                f"{rule}：告知书载明的{row.decision_wait_days}个工作日至{zh(row.decision_wait_end)}届满，"
                f"{zh(row.decision_wait_end)}（含当日）前不能作出公开答复"
            )


# --- What the case page shows --------------------------------------------------------------------

OPINION_NAMES: dict[str, str] = {
    "consent": "同意公开",
    "object": "不同意公开",
    "partial": "部分同意",
    "none": "逾期未提出意见",
}


def page_lines(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Every consultation of the request: kind, letter, delivery, window, answer, and the Art. 32
    decision notice where one was sent."""
    from caseflow.models import NoticeDelivery

    rows = consultations(session, case_id)
    letter_ids = [i for r in rows for i in (r.letter_id, r.decision_letter_id) if i is not None]
    letters = {
        letter.id: letter for letter in session.exec(select(Letter).where(col(Letter.id).in_(letter_ids)))
    }
    received = {
        d.letter_id: d.received_on
        for d in session.exec(select(NoticeDelivery).where(col(NoticeDelivery.letter_id).in_(letter_ids)))
    }
    out = []
    for r in rows:
        letter = letters.get(r.letter_id) if r.letter_id else None
        notice = letters.get(r.decision_letter_id) if r.decision_letter_id else None
        silence = law.CONSULTATION_SILENCE.get(r.party_kind)
        out.append(
            {
                "id": r.id,
                "kind": r.party_kind,
                "kind_name": law.CONSULTATION_PARTY_NAMES.get(r.party_kind, r.party_kind),
                "party_name": r.party_name,
                "label": describe(r),
                "letter_no": letter.letter_no if letter else None,
                "letter_date": r.letter_date.isoformat(),
                "received_on": received[r.letter_id].isoformat() if r.letter_id in received else None,
                "window_end": r.window_end.isoformat() if r.window_end else None,
                "silence": "视为同意公开" if silence == "consent" else "由本机关决定是否公开",
                "open": r.opinion_date is None,
                "opinion": r.opinion,
                "opinion_name": OPINION_NAMES.get(r.opinion or "", "—") if r.opinion else None,
                "opinion_date": r.opinion_date.isoformat() if r.opinion_date else None,
                "opinion_text": r.opinion_text,
                "objected": r.party_kind == "third_party" and r.opinion in law.OBJECTION_BLOCKS,
                "decision_letter_no": notice.letter_no if notice else None,
                "decision_received_on": received[r.decision_letter_id].isoformat()
                if r.decision_letter_id in received
                else None,
                "decision_wait_days": r.decision_wait_days,
                "decision_wait_end": r.decision_wait_end.isoformat() if r.decision_wait_end else None,
            }
        )
    return out


def consultation_choices(lines: list[dict[str, Any]], action: str) -> dict[str, str]:
    """The consultations an action may name (the case page's choice of ``consultation_id``)."""
    if action in ("receive_opinion", "lapse_consultation"):
        picked = [line for line in lines if line["open"]]
    elif action == "notify_third_party_decision":
        picked = [line for line in lines if line["objected"] and not line["decision_letter_no"]]
    else:  # record_notice_delivery: a consultation letter or a decision notice
        picked = lines
    return {
        str(line["id"]): f"{line['label']}{'，' + line['letter_no'] if line['letter_no'] else ''}"
        for line in picked
    }
