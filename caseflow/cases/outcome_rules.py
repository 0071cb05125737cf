"""Preconditions of outcomes: what must have happened before a reply of a kind may be drafted, and
what its letter says of it.

- ``unable.still_unclear`` (Art. 30): the applicant was asked to supplement the request and the
  supplement was received (补正后申请内容仍不明确);
- ``withheld.third_party`` (Art. 32), and a partial reply withholding on that ground: a written
  consultation of the third party whose outcome is recorded: an objection (with the reasons it gave),
  or no answer within the window; not when the third party consented (Art. 15: 第三方同意公开的，予以公开);
- ``rejected.duplicate`` (Art. 36(6)): the earlier request it repeats (``earlier_tracking_no``), of the
  same agency and applicant, already answered; the letter states its tracking number and its reply's
  文号 and date;
- ``partial`` (Art. 37): the ground(s) of the withheld part (``withheld_grounds``); the letter cites their
  articles with Art. 37 (``law.partial_basis``).

``rejected.excessive`` (Art. 35) is checked by ``caseflow.cases.art35``. Refusals leave the request and
its evidence unchanged (the engine rolls back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from caseflow import law
from caseflow.cases.engine import Ctx
from caseflow.dates import zh
from caseflow.errors import RuleViolation
from caseflow.models import Applicant, Case, Consultation, Letter
from caseflow.replies.context import clause
from caseflow.states import facts as f

#: Only these consultation rows are read (other kinds, co-producers and agencies, are not a third party).
THIRD_PARTY = "third_party"
#: What the third party said, as the letter states it (``Consultation.opinion``; "none": no answer).
WITHHOLDING_OPINIONS = ("object", "partial", "none")


@dataclass(frozen=True)
class Checked:
    """The bases a draft cites and the facts its evidence records of its preconditions."""

    bases: tuple[law.Basis, ...]
    facts: dict[str, Any] = field(default_factory=dict)


def bases(outcome: law.Outcome, draft: dict[str, Any]) -> tuple[law.Basis, ...]:
    """The bases of a reply as drafted: a partial reply adds its grounds' articles to Art. 37."""
    if outcome.code == "partial":
        return law.partial_basis(draft.get("withheld_grounds") or ())
    return outcome.basis


def _article(code: str, *articles: str) -> str:
    """The outcome's own article(s) as a refusal cites them (one title)."""
    chosen = [b for b in law.outcome(code).basis if not articles or b.article in articles]
    return law.cite(chosen)


def check_draft(ctx: Ctx, facts: f.DraftReplyFacts) -> Checked:
    """Refuse a draft whose outcome's preconditions are not met; the bases and facts to record."""
    outcome = law.outcome(facts.outcome)
    recorded: dict[str, Any] = {}
    if outcome.code == "unable.still_unclear":
        _check_supplemented(ctx.case)
    if outcome.code == "withheld.third_party" or "withheld.third_party" in facts.withheld_grounds:
        rows = third_party_outcomes(ctx.session, ctx.case)
        recorded["consultations"] = [
            {"party_name": r.party_name, "opinion": r.opinion, "opinion_date": str(r.opinion_date)}
            for r in rows
        ]
    if outcome.code == "rejected.duplicate":
        earlier = earlier_request(ctx.session, ctx.case, facts.earlier_tracking_no)
        recorded["earlier_request"] = earlier
    if outcome.code == "partial":
        recorded["withheld_grounds"] = list(facts.withheld_grounds)
    return Checked(bases(outcome, facts.model_dump(mode="json")), recorded)


# --- Art. 30: 补正后申请内容仍不明确 ---------------------------------------------------------------


def _check_supplemented(case: Case) -> None:
    what = "以补正后申请内容仍不明确为由无法提供"
    article = _article("unable.still_unclear")
    kinds = [e["type"] for e in case.ledger]
    if "supplement_requested" not in kinds:
        raise RuleViolation(f"{what}，须先告知申请人补正并收到补正（{article}）：本申请尚未发出补正告知书")
    asked = len(kinds) - 1 - kinds[::-1].index("supplement_requested")
    if "supplement_received" not in kinds[asked:]:
        raise RuleViolation(
            f"{what}，须先告知申请人补正并收到补正（{article}）：已发出补正告知书，尚未登记收到补正"
        )


# --- Art. 32: third-party consultation ------------------------------------------------------


