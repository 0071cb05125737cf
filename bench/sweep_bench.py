"""The scheduled sweep over 1,000,000 requests of which 1% are due for an action (issue 6).

Data: the demo agencies and users plus ``count`` bulk requests (valid chains) over two years, on
SQLite. Every request is then concluded except 1%: half of those overdue, half due within 3
working days (reminders to make), plus 1 in 10,000 registered through the engine with a
supplement period that has ended (lapses to apply). Figures: one ``caseflow sweep`` (every job:
calendar, lapses, reminders, digest, mail) finding the 1% due, then the same sweep again with
nothing due, against the 2-second goal; the SQLite query plan of every selection (index searches,
no scan of the requests). The built database is cached under ~/.cache/caseflow/bench and copied
for each run, because building a million requests takes minutes.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from bench.common import Figure, restore_env, set_env
from caseflow import service
from caseflow.bulk import bulk_requests
from caseflow.calendar import default_calendar
from caseflow.dates import SHANGHAI
from caseflow.db import make_engine, query_plan, upgrade
from caseflow.demo_data import build_demo
from caseflow.models import Case, JobRun, Notification, User
from caseflow.scheduled import run_all
from caseflow.scheduled.lapses import lapse_queries
from caseflow.scheduled.reminders import REASONS, candidate_query
from caseflow.states.machine import OPEN_STATES

TODAY = dt.date(2026, 11, 20)  # a Friday
CACHE = Path.home() / ".cache" / "caseflow" / "bench"
FORMAT = 2  # bump when the data set's recipe changes (2: the realistic bulk data)


def _build(path: Path, count: int) -> None:
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        build_demo(session, cases=1, seed=1, now=dt.datetime.combine(TODAY, dt.time(9), SHANGHAI))
    started = time.perf_counter()
    bulk_requests(engine, count=count, seed=11, today=TODAY, agency_codes=["city"], batch=5000)
    print(f"  built {count:,} requests in {time.perf_counter() - started:.0f} s")
    cal = default_calendar()
    open_states = ", ".join(f"'{s.value}'" for s in OPEN_STATES)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"UPDATE request SET state = 'answered', answered_on = :d, delivered_on = :d, "
                f"outcome = 'disclosed.provided' WHERE state IN ({open_states})"
            ),
            {"d": TODAY - dt.timedelta(days=30)},
        )
        reopen = text(
            "UPDATE request SET state = 'received', outcome = NULL, answered_on = NULL, "
            "delivered_on = NULL, paused = 0, reply_due = :due WHERE id % 200 = :rest"
        )
        conn.execute(reopen, {"due": TODAY - dt.timedelta(days=3), "rest": 0})  # overdue
        conn.execute(reopen, {"due": cal.add_working_days(TODAY, 2), "rest": 100})  # due soon
    with Session(engine, expire_on_commit=False) as session:
        clerk = session.exec(select(User).where(col(User.username) == "clerk")).one()
        actor = service.Actor.of(session, clerk)
        asked = dt.datetime.combine(TODAY - dt.timedelta(days=60), dt.time(10), SHANGHAI)
        for _ in range(max(1, count // 10_000)):
            case = service.register(
                session=session,
                actor=actor,
                agency_code="city",
                application={
                    "applicant_type": "natural_person",
                    "applicant_name": "张三",
                    "id_type": "居民身份证",
                    "id_number": "110101199001061234",
                    "phone": "13800000000",
                    "description": "某项目的审批文件",
                    "provision_form": "electronic",
                    "channel": "in_person",
                    "arrived_at": asked.isoformat(),
                },
                now=asked,
            )
            service.perform(
                session=session,
                case_id=case.id or 0,
                actor=actor,
                action="request_supplement",
                facts={"items": ["请写明文件名称"]},
                now=asked + dt.timedelta(hours=2),
            )
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _plans(engine_url: str) -> tuple[bool, list[str]]:
    engine = make_engine(engine_url)
    lines: list[str] = []
    with Session(engine) as session:
        queries = {**lapse_queries(TODAY)}
        queries.update({r: candidate_query(r, TODAY) for r in REASONS if r != "daily_digest"})
        for name, query in queries.items():
            plan = query_plan(session, query)
            lines.append(f"{name}: {' | '.join(plan)}")
    engine.dispose()
    indexed = all("SEARCH request USING" in line and "SCAN request" not in line for line in lines)
    return indexed, lines


def run(quick: bool) -> list[Figure]:
    count = 20_000 if quick else 1_000_000
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"sweep-{count}-v{FORMAT}.db"
    with tempfile.TemporaryDirectory() as tmp:
        saved = set_env(CASEFLOW_DATA_DIR=f"{tmp}/data", CASEFLOW_LETTER_PDF="0")
        try:
            if not cached.exists():
                part = Path(f"{cached}.part")
                part.unlink(missing_ok=True)
                _build(part, count)
                part.rename(cached)
            path = Path(tmp) / "sweep.db"
            shutil.copy(cached, path)
            url = f"sqlite:///{path}"
            upgrade(url)
            indexed, plans = _plans(url)
            engine = make_engine(url)
            with Session(engine) as session:
                total = session.exec(select(func.count()).select_from(Case)).one()
            moment = dt.datetime.combine(TODAY, dt.time(9), SHANGHAI)
            started = time.perf_counter()
            first = run_all(engine, moment)
            first_s = time.perf_counter() - started
            started = time.perf_counter()
            second = run_all(engine, moment + dt.timedelta(minutes=10))
            second_s = time.perf_counter() - started
            with Session(engine) as session:
                notes = session.exec(select(func.count()).select_from(Notification)).one()
                runs = session.exec(select(JobRun).order_by(col(JobRun.id))).all()
            engine.dispose()
        finally:
            restore_env(saved)
    due = {run.job: run.done for run, _ in first}
    failed = sum(run.failed for run, _ in first) + sum(run.failed for run, _ in second)
    per_job = ", ".join(
        f"{r.job} {((r.finished_at or r.started_at) - r.started_at).total_seconds():.2f}s"
        for r in runs[: len(due)]
    )
    print("  query plans:\n    " + "\n    ".join(plans))
    due_count = due.get("lapses", 0) + due.get("reminders", 0)
    return [
        Figure(
            f"sweep, {due_count:,} of {total:,} requests due (SQLite)",
            first_s,
            "s",
            "goal",
            2.0,
            "ratio <= 1",
            f"lapses {due.get('lapses', 0)}, reminders {due.get('reminders', 0)}, notifications {notes}, "
            f"skipped {failed}; per job: {per_job}",
        ),
        Figure(
            f"sweep again, nothing due, {total:,} requests (SQLite)",
            second_s,
            "s",
            "goal",
            2.0,
            "ratio <= 1",
            f"{sum(r.done for r, _ in second)} done the second time",
        ),
        Figure(
            "sweep selections answered by index searches",
            1.0 if indexed else 0.0,
            "bool",
            "all",
            1.0,
            "ratio == 1",
            "; ".join(plans),
        ),
    ]
