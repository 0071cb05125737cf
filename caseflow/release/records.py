"""A request's records to release (Art. 36(2), 37): upload, boxes, suggestions, the released copies.

Every function works in the caller's session and transaction (the caller commits, through
``caseflow.db.write_transaction``); a refusal raises before anything is changed.

- ``add`` stores the upload as it came (``original_sha256``: it never leaves the office) and the PDF
  the boxes are drawn on (``pdf_sha256``: the upload itself, or its conversion, ``convert``), with
  the boxes the engine suggests (``redact.suggest``), all open.
- ``set_boxes`` / ``decide`` change the boxes; each change makes a new ``boxes_digest``, so the
  released copy made for the old boxes (``released_digest``) is stale until ``prepare`` makes it
  again (``caseflow.release.copies``: the burn-in runs outside the engine's transaction).
- ``copies``: the released copies and the manifest a reply releases.
- Once the request is answered or concluded, or the reply released the record (``issued_seq``), it
  is frozen.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from sqlmodel import Session, col, func, select

from caseflow.cases.pending_uploads import size_text
from caseflow.dates import now
from caseflow.errors import FactsError, NotFound, RuleViolation
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, ReleaseRecord
from caseflow.release import convert, redact
from caseflow.states.machine import OPEN_STATES, STATE_NAMES, State

MB = 1024 * 1024
#: The largest upload accepted (bytes).
MAX_FILE_BYTES = 20 * MB
PDF = "application/pdf"
DECISIONS = {True: "accepted", False: "rejected"}
DECISION_NAMES = {"accepted": "采纳", "rejected": "不采纳"}


# --- reading ----------------------------------------------------------------------------------


def for_case(session: Session, case_id: int) -> list[ReleaseRecord]:
    """The request's records in their order."""
    return list(
        session.exec(
            select(ReleaseRecord)
            .where(col(ReleaseRecord.case_id) == case_id)
            .order_by(col(ReleaseRecord.position), col(ReleaseRecord.id))
        )
    )


def record_of(session: Session, case: Case, record_id: int) -> ReleaseRecord:
    """One record of the request (``NotFound`` when the request has no such record)."""
    record = session.get(ReleaseRecord, record_id)
    if record is None or record.case_id != case.id:
        raise NotFound("该申请没有这份公开材料")
    return record


def _docs(store: DocumentStore | None) -> DocumentStore:
    return store or DocumentStore()


#: PdfInfo by the PDF's SHA-256 (content-addressed: never stale), the latest few.
_INFOS: dict[str, redact.PdfInfo] = {}
_INFOS_LOCK = threading.Lock()


def _remember(sha256: str, info: redact.PdfInfo) -> None:
    with _INFOS_LOCK:
        _INFOS[sha256] = info
        while len(_INFOS) > 64:
            del _INFOS[next(iter(_INFOS))]


def pdf_info(session: Session, record: ReleaseRecord, store: DocumentStore | None = None) -> redact.PdfInfo:
    """The pages and page sizes of the record's PDF."""
    info = _INFOS.get(record.pdf_sha256)
    if info is None:
        info = redact.inspect(_docs(store).read(record.pdf_sha256, session))
        _remember(record.pdf_sha256, info)
    return info


# --- the frozen states ------------------------------------------------------------------------


def answered(case: Case) -> bool:
    """The request is answered or concluded: its records cannot change any more."""
    return case.answered_on is not None or case.state not in {s.value for s in OPEN_STATES}


def _check_open(case: Case) -> None:
    if answered(case):
        name = STATE_NAMES[State(case.state)] if case.state in {s.value for s in State} else case.state
        raise RuleViolation(
            f"本申请已答复或已办结（当前状态：{name}），公开材料不能再上传或更改",
            code="release_frozen",
        )


def _check_changeable(session: Session, record: ReleaseRecord) -> Case:
    case = session.get(Case, record.case_id)
    if case is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound("没有这件申请")
    _check_open(case)
    if record.issued_seq is not None:
        raise RuleViolation(f"「{record.title}」已随答复公开，不能再更改或移除", code="release_frozen")
    return case


# --- upload -----------------------------------------------------------------------------------


def _shown(filename: str) -> str:
    """The file's own name (no folders: some browsers send ``C:\\fakepath\\…``)."""
    return PureWindowsPath(PurePosixPath(filename or "").name).name.strip()


def _refuse(message: str) -> FactsError:
    return FactsError([("file", message)])


