"""Handlers for the work around a request: review and litigation records after the answer,
complexity, reassignment, notes, what is only recorded (identity seen, evidence exported) and the
recalculation of a deadline when the State Council's calendar changes."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from caseflow import law
from caseflow.cases.engine import Ctx, Effect, apply_deadline, handler, not_before
from caseflow.errors import FactsError, RuleViolation
from caseflow.models import Agency, Case, RemedyRecord, User
from caseflow.states import facts as f

# --- After the answer: review and litigation ------------------------------------------------


def _remedy(
    ctx: Ctx, kind: str, facts: f.RecordReviewFacts | f.RecordLitigationFacts, body: str, path: str = ""
) -> Effect:
    assert ctx.case.id is not None
    decided = ctx.case.answered_on or ctx.case.closed_on
    if decided is None or ctx.case.outcome == "other.other":
        raise RuleViolation(
            "this request ended without a decision of the agency (it was withdrawn); "
            "there is nothing to challenge by review or litigation"
        )
    not_before("filed_on", facts.filed_on, decided, "the decision")
    row = RemedyRecord(
        case_id=ctx.case.id,
        kind=kind,
        path=path,
        filed_on=facts.filed_on,
        body=body,
        reference_no=facts.reference_no,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return Effect(facts={"record_id": row.id})


@handler("record_review")
def record_review(ctx: Ctx, facts: f.RecordReviewFacts) -> Effect:
    effect = _remedy(ctx, "review", facts, facts.body)
    effect.basis = (law.REVIEW_BASIS.label,)
    return effect


@handler("record_litigation")
def record_litigation(ctx: Ctx, facts: f.RecordLitigationFacts) -> Effect:
    effect = _remedy(ctx, "litigation", facts, facts.court, facts.path)
    effect.basis = (law.LITIGATION_BASIS.label,)
    return effect


@handler("conclude_remedy")
def conclude_remedy(ctx: Ctx, facts: f.ConcludeRemedyFacts) -> Effect:
    row = ctx.session.get(RemedyRecord, facts.record_id)
    if row is None or row.case_id != ctx.case.id:
        raise FactsError([("record_id", f"no review or litigation record {facts.record_id} on this request")])
    if row.result is not None:
        raise RuleViolation(f"record {row.id} was already concluded ({row.result})")
    not_before("concluded_on", facts.concluded_on, row.filed_on, "its filing")
    row.result, row.concluded_on = facts.result, facts.concluded_on
    ctx.session.add(row)
    return Effect(facts={"kind": row.kind})


# --- Handling ------------------------------------------------------------------------------


@handler("mark_complex")
def mark_complex(ctx: Ctx, facts: f.MarkComplexFacts) -> Effect:
    ctx.case.complex = True
    return Effect()


@handler("record_joint_opinion")
def record_joint_opinion(ctx: Ctx, facts: f.JointOpinionFacts) -> Effect:
    return Effect()


@handler("reassign")
def reassign(ctx: Ctx, facts: f.ReassignFacts) -> Effect:
    user = ctx.session.exec(select(User).where(col(User.username) == facts.handler)).one_or_none()
    if user is None or not user.active:
        raise FactsError([("handler", f"no active user {facts.handler!r}")])
    if "clerk" not in user.role_set or user.agency_id != ctx.case.agency_id:
        agency = ctx.session.get(Agency, ctx.case.agency_id)
        raise FactsError([("handler", f"{facts.handler} is not a clerk of {agency.name if agency else '?'}")])
    previous = ctx.session.get(User, ctx.case.handler_id) if ctx.case.handler_id else None
    ctx.case.handler_id = user.id
    return Effect(facts={"previous_handler": previous.username if previous else None})


@handler("add_note")
def add_note(ctx: Ctx, facts: f.NoteFacts) -> Effect:
    return Effect()


@handler("view_identity")
def view_identity(ctx: Ctx, facts: f.NoFacts) -> Effect:
    """Seeing an identity number in full is itself recorded (who, when)."""
    return Effect()


@handler("export_evidence")
def export_evidence(ctx: Ctx, facts: f.ExportFacts) -> Effect:
    """Every export of evidence is itself evidence (who, when, what scope)."""
    return Effect()


def _deadline_fields(case: Case) -> dict[str, object]:
    def iso(day: dt.date | None) -> str | None:
        return day.isoformat() if day else None

    return {
        "reply_due": iso(case.reply_due),
        "supplement_notice_due": iso(case.supplement_notice_due),
        "provisional": case.provisional,
    }


@handler("recalculate_deadline")
def recalculate_deadline(ctx: Ctx, facts: f.NoFacts) -> Effect:
    """A State Council notice was loaded: the deadline computed on an estimated calendar is
    computed again from the same ledger; the old and the new dates are the evidence."""
    case = ctx.case
    old = _deadline_fields(case)
    if not case.provisional:
        raise RuleViolation("the deadline is not provisional; a deadline on an official calendar never moves")
    deadline = apply_deadline(case, ctx.calendar)
    new = _deadline_fields(case)
    if new == old:
        raise RuleViolation("the calendar now in force gives the same deadline; nothing to recalculate")
    sources = tuple(ctx.calendar.year_info(year).source_label for year in deadline.years)
    return Effect(facts={"old": old, "new": new, "years": list(deadline.years)}, basis=sources)
