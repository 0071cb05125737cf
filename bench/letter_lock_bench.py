"""Lock held by a letter-issuing transition with PDF letters on (issue 17 item 1): goal < 10 ms.

Each round registers fresh requests and issues a 补正告知书 on each (``request_supplement``: number,
HTML, store, evidence). The lock is held from the statement that takes it (SQLite ``BEGIN
IMMEDIATE``; PostgreSQL the request row's ``SELECT ... FOR UPDATE``) until ``perform`` returns after
its COMMIT: timed with SQLAlchemy's ``before_cursor_execute`` event. The PDF is rendered after the
commit (``caseflow.replies.pdf_after``), so it is not in the lock. The anchor is the old figure:
the same transition plus ``render_pdf`` of the same letter's HTML, which ran inside the lock.
The PDF throughput is ``render_pending`` over the pending letters (render + its letter_pdf event).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from bench.common import Figure, restore_env, set_env
from bench.letters_bench import T0, _case
from caseflow import service
from caseflow.db import make_engine, upgrade
from caseflow.evidence.store import DocumentStore
from caseflow.models import Letter
from caseflow.replies.pdf_after import render_pending
from caseflow.replies.render import render_pdf

APPLICATION: dict[str, object] = {
    "applicant_type": "natural_person",
    "applicant_name": "王小明",
    "id_type": "居民身份证",
    "id_number": "11010119900107123X",
    "phone": "13800000000",
    "description": "2025年本市道路维修工程的预算",
    "provision_form": "electronic",
    "channel": "in_person",
    "arrived_at": T0.isoformat(),
}


class _LockClock:
    """When the current transition took its lock (the first locking statement after ``arm``)."""

    def __init__(self, engine: Engine) -> None:
        self.taken: float | None = None
        self.armed = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def arm(self) -> None:
        self.taken, self.armed = None, True

    def _seen(self, _conn: object, _cursor: object, statement: str, *_: object) -> None:
        if self.armed and ("BEGIN IMMEDIATE" in statement or "FOR UPDATE" in statement):
            self.taken, self.armed = time.perf_counter(), False


def _measure(url: str, label: str, per_round: int, rounds: int) -> list[Figure]:
    upgrade(url)
    engine = make_engine(url)
    clock = _LockClock(engine)
    holds: list[float] = []
    renders: list[float] = []
    throughput: list[float] = []
    with Session(engine, expire_on_commit=False) as session:
        clerk = _case(session)
        day = T0 + dt.timedelta(days=1)
        for _ in range(rounds):
            ids = []
            for _ in range(per_round):
                case = service.register(
                    session=session, actor=clerk, agency_code="bench", application=APPLICATION, now=T0
                )
                assert case.id is not None
                ids.append(case.id)
            for case_id in ids:
                clock.arm()
                service.perform(
                    session=session,
                    case_id=case_id,
                    actor=clerk,
                    action="request_supplement",
                    facts={"items": ["申请人身份证明"], "notice_date": day.date().isoformat()},
                    now=day,
                )
                done = time.perf_counter()
                assert clock.taken is not None, "no locking statement seen"
                holds.append(done - clock.taken)
            session.rollback()
            letters = session.exec(
                select(Letter.html_sha256).where(
                    col(Letter.case_id).in_(ids), col(Letter.doc_type) != "receipt"
                )
            ).all()
            docs = DocumentStore(engine)
            for sha in letters[:3]:  # the old in-lock cost: render_pdf of the same letter's HTML
                html = docs.read(sha).decode("utf-8")
                start = time.perf_counter()
                render_pdf(html)
                renders.append(time.perf_counter() - start)
            start = time.perf_counter()
            rendered = render_pending(engine)  # receipts and notices of this round
            throughput.append(len(rendered.done) / (time.perf_counter() - start))
            assert not rendered.failed, rendered.failed
    engine.dispose()
    hold_ms = statistics.median(holds) * 1000
    old_ms = hold_ms + statistics.median(renders) * 1000
    note = (
        f"median of {len(holds)} transitions in {rounds} rounds; anchor = transition + render_pdf in the lock"
    )
    return [
        Figure(
            f"lock held by a letter-issuing transition, PDF on, {label}",
            hold_ms,
            "ms",
            "old: the same with render_pdf inside the lock",
            old_ms,
            "value < 10 ms",
            note,
        ),
        Figure(
            f"PDF letters rendered and recorded after commit, {label}",
            statistics.median(throughput),
            "/s",
            "old: letters/s with the PDF in the lock (1 / anchor above)",
            1000 / old_ms,
            "ratio >= 1",
            f"median of {rounds} rounds of render_pending (render + letter_pdf event)",
        ),
    ]


def _measure_postgres(admin_url: str, per_round: int, rounds: int) -> list[Figure]:
    name = f"a_letters_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        return _measure(url, "PostgreSQL", per_round, rounds)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(quick: bool) -> list[Figure]:
    per_round, rounds = (5, 3) if quick else (10, 5)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        saved = set_env(
            CASEFLOW_DATA_DIR=str(Path(tmp) / "data"),
            CASEFLOW_LETTER_PDF="1",
            CASEFLOW_LETTER_PDF_WORKER="0",  # the bench renders after the transitions, not during them
        )
        try:
            figures += _measure(f"sqlite:///{tmp}/lock.db", "SQLite file", per_round, rounds)
            pg = os.environ.get(
                "CASEFLOW_BENCH_POSTGRES_URL", os.environ.get("CASEFLOW_TEST_POSTGRES_URL", "")
            )
            if pg:
                figures += _measure_postgres(pg, per_round, rounds)
        finally:
            restore_env(saved)
    return figures
