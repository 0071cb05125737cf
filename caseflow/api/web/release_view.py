"""What the pages of the records to release show (``caseflow.api.web.release``) and who may change them: each
record's summary (pages, boxes, redacted pages, grounds, the released copy's status), the editor's
state as JSON for ``/assets/redact.js``, and the refusal texts of ``caseflow.release``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session

from caseflow import law
from caseflow.api.deps import Caller, actor_of
from caseflow.api.web.forms import zh_error
from caseflow.errors import CaseflowError, FactsError, Forbidden
from caseflow.models import Case, ReleaseRecord
from caseflow.release import copies
from caseflow.release.redact import RedactionError
from caseflow.states.machine import OPEN_STATES

#: The released copy's status, as the list shows it.
MADE, STALE, ISSUED, NOT_MADE = "已生成", "需重新生成", "已随答复发出", "未生成"
_OPEN = frozenset(s.value for s in OPEN_STATES)


def ground_choices() -> list[dict[str, str]]:
    """The grounds a box may name (Art. 14-16): value, the label printed in the box, the ground's name."""
    return [
        {"value": code, "label": label, "name": law.OUTCOMES_BY_CODE[code].name}
        for code, label in law.REDACTION_LABELS.items()
    ]


def label_of(ground: str) -> str:
    return law.REDACTION_LABELS.get(ground, ground)


def pages_text(pages: list[int]) -> str:
    """1, 2, 3, 5 -> "第1-3、5页"."""
    if not pages:
        return ""
    runs: list[list[int]] = []
    for p in sorted(set(pages)):
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return "第" + "、".join(f"{a}-{b}" if a != b else f"{a}" for a, b in runs) + "页"


def status_of(record: ReleaseRecord) -> str:
    if record.issued_seq is not None:
        return ISSUED
    if copies.current(record):
        return MADE
    return STALE if record.released_sha256 else NOT_MADE


def summary(record: ReleaseRecord) -> dict[str, Any]:
    """One record as the list and the case page show it."""
    by_ground: dict[str, set[int]] = defaultdict(set)
    for b in record.boxes:
        by_ground[str(b.get("ground", ""))].add(int(b.get("page", 0)))
    redacted = sorted({int(b.get("page", 0)) for b in record.boxes})
    return {
        "id": record.id,
        "title": record.title,
        "filename": record.filename,
        "pages": record.pages,
        "boxes": len(record.boxes),
        "redacted_pages": redacted,
        "redacted_text": pages_text(redacted) or "无",
        "grounds": [
            {"label": label_of(g), "pages": pages_text(sorted(p))} for g, p in sorted(by_ground.items())
        ],
        "open_suggestions": sum(1 for s in record.suggestions if s.get("status") == "open"),
        "status": status_of(record),
        "released": status_of(record) in (MADE, ISSUED),
        "uploaded_by": record.uploaded_by,
        "uploaded_at": record.uploaded_at,
    }


def frozen(case: Case, records: list[ReleaseRecord]) -> bool:
    """After the reply (or once a record went out with it) nothing may change."""
    return case.state not in _OPEN or case.answered_on is not None or any(r.issued_seq for r in records)


def may_change(caller: Caller, case: Case) -> bool:
    """The request's handler (a clerk) and the reviewers of the request's agency; supervisors and
    auditors only look."""
    actor = actor_of(caller)
    if actor.agency_id != case.agency_id:
        return False
    if "reviewer" in actor.roles:
        return True
    return "clerk" in actor.roles and (case.handler_id is None or case.handler_id == actor.user_id)


def check_may_change(caller: Caller, case: Case) -> None:
    if not may_change(caller, case):
        raise Forbidden("只有本申请的经办人或本机关的审核人员可以修改公开材料；督办和审计人员只能查看")


def refusal(exc: Exception) -> str:
    """A refusal of ``caseflow.release`` as the page shows it (Chinese, without field names)."""
    if isinstance(exc, FactsError):
        return "；".join(zh_error(m) for _, m in exc.errors) or exc.message
    if isinstance(exc, CaseflowError):
        return exc.message
    if isinstance(exc, RedactionError):
        return str(exc)
    raise exc


def editor_state(record: ReleaseRecord, sizes: tuple[tuple[float, float], ...]) -> dict[str, Any]:
    """The editor's data for the script: page sizes (points), boxes, suggestions, the grounds."""
    return {
        "record": record.id,
        "pages": record.pages,
        "sizes": [list(s) for s in sizes],
        "boxes": record.boxes,
        "suggestions": record.suggestions,
        "labels": dict(law.REDACTION_LABELS),
        "grounds": ground_choices(),
        "status": status_of(record),
    }


def case_summary(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The records of the request for the case page's 公开材料 section (empty when there are none)."""
    from sqlmodel import col, select

    where = col(ReleaseRecord.case_id) == case_id
    rows = session.exec(
        select(ReleaseRecord).where(where).order_by(col(ReleaseRecord.position), col(ReleaseRecord.id))
    )
    return [summary(r) for r in rows]
