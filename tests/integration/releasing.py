"""A request answered with a partial reply (Art. 37) that releases a redacted record, built through
the real path: ``records.add`` / ``set_boxes`` / ``prepare_all``, then the engine's ``draft_reply``,
``approve_reply``, ``confidentiality_review`` and ``issue_reply``. For tests that need released
records (the portal, the evidence package, the annual report...).

The record is a scanned-like PDF (page images drawn with Pillow, embedded by img2pdf), so its
released copy is a burn-in of real pages; ``plain=True`` adds a second record released unredacted
(its released copy is its PDF itself).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

import img2pdf
from PIL import Image, ImageDraw
from sqlmodel import Session, col, select

from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, EvidenceEvent, ReleaseRecord
from caseflow.release import copies, records
from tests.integration.conftest import T0, World

DAY = dt.timedelta(days=1)
TITLE = "2025年道路维修工程预算表"
PLAIN_TITLE = "道路维修工程招标公告"
#: Page 1: a box of internal affairs; page 2: one of process information and one of internal affairs.
#: (Grounds that need no earlier step: withholding for a third party needs its consultation, Art. 32.)
BOXES: list[dict[str, Any]] = [
    {"page": 1, "box": [72.0, 100.0, 300.0, 130.0], "ground": "withheld.internal_affairs"},
    {"page": 2, "box": [72.0, 200.0, 400.0, 260.0], "ground": "withheld.process_info"},
    {"page": 2, "box": [72.0, 300.0, 250.0, 330.0], "ground": "withheld.internal_affairs"},
]
AGREE = {"conclusion": "agree", "comments": "经审查，遮盖部分以外不涉及国家秘密、商业秘密和个人隐私"}
#: Actors per agency of ``conftest.World``: (handler, reviewer).
ACTORS = {"city": ("clerk", "reviewer"), "dept": ("dept_clerk", "dept_reviewer")}


def record_pdf(pages: int = 3, label: str = "record") -> bytes:
    """A real PDF of ``pages`` A4 pages (page images with a few lines each, like a scan)."""
    images = []
    for n in range(1, pages + 1):
        image = Image.new("RGB", (595, 842), "white")
        draw = ImageDraw.Draw(image)
        for line in range(12):
            draw.text((72, 100 + 40 * line), f"{label} page {n} line {line + 1} 13800000000", fill="black")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        images.append(buffer.getvalue())
    data: bytes = img2pdf.convert(images)
    return data


def decide_all(session: Session, case: Case, *, accept: bool = False, actor: str = "clerk") -> int:
    """Decide every open suggested box of the request's records (``records.decide``: reject, or with
    ``accept`` accept), in the caller's transaction, as the handler does before the review
    (``copies.manifest`` refuses while one is open); the number decided."""
    assert case.id is not None
    decided = 0
    for record in records.for_case(session, case.id):
        for suggestion in [s for s in record.suggestions if s.get("status") == "open"]:
            records.decide(session, record, str(suggestion["id"]), accept, actor=actor)
            decided += 1
    return decided


@dataclass
class Released:
    """The answered request, its records (the redacted one first) and the reply's event."""

    case: Case
    record: ReleaseRecord
    plain: ReleaseRecord | None
    original: bytes
    event: dict[str, Any]  # the issue_reply event's payload

    @property
    def released_bytes(self) -> bytes:
        assert self.record.released_sha256 is not None
        return DocumentStore().read(self.record.released_sha256)


def answered_partial(
    world: World,
    *,
    agency: str = "city",
    at: dt.datetime = T0,
    pages: int = 3,
    boxes: list[dict[str, Any]] | None = None,
    plain: bool = False,
) -> Released:
    """Register a request at ``at``, release one redacted record (``boxes``, default ``BOXES``) with a
    partial reply issued four days later (and, with ``plain``, a second record without boxes)."""
    handler, reviewer = ACTORS[agency]
    session = world.session
    case = world.new_case(agency=agency, actor=handler, at=at)
    original = record_pdf(pages, "budget")
    record = records.add(session, case, actor=handler, filename="预算表.pdf", data=original, title=TITLE)
    chosen = BOXES if boxes is None else boxes
    records.set_boxes(session, record, chosen, actor=handler)
    if plain:
        records.add(
            session, case, actor=handler, filename="公告.pdf", data=record_pdf(1, "notice"), title=PLAIN_TITLE
        )
    decide_all(session, case, actor=handler)  # (scan-like pages: nothing suggested; a text layer would)
    session.commit()
    copies.prepare_all(session, case)
    session.commit()
    grounds = sorted({b["ground"] for b in chosen}) or ["withheld.process_info"]
    partial = {
        "outcome": "partial",
        "reasons": "预算表中的内部管理信息和讨论记录依法不予公开",
        "provided": "预算表（遮盖不予公开的部分）",
        "withheld_grounds": grounds,
    }
    moment = at
    for action, facts, actor in (
        ("draft_reply", partial, handler),
        ("approve_reply", {"comments": "同意"}, reviewer),
        ("confidentiality_review", AGREE, reviewer),
        ("issue_reply", {}, handler),
    ):
        moment += DAY
        case = world.act(case, action, facts, actor=actor, at=moment)
    session.expire_all()
    assert case.id is not None
    row = session.exec(
        select(EvidenceEvent.payload).where(
            col(EvidenceEvent.case_id) == case.id, col(EvidenceEvent.action) == "issue_reply"
        )
    ).one()
    kept = records.for_case(session, case.id)
    return Released(
        case=case,
        record=kept[0],
        plain=kept[1] if plain else None,
        original=original,
        event=json.loads(row),
    )
