"""The transaction around every action: lock, check, apply, record, recompute, commit.

``perform`` is the one way a request changes state. In one transaction it locks the request row,
checks the actor's agency, the version the caller saw, the actor's role and the state machine,
applies the action's facts (its handler in ``caseflow.cases.actions``), recomputes the deadline
with ``caseflow.clock`` from the request's own ledger, appends one hash-chained evidence event and
commits. Any refusal rolls everything back: the request and its evidence are exactly as before.

The engine is the lower layer: it imports none of the steps that use it. The handlers register
themselves (``handler``) and the action table above (``caseflow.cases.actions``) gives ``perform``
the step that issues an action's letter (``caseflow.replies.issue``).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from caseflow import clock, law
from caseflow.calendar import CalendarError, WorkingCalendar, default_calendar
from caseflow.cases import approval, clock_refusals, correction, rowwrite
from caseflow.cases.actor import Actor
from caseflow.cases.refusals import CLOSING, allowed_now, check_state_allows, open_consultations, token_for
from caseflow.dates import SHANGHAI, legal_date, zh
from caseflow.dates import now as current_moment
from caseflow.db import begin_write, lock_case
from caseflow.errors import FactsError, Forbidden, IllegalTransition, NotFound, RuleViolation, StaleVersion
from caseflow.evidence import chain
from caseflow.models import Agency, Case, EvidenceEvent
from caseflow.states import facts as f
from caseflow.states.actions import ACTIONS, RECORD_ONLY
from caseflow.states.machine import MachineError, fire
from caseflow.states.roles import ROLE_NAMES
from caseflow.validation_zh import zh_pydantic


@dataclass
class Ctx:
    """What a handler works with (inside the transaction)."""

    session: Session
    actor: Actor
    role: str
    case: Case
    now: dt.datetime
    today: dt.date
    calendar: WorkingCalendar


@dataclass
class Effect:
    """What a handler did: its clock event, the facts and basis to record, documents involved."""

    clock: dict[str, Any] | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    basis: tuple[str, ...] = ()
    documents: tuple[tuple[str, str], ...] = ()
    #: The letter this action issues (after the deadline is recomputed, so it states the new one).
    letter: LetterRequest | None = None


@dataclass(frozen=True)
class LetterRequest:
    doc_type: str
    issue_date: dt.date
    notice: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    reply: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Ctx, Any], Effect]
HANDLERS: dict[str, Handler] = {}
#: Work a caller joins to an action, run after its handler in the same transaction: its facts and
#: documents join the event (e.g. an applicant's online submission marked recorded with the action).
Addon = Callable[[Ctx], Effect]
#: The step that issues the letter an action produces: numbered, rendered and stored in the action's
#: transaction (``caseflow.replies.issue.issue_letter``, given by the action table above the engine);
#: what it returns has the ``facts`` and ``documents`` the event records.
IssueLetter = Callable[[Session, Case, LetterRequest, dt.datetime], Any]


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register the function applying action ``name`` (its facts model comes from the machine)."""

    def register(func: Handler) -> Handler:
        if name not in ACTIONS:
            raise KeyError(f"no action {name!r} in the state machine")
        HANDLERS[name] = func
        return func

    return register


def _unchanged_since(session: Session, case: Case, expected_version: int) -> bool:
    """Whether the request is as the caller saw it at ``expected_version``: the same version, or later
    versions made only by records of someone looking (a document or an ID number viewed, evidence
    exported: ``RECORD_ONLY``), which change nothing the caller saw. (A version is an event: the
    request's n-th version is its n-th event, as long as both counts agree.)"""
    if expected_version == case.version:
        return True
    if not 1 <= expected_version < case.version or case.version != case.event_count:
        return False
    since = session.exec(
        select(EvidenceEvent.action).where(
            col(EvidenceEvent.case_id) == case.id, col(EvidenceEvent.seq) > expected_version
        )
    ).all()
    return len(since) == case.version - expected_version and all(a in RECORD_ONLY for a in since)


