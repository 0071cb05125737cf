"""The request's file as the case page tells it: the uploaded documents, every delivery record, the
evidence events with the people who acted, and the drafts of the reply one after another.

Read-side only, like ``caseflow.queries``: nothing here writes, and the caller has already scoped
the request to the actor's agencies (``service.load_visible`` / ``caseflow.api.deps.CurrentCase``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from caseflow import identity, law
from caseflow.models import CaseDocument, Document, EvidenceEvent, Letter, NoticeDelivery, User
from caseflow.states.roles import SYSTEM

#: What an uploaded file is to the request (``CaseDocument.kind``); letters have their own list.
UPLOAD_KIND_NAMES: dict[str, str] = {
    "application": "申请书扫描件",
    "envelope": "信封或确认记录",
    "proof": "更正申请的证据",
    "confirmation": "确认记录",
    "identity": "身份证明",
    "supplement": "补正材料",
    "attachment": "申请附件",
}
OTHER_UPLOAD = "其他材料"
#: The kinds of the issued letters' files (``letter.html:<doc>``, ``letter.pdf:<doc>``).
LETTER_KIND_PREFIX = "letter."
SYSTEM_NAME = "系统"
#: How the reply's own delivery (``record_delivery``) was made; notices use ``law.DeliveryMethod``.
REPLY_DELIVERY_METHODS: dict[str, str] = {
    "in_person": "直接送达",
    "post": "邮寄",
    "email": "电子邮件",
    "online": "网上送达",
    "fax": "传真",
}


def display_names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """username -> the person's name (``User.display_name``); the system is 系统."""
    wanted = {u for u in usernames if u}
    names = {SYSTEM: SYSTEM_NAME} if SYSTEM in wanted else {}
    rest = wanted - {SYSTEM}
    if rest:
        for user in session.exec(select(User).where(col(User.username).in_(sorted(rest)))):
            names[user.username] = user.display_name or user.username
    return names


def _event_actors(session: Session, case_id: int) -> dict[int, tuple[str, dt.datetime]]:
    """seq -> (actor's username, moment) of the request's events."""
    rows = session.exec(
        select(EvidenceEvent.seq, EvidenceEvent.actor, EvidenceEvent.moment).where(
            col(EvidenceEvent.case_id) == case_id
        )
    )
    return {seq: (actor, moment) for seq, actor, moment in rows}


#: Facts marking an event that filed what the applicant submitted online (the online application
#: confirmed, a supplement sent on the request page): its files are the applicant's, not the clerk's.
_APPLICANT_FILED = ("online_submission_no", "applicant_submission_id")


def _applicant_filed(session: Session, case_id: int, seqs: set[int]) -> set[int]:
    """Those of ``seqs`` whose event filed files the applicant submitted online."""
    if not seqs:
        return set()
    rows = session.exec(
        select(EvidenceEvent.seq, EvidenceEvent.payload).where(
            col(EvidenceEvent.case_id) == case_id, col(EvidenceEvent.seq).in_(seqs)
        )
    )
    return {seq for seq, payload in rows if any(f'"{key}"' in payload for key in _APPLICANT_FILED)}


def upload_kind_name(kind: str) -> str:
    return UPLOAD_KIND_NAMES.get(kind, OTHER_UPLOAD)


