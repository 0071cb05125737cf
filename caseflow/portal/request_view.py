"""What the applicant's request page shows (issue 18 / C), in the applicant's words.

Only what the applicant may know of their own request, once they proved access (tracking number and
query code, or a signed link): its state in plain words, the receipt date, the reply deadline with a
short explanation, what the office waits for from the applicant and until when, and the letters
addressed to the applicant (``law.APPLICANT_DOCUMENTS``), with the records released with the reply
(``released``: the copies that left the office, never their originals). Never the handler, notes,
drafts, other documents, nor the applicant's own particulars.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from caseflow import law
from caseflow.cases import art35, lapses
from caseflow.cases.applicant_download import downloads
from caseflow.dates import legal_date, zh
from caseflow.models import Agency, ApplicantSubmission, Case, CaseDocument, EvidenceEvent, Letter
from caseflow.portal.followups import SUPPLEMENT
from caseflow.release import RELEASED
from caseflow.states.machine import OPEN_STATES, State

#: The request's state as the applicant reads it.
STATE_WORDS: dict[State, str] = {
    State.RECEIVED: "已受理，正在办理",
    State.SUPPLEMENT_REQUIRED: "需要您补正申请内容",
    State.CONSULTATION: "正在征求有关方面意见",
    State.FEE_PENDING: "等待您缴纳信息处理费",
    State.EXTENDED: "已延长答复期限，正在办理",
    State.LEGAL_REVIEW: "正在办理（答复审核中）",
    State.READY: "正在办理（答复即将发出）",
    State.ANSWERED: "已答复",
    State.WITHDRAWN: "您已撤回申请",
    State.CLOSED: "已终止办理",
    State.ARCHIVED: "已办结",
}
#: Why the reply period stands still, in the applicant's words.
PAUSE_WORDS: dict[str, str] = {
    "supplement": "补正期间答复期限暂停计算，机关收到您的补正后重新计算",
    "consultation": "征求第三方或者其他机关意见所需时间不计算在答复期限内",
    "fee": "缴纳信息处理费期间不计算在答复期限内，缴费后继续计算",
}
_DUMMY_CODE = "0" * 12


def find_case(session: Session, tracking_no: str, code: str) -> Case | None:
    """The request named by tracking number and query code (None: no match). The code is compared in
    constant time, also when the number is unknown: the answer is the same either way."""
    case = session.exec(select(Case).where(col(Case.tracking_no) == tracking_no.strip()[:60])).first()
    given = code.strip().upper()[:20].encode()
    stored = (case.query_code if case is not None else _DUMMY_CODE).encode()
    if not hmac.compare_digest(given, stored) or case is None or not code.strip():
        return None
    return case


def request_link(session: Session, tracking_no: str, code: str, *, sent: bool = False) -> str | None:
    """``/public/r/<token>`` for the request named by tracking number and code (None: no match)."""
    from caseflow.portal.access import sign_link

    case = find_case(session, tracking_no, code)
    if case is None or case.id is None:
        return None
    return f"/public/r/{sign_link(case.id, case.query_code, sent=sent)}"


@dataclass(frozen=True)
class Awaited:
    """What the office waits for from the applicant (or that the applicant waits for the office)."""

    what: str
    until: dt.date | None
    note: str = ""


def applicant_letters(session: Session, case_id: int) -> list[Letter]:
    """The letters issued to the applicant on the request, oldest first."""
    return list(
        session.exec(
            select(Letter)
            .where(col(Letter.case_id) == case_id, col(Letter.doc_type).in_(sorted(law.APPLICANT_DOCUMENTS)))
            .order_by(col(Letter.id))
        )
    )


def released_copies(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The records' copies released with the request's replies (oldest reply first, in the reply's
    order): title, pages, redacted pages and SHA-256, as the reply's evidence event recorded them."""
    links = session.exec(
        select(CaseDocument.sha256, CaseDocument.event_seq)
        .where(col(CaseDocument.case_id) == case_id, col(CaseDocument.kind) == RELEASED)
        .order_by(col(CaseDocument.event_seq), col(CaseDocument.id))
    ).all()
    if not links:
        return []
    seqs = sorted({seq for _, seq in links})
    facts: dict[int, list[dict[str, Any]]] = {}
    for seq, payload in session.exec(
        select(EvidenceEvent.seq, EvidenceEvent.payload).where(
            col(EvidenceEvent.case_id) == case_id, col(EvidenceEvent.seq).in_(seqs)
        )
    ):
        listed = json.loads(payload).get("facts", {}).get("released")
        facts[seq] = [x for x in listed if isinstance(x, dict)] if isinstance(listed, list) else []
    out: list[dict[str, Any]] = []
    for sha, seq in links:
        entries = facts.get(seq, [])
        entry = next((x for x in entries if x.get("sha256") == sha), {})
        position = entries.index(entry) if entry else len(out)
        redacted = int(entry.get("redacted_pages") or 0)
        out.append(
            {
                "sha256": sha,
                "seq": seq,
                "order": (seq, position),
                "title": str(entry.get("title") or f"公开材料{len(out) + 1}"),
                "pages": entry.get("pages"),
                "redacted_pages": redacted,
            }
        )
    out.sort(key=lambda x: x["order"])
    return out


