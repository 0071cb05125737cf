"""The applicant's view of an online application (issue 18): found by its submission number and
access code (``public_row``: the same answer whether the number is unknown or the code wrong) or by a
link signed for it (``by_number``), and what the applicant sees of it (``public_view``): where it
stands, and once confirmed the request's tracking number, query code, dates and letters."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from sqlmodel import Session, col, select

from caseflow import law
from caseflow.models import Case, Letter, OnlineApplication
from caseflow.portal.access import sign_link
from caseflow.portal.applications import ACCESS_CODE_LENGTH, RETURNED, STATUS_NAMES, hash_code, random_code
from caseflow.states.machine import STATE_NAMES, State


def public_status(session: Session, submission_no: str, code: str) -> dict[str, Any] | None:
    """What the applicant sees with the submission number and access code (None: no match; the
    same answer whether the number is unknown or the code wrong)."""
    row = public_row(session, submission_no, code)
    return public_view(session, row) if row is not None else None


def by_number(session: Session, submission_no: str) -> OnlineApplication | None:
    return session.exec(
        select(OnlineApplication).where(col(OnlineApplication.submission_no) == submission_no.strip().upper())
    ).first()


def public_row(session: Session, submission_no: str, code: str) -> OnlineApplication | None:
    """The application with this number if ``code`` is its access code (compared in constant time;
    a dummy hash for an unknown number), else None."""
    row = by_number(session, submission_no)
    given = hash_code(code)
    stored = row.access_code_hash if row is not None else hash_code(random_code(ACCESS_CODE_LENGTH))
    if not hmac.compare_digest(given, stored) or row is None:
        return None
    return row


def public_view(session: Session, row: OnlineApplication) -> dict[str, Any]:
    """What the applicant sees of their application, once they proved the access code."""
    answer: dict[str, Any] = {
        "submission_no": row.submission_no,
        "status": row.status,
        "status_name": STATUS_NAMES[row.status],
        "submitted_at": row.submitted_at.isoformat(),
        "agency": row.content.get("agency"),
    }
    if row.status == RETURNED:
        answer["return_reasons"] = row.return_reasons.split("\n")
        answer["return_notice"] = bool(row.return_notice_sha256)
    case = session.get(Case, row.case_id) if row.case_id is not None else None
    if case is not None:
        answer.update(
            tracking_no=case.tracking_no,
            query_code=case.query_code,
            state=case.state,
            state_name=STATE_NAMES[State(case.state)],
            receipt_date=case.receipt_date.isoformat(),
            reply_due=case.reply_due.isoformat() if case.reply_due else None,
            letters=[
                {
                    "doc_type": x.doc_type,
                    "title": x.title,
                    "letter_no": x.letter_no,
                    "issued_on": x.issued_on.isoformat(),
                }
                for x in session.exec(
                    select(Letter)
                    # the letters to the applicant only (not consultation letters to third parties)
                    .where(
                        col(Letter.case_id) == case.id,
                        col(Letter.doc_type).in_(sorted(law.APPLICANT_DOCUMENTS)),
                    )
                    .order_by(col(Letter.id))
                )
            ],
            # the request's page (issue 18 / C), by a link signed for the look-up's working time
            request_link=f"/public/r/{sign_link(case.id or 0, case.query_code)}",
        )
    return answer


def online_periods(today: dt.date) -> dict[str, Any]:
    """The legal periods an online applicant is told (``caseflow.law``, the rule set of an application
    received ``today``): the receipt date is the day of confirmation, the supplement notice's and the
    reply's periods."""
    receipt = law.RECEIPT_RULES[law.Channel.INTERNET]
    rules = law.rules_for(today)
    return {
        "receipt": f"{receipt.text}（{receipt.basis.label}）",
        "supplement_days": law.SUPPLEMENT_NOTICE.days,
        "supplement_basis": law.SUPPLEMENT_NOTICE.basis.label,
        "reply_days": rules.reply_days,
        "extension_days": rules.extension_max_days,
        "reply_basis": rules.reply_basis.label,
    }