def documents(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The files uploaded for the request (scans, envelopes, proofs, later uploads), oldest first:
    kind, file name, size, media type, who uploaded it (the actor of the event that filed it) and when."""
    rows = list(
        session.exec(
            select(CaseDocument, Document)
            .join(Document, col(Document.sha256) == col(CaseDocument.sha256))
            .where(
                col(CaseDocument.case_id) == case_id,
                col(CaseDocument.kind).not_like(f"{LETTER_KIND_PREFIX}%"),
            )
            .order_by(col(CaseDocument.id))
        )
    )
    actors = _event_actors(session, case_id)
    names = display_names(session, (actors[d.event_seq][0] for d, _ in rows if d.event_seq in actors))
    online = _applicant_filed(session, case_id, {d.event_seq for d, _ in rows if d.event_seq is not None})
    out = []
    for link, doc in rows:
        actor, moment = actors.get(link.event_seq, ("", link.created_at))
        by = names.get(actor, actor) if actor else "—"
        if link.event_seq in online:
            by = f"申请人（网上提交，{by}登记）"
        out.append(
            {
                "id": link.id,
                "kind": link.kind,
                "kind_name": upload_kind_name(link.kind),
                "filename": doc.filename or f"{upload_kind_name(link.kind)}",
                "size": doc.size,
                "media_type": doc.media_type,
                "sha256": doc.sha256,
                "uploaded_by": by,
                "uploaded_at": moment,
                "event_seq": link.event_seq,
            }
        )
    return out


def document(session: Session, case_id: int, document_id: int) -> tuple[CaseDocument, Document] | None:
    """One uploaded file of this request (None for another request's, or for a letter's file)."""
    link = session.get(CaseDocument, document_id)
    if link is None or link.case_id != case_id or link.kind.startswith(LETTER_KIND_PREFIX):
        return None
    doc = session.get(Document, link.sha256)
    return (link, doc) if doc is not None else None


def deliveries(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Every delivery recorded for the request: the notices that start a period (``notice_delivery``)
    and the reply's own delivery (``record_delivery`` events), in the order they were recorded."""
    notices = list(
        session.exec(
            select(NoticeDelivery, Letter)
            .join(Letter, col(Letter.id) == col(NoticeDelivery.letter_id))
            .where(col(NoticeDelivery.case_id) == case_id)
            .order_by(col(NoticeDelivery.id))
        )
    )
    replies = list(
        session.exec(
            select(EvidenceEvent)
            .where(
                col(EvidenceEvent.case_id) == case_id,
                # the reply delivered by the applicant's download (issue 18): the events that say so
                col(EvidenceEvent.action).in_(["record_delivery", "applicant_download"]),
            )
            .order_by(col(EvidenceEvent.seq))
        )
    )
    reply_letter = session.exec(
        select(Letter)
        .where(col(Letter.case_id) == case_id, col(Letter.doc_type) == "reply")
        .order_by(col(Letter.id).desc())
    ).first()
    names = display_names(session, [d.recorded_by for d, _ in notices] + [e.actor for e in replies])
    out: list[dict[str, Any]] = []
    for row, letter in notices:
        doc_type = law.DOCUMENT_TYPES_BY_CODE.get(row.doc_type)
        out.append(
            {
                "document": doc_type.name if doc_type else letter.title,
                "letter_no": letter.letter_no,
                "method": law.DELIVERY_METHOD_NAMES.get(law.DeliveryMethod(row.method), row.method)
                if row.method in {m.value for m in law.DeliveryMethod}
                else row.method,
                "proof": row.proof,
                "received_on": row.received_on,
                "recorded_by": names.get(row.recorded_by, row.recorded_by),
                "recorded_at": row.recorded_at,
            }
        )
    for event in replies:
        facts = json.loads(event.payload).get("facts", {})
        if event.action == "applicant_download" and facts.get("delivery") != "reply":
            continue
        received = facts.get("delivered_on")
        out.append(
            {
                "document": reply_letter.title if reply_letter else "答复书",
                "letter_no": reply_letter.letter_no if reply_letter else "",
                "method": REPLY_DELIVERY_METHODS.get(facts.get("method", ""), facts.get("method", "")),
                "proof": facts.get("proof", "")
                or f"{law.ONLINE_DOWNLOAD_PROOF}（{facts.get('client_address', '')}）",
                "received_on": dt.date.fromisoformat(received) if received else None,
                "recorded_by": names.get(event.actor, event.actor),
                "recorded_at": event.moment,
            }
        )
    out.sort(key=lambda d: d["recorded_at"])
    return out


@dataclass(frozen=True)
class Step:
    """One evidence event as the case page tells it."""

    seq: int
    moment: dt.datetime
    actor: str
    actor_name: str
    role: str
    action: str
    from_state: str | None
    to_state: str
    facts: dict[str, Any]
    basis: list[str]
    hash: str


def timeline(session: Session, case_id: int) -> list[Step]:
    """The request's evidence events in order, with the actors' names and the facts each recorded
    (identity numbers of events written before the commitment masked, as ``queries.events`` does)."""
    rows = list(
        session.exec(
            select(EvidenceEvent)
            .where(col(EvidenceEvent.case_id) == case_id)
            .order_by(col(EvidenceEvent.seq))
        )
    )
    names = display_names(session, (e.actor for e in rows))
    out = []
    for e in rows:
        shown = identity.masked_event({"payload": e.payload})
        body = json.loads(shown["payload"])
        out.append(
            Step(
                seq=e.seq,
                moment=e.moment,
                actor=e.actor,
                actor_name=names.get(e.actor, e.actor),
                role=e.role,
                action=e.action,
                from_state=e.from_state,
                to_state=e.to_state,
                facts=body.get("facts") or {},
                basis=[str(b) for b in body.get("basis") or []],
                hash=e.hash,
            )
        )
    return out


@dataclass(frozen=True)
class DraftRound:
    """A draft of the reply as the clerk made it, and what the reviewer said on returning it."""

    seq: int
    moment: dt.datetime
    drafted_by: str
    facts: dict[str, Any]
    returned_comments: str | None
    returned_by: str | None


def draft_rounds(steps: list[Step]) -> list[DraftRound]:
    """Every draft of the reply in order, each with the return (退回修改) that followed it, if any."""
    rounds: list[DraftRound] = []
    for step in steps:
        if step.action == "draft_reply":
            rounds.append(DraftRound(step.seq, step.moment, step.actor_name, step.facts, None, None))
        elif step.action in ("return_reply", "confidentiality_review") and rounds:
            if step.action == "confidentiality_review" and step.facts.get("conclusion") != "disagree":
                continue
            last = rounds[-1]
            rounds[-1] = DraftRound(
                last.seq,
                last.moment,
                last.drafted_by,
                last.facts,
                str(step.facts.get("comments") or ""),
                step.actor_name,
            )
    return rounds
