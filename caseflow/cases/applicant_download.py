"""The ``applicant_download`` action: the applicant's first download of a letter is its delivery.

A letter addressed to the applicant (``law.APPLICANT_DOCUMENTS``) downloaded on the request page
(``caseflow.portal.downloads``) has reached the applicant's system: electronic delivery (电子送达), the
day of the download being the day received (``law.DELIVERY_DATE_RULES``). The system records the
first download of each letter in one transition, with the hash of the bytes served and the address:

- the reply, while its delivery is not recorded: the request's ``delivered_on`` (as ``record_delivery``
  does, method ``online``);
- a notice that starts the applicant's period (``law.PERIOD_FROM_DELIVERY``: supplement notice, fee
  notice, Art. 35 reasons notice), while its delivery is not recorded and the request is open: its
  delivery, recorded exactly as ``record_notice_delivery`` records one (so ``supplement_due``,
  ``pay_by`` … follow from the same code);
- otherwise (the receipt, a letter already delivered): the download alone.

A letter's later downloads record nothing: the handler refuses a second record (``DOWNLOADED``) under
the request's row lock, so two first downloads at once record one.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from caseflow import law
from caseflow.cases import delivery
from caseflow.cases.engine import Ctx, Effect, handler
from caseflow.errors import NotFound, RuleViolation
from caseflow.models import EvidenceEvent, Letter
from caseflow.states import record_facts as rf
from caseflow.states.machine import OPEN_STATES

ACTION = "applicant_download"
#: The code of the refusal when the letter's download is already recorded (the portal records nothing).
DOWNLOADED = "already_downloaded"
#: The reply's delivery method as ``record_delivery`` names it (``casefile.REPLY_DELIVERY_METHODS``).
REPLY_METHOD = "online"


def downloads(session: Session, case_id: int) -> dict[str, dict[str, Any]]:
    """letter number -> the facts of its (first, recorded) download, for the request."""
    rows = session.exec(
        select(EvidenceEvent.payload).where(
            col(EvidenceEvent.case_id) == case_id, col(EvidenceEvent.action) == ACTION
        )
    ).all()
    out: dict[str, dict[str, Any]] = {}
    for payload in rows:
        facts = json.loads(payload).get("facts", {})
        out.setdefault(str(facts.get("letter_no")), facts)
    return out


def applicant_letter(session: Session, case_id: int, letter_no: str) -> Letter | None:
    """The request's letter ``letter_no`` if it is addressed to the applicant (else None)."""
    letter = session.exec(
        select(Letter).where(col(Letter.case_id) == case_id, col(Letter.letter_no) == letter_no)
    ).one_or_none()
    return letter if letter is not None and letter.doc_type in law.APPLICANT_DOCUMENTS else None


@handler(ACTION)
def applicant_download(ctx: Ctx, facts: rf.ApplicantDownloadFacts) -> Effect:
    case = ctx.case
    assert case.id is not None
    letter = applicant_letter(ctx.session, case.id, facts.letter_no)
    if letter is None or letter.id is None:
        raise NotFound(f"本申请没有发给申请人的文号为 {facts.letter_no} 的文书")
    served = letter.html_sha256 if facts.format == "html" else letter.pdf_sha256
    if served != facts.sha256:
        raise RuleViolation(
            f"下载记录的文件与文书 {letter.letter_no} 签发的文本不符", code="download_mismatch"
        )
    if facts.letter_no in downloads(ctx.session, case.id):
        raise RuleViolation(f"文书 {letter.letter_no} 的首次下载已经登记，不再重复登记", code=DOWNLOADED)
    out: dict[str, Any] = {
        "doc_type": letter.doc_type,
        "html_sha256": letter.html_sha256,
        "downloaded_at": ctx.now.isoformat(),
    }
    basis: tuple[str, ...] = ()
    if letter.doc_type == "reply":
        out.update(_reply_delivery(ctx, letter))
    elif _starts_applicant_period(ctx, letter):
        effect = delivery.record_notice_delivery(
            ctx,
            rf.RecordNoticeDeliveryFacts(
                document=letter.doc_type,
                method=law.DeliveryMethod.ELECTRONIC,
                proof=f"{law.ONLINE_DOWNLOAD_PROOF}（{facts.client_address}）",
                received_on=ctx.today,
            ),
        )
        out.update(effect.facts)
        out.update(
            delivery="notice", method=law.DeliveryMethod.ELECTRONIC.value, received_on=ctx.today.isoformat()
        )
        basis = effect.basis
    return Effect(facts=out, basis=basis)


def _reply_delivery(ctx: Ctx, letter: Letter) -> dict[str, Any]:
    """The reply's delivery, where it is not recorded yet (the latest reply of an answered request)."""
    case = ctx.case
    assert case.id is not None
    latest = delivery.latest_letter(ctx.session, case.id, "reply")
    if case.answered_on is None or case.delivered_on is not None or latest is None or latest.id != letter.id:
        return {}
    case.delivered_on = ctx.today
    return {
        "delivery": "reply",
        "method": REPLY_METHOD,
        "delivered_on": ctx.today.isoformat(),
        "date_rule": law.DELIVERY_DATE_RULES[law.DeliveryMethod.ELECTRONIC],
    }


def _starts_applicant_period(ctx: Ctx, letter: Letter) -> bool:
    """A notice starting the applicant's period, the latest of its kind, not yet delivered, on an open
    request (``record_notice_delivery`` is taken on open requests only)."""
    entry = law.PERIOD_FROM_DELIVERY.get(letter.doc_type)
    if entry is None or entry.recipient != "申请人" or letter.id is None:
        return False
    if ctx.case.state not in {s.value for s in OPEN_STATES}:
        return False
    latest = delivery.latest_letter(ctx.session, ctx.case.id or 0, letter.doc_type)
    return (
        latest is not None and latest.id == letter.id and delivery.delivery_of(ctx.session, letter.id) is None
    )
