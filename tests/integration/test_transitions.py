"""The state machine through the service, on both databases: every action, role, refusal and clock rule.

Cases are brought into each state by real actions (``reach``), at moments moving forward in time.
Every successful action is checked to append exactly one evidence event naming the action, the
states and the actor (``Flow.act``); every refusal is checked to leave the request row and its
evidence exactly as before (``Flow.refused``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from caseflow import clock, law, service
from caseflow.calendar import default_calendar
from caseflow.cli import app
from caseflow.dates import SHANGHAI
from caseflow.errors import (
    FactsError,
    Forbidden,
    IllegalTransition,
    NotFound,
    RuleViolation,
    StaleVersion,
)
from caseflow.evidence.chain import verify_all
from caseflow.evidence.store import DocumentStore
from caseflow.models import (
    Agency,
    Case,
    CaseDocument,
    Consultation,
    EvidenceEvent,
    FeeAssessment,
    RemedyRecord,
    User,
)
from caseflow.states.actions import ACTIONS
from caseflow.states.machine import STATE_NAMES, State
from caseflow.states.roles import ROLE_NAMES
from tests.integration.conftest import T0, World, snapshot

D = dt.date
DAY = dt.timedelta(days=1)
#: Every role of DOMAIN.md section 1 plus the scheduler; each test actor of that name has only that role.
ALL_ROLES = ("clerk", "reviewer", "supervisor", "auditor", "admin", "system")

FactsArg = dict[str, Any] | Callable[["Flow", dt.datetime], dict[str, Any]] | None

SUPPLEMENT = {"items": ["申请人身份证明复印件", "所需信息的具体名称或文号"]}
CONSULT = {"party_kind": "third_party", "party_name": "某建设工程有限公司", "matters": "预算表中的商业信息"}
CONSULT_AGENCY = {"party_kind": "co_producer", "party_name": "某市财政局", "matters": "共同制作的预算文件"}
FEE_50_PAGES = {"method": "per_page", "pages": 50}
EXTEND = {"reason": "需要检索多年档案，正常期限内难以答复"}
PROVIDED = {"outcome": "disclosed.provided", "provided": "2025年道路维修工程预算表（电子版）"}
WITHHELD = {"outcome": "withheld.process_info", "reasons": "属于讨论记录，依第十六条第二款不予公开"}
PARTIAL_THIRD_PARTY = {"outcome": "partial", "withheld_grounds": ["withheld.third_party"]}
WITHDRAW = {"reason": "申请人书面撤回申请"}
PUBLIC = {"outcome": "disclosed.public", "where_to_obtain": "本机关门户网站“财政预决算”栏目"}
#: The review before disclosure (保密审查, Art. 17) of a disclosing draft.
AGREE = {"conclusion": "agree", "comments": "经审查，不涉及国家秘密"}
DISAGREE = {"conclusion": "disagree", "comments": "附件含有涉密文件的文号，不宜公开"}
DELIVERY = {"method": "post", "proof": "EMS1234567890CN"}


def on(day: dt.date) -> dt.datetime:
    """9:30 in Shanghai on ``day``."""
    return dt.datetime.combine(day, dt.time(9, 30), tzinfo=SHANGHAI)


def last_event(world: World, case_id: int) -> EvidenceEvent:
    return world.session.exec(
        select(EvidenceEvent)
        .where(col(EvidenceEvent.case_id) == case_id)
        .order_by(col(EvidenceEvent.seq).desc())
    ).first()


class Flow:
    """One request moved through real actions, with a time cursor that only moves forward."""

    def __init__(
        self,
        world: World,
        *,
        agency: str = "city",
        actor: str = "clerk",
        at: dt.datetime = T0,
        **changes: Any,
    ) -> None:
        self.world = world
        self.at = at
        self.case = world.new_case(agency=agency, actor=actor, at=at, **changes)

    @property
    def id(self) -> int:
        assert self.case.id is not None
        return self.case.id

    def _facts(self, facts: FactsArg, moment: dt.datetime) -> dict[str, Any] | None:
        return facts(self, moment) if callable(facts) else facts

    def act(
        self,
        action: str,
        facts: FactsArg = None,
        *,
        actor: str = "clerk",
        at: dt.datetime | None = None,
        days: int = 1,
        expected_version: int | None = None,
    ) -> Case:
        """Take ``action`` (``days`` after the cursor unless ``at``); check the one evidence event it adds."""
        moment = at or self.at + days * DAY
        row, events = snapshot(self.world.session, self.id)
        case = self.world.act(
            self.case,
            action,
            self._facts(facts, moment),
            actor=actor,
            at=moment,
            expected_version=expected_version,
        )
        self.at, self.case = moment, case
        after_row, after_events = snapshot(self.world.session, self.id)
        assert after_events == events + 1, f"{action} must append exactly one evidence event"
        assert after_row["version"] == row["version"] + 1 and after_row["event_count"] == events + 1
        event = last_event(self.world, self.id)
        role = next(iter(self.world[actor].roles))
        assert (event.seq, event.action, event.from_state, event.to_state, event.actor, event.role) == (
            events + 1,
            action,
            row["state"],
            after_row["state"],
            self.world[actor].username,
            role,
        )
        body = json.loads(event.payload)
        assert (body["action"], body["from"], body["to"], body["actor"], body["role"]) == (
            action,
            row["state"],
            after_row["state"],
            self.world[actor].username,
            role,
        )
        assert dt.datetime.fromisoformat(body["moment"]) == moment
        return case

    def refused(
        self,
        error: type[Exception] | tuple[type[Exception], ...],
        action: str,
        facts: FactsArg = None,
        *,
        actor: str = "clerk",
        at: dt.datetime | None = None,
        days: int = 1,
        expected_version: int | None = None,
    ) -> Any:
        """Try ``action``; it must raise ``error`` and leave the request and its evidence untouched."""
        moment = at or self.at + days * DAY
        before = snapshot(self.world.session, self.id)
        with pytest.raises(error) as info:
            self.world.act(
                self.case,
                action,
                self._facts(facts, moment),
                actor=actor,
                at=moment,
                expected_version=expected_version,
            )
        assert snapshot(self.world.session, self.id) == before, f"refused {action} changed the request"
        return info.value

    def row(self) -> dict[str, Any]:
        return snapshot(self.world.session, self.id)[0]

    def consultation(self) -> Consultation:
        return self.world.session.exec(
            select(Consultation)
            .where(col(Consultation.case_id) == self.id)
            .order_by(col(Consultation.id).desc())
        ).first()

    def fee(self) -> FeeAssessment:
        return self.world.session.exec(
            select(FeeAssessment).where(col(FeeAssessment.case_id) == self.id)
        ).one()

    def remedies(self) -> list[RemedyRecord]:
        self.world.session.expire_all()
        return list(
            self.world.session.exec(
                select(RemedyRecord)
                .where(col(RemedyRecord.case_id) == self.id)
                .order_by(col(RemedyRecord.id))
            )
        )


def reach(
    world: World, state: str, *, extended: bool = False, draft: dict[str, Any] = PROVIDED, **changes: Any
) -> Flow:
    """A new request (received T0) brought into ``state`` by real actions; ``extended`` extends it first.

    In ``ready-to-issue`` its ``draft`` (disclosed.provided unless given) awaits the review before
    disclosure (Art. 17); an answered request's reply was reviewed before its issue."""
    fl = Flow(world, **changes)
    if state == State.RECEIVED:
        assert not extended
        return fl
    if state in (State.SUPPLEMENT_REQUIRED, State.CLOSED):
        assert not extended, "a supplement can only be requested before any extension"
        fl.act("request_supplement", SUPPLEMENT)
        if state == State.CLOSED:
            _deliver("supplement_notice")(fl)
            fl.act("lapse_supplement", at=on(fl.case.supplement_due + DAY))
        return fl
    if extended or state == State.EXTENDED:
        fl.act("extend", EXTEND, actor="supervisor")
        if state == State.EXTENDED:
            return fl
    if state == State.CONSULTATION:
        fl.act("start_consultation", CONSULT)
    elif state == State.FEE_PENDING:
        fl.act("assess_fee", FEE_50_PAGES)
    elif state == State.LEGAL_REVIEW:
        fl.act("draft_reply", WITHHELD)
    elif state == State.READY:
        fl.act("draft_reply", draft)
    elif state in (State.ANSWERED, State.ARCHIVED):
        fl.act("draft_reply", draft)
        _reviewed(fl)
        fl.act("issue_reply", {})
        if state == State.ARCHIVED:
            fl.act("archive")
    elif state == State.WITHDRAWN:
        fl.act("withdraw", WITHDRAW)
    else:  # pragma: no cover - every state is handled above
        raise AssertionError(state)
    assert fl.case.state == state and fl.case.extended == extended
    return fl


