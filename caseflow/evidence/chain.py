"""The evidence chain: canonical serialisation, hashing, appending, verifying.

Each event's ``payload`` is its canonical JSON: UTF-8, keys sorted, no insignificant white space
(``json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``), with the keys

    v, case, seq, moment, actor, role, action, from, to, facts, basis, documents, prev_hash

where ``moment`` is ISO 8601 with its offset (Asia/Shanghai), ``documents`` a list of
``{"kind", "sha256"}`` and ``prev_hash`` the previous event's hash (64 zeros for the first).
``hash`` = lowercase hex SHA-256 of the payload's UTF-8 bytes. Anyone holding the events can
recompute every hash and link without caseflow.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from caseflow.models import Case, EvidenceEvent

GENESIS = "0" * 64
EVENT_TABLE: Table = EvidenceEvent.__table__  # type: ignore[attr-defined]
_EVENT_INSERT = EVENT_TABLE.insert()  # built once: one per transition
FORMAT_VERSION = 1


def canonical(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class EventRecord:
    """What an event says, before it is chained."""

    actor: str
    role: str
    action: str
    from_state: str | None
    to_state: str
    facts: dict[str, Any]
    basis: tuple[str, ...] = ()
    documents: tuple[tuple[str, str], ...] = ()  # (kind, sha256)


def build_payload(
    record: EventRecord, *, tracking_no: str, seq: int, moment: dt.datetime, prev_hash: str
) -> str:
    if moment.tzinfo is None:
        raise ValueError("an evidence moment must be timezone-aware")
    return canonical(
        {
            "v": FORMAT_VERSION,
            "case": tracking_no,
            "seq": seq,
            "moment": moment.isoformat(),
            "actor": record.actor,
            "role": record.role,
            "action": record.action,
            "from": record.from_state,
            "to": record.to_state,
            "facts": record.facts,
            "basis": list(record.basis),
            "documents": [{"kind": k, "sha256": h} for k, h in record.documents],
            "prev_hash": prev_hash,
        }
    )


def append(session: Session, case: Case, record: EventRecord, moment: dt.datetime) -> str:
    """Chain a new event to the case (the caller holds the case's row lock and commits).

    Inserted with a Core INSERT on the session's connection (no ORM object, no autoflush): events
    are written once and never loaded back in the same unit of work. Returns the new hash.
    """
    assert case.id is not None
    seq = case.event_count + 1
    payload = build_payload(
        record, tracking_no=case.tracking_no, seq=seq, moment=moment, prev_hash=case.last_hash
    )
    digest = sha256_hex(payload)
    session.connection().execute(
        _EVENT_INSERT,
        [
            {
                "case_id": case.id,
                "seq": seq,
                "moment": moment,
                "actor": record.actor,
                "role": record.role,
                "action": record.action,
                "from_state": record.from_state,
                "to_state": record.to_state,
                "payload": payload,
                "prev_hash": case.last_hash,
                "hash": digest,
            }
        ],
    )
    case.event_count = seq
    case.last_hash = digest
    return digest


@dataclass(frozen=True, slots=True)
class Problem:
    tracking_no: str
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"第{self.seq}条事件" if self.seq is not None else "链头"
        return f"{self.tracking_no} {where}：{self.message}"


def verify_events(tracking_no: str, events: Iterable[dict[str, Any]]) -> tuple[Problem | None, int, str]:
    """Check one case's events in stored order: (first problem or None, events seen, head hash).

    Each event is a mapping with at least ``seq``, ``payload``, ``prev_hash`` and ``hash`` (and,
    when present, ``action``, ``from_state``, ``to_state``, ``actor`` compared with the payload).
    Works the same on database rows and on an export's ``events.jsonl``.
    """
    prev = GENESIS
    count = 0
    for expected_seq, ev in enumerate(events, 1):
        count = expected_seq
        seq = ev.get("seq")
        if seq != expected_seq:
            return (
                Problem(
                    tracking_no,
                    seq,
                    f"事件顺序不连续：应为第{expected_seq}条，实为第{seq}条（有事件被删除、重复或调换）",
                ),
                count,
                prev,
            )
        payload = ev.get("payload")
        if not isinstance(payload, str):
            return Problem(tracking_no, seq, "缺少事件内容"), count, prev
        if "redacted" in ev:  # a masked package or the events API: an old payload's number masked
            if not _redaction_allowed(ev, payload):
                return (
                    Problem(
                        tracking_no,
                        seq,
                        "标记为已遮蔽，但不是对登记事件中身份证件号码的遮蔽",
                    ),
                    count,
                    prev,
                )
            if not isinstance(ev.get("hash"), str) or len(ev["hash"]) != 64:
                return Problem(tracking_no, seq, "缺少哈希值"), count, prev
        elif sha256_hex(payload) != ev.get("hash"):
            return (
                Problem(tracking_no, seq, "内容与其哈希值不符（事件被修改）"),
                count,
                prev,
            )
        try:
            body = json.loads(payload)
        except json.JSONDecodeError:
            return Problem(tracking_no, seq, "事件内容不是JSON"), count, prev
        if not isinstance(body, dict):
            return Problem(tracking_no, seq, "事件内容不是事件对象"), count, prev
        if body.get("prev_hash") != prev or ev.get("prev_hash") != prev:
            return (
                Problem(
                    tracking_no,
                    seq,
                    "未与前一条事件衔接（之前的事件被删除、修改或调换）",
                ),
                count,
                prev,
            )
        if body.get("seq") != seq or body.get("case") != tracking_no:
            return Problem(tracking_no, seq, "事件内容记载的申请或序号与所在位置不符"), count, prev
        for column, key in (
            ("action", "action"),
            ("from_state", "from"),
            ("to_state", "to"),
            ("actor", "actor"),
            ("role", "role"),
        ):
            if column in ev and ev[column] != body.get(key):
                return (
                    Problem(tracking_no, seq, f"{column} 列与已哈希的事件内容不一致（被修改）"),
                    count,
                    prev,
                )
        if "moment" in ev and not _same_moment(ev["moment"], body.get("moment")):
            return Problem(tracking_no, seq, "moment 列与已哈希的事件内容不一致（被修改）"), count, prev
        prev = ev["hash"]
    return None, count, prev


def _redaction_allowed(ev: dict[str, Any], payload: str) -> bool:
    """Only the first event (register) may stand redacted, and only with its identity number masked:
    its hash is then taken as recorded (the stored payload, with the number, is not in the package)."""
    from caseflow import identity

    try:
        body = json.loads(payload)
    except json.JSONDecodeError:
        return False
    return (
        ev.get("redacted") == identity.REDACTED
        and ev.get("seq") == 1
        and isinstance(body, dict)
        and body.get("action") == "register"
        and identity.redacted_hidden_enough(payload)
    )


def redacted_count(events: Iterable[dict[str, Any]]) -> int:
    """How many of (verified) events stand redacted, their hashes taken as recorded."""
    return sum(1 for ev in events if "redacted" in ev)


def _same_moment(column: object, payload: object) -> bool:
    """A stored moment (datetime, or ISO text in an export) equals the payload's ISO moment."""
    if not isinstance(payload, str):
        return False
    try:
        stated = dt.datetime.fromisoformat(payload)
        stored = column if isinstance(column, dt.datetime) else dt.datetime.fromisoformat(str(column))
    except ValueError:
        return False
    if stored.tzinfo is None:  # SQLite hands back UTC without its zone through a plain select
        stored = stored.replace(tzinfo=dt.UTC)
    return stored == stated


def verify_case(session: Session, case: Case) -> Problem | None:
    rows = session.execute(
        sa_select(
            EVENT_TABLE.c.seq,
            EVENT_TABLE.c.payload,
            EVENT_TABLE.c.prev_hash,
            EVENT_TABLE.c.hash,
            EVENT_TABLE.c.action,
            EVENT_TABLE.c.from_state,
            EVENT_TABLE.c.to_state,
            EVENT_TABLE.c.actor,
            EVENT_TABLE.c.role,
            EVENT_TABLE.c.moment,
        )
        .where(col(EvidenceEvent.case_id) == case.id)
        .order_by(col(EvidenceEvent.seq), col(EvidenceEvent.id))
    ).mappings()
    problem, count, head = verify_events(case.tracking_no, (dict(r) for r in rows))
    if problem:
        return problem
    if count != case.event_count or head != case.last_hash:
        return Problem(
            case.tracking_no,
            None,
            f"申请记载有{case.event_count}条事件，末条为{case.last_hash[:12]}…；"
            f"证据链实有{count}条，末条为{head[:12]}…（最后一条事件被删除或替换）",
        )
    return None


def verify_all(session: Session, tracking_nos: Sequence[str] | None = None) -> tuple[int, Problem | None]:
    """Verify every case's chain (or the named ones): (cases checked, first problem)."""
    stmt = select(Case).order_by(col(Case.id))
    if tracking_nos:
        stmt = stmt.where(col(Case.tracking_no).in_(tracking_nos))
    checked = 0
    for case in session.exec(stmt):
        checked += 1
        problem = verify_case(session, case)
        if problem:
            return checked, problem
    return checked, None