def deadline_words(case: Case) -> tuple[str, str]:
    """(the reply deadline in a few words, a short explanation)."""
    state = State(case.state)
    rules = law.RULE_SETS.get(case.rules, law.RULES_2019)
    if state is State.ANSWERED or (state is State.ARCHIVED and case.answered_on):
        assert case.answered_on is not None
        return f"已于{zh(case.answered_on)}答复", "答复书见下方“文书”。"
    if state is State.WITHDRAWN:
        return "已撤回", "您已撤回申请，机关不再作出答复。"
    if state not in OPEN_STATES:
        return "已终止", "本申请已终止办理，告知书见下方“文书”。"
    if case.paused or case.reply_due is None:
        reason = PAUSE_WORDS.get(case.pause_reason or "", "答复期限暂停计算")
        return "暂停计算", f"{reason}（{rules.pause_basis.label}）。"
    set_date = [e for e in case.ledger if e.get("type") == "deadline_set"]
    if set_date:
        text = f"机关已确定延迟答复的期限（{law.ART35_DELAY.basis.label}），最迟于{zh(case.reply_due)}答复。"
    else:
        text = (
            f"机关应当自收到申请之日起{rules.reply_days}个工作日内答复（{rules.reply_basis.label}），"
            "节假日不计算在内。"
        )
        if case.extension_days:
            text += f"经批准延长{case.extension_days}个工作日（{rules.extension_basis.label}）。"
    if case.provisional:
        text += "下一年度的放假安排尚未公布，该日期为暂定，公布后可能调整。"
    return f"最迟于{zh(case.reply_due)}", text


def awaited(session: Session, case: Case, calendar: Any = None) -> Awaited | None:
    """What the office waits for from the applicant, and until when (None: the request is concluded)."""
    from caseflow.calendar import default_calendar

    assert case.id is not None
    state = State(case.state)
    if state not in OPEN_STATES:
        return None
    if state is State.SUPPLEMENT_REQUIRED:
        sent = session.exec(
            select(ApplicantSubmission.submitted_at).where(
                col(ApplicantSubmission.case_id) == case.id,
                col(ApplicantSubmission.kind) == SUPPLEMENT,
                col(ApplicantSubmission.status) == "pending",
            )
        ).first()
        if sent is not None:
            return Awaited(f"您已于{zh(legal_date(sent))}在线提交补正材料，等待机关登记", None)
        note = "" if case.supplement_due else "期限自您收到补正告知书之次日起计算；下载告知书即视为收到。"
        return Awaited("请按补正申请告知书的要求补正申请内容", case.supplement_due, note)
    if state is State.FEE_PENDING:
        pay_by = lapses.period_end(session, case, law.LapseKind.FEE)
        note = "" if pay_by else "期限自您收到收费通知书之次日起计算；下载通知书即视为收到。"
        return Awaited("请按收费通知书缴纳信息处理费", pay_by, note)
    step = art35.latest(session, case.id)
    if step is not None and step.status == "pending":
        received = art35.delivered_on(session, case.id)
        until = art35.period_end(step, received, calendar or default_calendar()) if received else None
        note = "" if until else "期限自您收到要求说明理由告知书之次日起计算；下载告知书即视为收到。"
        return Awaited("请按要求说明理由告知书说明申请理由", until, note)
    if case.reply_due is not None and not case.paused:
        return Awaited(f"等待机关答复，最迟于{zh(case.reply_due)}", None)
    return Awaited("等待机关答复", None, PAUSE_WORDS.get(case.pause_reason or "", ""))


def page(session: Session, case: Case) -> dict[str, Any]:
    """The request page's context (nothing personal, nothing internal)."""
    assert case.id is not None
    agency = session.get(Agency, case.agency_id)
    due_short, due_text = deadline_words(case)
    done = downloads(session, case.id)
    letters = [
        {
            "letter_no": x.letter_no,
            "name": law.DOCUMENT_TYPES_BY_CODE[x.doc_type].name,
            "issued_on": x.issued_on,
            "pdf": x.pdf_sha256 is not None,
            "pdf_pending": x.pdf_pending,
            "downloaded_at": done[x.letter_no].get("downloaded_at") if x.letter_no in done else None,
        }
        for x in applicant_letters(session, case.id)
    ]
    return {
        "tracking_no": case.tracking_no,
        "agency_name": agency.name if agency else "",
        "kind_name": law.REQUEST_KIND_NAMES[law.RequestKind(case.kind)],
        "state_words": STATE_WORDS[State(case.state)],
        "receipt_date": case.receipt_date,
        "due_short": due_short,
        "due_text": due_text,
        "awaited": awaited(session, case),
        "letters": letters,
        "released": released_copies(session, case.id),
    }
