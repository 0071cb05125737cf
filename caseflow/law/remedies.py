"""Remedies (DOMAIN.md section 6): administrative review and litigation, their periods, the review
body and the court by the kind of agency, and when review must come first."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from caseflow.law.basis import LITIGATION_LAW, REGULATION, REVIEW_FIRST_IN_FORCE, REVIEW_LAW, Basis
from caseflow.law.outcomes import OUTCOMES_BY_CODE

REVIEW_DAYS = 60
REVIEW_BASIS = Basis(REVIEW_LAW, "第二十条")
REVIEW_FIRST_BASIS = Basis(REVIEW_LAW, "第二十三条第一款第四项")
REVIEW_FIRST_NOTICE_BASIS = Basis(REVIEW_LAW, "第二十三条第二款")
LITIGATION_MONTHS = 6
LITIGATION_BASIS = Basis(LITIGATION_LAW, "第四十六条")
#: After review, the applicant may sue within 15 days of receiving the review decision (Litigation Law
#: Art. 45: 不服复议决定的，可以在收到复议决定书之日起十五日内向人民法院提起诉讼).
LITIGATION_AFTER_REVIEW_DAYS = 15
LITIGATION_AFTER_REVIEW_BASIS = Basis(LITIGATION_LAW, "第四十五条")
#: Where no court is configured, the letter names none: 依法向人民法院提起行政诉讼.
COURT_UNNAMED = "依法向人民法院"


class AgencyKind(StrEnum):
    """What an agency is, for the remedies against it: a people's government or a department."""

    #: A department of a people's government (工作部门), or another agency under one.
    DEPARTMENT = "department"
    #: A local people's government at county level or above (县级以上地方人民政府).
    GOVERNMENT = "government"
    #: A township or town government (乡、镇人民政府): a government, but below county level.
    TOWNSHIP = "township"


AGENCY_KIND_NAMES: dict[AgencyKind, str] = {
    AgencyKind.DEPARTMENT: "人民政府工作部门（或其他行政机关）",
    AgencyKind.GOVERNMENT: "县级以上地方人民政府",
    AgencyKind.TOWNSHIP: "乡、镇人民政府",
}
#: The kinds that are people's governments (人民政府): a department's review body is the nearest.
GOVERNMENT_KINDS: frozenset[AgencyKind] = frozenset({AgencyKind.GOVERNMENT, AgencyKind.TOWNSHIP})
#: Review Law 2023 Art. 24: 县级以上地方各级人民政府管辖对本级人民政府工作部门作出的行政行为不服的、
#: 对下一级人民政府作出的行政行为不服的行政复议案件: a department's review body is its own people's
#: government, a government's the government at the next level up (derived from the agency tree).
REVIEW_BODY_BASIS = Basis(REVIEW_LAW, "第二十四条")
#: Review Law 2023 Art. 27: 对海关、金融、外汇管理等实行垂直领导的行政机关、税务和国家安全机关的
#: 行政行为不服的，向上一级主管部门申请行政复议: set per agency (its review_body setting overrides
#: the derivation).
REVIEW_VERTICAL_BASIS = Basis(REVIEW_LAW, "第二十七条")
#: Litigation Law Art. 14: basic courts try first-instance cases (a department's, a township's);
#: Art. 15(1): intermediate courts try cases against a local government at county level or above.
COURT_LEVELS: dict[AgencyKind, tuple[str, Basis]] = {
    AgencyKind.DEPARTMENT: ("基层人民法院", Basis(LITIGATION_LAW, "第十四条")),
    AgencyKind.GOVERNMENT: ("中级人民法院", Basis(LITIGATION_LAW, "第十五条第一项")),
    AgencyKind.TOWNSHIP: ("基层人民法院", Basis(LITIGATION_LAW, "第十四条")),
}
#: What a review or litigation record challenges. Either may be filed at any time after the
#: request was registered: a failure to reply in time (逾期不答复) is challenged while the request is
#: still open (Regulation Art. 51: 认为行政机关在政府信息公开工作中侵犯其合法权益的，
#: 可以依法申请行政复议或者提起行政诉讼).
REMEDY_SUBJECTS: dict[str, str] = {"decision": "答复或告知", "no_reply": "逾期不答复"}
REMEDY_ANY_TIME_BASIS = Basis(REGULATION, "第五十一条")


def review_required_first(outcome_code: str, issue_date: dt.date) -> bool:
    """A refusal to disclose issued since 2024-01-01 must go to review before litigation."""
    return OUTCOMES_BY_CODE[outcome_code].refuses_disclosure and issue_date >= REVIEW_FIRST_IN_FORCE
