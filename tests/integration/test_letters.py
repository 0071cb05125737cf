"""Letters (文书, DOMAIN.md section 6, issue 4) on SQLite and PostgreSQL, rendered as HTML.

- one letter per document type and per outcome, issued by the real transitions, each checked for its
  title, its 文号, its article(s), the applicant, the receipt date, what was asked, the agency, the
  date, its remedies clause (or its absence) and the parts the law requires of it;
- numbering per agency, per year, per series, without gaps (refusals use no number) and under
  concurrent issuing;
- the issuing evidence event, markup shown as text, the preview, immutability after a template
  edit, ``caseflow letters`` and byte-for-byte snapshots of three representative letters.

PDF rendering is off for the session (tests/conftest.py); the PDF is tested in test_letter_pdf.py.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

import caseflow.db
from caseflow import fees, law, service
from caseflow.calendar import default_calendar, reset_default_calendar
from caseflow.cases.actions.fees import HOW_TO_PAY
from caseflow.cli import app
from caseflow.dates import SHANGHAI, zh
from caseflow.errors import FactsError, RuleViolation
from caseflow.evidence.store import DocumentStore
from caseflow.models import (
    Agency,
    Case,
    Consultation,
    Counter,
    Document,
    EvidenceEvent,
    FeeAssessment,
    Letter,
)
from caseflow.replies import render
from caseflow.replies.issue import compose, issued_files, issued_letters, preview
from caseflow.settings import get_settings
from tests.integration.conftest import T0, World, snapshot

D = dt.date
DAY = dt.timedelta(days=1)

CITY = "某市人民政府办公室"
PREFIX = "某政办公开"
REVIEW_BODY = "某市人民政府"
COURT = "某市中级人民法院"
APPLICANT = "𠀾王小明"  # the fixture's applicant (with a character outside GB 2312)
ASKED = "2025年本市道路维修工程的预算"
RECEIVED = "2026年9月28日"
RECEIVED_ON = D(2026, 9, 28)
ACTED_ON = D(2026, 9, 29)  # World.act's default moment: T0 + 1 day
REPLY_DUE = D(2026, 10, 30)  # 20 working days after 2026-09-28 (National Day week excluded)

SUPPLEMENT = {"items": ["申请人身份证明复印件", "所需信息的具体名称或文号"]}
CONSULT = {"party_kind": "third_party", "party_name": "某建设工程有限公司", "matters": "预算表中的商业信息"}
CONSULT_AGENCY = {"party_kind": "co_producer", "party_name": "某市财政局", "matters": "共同制作的预算文件"}
CONSULT_OTHER_AGENCY = {"party_kind": "agency", "party_name": "某市统计局", "matters": "统计口径"}
FEE_50_PAGES = {"method": "per_page", "pages": 50}
EXTEND = {"reason": "需要检索多年档案，正常期限内难以答复"}
ART35 = {"due": "2026-12-31", "reason": "申请数量明显超过合理范围"}
ART35_ASK = {"asked": "请说明在一个月内申请公开300余项信息的理由", "period_days": 5}
ART35_REASONS = {"answer": "given", "reasons": "从事地方财政研究，需要逐年比对"}
PROVIDED = {"outcome": "disclosed.provided", "provided": "2025年道路维修工程预算表（电子版）"}
WITHHELD = {"outcome": "withheld.process_info", "reasons": "属于讨论记录，不予公开"}
WITHDRAW = {"reason": "申请人书面撤回申请"}

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"

# Markup in free text: must be shown as text, never interpreted (HTML nor Jinja).
MARKUP = "<script>alert(1)</script>甲{{ 7*7 }}乙"
MARKUP_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;甲{{ 7*7 }}乙"
MARKUP_EVALUATED = "甲49乙"


def on(day: dt.date) -> dt.datetime:
    """9:30 in Shanghai on ``day``."""
    return dt.datetime.combine(day, dt.time(9, 30), tzinfo=SHANGHAI)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    """What a reader sees: the body text without tags (entities decoded), white space removed."""
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", "", "".join(parser.parts))


def signature_of(html: str) -> str:
    found = re.search(r'<div class="signature">(.*?)</div>', html, re.S)
    assert found, "the letter has no signature block"
    return text_of(found.group(1))


def html_of(letter: Letter) -> str:
    return issued_files(letter)["html"].decode("utf-8")


def letters_of(world: World, case: Case) -> list[Letter]:
    assert case.id is not None
    world.session.expire_all()
    return issued_letters(world.session, case.id)


def the_letter(world: World, case: Case, doc_type: str) -> Letter:
    found = [x for x in letters_of(world, case) if x.doc_type == doc_type]
    assert len(found) == 1, [(x.doc_type, x.letter_no) for x in letters_of(world, case)]
    return found[0]


def count(world: World, model: Any) -> int:
    return int(world.session.exec(select(func.count()).select_from(model)).one())


def counters(world: World) -> dict[tuple[str, str], int]:
    world.session.expire_all()
    return {(c.scope, c.key): c.value for c in world.session.exec(select(Counter))}


def set_agency(world: World, code: str, **values: str) -> None:
    agency = world.session.exec(select(Agency).where(col(Agency.code) == code)).one()
    for name, value in values.items():
        setattr(agency, name, value)
    world.session.add(agency)
    world.session.commit()


# --- What every letter carries -------------------------------------------------------------------


def check_common(
    html: str,
    letter: Letter,
    *,
    title: str,
    number: str,
    date: dt.date,
    applicant: bool = True,
    agency: str = CITY,
) -> str:
    """Title, 文号, applicant, receipt date, what was asked, the agency and the date; returns the text."""
    text = text_of(html)
    assert f"<h1>{title}</h1>" in html and letter.title == title
    assert letter.letter_no == number and number in text
    if applicant:
        assert APPLICANT in text
    assert RECEIVED in text, "the date the application was received"
    assert ASKED in text, "what was asked"
    signature = signature_of(html)
    assert agency in signature and zh(date) in signature, signature
    assert letter.issued_on == date
    return text


def check_remedies(text: str, kind: str, *, agency: str = CITY, court: str = COURT) -> None:
    """``kind``: "litigation" (review or litigation), "review_first" (review before litigation), "none"."""
    without_agency = text.replace(agency, "")  # the review body 某市人民政府 is a prefix of the agency's name
    if kind == "none":
        for word in (
            "行政复议",
            "行政诉讼",
            f"{law.REVIEW_DAYS}日",
            court,
            law.REVIEW_LAW,
            law.LITIGATION_LAW,
        ):
            assert word not in text, f"no remedies clause expected, found {word}"
        return
    assert f"{law.REVIEW_DAYS}日" in text and "申请行政复议" in text and law.REVIEW_BASIS.label in text
    assert REVIEW_BODY in without_agency, "the review body"
    if kind == "review_first":
        assert law.REVIEW_FIRST_BASIS.label in text, "must say review comes first (Review Law Art. 23)"
        assert "先申请行政复议" in text
        assert f"{law.LITIGATION_MONTHS}个月" not in text, "must not offer direct litigation"
        assert court not in text and law.LITIGATION_BASIS.label not in text
    else:
        assert kind == "litigation"
        assert f"{law.LITIGATION_MONTHS}个月" in text and court in text and "提起行政诉讼" in text
        assert law.LITIGATION_BASIS.label in text
        assert law.REVIEW_FIRST_BASIS.label not in text


def remedies_kind(outcome: law.Outcome, issued_on: dt.date) -> str:
    if not outcome.remedies:
        return "none"
    return "review_first" if law.review_required_first(outcome.code, issued_on) else "litigation"


# --- One letter per outcome ----------------------------------------------------------------------

WHERE = "某市人民政府门户网站“政府信息公开”专栏"
WHAT = "2025年道路维修工程预算表（电子版）"
RESPONSIBLE = "某市交通运输局"
RESPONSIBLE_CONTACT = "某市人民路1号，电话0000-12345678"
SEARCHED = "在本机关公文系统和档案室中按申请所述名称检索"
QUERY_LAW = "《不动产登记暂行条例》"
QUERY_WHERE = "持身份证明向某市不动产登记中心申请查询"


def reasons_for(code: str) -> str:
    return f"经审查（{code}），该申请所涉事项如上所述"


def reply_facts(code: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"outcome": code, "reasons": reasons_for(code)}
    if code in ("disclosed.public", "rejected.publication"):
        facts["where_to_obtain"] = WHERE
    if code in ("disclosed.provided", "partial"):
        facts["provided"] = WHAT
    if code == "unable.not_held":
        facts["search_description"] = SEARCHED
    if code == "unable.not_ours":
        facts["responsible_agency"] = RESPONSIBLE
        facts["responsible_contact"] = RESPONSIBLE_CONTACT
    if code == "withheld.query_matter":
        facts["query_law"] = QUERY_LAW
        facts["query_where"] = QUERY_WHERE
    if code == "partial":  # Art. 37: the ground(s) of the withheld part
        facts["withheld_grounds"] = list(PARTIAL_GROUNDS)
    if code in ("correction.referred", "correction.elsewhere"):  # Art. 41: the competent agency
        facts["responsible_agency"] = RESPONSIBLE
    return facts


#: The review before disclosure (保密审查, Art. 17) of a disclosing draft.
REVIEWED = {"conclusion": "agree", "comments": "经审查，可以公开"}
#: A partial reply's grounds (their articles are cited with Art. 37).
PARTIAL_GROUNDS = ("withheld.process_info", "withheld.state_secret")
#: The third party's objection and reasons (Art. 32), recorded before withheld.third_party.
OBJECTION = {"opinion": "object", "opinion_text": "预算表中的报价明细属于本公司商业秘密"}


def answered_earlier(world: World) -> tuple[Case, Letter]:
    """An earlier request of the same applicant to the same agency, answered in 2025 (its reply
    numbered in the 2025 series, so the later letters keep number 1 of 2026)."""
    earlier = world.new_case(at=on(D(2025, 11, 3)))
    earlier = world.act(earlier, "draft_reply", WITHHELD, at=on(D(2025, 11, 10)))
    earlier = world.act(earlier, "approve_reply", {}, actor="reviewer", at=on(D(2025, 11, 10)))
    earlier = world.act(earlier, "issue_reply", {}, at=on(D(2025, 11, 10)))
    return earlier, the_letter(world, earlier, "reply")


def preconditions(world: World, case: Case, code: str) -> tuple[Case, dict[str, Any]]:
    """The steps an outcome needs before its draft (Art. 30, 32, 35, 36(6)); extra draft facts."""
    extra: dict[str, Any] = {}
    if code == "rejected.excessive":
        case = art35_step(world, case)
    if code == "unable.still_unclear":  # Art. 30: asked to supplement, supplement received
        case = world.act(case, "request_supplement", SUPPLEMENT)
        case = world.act(case, "receive_supplement", {})
    if code == "withheld.third_party":  # Art. 32: a written consultation, its outcome recorded
        case = world.act(case, "start_consultation", CONSULT)
        case = world.act(case, "receive_opinion", OBJECTION)
    if code == "rejected.duplicate":  # Art. 36(6): the earlier request, answered
        earlier, _letter = answered_earlier(world)
        extra["earlier_tracking_no"] = earlier.tracking_no
    return case, extra


def art35_step(world: World, case: Case, asked: str = "", reasons: str = "") -> Case:
    """Art. 35: the applicant asked for reasons and the reasons recorded (before an Art. 35 date or a
    ``rejected.excessive`` reply)."""
    case = world.act(case, "request_art35_reasons", {**ART35_ASK, **({"asked": asked} if asked else {})})
    return world.act(
        case, "record_art35_reasons", {**ART35_REASONS, **({"reasons": reasons} if reasons else {})}
    )


def delivered(document: str) -> dict[str, Any]:
    """The notice handed to its recipient on the day it was issued."""
    return {
        "document": document,
        "method": "in_person",
        "proof": "送达回证",
        "received_on": ACTED_ON.isoformat(),
    }


def issue_outcome(world: World, code: str) -> tuple[Case, Letter]:
    """A request received at T0 concluded with ``code`` by the real transitions (a correction
    outcome on a correction request, Art. 41)."""
    case = world.new_case(kind="correction") if code.startswith("correction.") else world.new_case()
    if code == "other.no_supplement":
        case = world.act(case, "request_supplement", SUPPLEMENT)
        case = world.act(case, "record_notice_delivery", delivered("supplement_notice"))
        assert case.supplement_due is not None  # from the day after the applicant received it
        case = world.act(case, "lapse_supplement", at=on(case.supplement_due + DAY))
    elif code == "other.fee_unpaid":
        case = world.act(case, "assess_fee", FEE_50_PAGES)
        case = world.act(case, "record_notice_delivery", delivered("fee_notice"))
        fee = world.session.exec(select(FeeAssessment).where(col(FeeAssessment.case_id) == case.id)).one()
        assert fee.pay_by is not None
        case = world.act(case, "lapse_fee", at=on(fee.pay_by + DAY))
    elif code == "other.other":
        case = world.act(case, "withdraw", {**WITHDRAW, "withdrawn_on": ACTED_ON.isoformat()})
    else:
        case, extra = preconditions(world, case, code)
        case = world.act(case, "draft_reply", {**reply_facts(code), **extra})
        if law.outcome(code).needs_review:
            case = world.act(case, "approve_reply", {"comments": "同意"}, actor="reviewer")
        if law.outcome(code).group in law.DISCLOSURE_REVIEW_GROUPS:  # 保密审查 (Art. 17)
            case = world.act(case, "confidentiality_review", REVIEWED, actor="reviewer")
        case = world.act(case, "issue_reply", {})
    assert case.outcome == code
    return case, the_letter(world, case, "reply")


# Correction requests' outcomes (Art. 41): tests/integration/test_correction_requests.py.
@pytest.mark.parametrize("code", [o.code for o in law.outcomes_for(law.RequestKind.DISCLOSURE)])
def test_reply_letter_per_outcome(world: World, code: str) -> None:
    outcome = law.outcome(code)
    case, letter = issue_outcome(world, code)
    html = html_of(letter)
    title = "政府信息公开申请终止处理告知书" if outcome.group == "other" else "政府信息公开申请答复书"
    text = check_common(html, letter, title=title, number=f"{PREFIX}〔2026〕1号", date=letter.issued_on)
    assert (letter.doc_type, letter.outcome, letter.template) == ("reply", code, outcome.template)
    assert letter.series == "reply" and letter.number == 1 and letter.year == 2026

    check_remedies(text, remedies_kind(outcome, letter.issued_on))

    # The content the law requires of each reply.
    if outcome.refuses_disclosure or outcome.group in ("unable", "rejected"):
        assert reasons_for(code) in text, "a restricting reply gives its reasons"
    if code in ("disclosed.public", "rejected.publication"):
        assert WHERE in text, "where to obtain it"
    if code in ("disclosed.provided", "partial"):
        assert WHAT in text
    if code == "disclosed.provided":
        assert law.PROVISION_FORM_NAMES[law.ProvisionForm.ELECTRONIC] in text
    if code == "unable.not_held":
        assert SEARCHED in text and "不存在" in text, "the search is described"
    if code == "unable.not_ours":
        assert RESPONSIBLE in text and RESPONSIBLE_CONTACT in text, "the responsible agency is named"
    if code == "withheld.query_matter":
        assert QUERY_LAW in text and QUERY_WHERE in text and "不予公开" not in text
    if code == "other.no_supplement":
        assert zh(ACTED_ON) in text and zh(letter.issued_on - DAY) in text  # asked, received; period end
        assert "收到该补正告知书" in text and "自收到之次日起计算" in text
        assert "视为您放弃申请" in text
    if code == "other.fee_unpaid":
        fee = world.session.exec(select(FeeAssessment).where(col(FeeAssessment.case_id) == case.id)).one()
        assert zh(fee.notice_date) in text and zh(fee.pay_by) in text and "视为您放弃申请" in text
        assert "收到该通知书" in text and "自收到之次日起计算" in text
    if code == "other.other":
        assert WITHDRAW["reason"] in text and "撤回" in text
    if code == "rejected.excessive":  # Art. 35: the applicant's reasons, found unreasonable
        assert f"说明的理由为：{ART35_REASONS['reasons']}" in text and "该理由不合理" in text

    if code == "withheld.third_party":  # Art. 32: what the third party said, with its reasons
        assert f"不同意公开，理由为：{OBJECTION['opinion_text']}" in text and CONSULT["party_name"] in text
    if code == "rejected.duplicate":  # Art. 36(6): the earlier request, its reply's 文号 and date
        assert "CITY-2025-00001" in text and "〔2025〕1号" in text and "2025年11月10日" in text
    if code == "partial":  # Art. 37: the grounds of the withheld part
        assert all(law.outcome(g).name in text for g in PARTIAL_GROUNDS)

    # Its article(s): the outcome's basis as caseflow.law states it, the title once (law.cite); a partial
    # reply adds its grounds' articles to Art. 37; every refusal cites Art. 36(3).
    bases = law.partial_basis(PARTIAL_GROUNDS) if code == "partial" else outcome.basis
    assert law.cite(bases) in text, f"{code} must cite {law.cite(bases)}"
    if code in law.WITHHOLDING_GROUNDS or code == "partial":
        assert f"{law.REGULATION}第十" in text and "第三十六条第三项" in text


def _reply_parts() -> dict[str, str]:
    return {
        "reasons": "经审查认定",
        "where_to_obtain": WHERE,
        "responsible_agency": "",
        "provided": WHAT,
        "search_description": SEARCHED,
        "query_law": QUERY_LAW,
        "query_where": QUERY_WHERE,
        "notice_date": "2023年11月1日",
        "received_on": "2023年11月3日",
        "period_end": "2023年11月24日",
    }


def test_refusals_offer_litigation_only_before_2024(world: World) -> None:
    """Review Law Art. 23 (in force 2024-01-01): a 不予公开 reply issued since then requires review
    first; one issued on 2023-12-29 still offers direct litigation. Other outcomes offer both."""
    case = world.new_case()
    for outcome in law.OUTCOMES:
        for issued_on in (D(2023, 12, 29), D(2024, 1, 1), D(2026, 10, 9)):
            _template, html, _doc, _outcome = compose(
                world.session,
                case,
                "reply",
                issue_date=issued_on,
                number=f"{PREFIX}〔{issued_on.year}〕9号",
                outcome_code=outcome.code,
                reply=_reply_parts(),
            )
            text = text_of(html)
            expected = remedies_kind(outcome, issued_on)
            if outcome.refuses_disclosure:
                assert expected == ("litigation" if issued_on.year == 2023 else "review_first")
            check_remedies(text, expected)
            assert zh(issued_on) in signature_of(html)


def test_not_ours_without_a_determinable_agency_says_so(world: World) -> None:
    case = world.new_case()
    not_ours = law.outcome("unable.not_ours")
    _t, html, _d, _o = compose(
        world.session,
        case,
        "reply",
        issue_date=ACTED_ON,
        number=f"{PREFIX}〔2026〕1号",
        outcome_code=not_ours.code,
        reply={**_reply_parts(), "responsible_agency": ""},
    )
    text = text_of(html)
    assert not_ours.basis[0].label in text and "不能确定负责公开该政府信息的行政机关" in text
    assert "第三十六条第四项" not in text and RESPONSIBLE not in text and "不存在" not in text


# --- One letter per document type ----------------------------------------------------------------

NOTICE_ACTIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "supplement_notice": ("clerk", "request_supplement", SUPPLEMENT),
    "extension_notice": ("supervisor", "extend", EXTEND),
    "consultation_third_party": ("clerk", "start_consultation", CONSULT),
    "consultation_co_producer": ("clerk", "start_consultation", CONSULT_AGENCY),
    "consultation_agency": ("clerk", "start_consultation", CONSULT_OTHER_AGENCY),
    "fee_notice": ("clerk", "assess_fee", FEE_50_PAGES),
    "art35_notice": ("supervisor", "set_delayed_date", ART35),
    "art35_reasons_notice": ("clerk", "request_art35_reasons", ART35_ASK),
}


# The Art. 32 decision notice needs an objection first: tests/integration/test_consultation_kinds.py.
@pytest.mark.parametrize(
    "doc_type",
    [d.code for d in law.DOCUMENT_TYPES if d.code not in ("reply", "third_party_decision_notice")],
)
def test_letter_per_document_type(world: World, doc_type: str) -> None:
    doc = law.DOCUMENT_TYPES_BY_CODE[doc_type]
    case = world.new_case()
    issued_on = RECEIVED_ON
    # The Art. 35 date follows the reasons step, whose notice takes the first number of the series.
    n = 2 if doc_type == "art35_notice" else 1
    if doc_type != "receipt":
        actor, action, facts = NOTICE_ACTIONS[doc_type]
        if doc_type == "art35_notice":
            case = art35_step(world, case)
        case = world.act(case, action, facts, actor=actor)
        issued_on = ACTED_ON
    letter = the_letter(world, case, doc_type)
    html = html_of(letter)
    number = f"{PREFIX}{doc.series_mark}〔2026〕{n}号"
    assert doc.series_mark == {"receipt": "收", "consultation": "征"}.get(doc.series, "告")
    consultation = doc_type.startswith("consultation")  # addressed to the consulted party, not the applicant
    text = check_common(
        html, letter, title=doc.name, number=number, date=issued_on, applicant=not consultation
    )
    assert (letter.series, letter.number, letter.template) == (doc.series, n, doc_type)
    assert doc.basis is not None and doc.basis.label in text, f"{doc_type} must cite {doc.basis.label}"
    # Remedies: only the fee notice (a decision to charge) carries the clause, with litigation.
    check_remedies(text, "litigation" if doc_type == "fee_notice" else "none")
    assert doc.remedies == (doc_type == "fee_notice")

    if doc_type == "receipt":
        assert case.tracking_no in text and case.query_code in text
        assert case.reply_due == REPLY_DUE and zh(REPLY_DUE) in text
        assert law.RECEIPT_DATE_BASIS.label in text and "查询" in text
    elif doc_type == "supplement_notice":
        for item in SUPPLEMENT["items"]:
            assert f"<li>{item}</li>" in html
        assert case.supplement_due is None  # not delivered yet: the letter states the period, not a date
        days = get_settings().supplement_period_days
        assert f"自收到本告知书之次日起{days}个工作日内" in text
        assert zh(default_calendar().add_working_days(ACTED_ON, days)) not in text
        assert "视为放弃申请" in text
    elif doc_type == "extension_notice":
        days = law.RULES_2019.extension_max_days
        assert case.reply_due == D(2026, 11, 27)
        assert f"延长{days}个工作日" in text and zh(case.reply_due) in text and EXTEND["reason"] in text
    elif consultation:
        facts = NOTICE_ACTIONS[doc_type][2]
        row = world.session.exec(select(Consultation).where(col(Consultation.case_id) == case.id)).one()
        assert f'<p class="to">{facts["party_name"]}：</p>' in html, "addressed to the consulted party"
        assert facts["matters"] in text and case.tracking_no in text
        period = law.CONSULTATION_PERIODS[str(facts["party_kind"])]
        assert f"{period.days}个工作日" in text and period.days == 15 and row.window_end is None
        assert "收到本" in text and f"之日起{period.days}个工作日内" in text
        assert zh(default_calendar().add_working_days(ACTED_ON, period.days)) not in text
        assert row.letter_id == letter.id, "the consultation is linked to its own letter"
        if doc_type == "consultation_co_producer":  # Art. 34: a co-producer's silence is consent
            assert "共同制作" in text and "逾期未提出意见的视为同意公开" in text
        else:  # a third party (Art. 32) or another agency: silence is not consent, the office decides
            assert "视为同意" not in text
            assert "逾期未提出意见的" in text and "决定是否公开" in text
    elif doc_type == "fee_notice":
        quote = fees.quote("per_page", 50)
        fee = world.session.exec(select(FeeAssessment).where(col(FeeAssessment.case_id) == case.id)).one()
        assert "按量计收" in text and quote.description_zh() in text
        assert f"人民币{quote.amount_yuan}元" in text and quote.amount_yuan == 200
        assert fee.pay_by is None and HOW_TO_PAY in text
        assert f"请自收到本通知书之次日起{law.FEE_PAYMENT.days}个工作日内缴纳" in text
        assert zh(default_calendar().add_working_days(ACTED_ON, law.FEE_PAYMENT.days or 20)) not in text
        assert "视为放弃申请" in text
    elif doc_type == "art35_notice":
        assert zh(D(2026, 12, 31)) in text and ART35["reason"] in text
        assert ART35_REASONS["reasons"] in text, "it cites the applicant's reasons"
    elif doc_type == "art35_reasons_notice":
        assert ART35_ASK["asked"] in text and "自收到本告知书之次日起5个工作日内" in text
        assert "不予处理" in text and "延迟答复" in text
    else:  # pragma: no cover - every type is handled above
        raise AssertionError(doc_type)


# --- Numbering -----------------------------------------------------------------------------------


def test_numbering_per_agency_year_and_series_without_gaps(world: World) -> None:
    a = world.new_case()
    b = world.new_case()
    d = world.new_case(agency="dept", actor="dept_clerk")
    world.act(a, "request_supplement", SUPPLEMENT)
    world.act(b, "start_consultation", CONSULT)
    world.act(d, "request_supplement", SUPPLEMENT, actor="dept_clerk")
    c = world.new_case()
    # An extension decided after the deadline in force (2026-10-30) is refused: no number is used.
    before, notices = snapshot(world.session, c.id), counters(world)
    with pytest.raises(RuleViolation) as info:
        world.act(c, "extend", EXTEND, actor="supervisor", at=on(D(2026, 11, 2)))
    assert "答复期限届满前" in info.value.message and "第三十三条第二款" in info.value.message
    assert snapshot(world.session, c.id) == before and counters(world) == notices
    world.act(c, "extend", EXTEND, actor="supervisor", at=on(REPLY_DUE))
    world.act(c, "draft_reply", PROVIDED, at=on(REPLY_DUE))
    world.act(c, "confidentiality_review", REVIEWED, actor="reviewer", at=on(REPLY_DUE))
    world.act(c, "issue_reply", {}, at=on(REPLY_DUE))
    # The year is the issue date's: received 2026-12-28, answered 2027-01-04.
    e = world.new_case(at=on(D(2026, 12, 28)))
    world.act(e, "draft_reply", PROVIDED, at=on(D(2027, 1, 4)))
    world.act(e, "confidentiality_review", REVIEWED, actor="reviewer", at=on(D(2027, 1, 4)))
    world.act(e, "issue_reply", {}, at=on(D(2027, 1, 4)))
    world.new_case(at=on(D(2027, 1, 5)))

    world.session.expire_all()
    letters = list(world.session.exec(select(Letter).order_by(col(Letter.id))))
    assert [x.letter_no for x in letters] == [
        "某政办公开收〔2026〕1号",
        "某政办公开收〔2026〕2号",
        "某自然资规公开收〔2026〕1号",
        "某政办公开告〔2026〕1号",
        "某政办公开征〔2026〕1号",
        "某自然资规公开告〔2026〕1号",
        "某政办公开收〔2026〕3号",
        "某政办公开告〔2026〕2号",  # the refused extension used no number
        "某政办公开〔2026〕1号",
        "某政办公开收〔2026〕4号",
        "某政办公开〔2027〕1号",
        "某政办公开收〔2027〕1号",
    ]
    series: dict[tuple[int, str, int], list[int]] = {}
    for x in letters:
        series.setdefault((x.agency_id, x.series, x.year), []).append(x.number)
        assert x.letter_no in html_of(x)
    for key, numbers in series.items():
        assert numbers == list(range(1, len(numbers) + 1)), key


@pytest.mark.parametrize(
    ("setting", "named"),
    [("review_body", "尚未设置：行政复议机关（机关树中没有"), ("letter_prefix", "尚未设置：文号前缀")],
)
def test_missing_letter_settings_stop_the_issue(world: World, setting: str, named: str) -> None:
    case = world.new_case()
    case = world.act(case, "draft_reply", PROVIDED)
    case = world.act(case, "confidentiality_review", REVIEWED, actor="reviewer")
    assert case.id is not None
    set_agency(world, "city", **{setting: ""})
    before, numbers, letters = snapshot(world.session, case.id), counters(world), count(world, Letter)
    with pytest.raises(RuleViolation) as info:
        world.act(case, "issue_reply", {})
    assert named in info.value.message and info.value.code == "letter_settings_missing"
    assert "请联系系统管理员在“系统管理 → 机关设置”中填写" in info.value.message
    assert "未占用文号" in info.value.message
    assert snapshot(world.session, case.id) == before
    assert counters(world) == numbers and count(world, Letter) == letters
    set_agency(world, "city", letter_prefix=PREFIX, review_body=REVIEW_BODY)
    case = world.act(case, "issue_reply", {})
    assert the_letter(world, case, "reply").letter_no == f"{PREFIX}〔2026〕1号"


def test_missing_court_is_not_named_and_stops_nothing(world: World) -> None:
    """Without a configured court the letter says 依法向人民法院提起行政诉讼 (the Litigation Law decides
    the court); the refusal goes to review first and names no court either way."""
    set_agency(world, "city", court="")
    refusal = world.act(world.new_case(), "draft_reply", WITHHELD)
    refusal = world.act(refusal, "approve_reply", {}, actor="reviewer")
    refusal = world.act(refusal, "issue_reply", {})  # review first: no court named, none needed
    check_remedies(text_of(html_of(the_letter(world, refusal, "reply"))), "review_first")
    provided = world.act(world.new_case(), "draft_reply", PROVIDED)
    html = compose(
        world.session,
        provided,
        "reply",
        issue_date=ACTED_ON,
        number=f"{PREFIX}〔2026〕1号",
        outcome_code="disclosed.provided",
        reply={"provided": "预算表"},
    )[1]
    text = text_of(html)
    assert f"{law.LITIGATION_MONTHS}个月内依法向人民法院提起行政诉讼" in text and COURT not in text
    assert law.LITIGATION_BASIS.label in text


def test_registration_refused_without_a_letter_prefix(world: World) -> None:
    set_agency(world, "dept", letter_prefix="")
    cases, numbers = count(world, Case), counters(world)
    with pytest.raises(RuleViolation) as info:
        world.new_case(agency="dept", actor="dept_clerk")
    assert "尚未设置：文号前缀；请联系系统管理员" in info.value.message
    assert info.value.code == "letter_settings_missing"
    assert count(world, Case) == cases and count(world, EvidenceEvent) == 0 and counters(world) == numbers
    set_agency(world, "dept", letter_prefix="某自然资规公开")
    case = world.new_case(agency="dept", actor="dept_clerk")
    assert case.tracking_no == "DEPT-2026-00001"
    assert the_letter(world, case, "receipt").letter_no == "某自然资规公开收〔2026〕1号"


def test_concurrent_registrations_get_receipt_numbers_one_to_eight(world: World, engine: Engine) -> None:
    threads = 8
    world.session.rollback()  # SQLite: the fixture's session must not hold the database
    barrier = threading.Barrier(threads)

    def register(i: int) -> Case:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait(timeout=60)
            return service.register(
                session=session,
                actor=world["clerk"],
                agency_code="city",
                application=world.application(applicant_name=f"申请人{i}"),
                now=T0,
            )

    with ThreadPoolExecutor(max_workers=threads) as pool:
        cases = list(pool.map(register, range(threads), timeout=180))
    assert sorted(c.tracking_no for c in cases) == [f"CITY-2026-{n:05d}" for n in range(1, threads + 1)]
    world.session.expire_all()
    letters = list(world.session.exec(select(Letter)))
    assert sorted(x.number for x in letters) == list(range(1, threads + 1))
    assert {x.letter_no for x in letters} == {f"{PREFIX}收〔2026〕{n}号" for n in range(1, threads + 1)}
    for case in cases:
        (letter,) = letters_of(world, case)
        text = text_of(html_of(letter))
        assert letter.letter_no in text and case.tracking_no in text


# --- The issuing evidence event ------------------------------------------------------------------


def _event(world: World, case: Case, seq: int) -> dict[str, Any]:
    row = world.session.exec(
        select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case.id, col(EvidenceEvent.seq) == seq)
    ).one()
    return json.loads(row.payload)


def test_issuing_event_records_the_letter(world: World, isolated_data_dir: Path) -> None:
    case = world.new_case()
    case = world.act(case, "draft_reply", WITHHELD)
    case = world.act(case, "approve_reply", {}, actor="reviewer")
    case = world.act(case, "issue_reply", {})
    for letter in letters_of(world, case):
        event = _event(world, case, letter.event_seq)
        assert event["action"] == ("register" if letter.doc_type == "receipt" else "issue_reply")
        template = f"{letter.template}.html"
        assert event["facts"]["letter"] == {
            "doc_type": letter.doc_type,
            "letter_no": letter.letter_no,
            "template": letter.template,
            "template_sha256": render.template_digest(template),
            "html_sha256": letter.html_sha256,
            "pdf_sha256": None,  # PDF rendering is off in these tests
        }
        assert letter.template_sha256 == render.template_digest(template)
        assert {"kind": f"letter.html:{letter.doc_type}", "sha256": letter.html_sha256} in event["documents"]
        data = DocumentStore().read(letter.html_sha256, world.session)  # in the database, checked
        assert hashlib.sha256(data).hexdigest() == letter.html_sha256
        assert not (isolated_data_dir / "documents").exists()  # no file store
        assert data == issued_files(letter)["html"] and letter.pdf_sha256 is None
        document = world.session.get(Document, letter.html_sha256)
        assert document is not None and document.size == len(data)
        assert document.media_type.startswith("text/html")
    assert [x.doc_type for x in letters_of(world, case)] == ["receipt", "reply"]


# --- Markup is text ------------------------------------------------------------------------------


def test_markup_in_every_free_text_field_is_shown_as_text(world: World) -> None:
    m = MARKUP
    first = world.new_case(applicant_name=m, description=m, document_no_sought=m)
    first = world.act(first, "request_supplement", {"items": [m, f"{m}二"]})
    first = world.act(first, "receive_supplement", {})
    first = world.act(first, "start_consultation", {**CONSULT, "party_name": m, "matters": m})
    first = world.act(first, "receive_opinion", {"opinion": "consent"})
    first = world.act(first, "extend", {"reason": m}, actor="supervisor")
    first = world.act(first, "start_consultation", {**CONSULT_AGENCY, "party_name": m, "matters": m})
    first = world.act(first, "receive_opinion", {"opinion": "consent"})
    first = art35_step(world, first, asked=m, reasons=m)
    first = world.act(first, "set_delayed_date", {**ART35, "reason": m}, actor="supervisor")
    first = world.act(
        first,
        "draft_reply",
        {"outcome": "partial", "reasons": m, "provided": m, "withheld_grounds": ["withheld.process_info"]},
    )
    first = world.act(first, "approve_reply", {}, actor="reviewer")
    first = world.act(first, "confidentiality_review", REVIEWED, actor="reviewer")
    first = world.act(first, "issue_reply", {})

    publication = world.new_case(applicant_name=m)
    publication = world.act(
        publication, "draft_reply", {"outcome": "rejected.publication", "reasons": m, "where_to_obtain": m}
    )
    publication = world.act(publication, "approve_reply", {}, actor="reviewer")
    publication = world.act(publication, "issue_reply", {})
    public = world.new_case(description=m)
    public = world.act(public, "draft_reply", {"outcome": "disclosed.public", "where_to_obtain": m})
    public = world.act(public, "confidentiality_review", REVIEWED, actor="reviewer")
    public = world.act(public, "issue_reply", {})
    not_held = world.new_case()
    not_held = world.act(
        not_held,
        "draft_reply",
        {"outcome": "unable.not_ours", "reasons": m, "responsible_agency": m, "responsible_contact": m},
    )
    not_held = world.act(not_held, "approve_reply", {}, actor="reviewer")
    not_held = world.act(not_held, "issue_reply", {})
    fee = world.new_case(applicant_name=m)
    fee = world.act(fee, "assess_fee", {**FEE_50_PAGES, "reduction_yuan": 10, "reduction_reason": m})
    fee = world.act(fee, "withdraw", {"reason": m})

    # Where the markup goes: (case, doc_type, occurrences).
    expected = [
        (first, "receipt", 3),  # addressee, applicant, what was asked
        (first, "supplement_notice", 5),  # addressee, what was asked, document number, two items
        (first, "consultation_third_party", 3),  # addressee (the party), what was asked, matters
        (first, "extension_notice", 4),  # addressee, what was asked, document number, reason
        (first, "consultation_co_producer", 3),
        (first, "art35_reasons_notice", 4),  # addressee, what was asked, document number, asked
        (first, "art35_notice", 5),  # addressee, what was asked, document number, reason, reasons
        (first, "reply", 6),  # addressee, what was asked, document number, reasons, provided (twice:
        # the decision and the Art. 36(2) way of provision, 随本答复书附送)
        (publication, "reply", 3),  # addressee, where to obtain, reasons
        (public, "reply", 2),  # what was asked, where to obtain
        (not_held, "reply", 3),  # responsible agency, its contact, reasons
        (fee, "fee_notice", 2),  # addressee, the reduction's reason (in the standard)
        (fee, "reply", 2),  # addressee, the withdrawal's reason
    ]
    for case in (first, publication, public, not_held, fee):
        for letter in letters_of(world, case):
            html = html_of(letter)
            assert "<script" not in html.lower(), f"{letter.letter_no}: a <script> tag in the letter"
            assert MARKUP_EVALUATED not in html, f"{letter.letter_no}: {{{{ 7*7 }}}} was evaluated"
    for case, doc_type, occurrences in expected:
        html = html_of(the_letter(world, case, doc_type))
        assert html.count(MARKUP_ESCAPED) == occurrences, (doc_type, html.count(MARKUP_ESCAPED))
    supplement = html_of(the_letter(world, first, "supplement_notice"))
    assert f"<li>{MARKUP_ESCAPED}</li>" in supplement and f"<li>{MARKUP_ESCAPED}二</li>" in supplement


# --- Preview -------------------------------------------------------------------------------------


def test_preview_uses_no_number_and_stores_nothing(world: World) -> None:
    case = world.new_case()
    case = world.act(case, "draft_reply", WITHHELD)
    assert case.id is not None
    before = snapshot(world.session, case.id), counters(world), count(world, Letter), count(world, Document)
    html = preview(world.session, case, "reply", today=ACTED_ON, overrides={"reasons": "修改后的理由"})
    text = text_of(html)
    assert "预览稿" in text and "修改后的理由" in text and WITHHELD["reasons"] not in text
    assert "文号于签发时编排" in text and f"{PREFIX}〔" not in text
    assert law.outcome("withheld.process_info").basis_label in text
    check_remedies(text, "review_first")
    marked = preview(world.session, case, "reply", today=ACTED_ON, overrides={"reasons": MARKUP})
    assert MARKUP_ESCAPED in marked and "<script" not in marked and MARKUP_EVALUATED not in marked
    unedited = text_of(preview(world.session, case, "reply", today=ACTED_ON))
    assert WITHHELD["reasons"] in unedited

    with pytest.raises(FactsError) as info:
        preview(world.session, case, "reply", today=ACTED_ON, overrides={"outcome": "disclosed.public"})
    assert [name for name, _ in info.value.errors] == ["outcome"] and "outcome" in info.value.message
    after = snapshot(world.session, case.id), counters(world), count(world, Letter), count(world, Document)
    assert after == before

    case = world.act(case, "approve_reply", {}, actor="reviewer")
    case = world.act(case, "issue_reply", {})
    letter = the_letter(world, case, "reply")
    issued = text_of(html_of(letter))
    assert letter.letter_no == f"{PREFIX}〔2026〕1号" and "预览稿" not in issued
    assert WITHHELD["reasons"] in issued


# --- Issued means immutable ----------------------------------------------------------------------


def test_template_edit_leaves_issued_letters_byte_identical(world: World, tmp_path: Path) -> None:
    old_case = world.new_case()
    old = the_letter(world, old_case, "receipt")
    old_bytes = issued_files(old)["html"]
    edited = tmp_path / "replies"
    shutil.copytree(render.templates_dir(), edited)
    receipt = edited / "receipt.html"
    source = receipt.read_text(encoding="utf-8")
    marker = "<p>（本回执模板已修订）</p>\n{% endblock %}"
    receipt.write_text(source.replace("{% endblock %}", marker), encoding="utf-8")
    partial = edited / "_withheld.html"  # a part other templates include: their hash covers it
    partial.write_text(partial.read_text(encoding="utf-8") + "<p>（已修订）</p>\n", encoding="utf-8")
    digests = {
        n: render.template_digest(n) for n in ("reply_withheld_state_secret.html", "reply_partial.html")
    }
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(render, "templates_dir", lambda: edited)
            render.environment.cache_clear()
            new_case = world.new_case()
            new = the_letter(world, new_case, "receipt")
            files = issued_files(old)
            assert files["html"] == old_bytes and hashlib.sha256(files["html"]).hexdigest() == old.html_sha256
            assert "本回执模板已修订" not in files["html"].decode("utf-8")
            assert "本回执模板已修订" in html_of(new)
            assert new.template_sha256 == render.template_digest("receipt.html")
            assert new.template_sha256 != old.template_sha256
            assert (
                render.template_digest("reply_withheld_state_secret.html")
                != digests["reply_withheld_state_secret.html"]
            )
            assert render.template_digest("reply_partial.html") == digests["reply_partial.html"]
    finally:
        render.environment.cache_clear()
    assert render.template_digest("receipt.html") == old.template_sha256
    assert issued_files(old)["html"] == old_bytes


# --- caseflow letters --case NO --out DIR ----------------------------------------------------------


def _forget_caches() -> None:
    get_settings.cache_clear()
    caseflow.db._engine_for.cache_clear()
    reset_default_calendar()


def test_cli_writes_every_letter_as_issued(world: World, db_url: str, tmp_path: Path) -> None:
    case = world.new_case()
    case = world.act(case, "extend", EXTEND, actor="supervisor")
    case = world.act(case, "draft_reply", PROVIDED)
    case = world.act(case, "confidentiality_review", REVIEWED, actor="reviewer")
    case = world.act(case, "issue_reply", {})
    letters = letters_of(world, case)
    world.session.rollback()
    out = tmp_path / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATABASE_URL", db_url)
        _forget_caches()
        try:
            result = CliRunner().invoke(app, ["letters", "--case", case.tracking_no, "--out", str(out)])
        finally:
            caseflow.db._engine_for(db_url).dispose()
            _forget_caches()
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "letters.json").read_text(encoding="utf-8"))
    assert [e["letter_no"] for e in manifest] == [x.letter_no for x in letters]
    assert [e["doc_type"] for e in manifest] == ["receipt", "extension_notice", "reply"]
    written = {p.name for p in out.iterdir()}
    assert written == {"letters.json", *(e["files"]["html"]["name"] for e in manifest)}
    for entry, letter in zip(manifest, letters, strict=True):
        assert (entry["outcome"], entry["issued_on"]) == (letter.outcome, letter.issued_on.isoformat())
        assert (entry["template"], entry["template_sha256"]) == (letter.template, letter.template_sha256)
        assert set(entry["files"]) == {"html"}  # no PDF rendered in these tests
        data = (out / entry["files"]["html"]["name"]).read_bytes()
        assert entry["files"]["html"]["sha256"] == letter.html_sha256 == hashlib.sha256(data).hexdigest()
        assert data == issued_files(letter)["html"]


def test_cli_letters_unknown_request(db_url: str, world: World, tmp_path: Path) -> None:
    world.session.rollback()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATABASE_URL", db_url)
        _forget_caches()
        try:
            result = CliRunner().invoke(app, ["letters", "--case", "CITY-2026-99999", "--out", str(tmp_path)])
        finally:
            caseflow.db._engine_for(db_url).dispose()
            _forget_caches()
    assert result.exit_code != 0 and "CITY-2026-99999" in result.output
    assert not (tmp_path / "letters.json").exists()


# --- Snapshots of three representative letters ---------------------------------------------------

QUERY_CODE = "QC7K2M9P"


def _snapshot_letter(world: World, name: str) -> str:
    case = world.new_case()
    assert case.tracking_no == "CITY-2026-00001", "a fresh database"
    world.session.expunge(case)
    case.query_code = QUERY_CODE  # random per registration: fixed here, never stored
    if name == "receipt":
        return compose(
            world.session, case, "receipt", issue_date=RECEIVED_ON, number=f"{PREFIX}收〔2026〕1号"
        )[1]
    if name == "reply_withheld_third_party":
        # Art. 32: the third party consulted in writing objected, with its reasons.
        assert case.id is not None
        world.session.add(
            Consultation(
                case_id=case.id,
                party_kind="third_party",
                party_name="某建设工程有限公司",
                letter_date=D(2026, 10, 9),
                window_end=D(2026, 10, 27),
                opinion_date=D(2026, 10, 20),
                opinion="object",
                opinion_text="报价明细属于本公司商业秘密，公开将损害本公司的竞争地位",
            )
        )
        world.session.flush()
        reply = {
            "reasons": "所申请的预算表含有某建设工程有限公司的报价明细，属于商业秘密；经征求意见，"
            "该公司不同意公开且理由合理，不公开不会对公共利益造成重大影响",
            "where_to_obtain": "",
            "responsible_agency": "",
            "provided": "",
        }
        return compose(
            world.session,
            case,
            "reply",
            issue_date=D(2026, 11, 20),
            number=f"{PREFIX}〔2026〕12号",
            outcome_code="withheld.third_party",
            reply=reply,
        )[1]
    assert name == "fee_notice"
    quote = fees.quote("per_page", 150)
    notice = {
        "method": "按量计收",
        "standard": quote.description_zh(),
        "amount": quote.amount_yuan,
        "pay_days": law.FEE_PAYMENT.days,
        "how_to_pay": HOW_TO_PAY,
    }
    return compose(
        world.session,
        case,
        "fee_notice",
        issue_date=ACTED_ON,
        number=f"{PREFIX}告〔2026〕3号",
        notice=notice,
    )[1]


def assert_matches_snapshot(name: str, html: str) -> None:
    path = SNAPSHOTS / f"letter_{name}.html"
    data = html.encode("utf-8")
    if os.environ.get("CASEFLOW_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        return
    if not path.exists():
        pytest.fail(
            f"snapshot {path} is missing: create it with "
            "CASEFLOW_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/integration/test_letters.py -k snapshot, "
            "then review the file and commit it",
            pytrace=False,
        )
    expected = path.read_bytes()
    if expected != data:
        diff = "\n".join(
            difflib.unified_diff(
                expected.decode("utf-8").splitlines(),
                html.splitlines(),
                "snapshot",
                "rendered",
                lineterm="",
            )
        )
        pytest.fail(
            f"letter {name} differs from {path} (if the change is intended, re-create it with "
            f"CASEFLOW_UPDATE_SNAPSHOTS=1 and review the diff):\n{diff}",
            pytrace=False,
        )


@pytest.mark.parametrize("name", ["receipt", "reply_withheld_third_party", "fee_notice"])
def test_snapshot(world: World, name: str) -> None:
    html = _snapshot_letter(world, name)
    text = text_of(html)
    assert QUERY_CODE in text or name != "receipt"
    assert "CITY-2026-00001" in text
    assert_matches_snapshot(name, html)
