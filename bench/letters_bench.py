"""Letters: HTML and PDF letters per second, a two-page reply's PDF time, and the whole issuing of
a reply (number, HTML, PDF, storage, evidence) as a clerk waits for it. Goal: never over a second."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

from bench.common import Figure, best_of, restore_env, set_env
from caseflow import service
from caseflow.accounts import create_agency
from caseflow.dates import SHANGHAI
from caseflow.db import make_engine, upgrade
from caseflow.models import User
from caseflow.replies.issue import compose
from caseflow.replies.render import render_pdf

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
LONG_REASONS = (
    "经审查，您申请获取的合同文本中载明了第三方的报价构成、成本测算和技术方案，属于第三方的商业秘密。"
    "本机关已依法书面征求第三方意见，第三方于法定期限内书面答复不同意公开，并说明公开将导致其在后续投标中"
    "处于不利地位、造成难以弥补的经济损失。本机关经审查认为，不公开上述内容不会对公共利益造成重大影响。"
) * 2


def _case(session: Session) -> service.Actor:
    create_agency(
        session,
        code="bench",
        name="某市人民政府办公室",
        letter_prefix="某政办公开",
        review_body="某市人民政府",
        court="某市中级人民法院",
        address="某市人民路1号",
    )
    session.commit()
    for name, roles in (("clerk", "clerk"), ("reviewer", "reviewer")):
        session.add(User(username=name, display_name=name, password_hash="-", roles=roles, agency_id=1))
    session.commit()
    return service.Actor.of(session, session.get(User, 1))  # type: ignore[arg-type]


def run(quick: bool) -> list[Figure]:
    from pypdf import PdfReader

    loops = 20 if quick else 100
    with tempfile.TemporaryDirectory() as tmp:
        saved = set_env(CASEFLOW_DATA_DIR=str(Path(tmp) / "data"), CASEFLOW_LETTER_PDF="1")
        try:
            url = f"sqlite:///{tmp}/letters.db"
            upgrade(url)
            engine = make_engine(url)
            with Session(engine, expire_on_commit=False) as session:
                clerk = _case(session)
                reviewer = service.Actor.of(session, session.get(User, 2))  # type: ignore[arg-type]
                application: dict[str, object] = {
                    "applicant_type": "commercial",
                    "applicant_name": "某某建设工程有限公司",
                    "id_type": "统一社会信用代码",
                    "id_number": "91110000MA0000000H",
                    "phone": "13800000000",
                    "description": "某道路改造工程施工合同及其附件",
                    "provision_form": "electronic",
                    "channel": "in_person",
                    "arrived_at": T0.isoformat(),
                }
                case = service.register(
                    session=session, actor=clerk, agency_code="bench", application=application, now=T0
                )
                assert case.id is not None
                case = service.perform(
                    session=session,
                    case_id=case.id,
                    actor=clerk,
                    action="draft_reply",
                    facts={"outcome": "withheld.third_party", "reasons": LONG_REASONS},
                    now=T0 + dt.timedelta(days=1),
                )
                assert case.id is not None
                service.perform(
                    session=session,
                    case_id=case.id,
                    actor=reviewer,
                    action="approve_reply",
                    facts={},
                    now=T0 + dt.timedelta(days=1),
                )

                def html_letter() -> str:
                    return compose(
                        session,
                        case,
                        "reply",
                        issue_date=T0.date(),
                        number="某政办公开〔2026〕1号",
                        outcome_code="withheld.third_party",
                        reply={"reasons": LONG_REASONS},
                    )[1]

                html = html_letter()
                html_seconds = best_of(3, lambda: [html_letter() for _ in range(loops)]) / loops
                pdf = render_pdf(html)
                pages = len(PdfReader(io.BytesIO(pdf)).pages)
                pdf_seconds = best_of(
                    3, lambda: [render_pdf(html) for _ in range(max(3, loops // 10))]
                ) / max(3, loops // 10)
                start = time.perf_counter()
                service.perform(
                    session=session,
                    case_id=case.id,
                    actor=clerk,
                    action="issue_reply",
                    facts={},
                    now=T0 + dt.timedelta(days=2),
                )
                issue_seconds = time.perf_counter() - start
            engine.dispose()
        finally:
            restore_env(saved)
    return [
        Figure(
            "HTML letters per second (a reply, context and template)",
            1 / html_seconds,
            "/s",
            "goal: one second per letter",
            1.0,
            "ratio >= 1",
        ),
        Figure(
            "PDF/A letters per second (the same reply)",
            1 / pdf_seconds,
            "/s",
            "goal: one second per letter",
            1.0,
            "ratio >= 1",
        ),
        Figure(f"PDF time for a {pages}-page reply", pdf_seconds, "s", "a clerk's wait", 1.0, "ratio <= 1"),
        Figure(
            "issue_reply with its letter (number, HTML, PDF, store, evidence)",
            issue_seconds,
            "s",
            "a clerk's wait",
            1.0,
            "ratio <= 1",
            "one transition, SQLite file",
        ),
    ]
