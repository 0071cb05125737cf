"""``caseflow verify`` over the whole database: ordered streams merged, in flat memory.

The ``request`` rows (with their applicant) are read ordered by id, and the ``evidence_event``,
``letter`` and ``case_document`` rows ordered by request id, each as one streaming cursor (SQLite:
the cursor itself; PostgreSQL: a server-side cursor), in one read transaction (one snapshot). The
streams are merged by request id; each request is checked as it passes and nothing of it is kept.

The fast pass runs the checks of ``caseflow.evidence.dbexact`` (the same functions: replay, row,
deadline, moment, letter and document checks) on tuples, parsing each payload once (orjson) and
checking the chain inline. It only decides *whether* a request is intact: a request in which it
finds anything (or that it cannot parse) is checked again the per-request way
(``dbexact._Checker.batch``) on the same connection, and that check names the problems, in its words.
Stored documents are hashed where they are read, with their ``case_document`` rows (PostgreSQL's
``sha256``; on SQLite a function of the connection), once each (a bounded cache). In several
processes over ranges of ids: ``dbworkers``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Select,
    String,
    Table,
    func,
    select,
    type_coerce,
)

from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.evidence import letterpdf, replay, rowcheck
from caseflow.evidence.chain import GENESIS, Problem, _same_moment
from caseflow.evidence.dbexact import (
    APPLICANT,
    CASE_DOCUMENT,
    EVENT,
    LETTER,
    LETTER_COLUMNS,
    REQUEST,
    Report,
    _Checker,
)
from caseflow.evidence.replay import Finding
from caseflow.evidence.store import CONTENT, DocumentStore
from caseflow.evidence.store import TABLE as DOCUMENT
from caseflow.models import AwareDateTime

YIELD_PER = 2000
#: Stored documents whose hash is remembered before the cache is emptied (memory stays flat).
HASHED_KEEP = 100_000
#: Deadlines remembered by (received, ledger) (memory stays flat: ~1 KB each).
DEADLINES_KEEP = 1 << 13
EVENT_COLUMNS = ("action", "from_state", "to_state", "actor", "role")
PAYLOAD_KEYS = ("action", "from", "to", "actor", "role")


class _Ahead:
    """One stream of rows ordered by their first column (a request id), taken request by request."""

    def __init__(self, rows: Iterator[Any]) -> None:
        self.rows = rows
        self.head: Any = next(rows, None)

    def take(self, case_id: int) -> list[Any]:
        rows, head = self.rows, self.head
        while head is not None and head[0] < case_id:  # rows of no request: not checked (as before)
            head = next(rows, None)
        out = []
        while head is not None and head[0] == case_id:
            out.append(head)
            head = next(rows, None)
        self.head = head
        return out


def _sha256_hex(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _digest(conn: Connection, content: Column[Any]) -> ColumnElement[Any]:
    """SQL for the hex SHA-256 of ``content``: PostgreSQL's own; on SQLite a function of this
    connection (the bytes are hashed as each row is stepped, never buffered)."""
    if conn.dialect.name == "postgresql":
        return func.encode(func.sha256(content), "hex")
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.create_function("caseflow_sha256", 1, _sha256_hex, deterministic=True)
    return func.caseflow_sha256(content)


class _Digests:
    """The store as ``_Checker.hash_file`` asks it: the digests read with this request's
    ``case_document`` rows, else the store itself on the streaming connection."""

    def __init__(self, store: DocumentStore, conn: Connection) -> None:
        self.store, self.conn = store, conn
        self.known: dict[str, str | None] = {}

    def digest_of(self, sha256: str) -> str | None:
        if sha256 in self.known:
            return self.known[sha256]
        return self.store.digest_of(sha256, self.conn)


def _deadline_cached(cache_size: int = DEADLINES_KEEP) -> Callable[..., dict[str, object]]:
    """``rowcheck._deadline`` remembered by (received, ledger, calendar): bulk ledgers repeat. The
    cache is bounded (least recently used first out): about 1 KB an entry."""

    @lru_cache(maxsize=cache_size)
    def cached(received: dt.date, ledger: bytes, cal_id: int) -> tuple[tuple[str, object], ...]:
        return tuple(rowcheck._deadline(received, orjson.loads(ledger), calendars[cal_id]).items())

    calendars: dict[int, WorkingCalendar] = {}

    def deadline(received: dt.date, ledger: list[dict[str, Any]], cal: WorkingCalendar) -> dict[str, object]:
        calendars[id(cal)] = cal
        return dict(cached(received, orjson.dumps(ledger, option=orjson.OPT_SORT_KEYS), id(cal)))

    return deadline


def _raw(table: Table) -> list[ColumnElement[Any]]:
    """The columns, JSON ones as the driver gives them (parsed here by orjson: ``_json``), moments
    without their conversion to Shanghai time (equal either way: compared as aware datetimes)."""
    out: list[ColumnElement[Any]] = []
    for c in table.c:
        if isinstance(c.type, JSON):
            out.append(type_coerce(c, String()).label(c.name))
        elif isinstance(c.type, AwareDateTime):
            out.append(type_coerce(c, DateTime(timezone=True)).label(c.name))
        else:
            out.append(c)
    return out


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _streams(conn: Connection, id_range: tuple[int, int] | None) -> tuple[Select[Any], ...]:
    requests = select(*_raw(REQUEST), *(c.label(f"applicant_{c.name}") for c in APPLICANT.c)).select_from(
        REQUEST.outerjoin(APPLICANT, APPLICANT.c.id == REQUEST.c.applicant_id)
    )
    events = select(
        EVENT.c.case_id,
        EVENT.c.seq,
        EVENT.c.payload,
        EVENT.c.prev_hash,
        EVENT.c.hash,
        *(EVENT.c[n] for n in EVENT_COLUMNS),
        type_coerce(EVENT.c.moment, String()),  # the driver's value: ``_same_moment`` reads both kinds
    )
    letters = select(
        LETTER.c.case_id, LETTER.c.id, LETTER.c.event_seq, *(LETTER.c[n] for n in LETTER_COLUMNS)
    )
    documents = select(
        CASE_DOCUMENT.c.case_id,
        CASE_DOCUMENT.c.sha256,
        CASE_DOCUMENT.c.kind,
        CASE_DOCUMENT.c.event_seq,
        _digest(conn, CONTENT),  # the stored bytes' SHA-256, computed where they are read
    ).select_from(CASE_DOCUMENT.outerjoin(DOCUMENT, DOCUMENT.c.sha256 == CASE_DOCUMENT.c.sha256))
    if id_range is not None:
        low, high = id_range
        requests = requests.where(REQUEST.c.id > low, REQUEST.c.id <= high)
        events = events.where(EVENT.c.case_id > low, EVENT.c.case_id <= high)
        letters = letters.where(LETTER.c.case_id > low, LETTER.c.case_id <= high)
        documents = documents.where(CASE_DOCUMENT.c.case_id > low, CASE_DOCUMENT.c.case_id <= high)
    return (
        requests.order_by(REQUEST.c.id),
        events.order_by(EVENT.c.case_id, EVENT.c.seq, EVENT.c.id),
        letters.order_by(LETTER.c.case_id, LETTER.c.id),
        documents.order_by(CASE_DOCUMENT.c.case_id, CASE_DOCUMENT.c.id),
    )


def check_stream(
    engine: Engine,
    *,
    store: DocumentStore | None = None,
    calendar: WorkingCalendar | None = None,
    report: Callable[[Problem | Finding], None] | None = None,
    id_range: tuple[int, int] | None = None,
    batch: int = YIELD_PER,
    intact_keys: list[bytes] | None = None,
) -> Report:
    """Every request (or those in ``id_range``): the fast pass, and the per-request check of each
    request where it finds anything. ``intact_keys`` is given the SHA-256 of every stored file found
    intact (``dbworkers`` counts distinct files over its ranges)."""
    out = Report()
    checker = _Checker(out, store or DocumentStore(engine), calendar or default_calendar(), report)
    deadline = _deadline_cached()
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":  # every stream from one snapshot
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        checker.load_names(conn)
        digests = _Digests(checker.store, conn)
        checker.store = digests  # type: ignore[assignment]  # what hash_file asks of it
        known = digests.known
        streaming = conn.execution_options(stream_results=True, yield_per=max(batch, 100))
        requests, events, letters, documents = (streaming.execute(s) for s in _streams(conn, id_range))
        request_names = list(REQUEST.c.keys())
        width = len(request_names)
        json_names = [c.name for c in REQUEST.c if isinstance(c.type, JSON)]
        applicant_names = list(APPLICANT.c.keys())
        letter_names = ["case_id", "id", "event_seq", *LETTER_COLUMNS]
        event_rows, letter_rows, document_rows = (
            _Ahead(iter(events)),
            _Ahead(iter(letters)),
            _Ahead(iter(documents)),
        )
        for line in requests:
            row = dict(zip(request_names, line[:width], strict=True))
            for name in json_names:
                row[name] = _json(row[name])
            case_id = row["id"]
            evs = event_rows.take(case_id)
            lets = [dict(zip(letter_names, r, strict=True)) for r in letter_rows.take(case_id)]
            docs = []
            known.clear()
            for r in document_rows.take(case_id):
                docs.append({"case_id": r[0], "sha256": r[1], "kind": r[2], "event_seq": r[3]})
                known[r[1]] = r[4]
            applicant = (
                None
                if line[width] is None
                else SimpleNamespace(**dict(zip(applicant_names, line[width:], strict=True)))
            )
            if len(checker.hashed) > HASHED_KEEP:
                _keep(checker.hashed, intact_keys)
            if not _fast(checker, deadline, row, applicant, evs, lets, docs):
                checker.batch(
                    conn, [dict(conn.execute(select(REQUEST).where(REQUEST.c.id == case_id)).one()._mapping)]
                )
        _keep(checker.hashed, intact_keys)
    return out


def _keep(hashed: dict[bytes, str], intact_keys: list[bytes] | None) -> None:
    if intact_keys is not None:
        intact_keys.extend(key for key, wrong in hashed.items() if not wrong)
    hashed.clear()


def _chain(tracking: str, row: dict[str, Any], events: list[Any]) -> list[dict[str, Any]] | None:
    """The parsed payloads when the chain and its head hold (``chain.verify_events``) and the
    moments never go back (``_Checker.moments``), else None."""
    prev = GENESIS
    bodies = []
    latest: dt.datetime | None = None
    for n, (_case, seq, payload, prev_col, digest, *columns, moment) in enumerate(events, 1):
        if seq != n or not isinstance(payload, str):
            return None
        if hashlib.sha256(payload.encode()).hexdigest() != digest:
            return None
        try:
            body = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return None
        if type(body) is not dict or body.get("prev_hash") != prev or prev_col != prev:
            return None
        if body.get("seq") != seq or body.get("case") != tracking:
            return None
        for value, key in zip(columns, PAYLOAD_KEYS, strict=True):
            if value != body.get(key):
                return None
        stated = body.get("moment")
        if type(stated) is not str:
            return None
        when = dt.datetime.fromisoformat(stated)
        if type(moment) is str:  # the common case, without a call
            stored = dt.datetime.fromisoformat(moment)
            if stored.tzinfo is None:  # SQLite: UTC without its zone
                stored = stored.replace(tzinfo=dt.UTC)
            if stored != when:
                return None
        elif not _same_moment(moment, stated):
            return None
        if latest is not None and when < latest:  # a moment before an earlier event's: ``moments``
            return None
        latest = when if latest is None else max(latest, when)
        prev = digest
        bodies.append(body)
    if len(events) != row["event_count"] or prev != row["last_hash"]:
        return None
    return bodies


def _cites_files(bodies: list[dict[str, Any]]) -> bool:
    """Does an event cite a document, issue a letter or bind a PDF (else ``files`` has nothing to
    check when the request has no letter or document rows)?"""
    for body in bodies:
        if "documents" in body or body.get("action") == letterpdf.ACTION:
            return True
        facts = body.get("facts")
        if type(facts) is not dict or "letter" in facts:
            return True
    return False


def _fast(
    checker: _Checker,
    deadline: Callable[..., dict[str, object]],
    row: dict[str, Any],
    applicant: Any,
    events: list[Any],
    letters: list[dict[str, Any]],
    documents: list[dict[str, Any]],
) -> bool:
    """Is this request intact? Counted when it is; False (nothing counted) when it must be re-checked."""
    tracking = row["tracking_no"]
    out = checker.out
    saved = (out.letters, out.bulk)
    found: list[Problem | Finding] = []
    checker.sink = found
    try:
        bodies = _chain(tracking, row, events)
        if bodies is None:
            return False
        expected = replay.replay(tracking, bodies)
        found.extend(rowcheck.compare(tracking, expected, row, applicant or SimpleNamespace(), checker.name))
        found.extend(
            rowcheck.deadline_findings(
                tracking, expected, row, checker.calendar, checker.estimate, deadline=deadline
            )
        )
        if found:
            return False
        if letters or documents or _cites_files(bodies):
            checker.files(tracking, bodies, letters, documents)
        if found:
            out.letters, out.bulk = saved
            return False
        out.requests += 1
        out.events += len(events)
        out.bulk += expected.bulk
        return True
    except (ValueError, TypeError, KeyError, AttributeError):  # anything odd: the per-request way decides
        out.letters, out.bulk = saved
        return False
    finally:
        checker.sink = None
