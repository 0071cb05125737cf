"""Read paths at scale (issue 17 item 7): p50/p95 over HTTP (a uvicorn server on loopback, httpx
client) of the clerk's list, the supervisor dashboard, the overdue list, a case page and the text
search (``q=财政``, two characters the bulk data never holds; ``q=预算``, two that a
fifth of it does; ``q=申请公开``), with N requests in SQLite (and PostgreSQL
when ``CASEFLOW_BENCH_READ_PG_URL`` names an empty or already built database). Goal: p95 < 100 ms.

The anchor is the same calls to the code before the change (commit a57baea, its CASE-expression
order and its LIKE scan) serving the same database file; it does the same work over HTTP.

N is 100,000 by default (10,000 with --quick); ``CASEFLOW_BENCH_READ_CASES=1000000`` for a million;
``CASEFLOW_BENCH_READ_DB=/path/x.db`` reuses a database built before (it is built there when absent).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlmodel import Session

from bench.common import Figure
from bench.web_bench import _free_port, _percentiles
from caseflow.bulk import bulk_requests
from caseflow.db import make_engine, upgrade
from caseflow.demo_data import build_demo

OLD_COMMIT = "a57baea"
ROOT = Path(__file__).resolve().parent.parent


def _build(url: str, count: int = 0) -> None:
    """N requests (``count``, else ``CASEFLOW_BENCH_READ_CASES``, else 100,000) unless some are there."""
    upgrade(url)
    engine = make_engine(url)
    count = count or int(os.environ.get("CASEFLOW_BENCH_READ_CASES", "0")) or 100_000
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM request")).scalar() or 0
    if have == 0:
        with Session(engine) as session:
            build_demo(session, cases=1, seed=1, now=dt.datetime.now(dt.UTC))
        bulk_requests(engine, count=count, seed=7, today=dt.date.today(), agency_codes=["city"])
    # VACUUM too on PostgreSQL: index-only scans (the dashboard's) need the visibility map that a bulk
    # insert leaves unset until autovacuum comes by (measured: 281 ms before, 26 ms after, at 1M).
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))
    engine.dispose()


@contextmanager
def _server(env: dict[str, str], old: Path | None) -> Iterator[str]:
    port = _free_port()
    # Both apps straight under uvicorn, the same way (the old code's migrations do not know 0022).
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "caseflow.api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    cwd = ROOT if old is None else old
    server = subprocess.Popen(
        cmd,
        env={**env, "PYTHONPATH": str(cwd)},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{base}/login", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _measure(base: str, calls: int, case_ids: list[int]) -> dict[str, list[float]]:
    with httpx.Client(base_url=base, timeout=120) as client:

        def token(user: str) -> dict[str, str]:
            reply = client.post("/api/v1/auth/token", data={"username": user, "password": "caseflow-demo"})
            reply.raise_for_status()
            return {"Authorization": f"Bearer {reply.json()['access_token']}"}

        supervisor, clerk = token("supervisor"), token("clerk")

        def timed(path: str, headers: dict[str, str]) -> float:
            start = time.perf_counter()
            reply = client.get(path, headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            if reply.status_code >= 400:
                raise AssertionError(f"GET {path}: {reply.status_code} {reply.text[:200]}")
            return elapsed

        probes: dict[str, Callable[[int], float]] = {
            "clerk's list": lambda i: timed("/api/v1/requests?size=50", clerk),
            "dashboard": lambda i: timed("/api/v1/dashboard", supervisor),
            "overdue list": lambda i: timed("/api/v1/requests?overdue=true&size=50", supervisor),
            "case page": lambda i: timed(f"/api/v1/requests/{case_ids[i % len(case_ids)]}", clerk),
            "search q=财政": lambda i: timed("/api/v1/requests?q=财政&size=50", clerk),
            "search q=预算": lambda i: timed("/api/v1/requests?q=预算&size=50", clerk),
            "search q=申请公开": lambda i: timed("/api/v1/requests?q=申请公开&size=50", clerk),
        }
        out = {}
        for name, probe in probes.items():
            probe(0)  # warm up
            out[name] = [probe(i) for i in range(calls)]
        return out


def _old_tree(tmp: Path) -> Path | None:
    old = tmp / "old"
    old.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", OLD_COMMIT], capture_output=True, check=False
    )
    if archive.returncode:
        return None
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    return old


def _suite(url: str, label: str, quick: bool, tmp: Path, old: Path | None) -> list[Figure]:
    _build(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM request")).scalar() or 0
        ids = [  # requests the clerk (of agency city) may open, wherever the builder put the others
            r[0]
            for r in conn.execute(
                text(
                    "SELECT r.id FROM request r JOIN agency a ON a.id = r.agency_id "
                    "WHERE a.code = 'city' ORDER BY r.id DESC LIMIT 50"
                )
            )
        ]
    engine.dispose()
    env = {
        **os.environ,
        "CASEFLOW_DATABASE_URL": url,
        "CASEFLOW_DATA_DIR": str(tmp / "data"),
        "CASEFLOW_LETTER_PDF": "0",
        "CASEFLOW_SCHEDULER": "false",
    }
    calls, rounds = (10, 1) if quick else (40, 3)
    # Each round: every probe ``calls`` times; the figure is the median over rounds of each p95.
    with _server(env, None) as base:
        new = [_measure(base, calls, ids) for _ in range(rounds)]
    anchor: list[dict[str, list[float]]] = []
    if old is not None:
        with _server(env, old) as base:
            anchor = [_measure(base, max(3, calls // 8), ids) for _ in range(rounds)]
    figures = []
    for name in new[0]:
        p50 = statistics.median(_percentiles(r[name])[0] for r in new)
        p95 = statistics.median(_percentiles(r[name])[1] for r in new)
        before = [r[name] for r in anchor]
        old_p95 = statistics.median(_percentiles(b)[1] for b in before) if before else 0.0
        old_p50 = statistics.median(_percentiles(b)[0] for b in before) if before else 0.0
        figures.append(
            Figure(
                f"read {name}: p95 over HTTP (uvicorn), {count:,} requests in {label}",
                p95,
                "ms",
                f"same call, code of {OLD_COMMIT}" if before else "goal 100 ms",
                old_p95 if before else 100.0,
                "p95 < 100 ms (aim 30 ms)",
                f"medians of {rounds} rounds of {calls} calls: p50 {p50:.1f} ms; "
                f"old p50 {old_p50:.1f} ms, p95 {old_p95:.1f} ms",
            )
        )
    return figures


def run(quick: bool) -> list[Figure]:
    if quick:
        os.environ.setdefault("CASEFLOW_BENCH_READ_CASES", "10000")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        old = _old_tree(tmp)
        db = os.environ.get("CASEFLOW_BENCH_READ_DB") or str(tmp / "read.db")
        figures = _suite(f"sqlite:///{db}", "SQLite", quick, tmp, old)
        pg = os.environ.get("CASEFLOW_BENCH_READ_PG_URL")
        if pg:
            figures += _suite(pg, "PostgreSQL", quick, tmp, old)
        return figures