# --- Every action: roles, destinations, illegal states ---------------------------------------------


def _reviewed(fl: Flow) -> None:
    """The draft passed the review before disclosure (Art. 17), by the reviewer."""
    fl.act("confidentiality_review", AGREE, actor="reviewer")


def _handler_confirms(fl: Flow) -> None:
    """The office lets the handler confirm the review of published information (Art. 17)."""
    agency = fl.world.session.get(Agency, fl.case.agency_id)
    assert agency is not None
    agency.handler_confirms_published = True
    fl.world.session.add(agency)
    fl.world.session.commit()


def _after_supplement_period(fl: Flow) -> dt.datetime:
    return on(fl.case.supplement_due + DAY)


def _after_consultation_window(fl: Flow) -> dt.datetime:
    return on(fl.consultation().window_end + DAY)


def _after_pay_by(fl: Flow) -> dt.datetime:
    return on(fl.fee().pay_by + DAY)


def _delivery_facts(document: str) -> FactsArg:
    """The notice received by its recipient on the day the delivery is recorded."""
    return lambda fl, at: {
        "document": document,
        "method": "post",
        "proof": "EMS1234567890CN 本人签收",
        "received_on": at.date().isoformat(),
    }


def _deliver(document: str) -> Callable[[Flow], None]:
    """Record the delivery of the request's latest ``document`` (the period starts the next day)."""
    return lambda fl: fl.act("record_notice_delivery", _delivery_facts(document)) and None


def _objected(fl: Flow) -> None:
    """A third party consulted and objecting (Art. 32): the request is back at work."""
    fl.act("start_consultation", CONSULT)
    fl.act("receive_opinion", {"opinion": "object", "opinion_text": "涉及商业秘密"})


DECISION = {"content": "合同价款", "reasons": "涉及公共资金使用，不公开可能对公共利益造成重大影响"}


def _proposed(kind: str) -> Callable[[Flow], None]:
    """The notice delivered, its period run out and the lapse proposed by the system."""

    def prep(fl: Flow) -> None:
        _deliver(f"{kind}_notice")(fl)
        after = _after_supplement_period(fl) if kind == "supplement" else _after_pay_by(fl)
        fl.act("propose_lapse", {"kind": kind}, actor="system", at=after)

    return prep


def _review(fl: Flow, at: dt.datetime) -> dict[str, Any]:
    return {"body": "某市人民政府", "reference_no": "某政复〔2026〕1号", "filed_on": at.date().isoformat()}


def _litigation(path: str) -> FactsArg:
    return lambda fl, at: {"court": "某市中级人民法院", "path": path, "filed_on": at.date().isoformat()}


def _with_review(fl: Flow) -> None:
    fl.act("record_review", _review)


ART35_ASK = {"asked": "请说明在一个月内申请公开300余项信息的理由", "period_days": 5}
ART35_GIVEN = {"answer": "given", "reasons": "从事财政研究，需要逐年比对"}


def _art35_asked(fl: Flow) -> None:
    fl.act("request_art35_reasons", ART35_ASK)


def _art35_step(fl: Flow) -> None:
    """Art. 35: the applicant asked for reasons, and the reasons recorded (before a delayed date)."""
    _art35_asked(fl)
    fl.act("record_art35_reasons", ART35_GIVEN)


def _conclusion(fl: Flow, at: dt.datetime) -> dict[str, Any]:
    records = fl.remedies()
    return {
        "record_id": records[-1].id if records else 1,
        "result": "maintained",
        "concluded_on": at.date().isoformat(),
    }


def _scanned(flow: Flow, moment: dt.datetime) -> dict[str, Any]:
    """The id of an application scan filed with the request (as intake files one), for view_document."""
    session = flow.world.session
    sha = DocumentStore().put(session, b"%PDF-1.4 scanned application", media_type="application/pdf")
    link = CaseDocument(case_id=flow.id, sha256=sha, kind="application", event_seq=1)
    session.add(link)
    session.commit()
    assert link.id is not None
    return {"document_id": link.id}


@dataclass(frozen=True)
class Scenario:
    source: str
    dest: str
    facts: FactsArg = None
    extended: bool = False
    prep: Callable[[Flow], None] | None = None
    at: Callable[[Flow], dt.datetime] | None = None
    draft: dict[str, Any] | None = None  # the draft of a ready-to-issue request (default PROVIDED)

    def ready(self, world: World) -> Flow:
        fl = reach(world, self.source, extended=self.extended, draft=self.draft or PROVIDED)
        if self.prep:
            self.prep(fl)
        return fl

    def moment(self, fl: Flow) -> dt.datetime:
        return self.at(fl) if self.at else fl.at + DAY


R, SR, CO, FP, EX, LR, RD, AN, WD, CL, AR = (s.value for s in State)

