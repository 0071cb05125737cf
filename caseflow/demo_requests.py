"""The demo's requests, one at a time: an application drawn at random and its path through the
actions to the state or outcome it is to show, with the facts each action carries, through the
same service functions as real work (``Builder``, used by ``caseflow.demo_data``)."""

from __future__ import annotations

import datetime as dt
import random

from sqlmodel import Session, col, func, select

from caseflow import demo_portal, law, service
from caseflow.calendar import WorkingCalendar
from caseflow.dates import SHANGHAI
from caseflow.demo import credit_code, resident_id
from caseflow.models import Applicant, Case

NAMES = (
    "王建国",
    "李秀英",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "黄磊",
    "赵敏",
    "吴昊",
    "周婷",
    "𠀾小龙",
    "欧阳娜娜",
)
ORGS = {
    law.ApplicantType.COMMERCIAL: ("某某建设工程有限公司", "某某科技股份有限公司"),
    law.ApplicantType.RESEARCH: ("某大学公共管理学院", "某市社会科学院"),
    law.ApplicantType.PUBLIC_INTEREST: ("某市环保志愿者协会",),
    law.ApplicantType.LEGAL_SERVICES: ("某某律师事务所",),
    law.ApplicantType.OTHER_ORG: ("某小区业主委员会",),
}
SUBJECTS = (
    "2025年度本市道路维修工程的预算及决算",
    "某地块国有土地使用权出让合同",
    "某项目环境影响评价报告书及批复",
    "本区老旧小区改造项目的资金使用情况",
    "某河道整治工程的招标文件",
    "本市2024年财政专项资金分配结果",
    "某化工企业排污许可证及监测数据",
    "征收补偿安置方案及听证记录",
    "本局2025年行政处罚决定书目录",
    "某学校新建工程的规划许可文件",
)
#: What identifies the applicant (a duplicate repeats the same applicant's earlier request).
APPLICANT_FIELDS = ("applicant_type", "applicant_name", "id_type", "id_number", "phone", "email", "address")


