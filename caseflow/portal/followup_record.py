"""The clerk's side of the applicant's online supplement and withdrawal (issue 18 / D).

One action each: a pending supplement is recorded as the request's ``receive_supplement`` (received
on the day it arrived, even when recorded days later: Art. 30), a pending withdrawal as ``withdraw``
(withdrawn on the day it arrived). The action runs through the engine (``service.perform_grouped``);
in the same transaction the submission is marked recorded, its files become the request's documents,
and the event's facts carry the submission's hash, arrival moment and address. A refused action leaves
the submission pending and the request unchanged. A clerk may instead decline one (e.g. spam), with a
note the applicant sees: the record-only action ``decline_applicant_submission`` (the request is
unchanged; its event holds the submission's hash, arrival moment and address, and the note).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from caseflow import service
from caseflow.cases.applicant_decline import ACTION as DECLINE_ACTION
from caseflow.cases.engine import Ctx, Effect
from caseflow.dates import SHANGHAI, legal_date
from caseflow.errors import FactsError, Forbidden, NotFound, RuleViolation
from caseflow.models import ApplicantSubmission, Case, CaseDocument
from caseflow.portal.followups import SUPPLEMENT, WITHDRAWAL, as_dict, submissions

#: The engine action each kind of submission is recorded as.
ACTION = {SUPPLEMENT: "receive_supplement", WITHDRAWAL: "withdraw"}
ACTION_LABEL = {SUPPLEMENT: "登记收到补正", WITHDRAWAL: "确认撤回"}


def pending(session: Session, actor: service.Actor, case_id: int) -> list[dict[str, Any]]:
    """The request's pending applicant submissions, for its clerk (404 for a request not theirs)."""
    service.load_visible(session, actor, case_id, lock=False)
    return [
        {**as_dict(r), "action_label": ACTION_LABEL[r.kind]}
        for r in submissions(session, case_id, status="pending")
    ]


def _submission(session: Session, case_id: int, submission_id: int) -> ApplicantSubmission:
    row = session.get(ApplicantSubmission, submission_id)
    if row is None or row.case_id != case_id:
        raise NotFound(f"本申请没有编号为 {submission_id} 的申请人提交")
    if row.status != "pending":
        raise RuleViolation(
            f"该提交已经处理（{'已登记' if row.status == 'recorded' else '未予登记'}），不能再次处理",
            code="submission_decided",
        )
    return row


def _mark(session: Session, submission_id: int, status: str, by: str, moment: dt.datetime, note: str) -> None:
    """Pending -> ``status``, or RuleViolation if someone decided it meanwhile (nothing changes then)."""
    done = session.execute(
        update(ApplicantSubmission)
        .where(col(ApplicantSubmission.id) == submission_id, col(ApplicantSubmission.status) == "pending")
        .values(status=status, decided_at=moment, decided_by=by, note=note)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise RuleViolation("该提交已经由他人处理，请刷新页面", code="submission_decided")


def record(
    session: Session,
    actor: service.Actor,
    case_id: int,
    submission_id: int,
    *,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Record a pending submission through the engine (see the module's description)."""
    service.load_visible(session, actor, case_id, lock=False)
    row = _submission(session, case_id, submission_id)
    arrived = row.submitted_at.astimezone(SHANGHAI)
    day = legal_date(arrived)
    if row.kind == SUPPLEMENT:
        facts: dict[str, Any] = {"received_on": day, "summary": row.text[:4000]}
    else:
        facts = {"withdrawn_on": day, "reason": row.text[:4000]}
    sid, files, kind = row.id, list(row.files), row.kind
    evidence = {
        "applicant_submission_id": sid,
        "applicant_submission_sha256": row.content_sha256,
        "applicant_submitted_at": arrived.isoformat(),
        "applicant_client_address": row.client_address,
        "applicant_files": [{"sha256": f["sha256"], "filename": f["filename"]} for f in files],
    }

    def addon(ctx: Ctx) -> Effect:
        assert sid is not None and ctx.case.id is not None
        _mark(ctx.session, sid, "recorded", ctx.actor.username, ctx.now, "")
        documents: list[tuple[str, str]] = []
        seq = ctx.case.event_count + 1  # the event this action appends
        for f in files if kind == SUPPLEMENT else []:
            ctx.session.add(
                CaseDocument(case_id=ctx.case.id, sha256=f["sha256"], kind="supplement", event_seq=seq)
            )
            documents.append(("supplement", f["sha256"]))
        return Effect(facts=evidence, documents=tuple(documents))

    session.rollback()  # end the read: the engine begins its own write transaction
    return service.perform_grouped(
        session=session,
        case_id=case_id,
        actor=actor,
        action=ACTION[kind],
        facts=facts,
        expected_version=expected_version,
        now=now,
        addon=addon,
    )


def decline(
    session: Session,
    actor: service.Actor,
    case_id: int,
    submission_id: int,
    note: str,
    *,
    now: dt.datetime | None = None,
) -> ApplicantSubmission:
    """Decline a pending submission with a note the applicant sees; the request is unchanged."""
    service.load_visible(session, actor, case_id, lock=False)
    _submission(session, case_id, submission_id)
    if "clerk" not in actor.roles:
        raise Forbidden("申请人的在线提交须由经办人员处理", code="forbidden")
    note = note.strip()
    if not note:
        raise FactsError([("note", "请填写不予登记的理由（申请人可以看到）")])
    if len(note) > 2000:
        raise FactsError([("note", "不能超过2000字")])

    def addon(ctx: Ctx) -> Effect:
        _mark(ctx.session, submission_id, "declined", ctx.actor.username, ctx.now, note)
        return Effect()

    # Through the engine (a record-only action, ``caseflow.cases.applicant_decline``): the decision is
    # in the request's evidence chain; the row is marked declined in the same transaction.
    session.rollback()  # end the read: the engine begins its own write transaction
    service.perform_grouped(
        session=session,
        case_id=case_id,
        actor=actor,
        action=DECLINE_ACTION,
        facts={"submission_id": submission_id, "note": note},
        now=now,
        addon=addon,
    )
    row = session.get(ApplicantSubmission, submission_id)
    assert row is not None
    session.refresh(row)
    return row