def add(
    session: Session,
    case: Case,
    *,
    actor: str,
    filename: str,
    data: bytes,
    title: str = "",
    store: DocumentStore | None = None,
) -> ReleaseRecord:
    """Store an uploaded record (PDF; JPEG/PNG converted to PDF; Word/Excel converted by LibreOffice
    when installed, refused otherwise) with its suggested boxes. Refused (Chinese message) for a
    request already answered, an encrypted/damaged/empty PDF, a file that is not what it claims, a
    record over ``redact.MAX_PAGES`` pages."""
    _check_open(case)
    if case.id is not None and any(r.issued_seq is not None for r in for_case(session, case.id)):
        raise RuleViolation("本申请的公开材料已随答复公开，不能再上传", code="release_frozen")
    shown = _shown(filename) or "未命名文件"
    if not data:
        raise _refuse(f"文件“{shown}”是空文件，请重新选择")
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(
            f"文件“{shown}”大小为 {size_text(len(data))}，超过每个文件 {MAX_FILE_BYTES // MB} MB 的上限，"
            "请压缩或拆分后重新上传"
        )
    try:
        converted = convert.to_pdf(data, shown)
        info = redact.inspect(converted.pdf)
        suggested = redact.suggest(converted.pdf)
    except convert.ConversionError as exc:
        raise _refuse(str(exc)) from exc
    except redact.RedactionError as exc:
        raise _refuse(f"文件“{shown}”：{exc}") from exc

    stem = shown.rsplit(".", 1)[0] if "." in shown else shown
    name = (title or "").strip() or stem.strip() or "公开材料"
    name = name[:200]
    stored_name = (
        shown if shown.lower().endswith(f".{converted.extension}") else f"{stem}.{converted.extension}"
    )
    docs = _docs(store)
    original = docs.put(session, data, media_type=converted.media_type, filename=stored_name[-300:])
    pdf = original
    if converted.pdf is not data:
        pdf = docs.put(session, converted.pdf, media_type=PDF, filename=f"{stem}.pdf"[-300:])
    _remember(pdf, info)
    assert case.id is not None
    last = session.exec(
        select(func.max(ReleaseRecord.position)).where(col(ReleaseRecord.case_id) == case.id)
    ).one()
    moment = now()
    record = ReleaseRecord(
        case_id=case.id,
        position=(last or 0) + 1,
        title=name,
        filename=stored_name[-300:],
        original_sha256=original,
        pdf_sha256=pdf,
        pages=info.pages,
        boxes=[],
        suggestions=[
            {
                "id": f"s{number}",
                "page": box.page,
                "box": [float(v) for v in box.box],
                "ground": box.ground,
                "text": box.text,
                "status": "open",
                "by": "",
                "at": "",
            }
            for number, box in enumerate(suggested, start=1)
        ],
        boxes_digest=boxes_digest([]),
        uploaded_by=actor,
        uploaded_at=moment,
        updated_by=actor,
        updated_at=moment,
    )
    session.add(record)
    session.flush()
    return record


# --- boxes ------------------------------------------------------------------------------------


def _key(box: dict[str, Any]) -> tuple[int, tuple[float, ...], str]:
    """What makes two boxes the same redaction: page, rectangle (to 0.1 pt) and ground."""
    return int(box["page"]), tuple(round(float(v), 1) for v in box["box"]), str(box["ground"])


