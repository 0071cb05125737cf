"""The web application under data: with 100,000 requests in SQLite, p50 and p95 latency over HTTP
on loopback of the dashboard, the overdue list, a case page and a transition. Goal: p95 < 100 ms."""

from __future__ import annotations

import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlmodel import Session, col, select

from bench.common import Figure, restore_env, set_env
from caseflow.bulk import bulk_requests
from caseflow.db import make_engine, upgrade
from caseflow.demo_data import build_demo
from caseflow.models import Agency, Case


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def run(quick: bool) -> list[Figure]:
    count = 10_000 if quick else 100_000
    calls = 40 if quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CASEFLOW_DATABASE_URL": f"sqlite:///{tmp}/web.db",
            "CASEFLOW_DATA_DIR": f"{tmp}/data",
            "CASEFLOW_LETTER_PDF": "0",
            # The scheduler would catch up at start (reminders over 100,000 requests) during the calls.
            "CASEFLOW_SCHEDULER": "false",
        }
        url = env["CASEFLOW_DATABASE_URL"]
        saved = set_env(CASEFLOW_DATA_DIR=env["CASEFLOW_DATA_DIR"], CASEFLOW_LETTER_PDF="0")
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            build_demo(session, cases=1, seed=1, now=dt.datetime.now(dt.UTC))
        today = dt.date.today()
        bulk_requests(engine, count=count, seed=7, today=today, agency_codes=["city"])
        with Session(engine) as session:
            city = session.exec(select(Agency.id).where(col(Agency.code) == "city")).one()
            open_ids = list(
                session.exec(
                    select(Case.id)
                    .where(col(Case.agency_id) == city, col(Case.state) == "received")
                    .limit(50)
                )
            )
        engine.dispose()
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "caseflow", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=Path(tmp),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        client.get("/login")
                        break
                    except httpx.TransportError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.2)

                def token(user: str) -> dict[str, str]:
                    reply = client.post(
                        "/api/v1/auth/token", data={"username": user, "password": "caseflow-demo"}
                    )
                    reply.raise_for_status()
                    return {"Authorization": f"Bearer {reply.json()['access_token']}"}

                supervisor, clerk = token("supervisor"), token("clerk")

                def timed(method: str, path: str, headers: dict[str, str], **kw: object) -> float:
                    start = time.perf_counter()
                    reply = client.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]
                    elapsed = (time.perf_counter() - start) * 1000
                    if reply.status_code >= 400:
                        raise AssertionError(f"{method} {path}: {reply.status_code} {reply.text[:200]}")
                    return elapsed

                probes: dict[str, Callable[[int], float]] = {
                    "dashboard": lambda i: timed("GET", "/api/v1/dashboard", supervisor),
                    "overdue list": lambda i: timed(
                        "GET", "/api/v1/requests?overdue=true&size=50", supervisor
                    ),
                    "case view": lambda i: timed(
                        "GET", f"/api/v1/requests/{open_ids[i % len(open_ids)]}", clerk
                    ),
                    "transition (add_note)": lambda i: timed(
                        "POST",
                        f"/api/v1/requests/{open_ids[i % len(open_ids)]}/actions/add_note",
                        clerk,
                        json={"facts": {"text": f"基准测试备注{i}"}},
                    ),
                }
                figures = []
                for name, probe in probes.items():
                    probe(0)  # warm up
                    samples = [probe(i) for i in range(calls)]
                    p50, p95 = _percentiles(samples)
                    figures.append(
                        Figure(
                            f"{name}: p95 over HTTP, {count:,} requests in SQLite",
                            p95,
                            "ms",
                            "goal",
                            100.0,
                            "ratio <= 1.0",
                            f"p50 {p50:.1f} ms, {calls} calls",
                        )
                    )
                return figures
        finally:
            server.terminate()
            server.wait(timeout=30)
            restore_env(saved)
