"""The return notice (网上申请退回告知书): what an applicant gets when an online application is returned
as not an application for government information (Art. 39(1): 信访、投诉、举报 … are not handled as
applications; the applicant may be told the proper channel).

The notice is rendered from ``templates/replies/online_return_notice.html`` in the letters' style
(``caseflow.replies.render``) and its HTML stored content-addressed in ``document`` in the caller's
transaction; the application row names it by ``return_notice_sha256``. No PDF: the notice is not a
numbered letter of a registered request, and rendering a PDF/A inside the clerk's transaction would
cost seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from caseflow import law
from caseflow.dates import legal_date, zh
from caseflow.evidence.store import DocumentStore
from caseflow.models import Agency, OnlineApplication
from caseflow.replies.context import clause, you
from caseflow.replies.render import render_html

TEMPLATE = "online_return_notice"
TITLE = "网上申请退回告知书"
MEDIA_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class StandardReason:
    code: str
    text: str
    #: Where to go instead (stated on the notice), or "".
    guidance: str = ""


#: The usual reasons a clerk picks on the inbox page; free text may be added to them.
STANDARD_REASONS: tuple[StandardReason, ...] = (
    StandardReason(
        "petition",
        "申请内容属于信访事项，不是获取政府信息的申请",
        "信访事项可以依照《信访工作条例》向有关机关的信访工作机构提出",
    ),
    StandardReason(
        "complaint",
        "申请内容属于投诉、举报，不是获取政府信息的申请",
        "投诉、举报可以向有关主管部门提出，也可以拨打12345政务服务便民热线",
    ),
    StandardReason(
        "consultation",
        "申请内容属于咨询，不是获取政府信息的申请",
        "咨询事项可以通过本机关公布的咨询电话或者12345政务服务便民热线提出",
    ),
    StandardReason("no_contact", "申请未提供有效的联系方式，无法与申请人确认申请"),
    StandardReason(
        "duplicate",
        "本申请与申请人此前提交的网上申请内容相同，属于重复提交",
        "此前提交的申请按其编号办理，可凭其编号和查询码查询进度",
    ),
    StandardReason(
        "not_ours",
        "申请事项不属于本机关的职责范围",
        "请向负责该事项的行政机关提出政府信息公开申请",
    ),
)
BY_CODE = {r.code: r for r in STANDARD_REASONS}
_GUIDANCE = {r.text: r.guidance for r in STANDARD_REASONS if r.guidance}


def render(row: OnlineApplication, agency: Agency, reasons: list[str], decided_at: dt.datetime) -> str:
    """The notice's HTML for ``row`` returned at ``decided_at`` with ``reasons``."""
    content = row.content
    context = {
        "letter": {
            "title": TITLE,
            "number": f"（提交编号：{row.submission_no}）",
            "date": zh(legal_date(decided_at)),
            "draft": False,
            "doc_type": TEMPLATE,
            "series": "notice",
        },
        "agency": {"name": agency.name, "short_name": "本机关", "address": agency.address},
        "applicant": {"name": content.get("applicant_name", ""), "type": content.get("applicant_type", "")},
        "you": you(str(content.get("applicant_type", ""))),
        "remedies": None,
        "notice": {
            "submission_no": row.submission_no,
            "submitted_on": zh(legal_date(row.submitted_at)),
            "reasons": clause(reasons),
            "guidance": [clause(_GUIDANCE[r]) for r in reasons if r in _GUIDANCE],
            "basis": law.NOT_AN_APPLICATION_BASIS.label,
        },
    }
    return render_html(TEMPLATE, context)


def store(
    session: Session, row: OnlineApplication, agency: Agency, reasons: list[str], decided_at: dt.datetime
) -> str:
    """Render and store the notice in the caller's transaction; its SHA-256."""
    html = render(row, agency, reasons, decided_at).encode("utf-8")
    return DocumentStore().put(
        session, html, media_type=MEDIA_TYPE, filename=f"退回告知书-{row.submission_no}.html"
    )


def read(row: OnlineApplication, session: Session | None = None) -> bytes:
    """The stored notice's bytes (checked against their hash); ``FileNotFoundError`` if there is none."""
    if not row.return_notice_sha256:
        raise FileNotFoundError(f"{row.submission_no} has no return notice")
    return DocumentStore().read(row.return_notice_sha256, session)