def boxes_digest(boxes: Sequence[dict[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of the boxes' page, rectangle and ground (sorted)."""
    items = sorted(
        (
            {"page": int(b["page"]), "box": [float(v) for v in b["box"]], "ground": str(b["ground"])}
            for b in boxes
        ),
        key=lambda b: (b["page"], b["box"], b["ground"]),
    )
    text = json.dumps(items, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _parse(record: ReleaseRecord, boxes: Sequence[Any]) -> list[dict[str, Any]]:
    """The boxes as posted, each ``{"page", "box", "ground"}``; FactsError for a malformed one."""
    parsed: list[dict[str, Any]] = []
    if not isinstance(boxes, (list, tuple)):
        raise FactsError([("boxes", f"「{record.title}」：遮盖框应为列表")])
    for number, item in enumerate(boxes, start=1):
        try:
            assert isinstance(item, dict)
            page = item["page"]
            assert isinstance(page, int) and not isinstance(page, bool)
            rect = item["box"]
            assert isinstance(rect, (list, tuple)) and len(rect) == 4
            assert all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in rect
            )
            ground = item["ground"]
            assert isinstance(ground, str)
        except (AssertionError, KeyError, TypeError) as exc:
            raise FactsError(
                [
                    (
                        "boxes",
                        f"「{record.title}」：第{number}个遮盖框格式不正确（应含页码、矩形四个坐标和理由）",
                    )
                ]
            ) from exc
        parsed.append({"page": page, "box": [float(v) for v in rect], "ground": ground})
    return parsed


def engine_box(box: dict[str, Any]) -> redact.Box:
    x0, y0, x1, y1 = (float(v) for v in box["box"])
    return redact.Box(int(box["page"]), (x0, y0, x1, y1), str(box["ground"]))


def _check(
    session: Session, record: ReleaseRecord, boxes: list[dict[str, Any]], store: DocumentStore | None
) -> None:
    try:
        redact.check_boxes(
            pdf_info(session, record, store),
            [engine_box(b) for b in boxes],
        )
    except redact.RedactionError as exc:
        raise FactsError([("boxes", f"「{record.title}」：{exc}")]) from exc


def _touch(record: ReleaseRecord, boxes: list[dict[str, Any]], actor: str) -> None:
    record.boxes = boxes
    record.boxes_digest = boxes_digest(boxes)
    record.updated_by = actor
    record.updated_at = now()


def set_boxes(
    session: Session,
    record: ReleaseRecord,
    boxes: list[dict[str, Any]],
    *,
    actor: str,
    store: DocumentStore | None = None,
) -> None:
    """Replace the record's boxes (each ``{"page", "box", "ground"}``; kept boxes keep who drew them,
    new ones are ``actor``'s); refused for a box outside its page or an unknown ground."""
    _check_changeable(session, record)
    wanted = _parse(record, boxes)
    _check(session, record, wanted, store)
    kept = {_key(b): b for b in record.boxes}
    moment = now().isoformat()
    result: list[dict[str, Any]] = []
    seen: set[tuple[int, tuple[float, ...], str]] = set()
    for box in wanted:
        key = _key(box)
        if key in seen:
            continue
        seen.add(key)
        # a kept box stays exactly as it was (who drew it, when, and its rectangle to the last digit)
        result.append(
            dict(kept[key]) if key in kept else {**box, "by": actor, "at": moment, "source": "manual"}
        )
    if result == record.boxes:
        return  # nothing changed: the released copy stays current
    _touch(record, result, actor)
    session.add(record)
    session.flush()


def decide(
    session: Session,
    record: ReleaseRecord,
    suggestion_id: str,
    accept: bool,
    *,
    actor: str,
    store: DocumentStore | None = None,
) -> None:
    """Accept (it becomes a box, source ``suggested``) or reject a suggested box."""
    _check_changeable(session, record)
    found = [s for s in record.suggestions if s.get("id") == suggestion_id]
    if not found:
        raise NotFound(f"「{record.title}」没有编号为 {suggestion_id} 的建议遮盖")
    suggestion = found[0]
    status = DECISIONS[accept]
    if suggestion.get("status") == status:
        return  # the same decision again: nothing to do
    if suggestion.get("status") != "open":
        raise RuleViolation(
            f"「{record.title}」第{suggestion['page']}页的建议遮盖（{suggestion_id}）已于此前"
            f"被{suggestion.get('by') or '他人'}决定为「{DECISION_NAMES[suggestion['status']]}」，"
            f"不能再改为「{DECISION_NAMES[status]}」；如需调整，请直接增删遮盖框",
            code="suggestion_decided",
        )
    moment = now().isoformat()
    boxes = list(record.boxes)
    if accept:
        box = {"page": suggestion["page"], "box": list(suggestion["box"]), "ground": suggestion["ground"]}
        _check(session, record, [box], store)
        if _key(box) not in {_key(b) for b in boxes}:
            boxes.append({**box, "by": actor, "at": moment, "source": "suggested"})
    record.suggestions = [
        {**s, "status": status, "by": actor, "at": moment} if s.get("id") == suggestion_id else s
        for s in record.suggestions
    ]
    _touch(record, boxes, actor)
    session.add(record)
    session.flush()


def remove(session: Session, record: ReleaseRecord, *, actor: str) -> None:
    """Take a record off the request before the reply is issued."""
    case = _check_changeable(session, record)
    session.delete(record)
    session.flush()
    assert case.id is not None
    for position, other in enumerate(for_case(session, case.id), start=1):
        if other.position != position:
            other.position = position
            session.add(other)
    session.flush()