#: Per action: the scenarios in which it is allowed (the first one runs for every role), with the
#: expected destination per TRANSITIONS, including the conditional ones.
SCENARIOS: dict[str, list[Scenario]] = {
    "request_supplement": [Scenario(R, SR, SUPPLEMENT)],
    "receive_supplement": [Scenario(SR, R, {"summary": "补充了身份证明"})],
    "lapse_supplement": [Scenario(SR, CL, prep=_deliver("supplement_notice"), at=_after_supplement_period)],
    "start_consultation": [
        Scenario(R, CO, CONSULT),
        Scenario(EX, CO, CONSULT_AGENCY),
        Scenario(CO, CO, CONSULT_AGENCY),  # several consultations may be open at once
    ],
    "notify_third_party_decision": [Scenario(R, R, DECISION, prep=_objected)],
    "receive_opinion": [
        Scenario(CO, R, {"opinion": "consent"}),
        Scenario(CO, EX, {"opinion": "object", "opinion_text": "涉及商业秘密"}, extended=True),
    ],
    "lapse_consultation": [
        Scenario(CO, R, prep=_deliver("consultation_third_party"), at=_after_consultation_window),
        Scenario(
            CO, EX, extended=True, prep=_deliver("consultation_third_party"), at=_after_consultation_window
        ),
    ],
    "assess_fee": [Scenario(R, FP, FEE_50_PAGES), Scenario(EX, FP, FEE_50_PAGES)],
    "record_payment": [
        Scenario(FP, R, {"payment_ref": "POS-0001"}),
        Scenario(FP, EX, {"payment_ref": "POS-0002"}, extended=True),
    ],
    "lapse_fee": [Scenario(FP, CL, prep=_deliver("fee_notice"), at=_after_pay_by)],
    "record_notice_delivery": [
        Scenario(SR, SR, _delivery_facts("supplement_notice")),
        Scenario(CO, CO, _delivery_facts("consultation_third_party")),
        Scenario(FP, FP, _delivery_facts("fee_notice")),
    ],
    "propose_lapse": [
        Scenario(
            SR, SR, {"kind": "supplement"}, prep=_deliver("supplement_notice"), at=_after_supplement_period
        ),
        Scenario(FP, FP, {"kind": "fee"}, prep=_deliver("fee_notice"), at=_after_pay_by),
    ],
    "keep_waiting": [
        Scenario(SR, SR, {"reason": "申请人称补正材料已寄出"}, prep=_proposed("supplement")),
        Scenario(FP, FP, {"reason": "缴费凭证待核实", "until": "2027-01-15"}, prep=_proposed("fee")),
    ],
    "extend": [
        Scenario(R, EX, {**EXTEND, "days": 10}),
        Scenario(LR, LR, EXTEND),
        Scenario(RD, RD, EXTEND),
    ],
    "request_art35_reasons": [Scenario(R, R, ART35_ASK), Scenario(EX, EX, ART35_ASK)],
    "record_art35_reasons": [
        Scenario(R, R, ART35_GIVEN, prep=_art35_asked),
        Scenario(EX, EX, ART35_GIVEN, prep=_art35_asked),
    ],
    "set_delayed_date": [
        Scenario(R, R, {"due": "2026-12-31", "reason": "申请数量明显超过合理范围"}, prep=_art35_step),
        Scenario(EX, EX, {"due": "2026-12-31", "reason": "申请数量明显超过合理范围"}, prep=_art35_step),
    ],
    "draft_reply": [
        Scenario(R, RD, PROVIDED),
        Scenario(R, LR, WITHHELD),
        Scenario(EX, LR, WITHHELD, extended=True),
        Scenario(EX, RD, PROVIDED, extended=True),
    ],
    "approve_reply": [Scenario(LR, RD, {"comments": "同意"}), Scenario(LR, RD, {}, extended=True)],
    "return_reply": [
        Scenario(LR, R, {"comments": "理由不充分"}),
        Scenario(LR, EX, {"comments": "理由不充分"}, extended=True),
    ],
    # Art. 17: the clerk (first in role order) confirms a disclosed.public draft where the office so
    # sets; the reviewer's review, four eyes and the other outcomes: test_disclosure_review.py.
    "confidentiality_review": [
        Scenario(RD, RD, AGREE, draft=PUBLIC, prep=_handler_confirms),
        Scenario(RD, R, DISAGREE, draft=PUBLIC, prep=_handler_confirms),
        Scenario(RD, EX, DISAGREE, draft=PUBLIC, prep=_handler_confirms, extended=True),
    ],
    "issue_reply": [Scenario(RD, AN, {}, prep=_reviewed)],
    "record_delivery": [Scenario(AN, AN, DELIVERY)],
    "withdraw": [Scenario(R, WD, WITHDRAW), *(Scenario(s, WD, WITHDRAW) for s in (SR, CO, FP, EX, LR, RD))],
    "archive": [Scenario(AN, AR), Scenario(WD, AR), Scenario(CL, AR)],
    "record_review": [
        Scenario(AN, AN, _review),
        Scenario(AR, AR, _review),
        *(Scenario(s, s, _review) for s in (R, SR, CO, FP, EX, LR, RD, CL)),
    ],
    "record_litigation": [
        Scenario(AN, AN, _litigation("direct")),
        Scenario(AR, AR, _litigation("after_review")),
        *(Scenario(s, s, _litigation("direct")) for s in (R, CO, LR)),
    ],
    "conclude_remedy": [
        Scenario(AN, AN, _conclusion, prep=_with_review),
        Scenario(AR, AR, _conclusion, prep=_with_review),
        Scenario(R, R, _conclusion, prep=_with_review),
        Scenario(FP, FP, _conclusion, prep=_with_review),
    ],
    "mark_complex": [Scenario(R, R, {"reason": "涉及多个部门"}), Scenario(CO, CO, {"reason": "涉及第三方"})],
    "record_joint_opinion": [
        Scenario(R, R, {"participants": "业务处室、法制机构、法律顾问", "opinion": "可以公开"}),
        Scenario(LR, LR, {"participants": "业务处室、法制机构", "opinion": "维持不予公开"}),
    ],
    "reassign": [Scenario(R, R, {"handler": "clerk2"}), Scenario(FP, FP, {"handler": "clerk2"})],
    "add_note": [Scenario(s.value, s.value, {"text": "更正：申请人电话为13900000000"}) for s in State],
    "view_identity": [Scenario(s.value, s.value, {}) for s in State],
    "view_document": [Scenario(s.value, s.value, _scanned) for s in State],
    "export_evidence": [Scenario(s.value, s.value, {"scope": "case"}) for s in State],
}

