"""Transitions per second through the service layer against the floor cost of durable writes: the
same evidence rows inserted with plain SQL, one transaction each, on the same database."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path
from statistics import median

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from bench.common import Figure, restore_env, set_env
from bench.engine_anchor import rows_written, write_same_rows
from caseflow import service
from caseflow.accounts import create_agency, hash_password
from caseflow.dates import SHANGHAI
from caseflow.db import make_engine, upgrade
from caseflow.models import EvidenceEvent, User

#: One request's path through the service layer: seven transitions after registration.
PATH: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("supervisor", "extend", {"reason": "需要会商"}),
    ("clerk", "start_consultation", {"party_kind": "co_producer", "party_name": "某局", "matters": "共同"}),
    ("clerk", "receive_opinion", {"opinion": "consent"}),
    ("clerk", "draft_reply", {"outcome": "disclosed.provided", "provided": "电子文本"}),
    ("reviewer", "confidentiality_review", {"conclusion": "agree"}),  # 保密审查 (Art. 17)
    ("clerk", "issue_reply", {}),
    ("clerk", "record_delivery", {"method": "email", "proof": "送达回执"}),
)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def _setup(engine: Engine) -> dict[str, service.Actor]:
    with Session(engine, expire_on_commit=False) as session:
        create_agency(
            session,
            code="bench",
            name="基准测试机关",
            letter_prefix="基准公开",
            review_body="某市人民政府",
            court="某市中级人民法院",
        )
        session.commit()
        password = hash_password("bench-password")
        for name, roles in (("clerk", "clerk"), ("reviewer", "reviewer"), ("supervisor", "supervisor")):
            session.add(
                User(username=name, display_name=name, password_hash=password, roles=roles, agency_id=1)
            )
        session.commit()
        return {u.username: service.Actor.of(session, u) for u in session.exec(select(User))}


def _service_rate(
    engine: Engine, cases: int, actors: dict[str, service.Actor]
) -> tuple[float, list[EvidenceEvent], list[int]]:
    application: dict[str, object] = {
        "applicant_type": "natural_person",
        "applicant_name": "王小明",
        "id_type": "居民身份证",
        "id_number": "110101199001061234",
        "phone": "13800000000",
        "description": "道路维修预算",
        "provision_form": "electronic",
        "channel": "in_person",
        "arrived_at": T0.isoformat(),
    }
    with Session(engine, expire_on_commit=False) as session:
        ids = []
        for _ in range(cases):
            case = service.register(
                session=session, actor=actors["clerk"], agency_code="bench", application=application, now=T0
            )
            assert case.id is not None
            ids.append(case.id)
        transitions = 0
        start = time.perf_counter()
        for step, (who, action, facts) in enumerate(PATH, 1):
            moment = T0 + dt.timedelta(days=step)
            for case_id in ids:
                service.perform(
                    session=session,
                    case_id=case_id,
                    actor=actors[who],
                    action=action,
                    facts=facts,
                    now=moment,
                )
                transitions += 1
        seconds = time.perf_counter() - start
        sample = list(
            session.exec(
                select(EvidenceEvent)
                .where(col(EvidenceEvent.seq) > 1, col(EvidenceEvent.case_id).in_(ids))
                .order_by(col(EvidenceEvent.id))
            )
        )
    return transitions / seconds, sample, ids


def _raw_rate(url: str, rows: list[EvidenceEvent], offset: int = 1000) -> float:
    """The same event rows, plain INSERT, one transaction (and one durable commit) each."""
    engine = make_engine(url)
    insert = text(
        "INSERT INTO evidence_event (case_id, seq, moment, actor, role, action, from_state, "
        "to_state, payload, prev_hash, hash) VALUES (:case_id, :seq, :moment, :actor, :role, "
        ":action, :from_state, :to_state, :payload, :prev_hash, :hash)"
    )
    params = [
        {
            "case_id": r.case_id,
            "seq": r.seq + offset,
            "moment": r.moment.astimezone(dt.UTC).replace(tzinfo=None),
            "actor": r.actor,
            "role": r.role,
            "action": r.action,
            "from_state": r.from_state,
            "to_state": r.to_state,
            "payload": r.payload,
            "prev_hash": r.prev_hash,
            "hash": r.hash,
        }
        for r in rows
    ]
    with engine.connect() as conn:
        start = time.perf_counter()
        for p in params:
            conn.execute(insert, p)
            conn.commit()
        seconds = time.perf_counter() - start
    engine.dispose()
    return len(params) / seconds


def _measure(url: str, label: str, cases: int, rounds: int) -> list[Figure]:
    """Rounds of: the path through the service layer for fresh requests, then the same rows written
    with plain SQL (the fair anchor) and the event rows alone (the old anchor); medians."""
    upgrade(url)
    engine = make_engine(url)
    actors = _setup(engine)
    ours: list[float] = []
    fair: list[float] = []
    old: list[float] = []
    for round_no in range(rounds):
        rate, rows, ids = _service_rate(engine, cases, actors)
        ours.append(rate)
        fair.append(write_same_rows(engine, rows_written(engine, ids), offset=1000 * (round_no + 1)))
        old.append(_raw_rate(url, rows, offset=1000 * (round_no + 1) + 500))
    engine.dispose()
    note = f"{len(rows)} transitions a round, medians of {rounds} rounds"
    return [
        Figure(
            f"transitions/s through the service layer, {label}",
            median(ours),
            "/s",
            "the same rows (request UPDATE, event; counter, document with bytes, letter, case_document "
            "on letter steps) with plain SQL and prebuilt statements, one durable commit each",
            median(fair),
            "ratio >= 0.7",
            note,
        ),
        Figure(
            f"transitions/s through the service layer, {label} (old anchor)",
            median(ours),
            "/s",
            "plain INSERT of the same event rows, one transaction each",
            median(old),
            "ratio >= 0.5",
            note,
        ),
    ]


def _measure_postgres(admin_url: str, cases: int, rounds: int) -> list[Figure]:
    """The same measurement in a throwaway PostgreSQL database."""
    name = f"cf_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return _measure(
            make_url(admin_url).set(database=name).render_as_string(hide_password=False),
            "PostgreSQL",
            cases,
            rounds,
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(quick: bool) -> list[Figure]:
    cases, rounds = (20, 3) if quick else (100, 5)
    figures: list[Figure] = []
    # Letters are issued as HTML here; PDF rendering has its own figures (bench/letters_bench.py).
    with tempfile.TemporaryDirectory() as tmp:
        saved = set_env(CASEFLOW_LETTER_PDF="0", CASEFLOW_DATA_DIR=str(Path(tmp) / "data"))
        try:
            figures += _measure(f"sqlite:///{tmp}/bench.db", "SQLite file", cases, rounds)
            pg = os.environ.get(
                "CASEFLOW_BENCH_POSTGRES_URL", os.environ.get("CASEFLOW_TEST_POSTGRES_URL", "")
            )
            if pg:
                figures += _measure_postgres(pg, cases, rounds)
        finally:
            restore_env(saved)
    return figures
