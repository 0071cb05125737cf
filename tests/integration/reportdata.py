"""Three years of requests (2023-2025) with known outcomes and applicant types, built through the real
service (registration, drafts, reviews, issued replies, withdrawals, a lapse, review and litigation),
for the report tests. The expected tables are written out by hand in the tests, not computed here.

    code agency    applicant        received    fate
    A1   city      natural_person   2023-03-06  disclosed.provided 2023-03-20
    A2   city      commercial       2023-12-18  withheld.third_party 2024-01-10 (review filed 2024-02-01,
                                                corrected 2025-02-10)
    A3   dept      research         2023-06-05  unable.not_held 2023-06-19
    B1   city      natural_person   2024-02-05  partial 2024-02-26 (litigation after review filed
                                                2024-04-01, other result 2024-09-01)
    B2   city      natural_person   2024-04-01  withdrawn 2024-04-03 (other.other)
    B3   city      legal_services   2024-05-06  supplement asked 2024-05-08, lapsed 2024-05-20
                                                (other.no_supplement)
    B4   district  public_interest  2024-11-25  disclosed.public 2025-01-06 (late)
    B5   dept      other_org        2024-07-01  rejected.duplicate 2024-07-08
    B6   city      commercial       2024-12-30  still open (never answered)
    C1   city      natural_person   2025-03-03  disclosed.provided 2025-03-10 (review filed 2025-04-01,
                                                maintained 2025-06-01)
    C2   city      research         2025-05-06  withheld.state_secret 2025-05-20
    C3   dept      natural_person   2025-08-04  unable.needs_creation 2025-08-18 (litigation, direct,
                                                filed 2025-09-01, pending)
    C4   city      commercial       2025-12-22  disclosed.provided 2026-01-05
    C5   city      natural_person   2025-09-01  withdrawn 2025-09-02 (other.other)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select

from caseflow import law
from caseflow.dates import SHANGHAI
from caseflow.models import Agency, Case, RemedyRecord
from tests.integration.conftest import World

CLERKS = {"city": "clerk", "dept": "dept_clerk", "district": "district_clerk"}
REVIEWERS = {"city": "reviewer", "dept": "dept_reviewer"}
THIRD_PARTY = {"party_kind": "third_party", "party_name": "某建设工程有限公司", "matters": "投标报价"}


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, 0), SHANGHAI)


class Builder:
    def __init__(self, world: World) -> None:
        self.world = world
        self.cases: dict[str, Case] = {}
        self.agency: dict[str, str] = {}

    def register(self, code: str, agency: str, kind: str, received: str, **changes: Any) -> Case:
        name = {"natural_person": "王小明"}.get(kind, f"某{kind}单位")
        case = self.world.new_case(
            agency=agency,
            actor=CLERKS[agency],
            at=at(received, 9),
            applicant_type=kind,
            applicant_name=name,
            id_type=changes.pop("id_type", "其他"),  # a made-up number: a document without a check digit
            id_number=changes.pop("id_number", f"ID-{code}"),
            **changes,
        )
        self.cases[code] = case
        self.agency[code] = agency
        return case

    def act(self, code: str, action: str, facts: dict[str, Any], day: str, actor: str | None = None) -> Case:
        actor = actor or CLERKS[self.agency[code]]
        updated = self.world.act(self.cases[code], action, facts, actor=actor, at=at(day))
        self.cases[code] = updated
        return updated

    def answer(self, code: str, outcome: str, day: str, **facts: Any) -> Case:
        """Draft (reviewed where the law requires it) and issue the reply on ``day``."""
        draft = {"outcome": outcome, **facts}
        if outcome.startswith(("withheld", "unable", "rejected")) or outcome == "partial":
            draft.setdefault("reasons", "经审查，依法作出本答复。")
        if outcome == "disclosed.public":
            draft.setdefault("where_to_obtain", "某市人民政府门户网站")
        if outcome == "unable.not_held":
            draft.setdefault("search_description", "在本机关公文系统和档案室中按名称检索")
        if outcome == "withheld.query_matter":
            draft.setdefault("query_law", "《不动产登记暂行条例》")
            draft.setdefault("query_where", "向不动产登记机构申请查询")
        case = self.act(code, "draft_reply", draft, day)
        if case.state == "legal-review":
            case = self.act(code, "approve_reply", {}, day, actor=REVIEWERS[self.agency[code]])
        if law.outcome(outcome).group in law.DISCLOSURE_REVIEW_GROUPS:  # 保密审查 (Art. 17)
            # The district has no reviewer: its office lets the handler confirm published information.
            reviewer = REVIEWERS.get(self.agency[code], CLERKS[self.agency[code]])
            self.act(code, "confidentiality_review", {"conclusion": "agree"}, day, actor=reviewer)
        case = self.act(code, "issue_reply", {"issued_on": day}, day)
        assert case.state == "answered" and case.outcome == outcome, (code, case.state, case.outcome)
        return case

    def remedy(self, code: str) -> RemedyRecord:
        self.world.session.expire_all()
        return self.world.session.exec(
            select(RemedyRecord)
            .where(col(RemedyRecord.case_id) == self.cases[code].id)
            .order_by(col(RemedyRecord.id).desc())
        ).first() or _missing(code)


def _missing(code: str) -> RemedyRecord:
    raise AssertionError(f"no remedy record on {code}")


def _handler_confirms_published(world: World, code: str) -> None:
    """The office lets the handler's confirmation stand for the review of published information."""
    agency = world.session.exec(select(Agency).where(col(Agency.code) == code)).one()
    agency.handler_confirms_published = True
    world.session.add(agency)
    world.session.commit()