def parse_facts(model: type[BaseModel], raw: BaseModel | dict[str, Any] | None) -> Any:
    """Validate facts against the action's model; every error names its field."""
    if isinstance(raw, model):
        return raw
    data = raw.model_dump() if isinstance(raw, BaseModel) else (raw or {})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FactsError([_field_error(model, e) for e in exc.errors()]) from None


def _field_error(model: type[BaseModel], error: Any) -> tuple[str, str]:
    """(field, message); a whole-model check names its field as "field: message"."""
    where = ".".join(str(p) for p in error["loc"])
    message = zh_pydantic(error) or str(error["msg"]).removeprefix("Value error, ")
    if not where:
        name, _, rest = message.partition(": ")
        if name in model.model_fields and rest:
            return name, rest
        return "facts", message
    return where, message


def not_before(name: str, value: dt.date, floor: dt.date, what: str) -> None:
    """Refuse a date of something that cannot precede ``floor`` (naming the field)."""
    if value < floor:
        raise FactsError([(name, f"{zh(value)}早于{what}（{zh(floor)}）")], code="date_too_early")


def fill_dates(facts: f.Facts, today: dt.date) -> f.Facts:
    """Omitted dates are today; no date of something that happened may be in the future."""
    updates = {name: today for name, value in facts if value is None and name in f.PAST_DATES}
    if updates:
        facts = facts.model_copy(update=updates)
    future = [
        (name, f"{zh(value)}晚于今天（今天是{zh(today)}），不能登记尚未发生的事项")
        for name, value in facts.dates()
        if value > today
    ]
    if future:
        raise FactsError(future, code="date_in_future")
    return facts


def acting_role(actor: Actor, action: str) -> str:
    allowed = ACTIONS[action].roles & actor.roles
    if not allowed:
        names = "或".join(ROLE_NAMES.get(r, r) for r in sorted(ACTIONS[action].roles))
        has = "、".join(ROLE_NAMES.get(r, r) for r in sorted(actor.roles)) or "没有任何角色"
        raise Forbidden(f"「{ACTIONS[action].label}」须由{names}进行；{actor.username} 的角色是：{has}")
    order: tuple[str, ...] = ("clerk", "reviewer", "supervisor", "system")
    if action == "confidentiality_review":  # Art. 17: the reviewer's review; the clerk only confirms
        order = ("reviewer", "clerk")
    for role in order:
        if role in allowed:
            return role
    return sorted(allowed)[0]


def apply_deadline(case: Case, calendar: WorkingCalendar) -> clock.Deadline:
    """Recompute the derived deadline fields from the request's own ledger."""
    timeline = clock.Timeline.from_json({"received": case.receipt_date.isoformat(), "events": case.ledger})
    deadline = clock.compute(timeline, calendar)
    case.rules = deadline.rules.code
    case.reply_due = deadline.reply_due
    case.supplement_notice_due = deadline.supplement_notice_due
    case.paused = deadline.paused
    case.pause_reason = deadline.pause_reason
    case.provisional = deadline.provisional
    case.extension_days = deadline.extended_days
    return deadline


#: Per database (engine): agency id -> path. Agencies are never moved, so the answer is kept.
_agency_paths: weakref.WeakKeyDictionary[Engine, dict[int, str]] = weakref.WeakKeyDictionary()


def agency_path(session: Session, agency_id: int) -> str:
    """An agency's place in the tree (read once per database and process)."""
    paths = _agency_paths.setdefault(session.get_bind().engine, {})
    path = paths.get(agency_id)
    if path is None:
        path = paths[agency_id] = session.exec(select(Agency.path).where(col(Agency.id) == agency_id)).one()
    return path


def load_visible(session: Session, actor: Actor, case_id: int, *, lock: bool) -> Case:
    case = lock_case(session, case_id) if lock else session.get(Case, case_id)
    if case is None:
        raise NotFound(f"没有编号为 {case_id} 的申请")
    if not actor.sees(agency_path(session, case.agency_id)):
        raise NotFound(f"没有编号为 {case_id} 的申请")
    return case


