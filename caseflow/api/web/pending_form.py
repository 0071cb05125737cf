"""The intake form's files, kept while the form is not saved (计算期限, a refused save).

Each post of the form stores the files chosen now as pending uploads of the signed-in user
(``caseflow.cases.pending_uploads``), keeps those it carries from before (hidden ``pending`` ids, only
the user's own), drops those ticked ``pending_remove`` and those replaced by a new file in the same
field. The page shows them as "已上传：文件名（大小）" (``request.state.pending_uploads``, read by
``intake.html``); a registration turns them into the request's documents in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from caseflow.api.deps import Caller, actor_of
from caseflow.cases import pending_uploads as pending
from caseflow.models import PendingUpload
from caseflow.service import Upload


@dataclass
class KeptFiles:
    rows: tuple[PendingUpload, ...] = ()
    #: slot -> what the form shows: {"id", "filename", "size"}
    view: dict[str, dict[str, Any]] = field(default_factory=dict)

    def uploads(self) -> tuple[Upload, ...]:
        return pending.as_uploads(self.rows)


def keep_files(session: Session, caller: Caller, request: Request, raw: FormData) -> KeptFiles:
    """Store the files chosen now, keep the ones carried from before; commit; what the form shows.
    Another user's pending id: 403 (``Forbidden``); a discarded one: a field error (``FactsError``)."""
    user_id = actor_of(caller).user_id
    assert user_id is not None
    carried = pending.parse_ids(v for v in raw.getlist("pending") if isinstance(v, str))
    removed = set(pending.parse_ids(v for v in raw.getlist("pending_remove") if isinstance(v, str)))
    rows = pending.held(session, user_id=user_id, ids=[*carried, *removed])
    by_slot = {r.slot: r for r in rows if r.id not in removed}
    dropped = [r for r in rows if r.id in removed]
    for slot in pending.INTAKE_SLOTS:
        item = raw.get(slot)
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        data = item.file.read()
        if not data:
            continue
        if slot in by_slot:  # a new file in the same field replaces the one kept
            dropped.append(by_slot[slot])
        by_slot[slot] = pending.keep(
            session,
            user_id=user_id,
            slot=slot,
            data=data,
            media_type=item.content_type or "application/octet-stream",
            filename=item.filename,
        )
    pending.discard(session, dropped)
    session.commit()
    kept = KeptFiles(
        rows=tuple(by_slot.values()),
        view={
            slot: {"id": r.id, "filename": r.filename, "size": pending.size_text(r.size)}
            for slot, r in by_slot.items()
        },
    )
    request.state.pending_uploads = kept.view
    return kept