def third_party_outcomes(session: Session, case: Case) -> list[Consultation]:
    """The third-party consultations whose outcome is recorded and that support withholding (an
    objection, in part or in whole, with its reasons, or no answer within the window); refuse when
    there is none."""
    assert case.id is not None
    what = "以保护第三方合法权益为由不予公开"
    article = law.rules_for(case.receipt_date, case.rules).third_party_basis.label
    rows = list(
        session.exec(
            select(Consultation)
            .where(col(Consultation.case_id) == case.id, col(Consultation.party_kind) == THIRD_PARTY)
            .order_by(col(Consultation.id))
        )
    )
    if not rows:
        raise RuleViolation(f"{what}，须先书面征求第三方的意见（{article}）：本申请尚未征求第三方意见")
    answered = [r for r in rows if r.opinion_date is not None]
    if not answered:
        raise RuleViolation(
            f"{what}，须先登记第三方的意见或者认定其逾期未提出意见（{article}）："
            f"{zh(rows[-1].letter_date)}已书面征求{rows[-1].party_name}的意见，尚未登记其意见"
        )
    supporting = [r for r in answered if r.opinion in WITHHOLDING_OPINIONS]
    if not supporting:
        raise RuleViolation(
            f"{what}，须第三方不同意公开或者逾期未提出意见（{article}）：第三方已同意公开，"
            f"应当予以公开（{law.cite([law.Basis(law.REGULATION, '第十五条')])}）"
        )
    usable = [r for r in supporting if _states_its_position(r)]
    if not usable:
        raise RuleViolation(
            f"{what}，第三方不同意公开的，须有其说明的理由（{article}）："
            f"{supporting[-1].party_name}的意见未登记理由，请在意见内容中登记其理由"
        )
    return usable


def _states_its_position(row: Consultation) -> bool:
    """No answer within the window, or an objection with its reasons (what the letter can state)."""
    return row.opinion == "none" or bool(row.opinion_text.strip())


def consultation_context(session: Session, case: Case) -> list[dict[str, Any]]:
    """What the letter says of each third-party consultation that supports withholding."""
    assert case.id is not None
    rows = session.exec(
        select(Consultation)
        .where(
            col(Consultation.case_id) == case.id,
            col(Consultation.party_kind) == THIRD_PARTY,
            col(Consultation.opinion).in_(WITHHOLDING_OPINIONS),
        )
        .order_by(col(Consultation.id))
    )
    return [
        {
            "party_name": r.party_name,
            "letter_date": zh(r.letter_date),
            "opinion": r.opinion,
            "opinion_date": zh(r.opinion_date) if r.opinion_date else "",
            "opinion_text": r.opinion_text.strip(),
            "window_end": zh(r.window_end) if r.window_end else "",
        }
        for r in rows
        if _states_its_position(r)
    ]


# --- Art. 36(6): the earlier request ------------------------------------------------------------


def earlier_request(session: Session, case: Case, tracking_no: str) -> dict[str, str]:
    """The earlier request a duplicate repeats: same agency, same applicant (their keyed ID commitment),
    answered with a reply; its tracking number, reply 文号 and date. Refused otherwise."""
    what = "以重复申请为由不予处理"
    article = _article("rejected.duplicate")
    earlier = session.exec(select(Case).where(col(Case.tracking_no) == tracking_no)).first()
    if earlier is None or earlier.id == case.id:
        raise RuleViolation(
            f"{what}，须指明本机关已作出答复的同一申请人的此前申请（{article}）：没有受理编号为"
            f"{tracking_no}的{'其他' if earlier is not None else ''}申请"
        )
    if earlier.agency_id != case.agency_id:
        raise RuleViolation(
            f"{what}，须指明本机关已作出答复的同一申请人的此前申请（{article}）：{tracking_no}不是本机关受理的申请"
        )
    mine = session.get(Applicant, case.applicant_id)
    theirs = session.get(Applicant, earlier.applicant_id)
    if mine is None or theirs is None or mine.id_number_hmac != theirs.id_number_hmac:
        raise RuleViolation(
            f"{what}，须指明本机关已作出答复的同一申请人的此前申请（{article}）：{tracking_no}不是同一申请人的申请"
        )
    letter = session.exec(
        select(Letter)
        .where(
            col(Letter.case_id) == earlier.id,
            col(Letter.doc_type) == "reply",
            col(Letter.outcome).is_not(None),
        )
        .order_by(col(Letter.id).desc())
    ).first()
    if earlier.answered_on is None or letter is None:
        raise RuleViolation(
            f"{what}，须指明本机关已作出答复的同一申请人的此前申请（{article}）：{tracking_no}尚未作出答复"
        )
    return {
        "tracking_no": earlier.tracking_no,
        "letter_no": letter.letter_no,
        "issued_on": letter.issued_on.isoformat(),
    }


# --- What the letters say ---------------------------------------------------------------------


def add_to_letter(context: dict[str, Any], session: Session, case: Case, outcome: law.Outcome) -> None:
    """Add to a reply letter's context what it says of its preconditions: a partial reply's grounds and
    full basis (``outcome.basis_label``), the third-party consultations, the earlier request."""
    draft = case.draft or {}
    grounds = list(draft.get("withheld_grounds") or ())
    context.update(withheld_grounds=[], consultations=[], earlier=None)
    if outcome.code == "partial":
        context["withheld_grounds"] = [law.outcome(g).name for g in grounds]
        context["outcome"] = {**context["outcome"], "basis_label": law.cite(bases(outcome, draft))}
    if outcome.code == "withheld.third_party" or "withheld.third_party" in grounds:
        context["consultations"] = clause(consultation_context(session, case))
    if outcome.code == "rejected.duplicate" and draft.get("earlier_tracking_no"):
        earlier = earlier_request(session, case, draft["earlier_tracking_no"])
        context["earlier"] = {
            "tracking_no": earlier["tracking_no"],
            "letter_no": earlier["letter_no"],
            "date": zh(dt.date.fromisoformat(earlier["issued_on"])),
        }
