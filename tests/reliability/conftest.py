"""Reliability fixtures: real ``caseflow serve`` processes on the per-test databases of
``tests/integration/conftest.py`` (SQLite file or PostgreSQL database, with the ``world`` of
agencies and users), HTTP clients with bearer tokens, and the checks every test ends with.

A server is ``python -m caseflow serve --port P`` with its own environment (database URL, data
directory, HTML-only letters, no scheduler: the tests account for every evidence event and want
only their own). It is ready when its public key answers; its output goes to a log file that a
failing start shows.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from caseflow.dates import SHANGHAI
from caseflow.evidence.chain import verify_all
from caseflow.evidence.keys import ensure_signing_key
from caseflow.models import Case, EvidenceEvent, Letter
from tests.integration.conftest import (  # noqa: F401 - fixtures used by the reliability tests
    db_url,
    engine,
    postgres_template,
    session,
    sqlite_template,
    world,
)
from tests.integration.webapp import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CASEFLOW_DATABASE_URL=url,
        CASEFLOW_DATA_DIR=str(data_dir),
        CASEFLOW_LETTER_PDF="0",
        CASEFLOW_SCHEDULER="false",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Server:
    """One ``caseflow serve`` process."""

    db_url: str
    data_dir: Path
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        ensure_signing_key(self.data_dir)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "caseflow", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=server_env(self.db_url, self.data_dir),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"caseflow serve exited {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.base_url}{API}/evidence/public-key", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"caseflow serve did not answer within {START_TIMEOUT:.0f} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, open transactions die with the process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)

    def token(self, username: str) -> str:
        response = httpx.post(
            f"{self.base_url}{API}/auth/token",
            data={"username": username, "password": PASSWORD},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers the test starts (``servers.append(server.start())``), all stopped at the end. (A
    test using ``world`` ends its session's transaction before: SQLite holds no lock for it.)"""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def new_server(url: str, data_dir: Path, logs: Path, name: str) -> Server:
    return Server(url, data_dir, logs / f"{name}.log")


def application(**changes: Any) -> dict[str, Any]:
    """A complete application arriving in person an hour ago (today's receipt date)."""
    body: dict[str, Any] = {
        "applicant_type": "natural_person",
        "applicant_name": "李四",
        "id_type": "居民身份证",
        "id_number": "110101199001061234",
        "phone": "13912345678",
        "email": "",
        "address": "",
        "description": "2025年本市公园绿化养护合同",
        "provision_form": "electronic",
        "channel": "in_person",
        "arrived_at": (dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)).isoformat(),
    }
    body.update(changes)
    return body


# --- the checks every reliability test ends with ---------------------------------------------------


def consistent(db: Engine) -> dict[int, Case]:
    """Every request's version and event count equal its number of evidence events, its state is
    the last event's, its chain verifies, every letter cites an event that exists; the requests."""
    with Session(db, expire_on_commit=False) as s:
        cases = {c.id: c for c in s.exec(select(Case)) if c.id is not None}
        counts = dict(
            s.exec(select(EvidenceEvent.case_id, func.count()).group_by(col(EvidenceEvent.case_id))).all()
        )
        for case_id, case in cases.items():
            events = counts.get(case_id, 0)
            assert case.event_count == events == case.version, (
                f"{case.tracking_no}: version {case.version}, event_count {case.event_count}, "
                f"{events} events (half-applied or lost)"
            )
            last = s.exec(
                select(EvidenceEvent.to_state).where(
                    col(EvidenceEvent.case_id) == case_id, col(EvidenceEvent.seq) == events
                )
            ).one()
            assert last == case.state, f"{case.tracking_no}: state {case.state}, last event says {last}"
        checked, problem = verify_all(s)
        assert problem is None, str(problem)
        assert checked == len(cases)
        orphans = s.execute(
            text(
                "SELECT count(*) FROM letter l WHERE NOT EXISTS (SELECT 1 FROM evidence_event e "
                "WHERE e.case_id = l.case_id AND e.seq = l.event_seq)"
            )
        ).scalar_one()
        assert orphans == 0, f"{orphans} letters cite no evidence event"
        return cases


def letter_numbers_gap_free(db: Engine) -> int:
    """Letter numbers per agency, series and year are 1..n, each once; the number of letters."""
    with Session(db) as s:
        rows = s.exec(select(Letter.agency_id, Letter.series, Letter.year, Letter.number)).all()
    series: dict[tuple[int, str, int], list[int]] = {}
    for agency_id, name, year, number in rows:
        series.setdefault((agency_id, name, year), []).append(number)
    for key, numbers in series.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), (
            f"letter numbers of {key}: {sorted(numbers)}"
        )
    return len(rows)


def caseflow_verify(url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``caseflow verify`` as an operator runs it (a separate process)."""
    return subprocess.run(
        [sys.executable, "-m", "caseflow", "verify"],
        cwd=ROOT,
        env=server_env(url, data_dir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
