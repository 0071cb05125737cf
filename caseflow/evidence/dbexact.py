"""The per-request check of ``caseflow verify`` (the exact way): the report, the tables it reads
and ``_Checker``, which the streams (``dbstream``) and the entry (``dbcheck``) both use.

For each request, in batches (one read transaction per batch, no ORM objects kept):

1. its hash chain and recorded head (``chain.verify_events``; a broken chain is reported as it
   always was, and nothing else of that request is checked: its events prove nothing);
2. the moments along the chain never decrease;
3. the request row and its applicant equal what the events say (``replay``, ``rowcheck``), its clock ledger
   too, and its deadline fields are what ``caseflow.clock`` computes from that ledger;
4. every document an event cites is in the store with bytes that hash to it (hashed streaming,
   each file once per batch); every ``case_document`` row is cited by the event it names; every
   ``letter`` row holds the hashes, number and template its issuing event recorded, and every
   letter an event issued has its row.

Every problem is named (request, field, event); nothing stops at the first.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlmodel import Session

from caseflow.calendar import WorkingCalendar, library_official_years
from caseflow.evidence import letterpdf, replay, rowcheck
from caseflow.evidence.chain import Problem, verify_events
from caseflow.evidence.replay import Finding
from caseflow.evidence.store import DocumentStore
from caseflow.models import Agency, Applicant, Case, CaseDocument, EvidenceEvent, Letter, User

REQUEST: Table = Case.__table__  # type: ignore[attr-defined]
APPLICANT: Table = Applicant.__table__  # type: ignore[attr-defined]
EVENT: Table = EvidenceEvent.__table__  # type: ignore[attr-defined]
LETTER: Table = Letter.__table__  # type: ignore[attr-defined]
CASE_DOCUMENT: Table = CaseDocument.__table__  # type: ignore[attr-defined]

#: What a letter row holds that its issuing event's ``facts["letter"]`` records.
LETTER_COLUMNS = ("html_sha256", "pdf_sha256", "letter_no", "doc_type", "template", "template_sha256")


@dataclass(slots=True)
class Report:
    requests: int = 0
    events: int = 0
    documents: int = 0  # stored files hashed (each once; named requests: once per batch)
    letters: int = 0
    bulk: int = 0  # bulk history: only what its events record was checked
    broken: list[Problem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.broken and not self.findings


class _Checker:
    def __init__(
        self,
        out: Report,
        store: DocumentStore,
        calendar: WorkingCalendar,
        report: Callable[[Problem | Finding], None] | None,
    ) -> None:
        self.out, self.calendar, self.report = out, calendar, report
        self.store = store
        self.names: dict[str, dict[object, object]] = {}
        #: sha256 -> "" when intact, else what is wrong; kept for one batch (memory stays flat)
        self.hashed: dict[bytes, str] = {}
        #: while set, problems are collected here instead of reported (``dbstream``'s fast pass)
        self.sink: list[Problem | Finding] | None = None
        self._estimates: dict[frozenset[int], WorkingCalendar] = {}

    def load_names(self, session: Session | Connection) -> None:
        users = session.execute(select(User.__table__.c.id, User.__table__.c.username))  # type: ignore[attr-defined]
        agencies = session.execute(select(Agency.__table__.c.id, Agency.__table__.c.code))  # type: ignore[attr-defined]
        self.names = {"handler": dict(users.all()), "agency": dict(agencies.all())}

    def name(self, kind: str, key: object) -> object:
        return None if key is None else self.names[kind].get(key, f"#{key}")

    def estimate(self, received: dt.date) -> WorkingCalendar:
        """The calendar as it was before the notices of the request's years were loaded (where the
        ``holidays`` package only estimated those years): what a provisional deadline was computed on."""
        official = library_official_years()
        dropped = frozenset(y for y in self.calendar.notices if y >= received.year and y not in official)
        cal = self._estimates.get(dropped)
        if cal is None:
            kept = [n for y, n in self.calendar.notices.items() if y not in dropped]
            cal = self._estimates[dropped] = WorkingCalendar(kept)
        return cal

    def add(self, item: Problem | Finding) -> None:
        if self.sink is not None:
            self.sink.append(item)
            return
        if isinstance(item, Problem):
            self.out.broken.append(item)
        else:
            self.out.findings.append(item)
        if self.report is not None:
            self.report(item)

    def batch(self, session: Session | Connection, rows: list[dict[str, Any]]) -> None:
        """Check these requests the per-request way."""
        for args in self.load(session, rows):
            self.case(*args)

    def load(self, session: Session | Connection, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """What ``case`` checks of each of these request rows."""
        ids = [r["id"] for r in rows]
        applicants = {
            a["id"]: SimpleNamespace(**a)
            for a in session.execute(
                select(APPLICANT).where(APPLICANT.c.id.in_({r["applicant_id"] for r in rows}))
            ).mappings()
        }
        events: dict[int, list[dict[str, Any]]] = defaultdict(list)
        columns = [
            EVENT.c[n]
            for n in (
                "case_id",
                "seq",
                "payload",
                "prev_hash",
                "hash",
                "action",
                "from_state",
                "to_state",
                "actor",
                "role",
                "moment",
            )
        ]
        for ev in session.execute(
            select(*columns)
            .where(EVENT.c.case_id.in_(ids))
            .order_by(EVENT.c.case_id, EVENT.c.seq, EVENT.c.id)
        ).mappings():
            events[ev["case_id"]].append(dict(ev))
        letters: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for letter in session.execute(
            select(LETTER.c.case_id, LETTER.c.id, LETTER.c.event_seq, *(LETTER.c[n] for n in LETTER_COLUMNS))
            .where(LETTER.c.case_id.in_(ids))
            .order_by(LETTER.c.id)
        ).mappings():
            letters[letter["case_id"]].append(dict(letter))
        cited_rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for doc in session.execute(
            select(
                CASE_DOCUMENT.c.case_id,
                CASE_DOCUMENT.c.sha256,
                CASE_DOCUMENT.c.kind,
                CASE_DOCUMENT.c.event_seq,
            )
            .where(CASE_DOCUMENT.c.case_id.in_(ids))
            .order_by(CASE_DOCUMENT.c.id)
        ).mappings():
            cited_rows[doc["case_id"]].append(dict(doc))
        return [
            (
                row,
                applicants.get(row["applicant_id"]),
                events.pop(row["id"], []),
                letters.pop(row["id"], []),
                cited_rows.pop(row["id"], []),
            )
            for row in rows
        ]

    def case(
        self,
        row: dict[str, Any],
        applicant: Any,
        events: list[dict[str, Any]],
        letters: list[dict[str, Any]],
        documents: list[dict[str, Any]],
    ) -> None:
        tracking = row["tracking_no"]
        self.out.requests += 1
        self.out.events += len(events)
        problem, count, head = verify_events(tracking, events)
        if problem is None and (count != row["event_count"] or head != row["last_hash"]):
            problem = Problem(
                tracking,
                None,
                f"申请记载有{row['event_count']}条事件，末条为{row['last_hash'][:12]}…；"
                f"证据链实有{count}条，末条为{head[:12]}…（最后一条事件被删除或替换）",
            )
        if problem is not None:
            self.add(problem)
            return
        bodies = [json.loads(ev["payload"]) for ev in events]
        self.moments(tracking, bodies)
        expected = replay.replay(tracking, bodies)
        self.out.bulk += expected.bulk
        if applicant is None:
            applicant = SimpleNamespace()
        for finding in rowcheck.compare(tracking, expected, row, applicant, self.name):
            self.add(finding)
        for finding in rowcheck.deadline_findings(tracking, expected, row, self.calendar, self.estimate):
            self.add(finding)
        self.files(tracking, bodies, letters, documents)

    def moments(self, tracking: str, bodies: list[dict[str, Any]]) -> None:
        previous: dt.datetime | None = None
        for body in bodies:
            moment = dt.datetime.fromisoformat(str(body.get("moment")))
            if previous is not None and moment < previous:
                self.add(
                    Finding(
                        tracking,
                        "moment",
                        body.get("seq"),
                        str(body.get("action")),
                        f"事件时间 {moment.isoformat()} 早于前一事件的 {previous.isoformat()}"
                        "（证据链的时间只能向后，该事件被倒签或改动）",
                    )
                )
            previous = moment if previous is None else max(previous, moment)

    def files(
        self,
        tracking: str,
        bodies: list[dict[str, Any]],
        letters: list[dict[str, Any]],
        documents: list[dict[str, Any]],
    ) -> None:
        cited: dict[int, set[tuple[str, str]]] = {}
        issued: dict[int, dict[str, Any]] = {}
        for body in bodies:
            seq, action = int(body.get("seq", 0)), str(body.get("action"))
            pairs = cited.setdefault(seq, set())
            cites = body.get("documents")
            for doc in cites if isinstance(cites, list) else []:
                if not isinstance(doc, dict):
                    self.add(
                        Finding(tracking, "documents", seq, action, "事件所记载的文件不是 {kind, sha256}")
                    )
                    continue
                kind, sha = str(doc.get("kind")), str(doc.get("sha256"))
                pairs.add((kind, sha))
                wrong = self.hash_file(sha)
                if wrong:
                    self.add(Finding(tracking, f"document {kind}", seq, action, f"{sha[:12]}… {wrong}"))
            facts = body.get("facts")
            if isinstance(facts, dict) and isinstance(facts.get("letter"), dict):
                issued[seq] = facts["letter"]
        actions = {body.get("seq"): str(body.get("action")) for body in bodies}
        pdfs = letterpdf.pdf_events(bodies)  # a PDF rendered after commit: bound by its letter_pdf event
        for finding in letterpdf.findings(tracking, issued, pdfs):
            self.add(finding)
        for doc in documents:
            seq = doc["event_seq"]
            if (doc["kind"], doc["sha256"]) not in cited.get(seq, set()):
                self.add(
                    Finding(
                        tracking,
                        f"case_document {doc['kind']}",
                        seq,
                        actions.get(seq, "?"),
                        f"文件 {doc['sha256'][:12]}… 不是该事件所记载的文件（文件记录指向了其他内容）",
                    )
                )
        rows_for: dict[int, int] = defaultdict(int)
        for letter in letters:
            self.out.letters += 1
            seq = letter["event_seq"]
            rows_for[seq] += 1
            recorded = issued.get(seq)
            action = actions.get(seq, "?")
            if recorded is None:
                self.add(
                    Finding(tracking, f"letter {letter['letter_no']}", seq, action, "该事件未签发这份文书")
                )
                continue
            recorded = dict(letterpdf.recorded_row(recorded, pdfs))
            for name in LETTER_COLUMNS:
                if letter[name] != recorded.get(name):
                    self.add(
                        replay.mismatch(
                            tracking,
                            f"letter.{name}",
                            seq,
                            action,
                            letter[name],
                            recorded.get(name),
                            "文书记录只能指向签发事件所记载的文件",
                        )
                    )
            if rows_for[seq] > 1:
                self.add(
                    Finding(tracking, f"letter {letter['letter_no']}", seq, action, "同一事件有多份文书记录")
                )
        for seq, recorded in issued.items():
            if not rows_for.get(seq):
                self.add(
                    Finding(
                        tracking,
                        "letter",
                        seq,
                        actions[seq],
                        f"事件签发的文书 {recorded.get('letter_no')} 没有文书记录（被删除）",
                    )
                )

    def hash_file(self, sha: str) -> str:
        """'' when the stored file hashes to ``sha`` (each file read once per batch), else what is wrong."""
        try:
            key = bytes.fromhex(sha)
        except ValueError:
            return "不是有效的SHA-256值"
        known = self.hashed.get(key)
        if known is not None:
            return known
        found = self.store.digest_of(sha)  # the bytes as stored in the database now
        if found is None:
            wrong = "文件缺失（事件记载的文件不在文件库中）"
        else:
            wrong = "" if found == sha else "文件内容与事件记载的哈希不符（文件被替换或改动）"
        if not wrong:
            self.out.documents += 1
        self.hashed[key] = wrong
        return wrong