#: The actions an actor of one role sees allowed in a state (worked out by hand from TRANSITIONS).
ALLOWED: dict[tuple[str, str], list[str]] = {
    ("clerk", R): [
        "request_supplement",
        "start_consultation",
        "notify_third_party_decision",
        "assess_fee",
        "record_notice_delivery",
        "request_art35_reasons",
        "record_art35_reasons",
        "draft_reply",
        "withdraw",
        "record_review",
        "record_litigation",
        "conclude_remedy",
        "mark_complex",
        "add_note",
    ],
    ("clerk", SR): [
        "receive_supplement",
        "lapse_supplement",
        "record_notice_delivery",
        "keep_waiting",
        "withdraw",
        "record_review",
        "record_litigation",
        "conclude_remedy",
        "mark_complex",
        "add_note",
    ],
    ("clerk", CO): [
        "start_consultation",
        "receive_opinion",
        "lapse_consultation",
        "record_notice_delivery",
        "withdraw",
        "record_review",
        "record_litigation",
        "conclude_remedy",
        "mark_complex",
        "add_note",
    ],
    ("clerk", EX): [
        "start_consultation",
        "notify_third_party_decision",
        "assess_fee",
        "record_notice_delivery",
        "request_art35_reasons",
        "record_art35_reasons",
        "draft_reply",
        "withdraw",
        "record_review",
        "record_litigation",
        "conclude_remedy",
        "mark_complex",
        "add_note",
    ],
    # Review and litigation (逾期不答复) may be recorded while the request is open.
    ("clerk", LR): [
        "notify_third_party_decision",
        "record_notice_delivery",
        "withdraw",
        "record_review",
        "record_litigation",
        "conclude_remedy",
        "mark_complex",
        "add_note",
    ],
    ("clerk", RD): [
        "notify_third_party_decision",
        "record_notice_delivery",
        "confidentiality_review",
        "issue_reply",
        "withdraw",
        "record_review",
        "record_litigation",
        "conclude_remedy",
        "mark_complex",
        "add_note",
    ],
    ("clerk", AN): [
        "record_delivery",
        "archive",
        "record_review",
        "record_litigation",
        "conclude_remedy",
        "add_note",
    ],
    # Withdrawn: nothing to challenge; a record filed before the withdrawal may still be concluded.
    ("clerk", WD): ["archive", "conclude_remedy", "add_note"],
    # A lapse closes the request with a decision (视为放弃) that carries remedies: it can be challenged.
    ("clerk", CL): ["archive", "record_review", "record_litigation", "conclude_remedy", "add_note"],
    # The system may record a delivery (the applicant portal); it proposes lapses only when due.
    ("system", R): ["record_notice_delivery"],
    ("reviewer", R): [
        "record_review",
        "record_litigation",
        "conclude_remedy",
        "mark_complex",
        "record_joint_opinion",
        "add_note",
    ],
    ("reviewer", AN): ["record_review", "record_litigation", "conclude_remedy", "add_note"],
    ("supervisor", EX): ["set_delayed_date", "mark_complex", "reassign", "add_note"],
    ("supervisor", AN): ["archive", "add_note"],
}

#: Per action: (a state it is not allowed in, the actor who tries). add_note is allowed in every state.
ILLEGAL: dict[str, list[tuple[str, str]]] = {
    "request_supplement": [(EX, "clerk"), (CO, "clerk")],
    "receive_supplement": [(R, "clerk")],
    "lapse_supplement": [(R, "clerk")],
    "start_consultation": [(SR, "clerk")],
    "receive_opinion": [(R, "clerk")],
    "lapse_consultation": [(EX, "clerk")],
    "notify_third_party_decision": [(CO, "clerk")],
    "assess_fee": [(CO, "clerk")],
    "record_payment": [(R, "clerk")],
    "lapse_fee": [(CL, "clerk")],
    "record_notice_delivery": [(AN, "clerk")],
    "propose_lapse": [(R, "system")],
    "keep_waiting": [(R, "clerk")],
    "extend": [(EX, "supervisor")],
    "request_art35_reasons": [(CO, "clerk")],
    "record_art35_reasons": [(LR, "clerk")],
    "set_delayed_date": [(AN, "supervisor")],
    "draft_reply": [(SR, "clerk")],
    "approve_reply": [(R, "reviewer")],
    "return_reply": [(AN, "reviewer")],
    "confidentiality_review": [(R, "reviewer")],
    "issue_reply": [(LR, "clerk")],
    "record_delivery": [(RD, "clerk")],
    "withdraw": [(AN, "clerk")],
    "archive": [(R, "clerk")],
    "record_review": [(WD, "clerk")],
    "record_litigation": [(WD, "clerk")],
    "conclude_remedy": [],
    "mark_complex": [(CL, "clerk")],
    "record_joint_opinion": [(AN, "reviewer")],
    "reassign": [(AN, "supervisor")],
    "add_note": [],
    "view_identity": [],
    "view_document": [],
    "export_evidence": [],
}


#: Needs a notice that changes a provisional deadline: covered in test_scheduled_calendar.py;
#: a letter's PDF after commit (the system's, with the rendered bytes): test_pdf_after_commit.py.
#: the applicant's download on the request page (the system's, with the served bytes): test_applicant_page.py.
#: an applicant's online submission declined (needs the submission): test_applicant_followups.py.
ELSEWHERE = {"recalculate_deadline", "letter_pdf", "applicant_download", "decline_applicant_submission"}


def test_tables_cover_every_action() -> None:
    assert set(SCENARIOS) == set(ACTIONS) - ELSEWHERE == set(ILLEGAL)
    assert {state for _, state in ALLOWED} <= {s.value for s in State}
    assert {(actor, state) for pairs in ILLEGAL.values() for state, actor in pairs} <= set(ALLOWED)


@pytest.mark.parametrize("name", [n for n in ACTIONS if n not in ELSEWHERE])
def test_action_roles_destinations_and_illegal_states(world: World, name: str) -> None:
    action = ACTIONS[name]
    roles = [r for r in ALL_ROLES if r in action.roles]
    main, *more = SCENARIOS[name]

    # (b) every role without the action is refused, nothing changes; the case is in an allowed state.
    fl = main.ready(world)
    for role in ALL_ROLES:
        if role in action.roles:
            continue
        err = fl.refused(Forbidden, name, main.facts, actor=role, at=main.moment(fl))
        assert ACTIONS[name].label in err.message and ROLE_NAMES[role] in err.message

    # (a) every role with the action can take it, from the main scenario's state.
    for n, role in enumerate(roles):
        if n:
            fl = main.ready(world)
        case = fl.act(name, main.facts, actor=role, at=main.moment(fl))
        assert case.state == main.dest, f"{name} by {role} from {main.source}"

    # ... and the other allowed states go where TRANSITIONS say (conditional destinations included).
    for scenario in more:
        fl = scenario.ready(world)
        case = fl.act(name, scenario.facts, actor=roles[0], at=scenario.moment(fl))
        assert case.state == scenario.dest, f"{name} from {scenario.source} (extended={scenario.extended})"

    # (c) from a state where it is not allowed: IllegalTransition naming the state and what is allowed.
    for state, actor in ILLEGAL[name]:
        fl = reach(world, state)
        err = fl.refused(IllegalTransition, name, main.facts, actor=actor)
        allowed = ALLOWED[(actor, state)]
        assert (err.action, err.state, err.allowed) == (name, state, allowed)
        assert f"「{STATE_NAMES[State(state)]}」状态" in err.message
        labels = "、".join(f"「{ACTIONS[a].label}」" for a in allowed) or "无"
        assert err.message.endswith(f"现在可以进行的操作：{labels}")

    assert verify_all(world.session)[1] is None