class Builder:
    """Drives requests through the services with a moving clock that never passes ``now``."""

    def __init__(self, session: Session, rng: random.Random, now: dt.datetime, cal: WorkingCalendar) -> None:
        self.session, self.rng, self.now, self.cal = session, rng, now, cal
        self.actors: dict[str, service.Actor] = {}
        #: Requests answered so far: (agency, answered on, applicant facts, tracking number).
        self.answered: list[tuple[str, dt.date, dict[str, object], str]] = []
        #: The online applications made (the first ``received`` request is confirmed from one).
        self.online: list[demo_portal.DemoSubmission] = []

    def actor(self, key: str) -> service.Actor:
        return self.actors[key]

    def moment(self, day: dt.date, hour: int = 10) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(hour, self.rng.randrange(60)), SHANGHAI)
        return min(moment, self.now)

    def application(self, received: dt.date) -> dict[str, object]:
        rng = self.rng
        kind = rng.choices(list(law.ApplicantType), weights=[70, 12, 5, 4, 5, 4])[0]
        person = kind is law.ApplicantType.NATURAL_PERSON
        channel = rng.choices(list(law.Channel), weights=[25, 15, 5, 50, 5])[0]
        arrived = self.moment(received, 9)
        rule = law.RECEIPT_RULES[channel]
        if channel is not law.Channel.IN_PERSON and rng.random() < 0.3:
            earlier = self.moment(received - dt.timedelta(days=rng.randint(1, 3)), 16)
            # An ordinary letter is confirmed on the day it arrives (Art. 31): only the others come earlier.
            if rule.later is not law.LaterReceipt.NEVER:
                arrived = earlier
        late = arrived.date() < received and rule.later is law.LaterReceipt.WITH_REASON
        return {
            "applicant_type": kind.value,
            "applicant_name": rng.choice(NAMES) if person else rng.choice(ORGS[kind]),
            "id_type": "居民身份证" if person else "统一社会信用代码",
            "id_number": resident_id(rng.randrange(10**8)) if person else credit_code(rng.randrange(10**8)),
            "phone": f"138{rng.randrange(10**8):08d}",
            "email": "" if rng.random() < 0.5 else "applicant@example.cn",
            "address": "某市某区某路1号",
            "description": rng.choice(SUBJECTS),
            "provision_form": rng.choice(list(law.ProvisionForm)).value,
            "channel": channel.value,
            "arrived_at": arrived.isoformat(),
            "confirmed_on": None if channel is law.Channel.IN_PERSON else received.isoformat(),
            "receipt_proof": ""
            if channel is law.Channel.IN_PERSON
            else f"确认记录{rng.randrange(10**6):06d}",
            "late_confirmation_reason": "申请到达时为非工作时间，于恢复办公后与申请人确认" if late else "",
        }

    def build(self, kind: str, agency_code: str, received: dt.date) -> Case:
        application = self.application(received)
        repeats: dict[str, object] = {}
        if kind == "rejected.duplicate":  # Art. 36(6): the same applicant's earlier request, answered
            agency_code, received, application, repeats = self._repeat(agency_code, received, application)
        clerk = self.actor(f"clerk@{agency_code}")
        if kind == "received" and not self.online:  # applied online, confirmed by the clerk (issue 18)
            case, made = demo_portal.confirmed(
                self.session, clerk, application, agency_code, self.moment(received, 9), self.now
            )
            self.online.append(made)
            return case
        case = service.register(
            session=self.session,
            actor=clerk,
            agency_code=agency_code,
            application=_as_correction(kind, _copies_for_fee(kind, application)),
            now=self.moment(received),
        )
        assert case.id is not None
        case_id = case.id
        day = received
        last = case.created_at  # moments never go back along a chain (``caseflow verify`` checks)

        def act(actor: str, action: str, facts: dict[str, object] | None = None, after: int = 1) -> Case:
            nonlocal day, last
            day = self.cal.add_working_days(day, after) if after else day
            # Each agency's own staff; an approval is its own supervisor's (Art. 33 para. 2).
            who = self.actor(
                f"{actor}@{agency_code}" if actor in ("clerk", "reviewer", "supervisor") else actor
            )
            last = max(self.moment(day, 15), last)
            return service.perform(
                session=self.session,
                case_id=case_id,
                actor=who,
                action=action,
                facts=facts,
                now=last,
            )

        rng = self.rng
        if kind == "received":
            return case
        if kind == "supplement-required" or (kind in ("unable.still_unclear", "other.no_supplement")):
            act(
                "clerk",
                "request_supplement",
                {"items": ["请明确所需信息的名称或文号", "请说明所需信息的时间范围"]},
            )
            if kind in ("supplement-required", "other.no_supplement"):
                # The applicant signs for the notice the next working day: the period runs from then.
                received_on = self.cal.add_working_days(day, 1)
                act("clerk", "record_notice_delivery", _delivered("supplement_notice", received_on))
            if kind == "supplement-required":
                return self._refetch(case_id)
            if kind == "other.no_supplement":
                # The sweep proposes the lapse after the period; the clerk confirms it (Art. 30).
                day = self.cal.add_working_days(day, 16)
                service.perform(
                    session=self.session,
                    case_id=case_id,
                    actor=service.SYSTEM_ACTOR,
                    action="propose_lapse",
                    facts={"kind": "supplement"},
                    now=self.moment(day, 1),
                )
                return act("clerk", "lapse_supplement", after=0)
            act("clerk", "receive_supplement", {"summary": "申请人补充了信息名称"}, after=rng.randint(2, 8))
        if kind == "consultation" or kind == "withheld.third_party" or rng.random() < 0.08:
            act(
                "clerk",
                "start_consultation",
                {
                    "party_kind": "third_party",
                    "party_name": "某某建设工程有限公司",
                    "matters": "申请公开的合同可能涉及商业秘密",
                },
            )
            if kind == "consultation":
                return self._refetch(case_id)
            # Only a withholding follows an objection here: disclosing over it needs the Art. 32
            # decision notice and its wait (caseflow.cases.consultations).
            opinion: dict[str, object] = (
                {"opinion": "object", "opinion_text": "涉及商业秘密，不同意公开"}
                if kind == "withheld.third_party"
                else {"opinion": "consent", "opinion_text": "同意公开"}
            )
            act("clerk", "receive_opinion", opinion, after=rng.randint(3, 12))
        if kind in ("fee-pending", "other.fee_unpaid") or (
            kind.startswith("disclosed") and rng.random() < 0.1 and _per_page_allowed(kind, case)
        ):
            act("clerk", "assess_fee", {"method": "per_page", "pages": rng.choice([80, 150, 260])})
            if kind in ("fee-pending", "other.fee_unpaid"):
                received_on = self.cal.add_working_days(day, 1)
                act("clerk", "record_notice_delivery", _delivered("fee_notice", received_on))
            if kind == "fee-pending":
                return self._refetch(case_id)
            if kind == "other.fee_unpaid":
                # Proposed by the sweep after the period, confirmed by the clerk (Fee Measures).
                day = self.cal.add_working_days(day, 21)
                service.perform(
                    session=self.session,
                    case_id=case_id,
                    actor=service.SYSTEM_ACTOR,
                    action="propose_lapse",
                    facts={"kind": "fee"},
                    now=self.moment(day, 1),
                )
                return act("clerk", "lapse_fee", after=0)
            act("clerk", "record_payment", {"payment_ref": "缴款书" + str(rng.randrange(10**6))}, after=3)
        if kind == "extended" or rng.random() < 0.1:
            act(
                "supervisor",
                "extend",
                {"reason": "申请内容涉及多个部门，需要会商", "days": rng.choice([None, 10])},
            )
            if kind == "extended":
                return self._refetch(case_id)
        if kind == "other.other":
            return act("clerk", "withdraw", {"reason": "申请人书面申请撤回"}, after=rng.randint(1, 5))
        outcome = (
            kind
            if kind in law.OUTCOMES_BY_CODE
            else ("withheld.process_info" if kind == "legal-review" else "disclosed.provided")
        )
        spec = law.outcome(outcome)
        if spec.needs_review and rng.random() < 0.3:
            act("reviewer", "mark_complex", {"reason": "涉及多个部门职责"}, after=0)
            act(
                "reviewer",
                "record_joint_opinion",
                {"participants": "业务科室、法制机构、法律顾问", "opinion": "依法审慎答复"},
                after=0,
            )
        if outcome == "rejected.excessive":  # Art. 35: the applicant is asked for reasons first
            act(
                "clerk",
                "request_art35_reasons",
                {"asked": "请说明短期内大量申请公开政府信息的理由及用途", "period_days": 5},
            )
            act(
                "clerk",
                "record_art35_reasons",
                {"answer": "given", "reasons": "个人研究需要，需逐年比对全部项目"},
                after=rng.randint(1, 4),
            )
        provision = _provision(self.session, self._refetch(case_id), outcome)  # Art. 40, 36(2)
        act("clerk", "draft_reply", {**_draft(outcome), **provision, **repeats}, after=rng.randint(3, 10))
        if kind == "legal-review":
            return self._refetch(case_id)
        if spec.needs_review:
            if rng.random() < 0.15:
                act("reviewer", "return_reply", {"comments": "理由需进一步说明"})
                act("clerk", "draft_reply", {**_draft(outcome), **provision, **repeats})
            act("reviewer", "approve_reply", {"comments": "同意"})
        if kind == "ready-to-issue":
            return self._refetch(case_id)  # a disclosing draft awaits its review (Art. 17)
        if spec.group in law.DISCLOSURE_REVIEW_GROUPS:  # 保密审查 before disclosure (Art. 17)
            act(
                "reviewer",
                "confidentiality_review",
                {"conclusion": "agree", "comments": "经审查，可以公开"},
                after=0,
            )
        issued = act("clerk", "issue_reply", {})
        assert issued.answered_on is not None
        applicant = {k: v for k, v in application.items() if k in APPLICANT_FIELDS}
        if spec.kind is not law.RequestKind.CORRECTION:
            self.answered.append((agency_code, issued.answered_on, applicant, issued.tracking_no))
        result = act("clerk", "record_delivery", {"method": "email", "proof": "电子邮件送达回执"})
        if spec.refuses_disclosure and rng.random() < 0.4:
            record = act(
                "clerk", "record_review", {"body": "某市人民政府", "filed_on": day.isoformat()}, after=20
            )
            if rng.random() < 0.6:
                record_id = self._last_record(case_id)
                act(
                    "clerk",
                    "conclude_remedy",
                    {
                        "record_id": record_id,
                        "result": rng.choice(["maintained", "maintained", "corrected", "other"]),
                        "concluded_on": day.isoformat(),
                    },
                    after=30,
                )
            result = record
        if rng.random() < 0.5:
            result = act("clerk", "archive", {}, after=5)
        return result

    def _repeat(
        self, agency_code: str, received: dt.date, application: dict[str, object]
    ) -> tuple[str, dt.date, dict[str, object], dict[str, object]]:
        """A duplicate (Art. 36(6)) repeats an answered request of the same applicant to the same
        agency: one answered before ``received`` (else the first answered, received after it)."""
        assert self.answered, "a duplicate needs an answered request to repeat"
        before = [a for a in self.answered if a[1] < received]
        agency, answered_on, applicant, tracking_no = self.rng.choice(before) if before else self.answered[0]
        if not before:
            received = self.cal.add_working_days(answered_on, 5)
            application = self.application(received)
        return agency, received, {**application, **applicant}, {"earlier_tracking_no": tracking_no}

    def _refetch(self, case_id: int) -> Case:
        case = self.session.get(Case, case_id)
        assert case is not None
        return case

    def _last_record(self, case_id: int) -> int:
        from caseflow.models import RemedyRecord

        record_id = self.session.exec(
            select(func.max(RemedyRecord.id)).where(col(RemedyRecord.case_id) == case_id)
        ).one()
        assert record_id is not None
        return int(record_id)


