"""The fair anchor of the transition benchmark: the rows a transition writes, written with plain SQL
and statements prepared once, one durable commit per transition.

For each transition the service layer made: the request row's UPDATE (the columns a transition
changes), the evidence event's INSERT, and on a letter step the letter counter's upsert, the
letter's ``document`` row with its bytes (the document store keeps them in the row), the ``letter``
row and its ``case_document`` row. Each transition is one transaction (``BEGIN IMMEDIATE`` on SQLite,
as the engine's) committed durably (``synchronous=FULL`` on SQLite, PostgreSQL's default fsync).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from caseflow.db import WRITE_OPTION

_REQUEST = text(
    "UPDATE request SET state = :state, version = :version, ledger = :ledger, reply_due = :reply_due, "
    "paused = :paused, pause_reason = :pause_reason, event_count = :event_count, "
    "last_hash = :last_hash, updated_at = :updated_at WHERE id = :id"
)
_EVENT = text(
    "INSERT INTO evidence_event (case_id, seq, moment, actor, role, action, from_state, to_state, "
    "payload, prev_hash, hash) VALUES (:case_id, :seq, :moment, :actor, :role, :action, :from_state, "
    ":to_state, :payload, :prev_hash, :hash)"
)
_COUNTER = text(
    "INSERT INTO counter (scope, key, value) VALUES (:scope, :key, 1) "
    "ON CONFLICT (scope, key) DO UPDATE SET value = counter.value + 1 RETURNING value"
)
_DOCUMENT = text(
    "INSERT INTO document (sha256, size, media_type, filename, created_at, content) "
    "VALUES (:sha256, :size, :media_type, :filename, :created_at, :content) ON CONFLICT (sha256) DO NOTHING"
)
_LETTER = text(
    "INSERT INTO letter (case_id, agency_id, doc_type, outcome, title, series, year, number, letter_no, "
    "template, template_sha256, html_sha256, pdf_sha256, pdf_pending, issued_on, issued_at, event_seq) "
    "VALUES (:case_id, :agency_id, :doc_type, :outcome, :title, :series, :year, :number, :letter_no, "
    ":template, :template_sha256, :html_sha256, :pdf_sha256, :pdf_pending, :issued_on, :issued_at, "
    ":event_seq)"
)
_CASE_DOCUMENT = text(
    "INSERT INTO case_document (case_id, sha256, kind, event_seq, created_at) "
    "VALUES (:case_id, :sha256, :kind, :event_seq, :created_at)"
)


@dataclass(frozen=True)
class Written:
    """What one transition wrote (read back after the service layer's run)."""

    request: dict[str, Any]
    event: dict[str, Any]
    letter: dict[str, Any] | None
    document: dict[str, Any] | None


def _utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def rows_written(engine: Engine, case_ids: list[int]) -> list[Written]:
    """Every transition after registration of ``case_ids``, in the order they were made."""
    ids = ",".join(str(int(i)) for i in case_ids)
    with engine.connect() as conn:
        requests = {
            r["id"]: dict(r)
            for r in conn.execute(text(f"SELECT * FROM request WHERE id IN ({ids})")).mappings()
        }
        letters = {
            (r["case_id"], r["event_seq"]): dict(r)
            for r in conn.execute(text(f"SELECT * FROM letter WHERE case_id IN ({ids})")).mappings()
        }
        documents = {
            r["sha256"]: dict(r)
            for r in conn.execute(
                text(
                    "SELECT d.* FROM document d JOIN letter l ON l.html_sha256 = d.sha256 "
                    f"WHERE l.case_id IN ({ids})"
                )
            ).mappings()
        }
        events = conn.execute(
            text(f"SELECT * FROM evidence_event WHERE case_id IN ({ids}) AND seq > 1 ORDER BY id")
        ).mappings()
        out = []
        for ev in events:
            request = requests[ev["case_id"]]
            letter = letters.get((ev["case_id"], ev["seq"]))
            document = documents[letter["html_sha256"]] if letter else None
            out.append(Written(request, dict(ev), letter, document))
    return out


def write_same_rows(engine: Engine, written: list[Written], *, offset: int) -> float:
    """Transitions a second: the same rows, one transaction and durable commit each (``offset``
    moves sequence and letter numbers, and the documents' keys, past the rows already there)."""
    params = []
    for w in written:
        r, ev = w.request, w.event
        request = {
            "id": r["id"],
            "state": r["state"],
            "version": r["version"],
            "ledger": r["ledger"] if isinstance(r["ledger"], str) else json.dumps(r["ledger"]),
            "reply_due": r["reply_due"],
            "paused": r["paused"],
            "pause_reason": r["pause_reason"],
            "event_count": r["event_count"],
            "last_hash": r["last_hash"],
            "updated_at": _utc(r["updated_at"]),
        }
        event = {**{k: _utc(v) for k, v in ev.items() if k != "id"}, "seq": ev["seq"] + offset}
        letter = document = case_document = counter = None
        if w.letter is not None and w.document is not None:
            sha = hashlib.sha256(f"{w.document['sha256']}:{offset}".encode()).hexdigest()
            document = {**{k: _utc(v) for k, v in w.document.items()}, "sha256": sha}
            document["content"] = bytes(document["content"])
            letter = {
                **{k: _utc(v) for k, v in w.letter.items() if k != "id"},
                "number": w.letter["number"] + offset * 1000,
                "html_sha256": sha,
            }
            case_document = {
                "case_id": ev["case_id"],
                "sha256": sha,
                "kind": f"letter.html:{w.letter['doc_type']}",
                "event_seq": event["seq"],
                "created_at": _utc(ev["moment"]),
            }
            counter = {"scope": "letter", "key": f"anchor:{w.letter['year']}:{w.letter['series']}"}
        params.append((request, event, counter, document, letter, case_document))
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
        start = time.perf_counter()
        for request, event, counter, document, letter, case_document in params:
            if counter is not None:
                conn.execute(_COUNTER, counter).scalar_one()
                conn.execute(_DOCUMENT, document)
                conn.execute(_LETTER, letter)
                conn.execute(_CASE_DOCUMENT, case_document)
            conn.execute(_EVENT, event)
            conn.execute(_REQUEST, request)
            conn.commit()
        seconds = time.perf_counter() - start
    return len(params) / seconds