def test_draft_reply_destination_follows_each_outcome(world: World) -> None:
    replies = [o for o in law.outcomes_for(law.RequestKind.DISCLOSURE) if not o.without_reply]
    assert len(replies) == 20  # 36(4) unable.not_held and 36(5) unable.not_ours are two decisions
    earlier = reach(world, AN)  # answered: the request a rejected.duplicate repeats (Art. 36(6))
    for outcome in replies:
        fl = Flow(world)
        if outcome.code == "rejected.excessive":
            _art35_step(fl)  # Art. 35: only after the applicant was asked for reasons
        facts = {
            "outcome": outcome.code,
            "reasons": "理由",
            "where_to_obtain": "本机关门户网站",
            "provided": "x",
            "search_description": "检索了本机关档案室和业务系统",
            "query_law": "《不动产登记暂行条例》",
            "query_where": "不动产登记中心",
        }
        facts.update(_preconditions(fl, outcome.code, earlier.case.tracking_no))
        case = fl.act("draft_reply", facts)
        expected = State.LEGAL_REVIEW if outcome.needs_review else State.READY
        assert case.state == expected, outcome.code
        assert case.draft is not None and case.draft["needs_review"] is outcome.needs_review
    assert verify_all(world.session) == (len(replies) + 1, None)


def _preconditions(fl: Flow, code: str, earlier_tracking_no: str) -> dict[str, Any]:
    """The steps an outcome needs before its draft (Art. 30, 32), and its draft facts (Art. 36(6), 37)."""
    if code == "unable.still_unclear":
        fl.act("request_supplement", SUPPLEMENT)
        fl.act("receive_supplement", {})
    if code == "withheld.third_party":
        fl.act("start_consultation", CONSULT)
        fl.act("receive_opinion", {"opinion": "object", "opinion_text": "涉及本公司商业秘密"})
    if code == "rejected.duplicate":
        return {"earlier_tracking_no": earlier_tracking_no}
    if code == "partial":
        return {"withheld_grounds": ["withheld.process_info"]}
    return {}


def test_record_delivery_only_once(world: World) -> None:
    fl = reach(world, AN)
    answered_on = fl.case.answered_on
    case = fl.act("record_delivery", DELIVERY)
    assert case.state == AN and case.delivered_on == answered_on + DAY
    err = fl.refused(IllegalTransition, "record_delivery", DELIVERY)
    assert err.state == AN and "record_delivery" not in err.allowed
    assert err.allowed == ["archive", "record_review", "record_litigation", "conclude_remedy", "add_note"]


def test_extend_in_review_marks_the_request_extended(world: World) -> None:
    fl = reach(world, LR)
    case = fl.act("extend", EXTEND, actor="supervisor")
    assert (case.state, case.extended, case.extension_days) == (LR, True, 20)
    assert case.reply_due == D(2026, 11, 27)
    case = fl.act("return_reply", {"comments": "请补充理由"}, actor="reviewer")
    assert case.state == EX


def test_reassign_changes_the_handler_to_a_clerk_of_the_agency(world: World) -> None:
    fl = Flow(world)
    users = {u.username: u.id for u in world.session.exec(select(User))}
    assert fl.case.handler_id == users["clerk"]
    case = fl.act("reassign", {"handler": "clerk2"}, actor="supervisor")
    assert case.handler_id == users["clerk2"]
    assert json.loads(last_event(world, fl.id).payload)["facts"]["previous_handler"] == "clerk"
    err = fl.refused(FactsError, "reassign", {"handler": "dept_clerk"}, actor="supervisor")
    assert [f for f, _ in err.errors] == ["handler"]
    err = fl.refused(FactsError, "reassign", {"handler": "reviewer"}, actor="supervisor")
    assert [f for f, _ in err.errors] == ["handler"]


# --- The clock fields agree with the clock on the same ledger --------------------------------------


def _clock_fields(case: Case) -> dict[str, Any]:
    return {
        "reply_due": case.reply_due,
        "supplement_notice_due": case.supplement_notice_due,
        "paused": case.paused,
        "provisional": case.provisional,
        "extended_days": case.extension_days,
    }


