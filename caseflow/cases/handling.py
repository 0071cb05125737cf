"""Handlers for the work around a request: review and litigation records (at any time),
complexity, reassignment, notes, what is only recorded (identity seen, evidence exported) and the
recalculation of a deadline when the State Council's calendar changes."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from caseflow import casefile, law
from caseflow.cases.engine import Ctx, Effect, apply_deadline, handler, not_before
from caseflow.errors import FactsError, NotFound, RuleViolation
from caseflow.models import Agency, Case, RemedyRecord, User
from caseflow.states import facts as f
from caseflow.states import record_facts as rf

# --- Review and litigation: at any time after registration ---------------------------------


def _remedy(
    ctx: Ctx, kind: str, facts: rf.RecordReviewFacts | rf.RecordLitigationFacts, body: str, path: str = ""
) -> Effect:
    """Record a review or litigation in any state: a decision (reply, notice of a lapse) is challenged
    from its date, a failure to reply in time (逾期不答复) from the receipt date on. A withdrawn
    request (also once archived) is the applicant's own act: there is nothing to challenge."""
    assert ctx.case.id is not None
    if ctx.case.outcome == "other.other":
        raise RuleViolation(
            "本申请已由申请人撤回，机关未作出决定，没有可供复议或诉讼的决定", code="nothing_to_challenge"
        )
    decided = ctx.case.answered_on or ctx.case.closed_on
    subject = facts.subject or ("decision" if decided else "no_reply")
    if subject == "decision":
        if decided is None:
            raise FactsError(
                [
                    (
                        "subject",
                        "尚未作出答复或告知，没有可供复议或诉讼的决定；申请人对逾期不答复不服的，"
                        f"请选择“{law.REMEDY_SUBJECTS['no_reply']}”（{law.REMEDY_ANY_TIME_BASIS.label}）",
                    )
                ]
            )
        not_before("filed_on", facts.filed_on, decided, "作出决定之日")
    else:
        not_before("filed_on", facts.filed_on, ctx.case.receipt_date, "收到申请之日")
    row = RemedyRecord(
        case_id=ctx.case.id,
        kind=kind,
        path=path,
        subject=subject,
        filed_on=facts.filed_on,
        body=body,
        reference_no=facts.reference_no,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return Effect(facts={"record_id": row.id, "subject": subject})


@handler("record_review")
def record_review(ctx: Ctx, facts: rf.RecordReviewFacts) -> Effect:
    effect = _remedy(ctx, "review", facts, facts.body)
    effect.basis = (law.REMEDY_ANY_TIME_BASIS.label, law.REVIEW_BASIS.label)
    return effect


@handler("record_litigation")
def record_litigation(ctx: Ctx, facts: rf.RecordLitigationFacts) -> Effect:
    effect = _remedy(ctx, "litigation", facts, facts.court, facts.path)
    effect.basis = (law.REMEDY_ANY_TIME_BASIS.label, law.LITIGATION_BASIS.label)
    return effect


@handler("conclude_remedy")
def conclude_remedy(ctx: Ctx, facts: rf.ConcludeRemedyFacts) -> Effect:
    row = ctx.session.get(RemedyRecord, facts.record_id)
    if row is None or row.case_id != ctx.case.id:
        raise FactsError([("record_id", f"本申请没有编号为 {facts.record_id} 的复议或诉讼记录")])
    if row.result is not None:
        raise RuleViolation(
            f"编号为 {row.id} 的复议或诉讼记录已经登记结果（{row.result}）", code="already_concluded"
        )
    not_before("concluded_on", facts.concluded_on, row.filed_on, "提起之日")
    row.result, row.concluded_on = facts.result, facts.concluded_on
    ctx.session.add(row)
    return Effect(facts={"kind": row.kind})


# --- Handling ------------------------------------------------------------------------------


@handler("mark_complex")
def mark_complex(ctx: Ctx, facts: rf.MarkComplexFacts) -> Effect:
    ctx.case.complex = True
    return Effect()


@handler("record_joint_opinion")
def record_joint_opinion(ctx: Ctx, facts: rf.JointOpinionFacts) -> Effect:
    return Effect()


@handler("reassign")
def reassign(ctx: Ctx, facts: rf.ReassignFacts) -> Effect:
    user = ctx.session.exec(select(User).where(col(User.username) == facts.handler)).one_or_none()
    if user is None or not user.active:
        raise FactsError([("handler", f"没有在职的用户 {facts.handler}")])
    if "clerk" not in user.role_set or user.agency_id != ctx.case.agency_id:
        agency = ctx.session.get(Agency, ctx.case.agency_id)
        raise FactsError([("handler", f"{facts.handler} 不是{agency.name if agency else '本机关'}的经办人")])
    previous = ctx.session.get(User, ctx.case.handler_id) if ctx.case.handler_id else None
    ctx.case.handler_id = user.id
    return Effect(facts={"previous_handler": previous.username if previous else None})


@handler("add_note")
def add_note(ctx: Ctx, facts: rf.NoteFacts) -> Effect:
    return Effect()


@handler("view_identity")
def view_identity(ctx: Ctx, facts: f.NoFacts) -> Effect:
    """Seeing an identity number in full is itself recorded (who, when)."""
    return Effect()


@handler("view_document")
def view_document(ctx: Ctx, facts: rf.ViewDocumentFacts) -> Effect:
    """Opening an uploaded file (a scan may show the whole ID number) is recorded: who, when, which
    file (its kind, name and SHA-256, so the record names the exact bytes shown)."""
    assert ctx.case.id is not None
    found = casefile.document(ctx.session, ctx.case.id, facts.document_id)
    if found is None:
        raise NotFound("本申请没有这份材料")
    link, doc = found
    return Effect(facts={"kind": link.kind, "filename": doc.filename, "sha256": doc.sha256})


@handler("export_evidence")
def export_evidence(ctx: Ctx, facts: rf.ExportFacts) -> Effect:
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
        raise RuleViolation(
            "本申请的期限不是按预估日历计算的；按国务院放假安排计算的期限不再变动",
            code="deadline_not_provisional",
        )
    deadline = apply_deadline(case, ctx.calendar)
    new = _deadline_fields(case)
    if new == old:
        raise RuleViolation("按现行日历计算的期限与原期限相同，无须重新计算", code="deadline_unchanged")
    sources = tuple(ctx.calendar.year_info(year).source_label for year in deadline.years)
    return Effect(facts={"old": old, "new": new, "years": list(deadline.years)}, basis=sources)