#: The kinds that always get a per-page fee notice.
FEE_KINDS = ("fee-pending", "other.fee_unpaid")


def _delivered(document: str, received_on: dt.date) -> dict[str, object]:
    """The notice signed for by its recipient (by post) on ``received_on``."""
    return {
        "document": document,
        "method": "post",
        "proof": "EMS挂号信，收件人本人签收",
        "received_on": received_on.isoformat(),
    }


def _copies_for_fee(kind: str, application: dict[str, object]) -> dict[str, object]:
    """A request charged per page asks for copies (Fee Measures Art. 5): not inspection on the spot."""
    form = law.ProvisionForm(str(application["provision_form"]))
    if kind in FEE_KINDS and form not in law.FEE_PER_PAGE_FORMS:
        return {**application, "provision_form": law.ProvisionForm.PAPER.value}
    return application


def _as_correction(kind: str, application: dict[str, object]) -> dict[str, object]:
    """A request decided by a correction outcome is a correction request (Art. 41)."""
    if not kind.startswith(f"{law.CORRECTION_GROUP}."):
        return application
    return {
        **application,
        "kind": law.RequestKind.CORRECTION.value,
        "description": "本机关出具的登记信息中申请人的姓名和身份证件号码记载有误，请求予以更正",
    }


def _per_page_allowed(kind: str, case: Case) -> bool:
    """A per-page fee only where the reply supplies copies (Fee Measures Art. 5)."""
    form = law.ProvisionForm(case.provision_form)
    return kind in law.FEE_PER_PAGE_OUTCOMES and form in law.FEE_PER_PAGE_FORMS