def test_clock_fields_agree_with_clock_and_cli(world: World) -> None:
    fl = Flow(world)  # received Monday 2026-09-28
    steps: list[tuple[Case, dict[str, Any], list[dict[str, Any]]]] = []

    def record(case: Case) -> None:
        steps.append((case, _clock_fields(case), [dict(e) for e in case.ledger]))

    record(fl.case)
    record(fl.act("request_supplement", SUPPLEMENT, at=on(D(2026, 9, 30))))
    assert (fl.case.reply_due, fl.case.paused, fl.case.pause_reason) == (None, True, "supplement")
    record(fl.act("receive_supplement", {}, at=on(D(2026, 10, 9))))
    assert fl.case.reply_due == D(2026, 11, 5)  # restarted: 20 working days after 10-09
    record(fl.act("start_consultation", CONSULT, at=on(D(2026, 10, 12))))
    assert (fl.case.reply_due, fl.case.paused, fl.case.pause_reason) == (None, True, "consultation")
    record(fl.act("receive_opinion", {"opinion": "consent"}, at=on(D(2026, 10, 15))))
    assert fl.case.reply_due == D(2026, 11, 10)  # 10-13, 10-14, 10-15 excluded
    record(fl.act("assess_fee", FEE_50_PAGES, at=on(D(2026, 10, 16))))
    assert (fl.case.reply_due, fl.case.paused, fl.case.pause_reason) == (None, True, "fee")
    record(fl.act("record_payment", {}, at=on(D(2026, 10, 20))))
    assert fl.case.reply_due == D(2026, 11, 12)  # 10-19, 10-20 excluded
    record(fl.act("extend", EXTEND, actor="supervisor", at=on(D(2026, 10, 21))))
    assert (fl.case.state, fl.case.reply_due, fl.case.extension_days) == (EX, D(2026, 12, 10), 20)
    assert [e["type"] for e in fl.case.ledger] == [
        "supplement_requested",
        "supplement_received",
        "pause_started",
        "pause_ended",
        "pause_started",
        "pause_ended",
        "extended",
    ]

    # The stored row (read afresh) says the same as the returned object.
    assert _clock_fields(Case.model_validate(fl.row())) == steps[-1][1]

    lines = []
    for n, (case, fields, ledger) in enumerate(steps):
        timeline = {"received": case.receipt_date.isoformat(), "events": ledger}
        deadline = clock.compute(clock.Timeline.from_json(timeline))
        assert fields == {
            "reply_due": deadline.reply_due,
            "supplement_notice_due": deadline.supplement_notice_due,
            "paused": deadline.paused,
            "provisional": deadline.provisional,
            "extended_days": deadline.extended_days,
        }, f"step {n}"
        lines.append(json.dumps({"id": n, "timeline": timeline}, ensure_ascii=False))

    result = CliRunner().invoke(app, ["deadline", "--batch", "-"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [a["id"] for a in answers] == list(range(len(steps)))
    for (_, fields, _), answer in zip(steps, answers, strict=True):
        assert answer["reply_due"] == (fields["reply_due"].isoformat() if fields["reply_due"] else None)
        assert answer["supplement_notice_due"] == fields["supplement_notice_due"].isoformat()
        assert (answer["paused"], answer["provisional"], answer["extended_days"]) == (
            fields["paused"],
            fields["provisional"],
            fields["extended_days"],
        )


# --- Clock rules through the service --------------------------------------------------------------


def test_second_extension_refused(world: World) -> None:
    fl = reach(world, EX)
    err = fl.refused(IllegalTransition, "extend", EXTEND, actor="supervisor")
    assert err.state == EX and "「已延期」" in err.message and err.code == "extension_limit"
    assert "只能延长一次" in err.message and "第三十三条第二款" in err.message
    # Through legal review the machine lets it reach the clock, which refuses it (Art. 33: once).
    fl.act("draft_reply", WITHHELD)
    err = fl.refused(RuleViolation, "extend", EXTEND, actor="supervisor")
    assert "只能延长一次" in err.message and "第三十三条第二款" in err.message
    assert err.code == "extension_limit"


def test_extension_after_the_deadline_refused(world: World) -> None:
    fl = Flow(world)
    assert fl.case.reply_due == D(2026, 10, 30)
    err = fl.refused(RuleViolation, "extend", EXTEND, actor="supervisor", at=on(D(2026, 11, 2)))
    assert "须在答复期限届满前决定" in err.message and "现行答复期限为2026年10月30日" in err.message
    assert err.code == "extension_late"
    # Decided on the last day it is still in time.
    case = fl.act("extend", EXTEND, actor="supervisor", at=on(D(2026, 10, 30)))
    assert case.reply_due == D(2026, 11, 27)


def test_supplement_request_after_seven_working_days_refused(world: World) -> None:
    fl = Flow(world)
    assert fl.case.supplement_notice_due == D(2026, 10, 13)
    err = fl.refused(RuleViolation, "request_supplement", SUPPLEMENT, at=on(D(2026, 10, 14)))
    assert "2026年10月13日" in err.message and "第三十条" in err.message and err.code == "supplement_late"
    case = fl.act("request_supplement", SUPPLEMENT, at=on(D(2026, 10, 13)))
    assert case.state == SR


def test_extension_longer_than_twenty_days_refused(world: World) -> None:
    fl = Flow(world)
    err = fl.refused(RuleViolation, "extend", {**EXTEND, "days": 21}, actor="supervisor")
    assert "最长不超过20个工作日" in err.message and "不能延长21个工作日" in err.message
    case = fl.act("extend", {**EXTEND, "days": 20}, actor="supervisor")
    assert case.extension_days == 20


def test_art35_date_then_extension_refused(world: World) -> None:
    fl = Flow(world)
    _art35_step(fl)
    case = fl.act(
        "set_delayed_date", {"due": "2026-12-31", "reason": "申请数量明显超过合理范围"}, actor="supervisor"
    )
    assert case.reply_due == D(2026, 12, 31)
    err = fl.refused(RuleViolation, "extend", EXTEND, actor="supervisor")
    assert "第三十五条" in err.message and err.code == "extension_after_art35"
    err = fl.refused(
        RuleViolation,
        "set_delayed_date",
        {"due": fl.at.date().isoformat(), "reason": "x"},
        actor="supervisor",
    )
    assert "第三十五条" in err.message and "晚于现行答复期限" in err.message


def test_dates_out_of_order_refused(world: World) -> None:
    fl = Flow(world)
    fl.act("start_consultation", {**CONSULT, "letter_date": "2026-10-09"}, at=on(D(2026, 10, 9)))
    err = fl.refused(FactsError, "receive_opinion", {"opinion": "consent", "opinion_date": "2026-10-08"})
    assert [f for f, _ in err.errors] == ["opinion_date"]
    fl.act("receive_opinion", {"opinion": "consent", "opinion_date": "2026-10-12"}, at=on(D(2026, 10, 12)))
    err = fl.refused(RuleViolation, "assess_fee", {**FEE_50_PAGES, "notice_date": "2026-10-10"})
    assert "早于本申请此前登记的事项日期（2026年10月12日）" in err.message and err.code == "date_order"


# --- Stale version, agency scoping ----------------------------------------------------------------


def test_stale_version(world: World) -> None:
    fl = Flow(world)
    assert fl.case.version == 1
    fl.act("mark_complex", {"reason": "涉及多个部门"}, expected_version=1)
    assert fl.case.version == 2
    err = fl.refused(StaleVersion, "add_note", {"text": "备注"}, expected_version=1)
    assert (err.expected, err.actual) == (1, 2)
    err = fl.refused(StaleVersion, "add_note", {"text": "备注"}, expected_version=3)
    assert (err.expected, err.actual) == (3, 2)
    case = fl.act("add_note", {"text": "备注"}, expected_version=2)
    assert case.version == 3 and fl.row()["version"] == 3


def test_agency_scoping(world: World) -> None:
    city = Flow(world)
    dept = Flow(world, agency="dept", actor="dept_clerk")
    assert dept.case.tracking_no == "DEPT-2026-00001"
    missing = world.session.exec(select(Case.id).order_by(col(Case.id).desc())).first() + 1000

    for actor, fl, action, facts in (
        ("dept_clerk", city, "add_note", {"text": "x"}),
        ("dept_supervisor", city, "extend", EXTEND),
        ("dept_reviewer", city, "mark_complex", {"reason": "x"}),
        ("district_clerk", dept, "add_note", {"text": "x"}),
        ("clerk", dept, "add_note", {"text": "x"}),  # a clerk sees only the own agency, not the subtree
        ("reviewer", dept, "mark_complex", {"reason": "x"}),
    ):
        err = fl.refused(NotFound, action, facts, actor=actor)
        assert err.message == f"没有编号为 {fl.id} 的申请"  # not told that it exists

    with pytest.raises(NotFound) as info:
        service.perform(
            session=world.session,
            case_id=missing,
            actor=world["clerk"],
            action="add_note",
            facts={"text": "x"},
            now=T0 + DAY,
        )
    assert info.value.message == f"没有编号为 {missing} 的申请"

    # A parent agency's supervisor acts on the subtree, except for the approvals that belong to the
    # request's own agency (Art. 33 para. 2); an auditor sees it but may not act.
    err = dept.refused(Forbidden, "extend", EXTEND, actor="supervisor")
    assert "第三十三条第二款" in err.message
    case = dept.act("reassign", {"handler": "dept_clerk"}, actor="supervisor")
    case = dept.act("extend", EXTEND, actor="dept_supervisor")
    assert case.state == EX
    dept.refused(Forbidden, "add_note", {"text": "x"}, actor="auditor")
    case = dept.act("add_note", {"text": "x"}, actor="dept_supervisor")
    assert case.state == EX


# --- Facts errors ----------------------------------------------------------------------------------


#: (state, action, actor, facts, the field the error must name). Each state's case is reached once; the
#: refusals leave it as it was, so the next one starts from the same request. From a cursor one day on:
#: received 2026-09-28 -> acts 09-29; supplement-required, consultation, fee-pending, ready-to-issue
#: 09-29 -> 09-30; answered (issued 09-30) -> 10-01.
FACTS_ERRORS: list[tuple[str, str, str, dict[str, Any], str]] = [
    (R, "draft_reply", "clerk", {"outcome": "withheld.process_info"}, "reasons"),
    (R, "draft_reply", "clerk", {"outcome": "partial", "provided": "部分"}, "reasons"),
    (R, "draft_reply", "clerk", {"outcome": "disclosed.public"}, "where_to_obtain"),
    (R, "draft_reply", "clerk", {"outcome": "withheld.secrets", "reasons": "x"}, "outcome"),
    (R, "draft_reply", "clerk", {"outcome": "other.no_supplement"}, "outcome"),
    (R, "draft_reply", "clerk", {}, "outcome"),
    (R, "extend", "supervisor", {}, "reason"),
    (R, "extend", "supervisor", {"reason": "  "}, "reason"),
    (R, "extend", "supervisor", {"reason": "x", "dayz": 5}, "dayz"),
    (R, "request_supplement", "clerk", {"items": []}, "items"),
    (R, "request_supplement", "clerk", {"items": ["身份证明", " "]}, "items"),
    (R, "request_supplement", "clerk", {**SUPPLEMENT, "notice_date": "2026-09-30"}, "notice_date"),
    (R, "assess_fee", "clerk", {"method": "per_page"}, "pages"),
    (R, "assess_fee", "clerk", {"method": "per_application", "pages": 40}, "pages"),
    (R, "assess_fee", "clerk", {"method": "per_volume", "pages": 40}, "method"),
    (R, "withdraw", "clerk", {"reason": "x", "withdrawn_on": "2026-09-27"}, "withdrawn_on"),
    (SR, "receive_supplement", "clerk", {"received_on": "2026-10-01"}, "received_on"),
    (CO, "receive_opinion", "clerk", {"opinion": "maybe"}, "opinion"),
    (FP, "record_payment", "clerk", {"paid_on": "2026-12-01"}, "paid_on"),
    (RD, "issue_reply", "clerk", {"issued_on": "2026-09-27"}, "issued_on"),
    (AN, "record_delivery", "clerk", {**DELIVERY, "delivered_on": "2026-09-29"}, "delivered_on"),
    (AN, "record_delivery", "clerk", {"method": "pigeon", "proof": "x"}, "method"),
    (AN, "record_review", "clerk", {"body": "某市人民政府", "filed_on": "2026-09-29"}, "filed_on"),
    (
        AN,
        "conclude_remedy",
        "clerk",
        {"record_id": 999, "result": "maintained", "concluded_on": "2026-10-01"},
        "record_id",
    ),
    (R, "reassign", "supervisor", {"handler": "nobody"}, "handler"),
]


def test_facts_errors_name_the_field(world: World) -> None:
    flows: dict[str, Flow] = {}
    for state, action, actor, facts, field in FACTS_ERRORS:
        fl = flows.get(state) or flows.setdefault(state, reach(world, state))
        err = fl.refused(FactsError, action, facts, actor=actor)
        assert field in [f for f, _ in err.errors], (action, facts, err.errors)
        assert field in err.message
    assert verify_all(world.session) == (len(flows), None)


def test_future_dates_name_their_field(world: World) -> None:
    fl = reach(world, AN)  # answered on 2026-09-30
    err = fl.refused(
        FactsError, "record_delivery", {**DELIVERY, "delivered_on": "2026-10-02"}, at=on(D(2026, 10, 1))
    )
    assert err.errors[0][0] == "delivered_on" and "晚于今天" in err.errors[0][1]
    fl = Flow(world)
    err = fl.refused(
        FactsError,
        "extend",
        {**EXTEND, "decided_on": "2026-09-30"},
        actor="supervisor",
        at=on(D(2026, 9, 29)),
    )
    assert err.errors[0][0] == "decided_on"


# --- Evidence --------------------------------------------------------------------------------------


def test_each_action_appends_one_chained_event(world: World) -> None:
    fl = Flow(world)
    fl.act("mark_complex", {"reason": "涉及多个部门"}, actor="reviewer")
    fl.act(
        "record_joint_opinion",
        {"participants": "业务处室、法制机构", "opinion": "部分公开"},
        actor="reviewer",
    )
    fl.act("start_consultation", CONSULT)
    fl.act("receive_opinion", {"opinion": "partial", "opinion_text": "第三页涉及商业秘密"})
    fl.act("draft_reply", {**PARTIAL_THIRD_PARTY, "reasons": "第三页涉及商业秘密", "provided": "其余部分"})
    fl.act("return_reply", {"comments": "请写明不予公开部分的依据"}, actor="reviewer")
    fl.act(
        "draft_reply",
        {**PARTIAL_THIRD_PARTY, "reasons": "第三页涉及商业秘密，依第十五条", "provided": "其余"},
    )
    fl.act("approve_reply", {"comments": "同意"}, actor="reviewer")
    fl.act("confidentiality_review", AGREE, actor="reviewer")
    fl.act("issue_reply", {})
    fl.act("record_delivery", DELIVERY)
    fl.act("archive", actor="supervisor")
    fl.act("add_note", {"text": "归档后补充说明"}, actor="supervisor")
    events = list(
        world.session.exec(
            select(EvidenceEvent).where(col(EvidenceEvent.case_id) == fl.id).order_by(col(EvidenceEvent.seq))
        )
    )
    assert [e.action for e in events] == [
        "register",
        "mark_complex",
        "record_joint_opinion",
        "start_consultation",
        "receive_opinion",
        "draft_reply",
        "return_reply",
        "draft_reply",
        "approve_reply",
        "confidentiality_review",
        "issue_reply",
        "record_delivery",
        "archive",
        "add_note",
    ]
    assert [(e.from_state, e.to_state) for e in events][:1] == [(None, R)]
    assert [e.to_state for e in events][-3:] == [AN, AR, AR]
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash and after.from_state == before.to_state
    issued = json.loads(events[10].payload)
    # Art. 37 and the withheld part's ground (Art. 15, 32, 36(3)), one label per article.
    assert issued["facts"]["outcome"] == "partial" and issued["basis"] == [
        f"《中华人民共和国政府信息公开条例》{article}"
        for article in ("第十五条", "第三十二条", "第三十六条第三项", "第三十七条")
    ]
    assert verify_all(world.session) == (1, None)


# --- Lapses ----------------------------------------------------------------------------------------


def test_lapse_supplement(world: World) -> None:
    fl = reach(world, SR)  # notice 2026-09-29, 15 working days from the day after its receipt
    assert fl.case.supplement_due is None  # not delivered: the period has not started
    err = fl.refused(RuleViolation, "lapse_supplement", at=on(D(2026, 12, 31)))
    assert law.NOT_DELIVERED in err.message and "第三十条" in err.message
    fl.act("record_notice_delivery", _delivery_facts("supplement_notice"))  # received 2026-09-30
    due = fl.case.supplement_due
    assert due == D(2026, 10, 27) == default_calendar().add_working_days(D(2026, 9, 30), 15)
    for moment in (fl.at + DAY, on(due)):
        err = fl.refused(RuleViolation, "lapse_supplement", at=moment)
        assert "2026年10月27日" in err.message and "2026年9月30日" in err.message
    fl.refused(Forbidden, "lapse_supplement", actor="system", at=on(D(2026, 10, 28)))  # the clerk decides
    case = fl.act("lapse_supplement", at=on(D(2026, 10, 28)))
    assert (case.state, case.outcome, case.closed_on) == (CL, "other.no_supplement", D(2026, 10, 28))
    assert json.loads(last_event(world, fl.id).payload)["facts"]["outcome"] == "other.no_supplement"


def test_lapse_fee(world: World) -> None:
    fl = reach(world, FP)  # fee notice 2026-09-29
    assert fl.fee().pay_by is None  # not delivered
    err = fl.refused(RuleViolation, "lapse_fee", at=on(D(2026, 12, 31)))
    assert law.NOT_DELIVERED in err.message
    fl.act("record_notice_delivery", _delivery_facts("fee_notice"))  # received 2026-09-30
    world.session.refresh(fl.fee())
    assert fl.fee().pay_by == D(2026, 11, 3) == default_calendar().add_working_days(D(2026, 9, 30), 20)
    err = fl.refused(RuleViolation, "lapse_fee", at=on(D(2026, 11, 3)))
    assert "2026年11月3日" in err.message
    case = fl.act("lapse_fee", at=on(D(2026, 11, 4)))
    assert (case.state, case.outcome) == (CL, "other.fee_unpaid")
    assert fl.fee().status == "lapsed"


@pytest.mark.parametrize("extended", [False, True])
def test_lapse_consultation(world: World, extended: bool) -> None:
    fl = reach(world, CO, extended=extended)
    letter = fl.at.date()
    row = fl.consultation()
    cal = default_calendar()
    assert row.letter_date == letter and row.window_end is None  # until the letter is delivered
    err = fl.refused(RuleViolation, "lapse_consultation", actor="system", at=on(letter + 90 * DAY))
    assert law.NOT_DELIVERED in err.message
    fl.act("record_notice_delivery", _delivery_facts("consultation_third_party"), days=3)
    received = fl.at.date()
    world.session.refresh(row)
    assert row.window_end == cal.add_working_days(received, 15)
    err = fl.refused(RuleViolation, "lapse_consultation", actor="system", at=on(row.window_end))
    assert f"{row.window_end.year}年{row.window_end.month}月{row.window_end.day}日" in err.message
    case = fl.act("lapse_consultation", actor="system", at=on(row.window_end + 3 * DAY))
    assert case.state == (EX if extended else R)
    assert case.ledger[-1] == {"type": "pause_ended", "date": row.window_end.isoformat()}
    excluded = cal.working_days_between(letter, row.window_end)
    assert excluded == 15 + cal.working_days_between(letter, received)  # the pause runs from the letter
    assert case.reply_due == cal.add_working_days(D(2026, 9, 28), 20 + (20 if extended else 0) + excluded)
    assert not case.paused and fl.consultation().opinion == "none"


# --- After the answer: review and litigation -------------------------------------------------------


@pytest.mark.parametrize("state", [AN, AR])
def test_remedies_after_the_answer(world: World, state: str) -> None:
    fl = reach(world, state)
    fl.act("record_review", _review)
    fl.act("record_litigation", _litigation("direct"), actor="reviewer")
    fl.act("record_litigation", _litigation("after_review"))
    review, direct, after = fl.remedies()
    assert (review.kind, direct.kind, direct.path, after.path) == (
        "review",
        "litigation",
        "direct",
        "after_review",
    )
    assert fl.case.state == state
    conclusion = {"record_id": review.id, "result": "corrected", "concluded_on": fl.at.date().isoformat()}
    fl.act("conclude_remedy", conclusion, actor="reviewer")
    assert fl.remedies()[0].result == "corrected"
    err = fl.refused(RuleViolation, "conclude_remedy", {**conclusion, "result": "maintained"})
    assert "已经登记结果" in err.message
    fl.act(
        "conclude_remedy",
        {"record_id": direct.id, "result": "other", "concluded_on": fl.at.date().isoformat()},
    )
    # A record of another request is not this one's.
    other = reach(world, AN)
    err = other.refused(FactsError, "conclude_remedy", {**conclusion, "record_id": after.id}, at=fl.at + DAY)
    assert [f for f, _ in err.errors] == ["record_id"]
    assert verify_all(world.session) == (2, None)


@pytest.mark.parametrize("action", ["record_review", "record_litigation"])
def test_remedy_on_archived_request_that_was_withdrawn_is_refused(world: World, action: str) -> None:
    """A withdrawn request has no decision of the agency to challenge: a clean refusal, nothing changed."""
    fl = reach(world, WD)
    fl.act("archive")
    facts = _review if action == "record_review" else _litigation("direct")
    fl.refused((IllegalTransition, RuleViolation), action, facts)


@pytest.mark.parametrize("action", ["record_review", "record_litigation"])
def test_remedy_on_a_request_closed_by_a_lapse_is_recorded(world: World, action: str) -> None:
    """Deemed abandoned (视为放弃) is a decision with a remedies clause: review and litigation follow it."""
    fl = reach(world, CL)
    fl.act("archive")
    facts = _review if action == "record_review" else _litigation("direct")
    fl.act(action, facts)
    assert verify_all(world.session) == (1, None)