def perform(
    *,
    session: Session,
    case_id: int,
    actor: Actor,
    action: str,
    facts: BaseModel | dict[str, Any] | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    calendar: WorkingCalendar | None = None,
    addon: Addon | None = None,
    issue_letter: IssueLetter | None,
) -> Case:
    """Take ``action`` on request ``case_id`` as ``actor``: one transaction, all or nothing.

    ``issue_letter`` issues the letter an action's handler asks for (``Effect.letter``); the action
    table (``caseflow.cases.actions.perform``) gives it. Only a caller taking an action that issues
    no letter (the system recording a letter's PDF) may give None."""
    if action not in ACTIONS:
        raise NotFound(f"没有名为 {action} 的操作", code="no_such_action")
    moment = now or current_moment()
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    moment = moment.astimezone(SHANGHAI)
    today = legal_date(moment)
    cal = calendar or default_calendar()
    role = acting_role(actor, action)  # 403 before anything else is said about the facts
    begin_write(session)
    try:
        case = load_visible(session, actor, case_id, lock=True)
        if now is None:  # the time read under the row lock: moments never go back along a chain
            moment = current_moment().astimezone(SHANGHAI)
            today = legal_date(moment)
        if expected_version is not None and not _unchanged_since(session, case, expected_version):
            raise StaleVersion(expected_version, case.version)
        approval.check(session, actor.agency_id, actor.username, case, action)  # Art. 33 para. 2
        token = token_for(case)
        from_state = case.state
        # Several consultations may be open: the request stays in consultation until the last.
        others_open = action in CLOSING and open_consultations(session, case.id) > 1
        # Illegal before invalid: an action the state does not allow is refused (409, naming the state
        # and what is allowed) before its facts are looked at; facts are checked only for an allowed one.
        check_state_allows(session, case, actor, action, others_open=others_open)
        parsed = parse_facts(ACTIONS[action].facts, facts)
        correction.check_action(case, action)  # Art. 41: no fee or Art. 35 step on a correction request
        condition_args: dict[str, Any] = {}
        if isinstance(parsed, f.DraftReplyFacts):
            condition_args["needs_review"] = law.outcome(parsed.outcome).needs_review
        if isinstance(parsed, f.DisclosureReviewFacts):
            condition_args["agrees"] = parsed.conclusion == "agree"
        if action in CLOSING:
            condition_args["others_open"] = others_open
        try:
            moved = fire(token, action, **condition_args)
        except MachineError:
            moved = False
        if not moved:
            raise IllegalTransition(action, case.state, allowed_now(session, case, actor))
        parsed = fill_dates(parsed, today)
        # No flush until the commit: the request row is written once (one UPDATE of its changed
        # columns), the letter and event rows by Core inserts; a handler flushes what it must.
        with session.no_autoflush:
            ctx = Ctx(session, actor, role, case, moment, today, cal)
            try:
                effect = HANDLERS[action](ctx, parsed)
            except CalendarError as exc:
                raise RuleViolation(
                    f"工作日历无法回答（{exc}），请管理员载入国务院放假安排后重试",
                    code="calendar_unavailable",
                ) from None
            if addon is not None:
                joined = addon(ctx)
                effect.facts = {**effect.facts, **joined.facts}
                effect.documents = (*effect.documents, *joined.documents)
            if effect.clock is not None:
                case.ledger = [*case.ledger, effect.clock]
            try:
                apply_deadline(case, cal)
            except clock.TimelineError as exc:
                message, code = clock_refusals.refusal(exc, case.rules)
                raise RuleViolation(message, code=code) from None
            case.state = token.state
            case.version += 1
            case.updated_at = moment
            facts_out = {**parsed.model_dump(mode="json"), **effect.facts}
            documents = effect.documents
            if effect.letter is not None:
                if issue_letter is None:
                    raise RuntimeError(f"{action} issues a letter: perform needs the letter step")
                issued = issue_letter(session, case, effect.letter, moment)
                facts_out.update(issued.facts)
                documents = (*documents, *issued.documents)
            record = chain.EventRecord(
                actor=actor.username,
                role=role,
                action=action,
                from_state=from_state,
                to_state=case.state,
                facts=facts_out,
                basis=effect.basis,
                documents=documents,
            )
            chain.append(session, case, record, moment)
            rowwrite.write_dirty(session)  # one UPDATE of each changed row's changed columns
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return case
