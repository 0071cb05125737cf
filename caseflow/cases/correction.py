"""Correction requests (Regulation Art. 41): a request kind of its own on the same engine.

A correction request is registered like a disclosure request (``caseflow.cases.intake``, with
``kind="correction"``) and handled by the same actions, with three differences checked here:

- it takes only the correction outcomes (``law.outcomes_for("correction")``), and a disclosure
  request takes none of them;
- the actions that exist only for disclosure (information processing fees, Art. 42; the Art. 35
  steps) are refused on it;
- its letters (``letter_context``) say that its period is the office's practice, not a statutory one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true
from sqlmodel import col

from caseflow import law
from caseflow.errors import FactsError, RuleViolation
from caseflow.models import Case
from caseflow.settings import get_settings

#: Actions that belong to disclosure requests only, with the article that makes them so.
DISCLOSURE_ONLY_ACTIONS: dict[str, law.Basis] = {
    "assess_fee": law.FEE_BASIS_REGULATION,
    "request_art35_reasons": law.ART35_REASONS.basis,
    "set_delayed_date": law.ART35_DELAY.basis,
}
#: The correction outcomes that name the agency competent to correct (referred, told to apply there).
NAMES_COMPETENT_AGENCY = frozenset({"correction.referred", "correction.elsewhere"})


def kind_of(case: Case) -> law.RequestKind:
    return law.RequestKind(case.kind or law.RequestKind.DISCLOSURE)


def is_correction(case: Case) -> bool:
    return kind_of(case) is law.RequestKind.CORRECTION


def check_action(case: Case, action: str) -> None:
    """Refuse an action that only a disclosure request can take, on a correction request."""
    basis = DISCLOSURE_ONLY_ACTIONS.get(action)
    if basis is not None and is_correction(case):
        raise RuleViolation(
            f"本申请为更正申请（{law.CORRECTION_BASIS.label}），不适用{basis.label}："
            f"不能对其{_ACTION_WORDS[action]}"
        )


_ACTION_WORDS = {
    "assess_fee": "收取信息处理费",
    "request_art35_reasons": "要求说明理由",
    "set_delayed_date": "确定延迟答复期限",
}


def check_outcome(case: Case, outcome: law.Outcome, facts: Any) -> None:
    """A correction request takes only correction outcomes, a disclosure request none of them; a
    correction decision gives its reasons (or what was corrected), and a referral or a notice to
    apply elsewhere names the competent agency (Art. 41)."""
    kind = kind_of(case)
    if outcome.kind is not kind:
        allowed = "、".join(o.name for o in law.outcomes_for(kind))
        if kind is law.RequestKind.CORRECTION:
            raise RuleViolation(
                f"本申请为更正申请（{law.CORRECTION_BASIS.label}）：“{outcome.name}”是政府信息公开申请的"
                f"处理结果，更正申请只能作出以下决定：{allowed}"
            )
        raise RuleViolation(
            f"“{outcome.name}”是更正申请的处理决定（{law.CORRECTION_BASIS.label}），"
            "本申请为政府信息公开申请，不能作出该决定"
        )
    if kind is not law.RequestKind.CORRECTION:
        return
    errors = []
    if not facts.reasons:
        what = "更正的内容和结果" if outcome.code == "correction.corrected" else "理由"
        errors.append(("reasons", f"{outcome.name}：答复须写明{what}（{law.CORRECTION_BASIS.label}）"))
    if outcome.code in NAMES_COMPETENT_AGENCY and not facts.responsible_agency:
        errors.append(
            (
                "responsible_agency",
                f"{outcome.name}：须写明有权更正的行政机关（{law.CORRECTION_BASIS.label}）",
            )
        )
    if errors:
        raise FactsError(errors)


def letter_context(case: Case) -> dict[str, Any] | None:
    """What a correction request's letters add (None for a disclosure request)."""
    if not is_correction(case):
        return None
    return {
        "basis": law.CORRECTION_BASIS.label,
        "period_practice": law.CORRECTION_PERIOD_PRACTICE,
        "receipt_title": law.CORRECTION_RECEIPT_TITLE,
        "reply_title": law.CORRECTION_REPLY_TITLE,
    }


def counted_in_report() -> bool:
    """Whether the annual report counts correction requests (setting ``count_corrections_in_report``)."""
    return get_settings().count_corrections_in_report


def report_condition() -> ColumnElement[bool]:
    """The requests the annual report counts: disclosure requests, and correction requests too where
    the office counts them (then in 三(六)3 其他处理, ``law.CORRECTION_REPORT_ROW``)."""
    if counted_in_report():
        return true()
    condition: ColumnElement[bool] = col(Case.kind) != law.RequestKind.CORRECTION.value
    return condition