def _draft(outcome: str) -> dict[str, object]:
    spec = law.outcome(outcome)
    facts: dict[str, object] = {"outcome": outcome}
    if spec.refuses_disclosure or spec.group in ("unable", "rejected"):
        facts["reasons"] = f"经审查，申请公开的信息{spec.name}，依据{spec.basis_label}作出本答复。"
    if outcome in ("disclosed.public", "rejected.publication"):
        facts["where_to_obtain"] = "某市人民政府门户网站“政府信息公开”专栏"
    if outcome == "unable.not_held":
        facts["search_description"] = "在本机关公文系统、档案室和公开目录中按申请所述名称和文号检索"
    if outcome == "unable.not_ours":
        facts["responsible_agency"] = "某市财政局"
        facts["responsible_contact"] = "某市人民路1号，电话0000-12345678"
    if outcome == "withheld.query_matter":
        facts["query_law"] = "《不动产登记暂行条例》"
        facts["query_where"] = "持身份证明向某市不动产登记中心申请查询"
    if spec.group in ("disclosed", "partial"):
        facts["provided"] = "所申请的政府信息"
    if outcome == "partial":  # Art. 37: the ground of the withheld part
        facts["withheld_grounds"] = ["withheld.internal_affairs"]
    if spec.kind is law.RequestKind.CORRECTION:  # Art. 41: what was corrected, or why not
        facts["reasons"] = f"经核对原始登记材料，{spec.name}"
        if outcome in ("correction.referred", "correction.elsewhere"):
            facts["responsible_agency"] = "某市不动产登记中心"
    return facts


def _provision(session: Session, case: Case, outcome: str) -> dict[str, object]:
    """How a reply that provides information provides it (Art. 40, 36(2)): the form asked for, with
    the place and time at the office; by post where e-mail was asked for without an e-mail address."""
    if outcome not in law.PROVISION_OUTCOMES:
        return {}
    form = law.ProvisionForm(case.provision_form)
    applicant = session.get(Applicant, case.applicant_id)
    if form is law.ProvisionForm.EMAIL and applicant is not None and not applicant.email:
        return {"provided_form": law.ProvisionForm.POST.value, "provided_form_reason": "申请人未提供电子邮箱"}
    if form in law.PROVISION_FORMS_AT_OFFICE:
        return {
            "provision_place": "本机关政府信息公开受理室（某市人民路1号）",
            "provision_time": "收到本答复书之日起15个工作日内的工作时间",
        }
    return {}