def build(world: World) -> Builder:
    b = Builder(world)
    # 2023
    b.register("A1", "city", "natural_person", "2023-03-06")
    b.answer("A1", "disclosed.provided", "2023-03-20", provided="电子文本")
    b.register("A2", "city", "commercial", "2023-12-18")
    b.register("A3", "dept", "research", "2023-06-05")
    b.answer("A3", "unable.not_held", "2023-06-19")
    # Art. 32: the third party consulted in writing, its objection and reasons recorded.
    b.act("A2", "start_consultation", THIRD_PARTY, "2023-12-20")
    b.act("A2", "receive_opinion", {"opinion": "object", "opinion_text": "涉及本公司商业秘密"}, "2023-12-28")
    b.answer("A2", "withheld.third_party", "2024-01-10")
    b.act("A2", "record_review", {"body": "某市人民政府", "filed_on": "2024-02-01"}, "2024-02-01")
    # 2024
    b.register("B1", "city", "natural_person", "2024-02-05")
    b.answer("B1", "partial", "2024-02-26", withheld_grounds=["withheld.internal_affairs"])
    b.act(
        "B1",
        "record_litigation",
        {"court": "某市中级人民法院", "path": "after_review", "filed_on": "2024-04-01"},
        "2024-04-01",
    )
    record = b.remedy("B1")
    b.act(
        "B1",
        "conclude_remedy",
        {"record_id": record.id, "result": "other", "concluded_on": "2024-09-01"},
        "2024-09-02",
    )
    b.register("B2", "city", "natural_person", "2024-04-01")
    b.act("B2", "withdraw", {"reason": "申请人自行撤回", "withdrawn_on": "2024-04-03"}, "2024-04-03")
    b.register("B3", "city", "legal_services", "2024-05-06")
    b.act("B3", "request_supplement", {"items": ["所需信息的名称"], "period_days": 5}, "2024-05-08")
    b.act(
        "B3",
        "record_notice_delivery",
        {"document": "supplement_notice", "method": "post", "proof": "EMS 签收", "received_on": "2024-05-09"},
        "2024-05-09",
    )
    b.act("B3", "lapse_supplement", {}, "2024-05-20")  # the period ran out on 2024-05-16
    b.register("B4", "district", "public_interest", "2024-11-25")
    _handler_confirms_published(world, "district")
    # The same ID number as A3's applicant: a duplicate of A3, answered in 2023 (Art. 36(6)).
    b.register("B5", "dept", "other_org", "2024-07-01", id_number="ID-A3")
    b.answer("B5", "rejected.duplicate", "2024-07-08", earlier_tracking_no=b.cases["A3"].tracking_no)
    b.register("B6", "city", "commercial", "2024-12-30")
    # 2025
    b.answer("B4", "disclosed.public", "2025-01-06")
    record = b.remedy("A2")
    b.act(
        "A2",
        "conclude_remedy",
        {"record_id": record.id, "result": "corrected", "concluded_on": "2025-02-10"},
        "2025-02-10",
    )
    b.register("C1", "city", "natural_person", "2025-03-03")
    b.answer("C1", "disclosed.provided", "2025-03-10")
    b.act("C1", "record_review", {"body": "某市人民政府", "filed_on": "2025-04-01"}, "2025-04-01")
    record = b.remedy("C1")
    b.act(
        "C1",
        "conclude_remedy",
        {"record_id": record.id, "result": "maintained", "concluded_on": "2025-06-01"},
        "2025-06-02",
    )
    b.register("C2", "city", "research", "2025-05-06")
    b.answer("C2", "withheld.state_secret", "2025-05-20")
    b.register("C3", "dept", "natural_person", "2025-08-04")
    b.answer("C3", "unable.needs_creation", "2025-08-18")
    b.act(
        "C3",
        "record_litigation",
        {"court": "某市中级人民法院", "path": "direct", "filed_on": "2025-09-01"},
        "2025-09-01",
    )
    b.register("C5", "city", "natural_person", "2025-09-01")
    b.act("C5", "withdraw", {"reason": "申请人自行撤回", "withdrawn_on": "2025-09-02"}, "2025-09-02")
    b.register("C4", "city", "commercial", "2025-12-22")
    b.answer("C4", "disclosed.provided", "2026-01-05")
    return b
