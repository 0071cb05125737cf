"""Crash safety: the server is killed (SIGKILL) in the middle of a stream of transitions from
several clients, restarted, killed again, restarted; then

- every transition a client saw acknowledged (200) is in the evidence, at the version the answer
  gave, with the facts the client sent;
- every other transition in the evidence is one that was in flight when the server died (applied
  whole, or not at all): nothing appears that no client sent, nothing is lost;
- no request is half-applied: its version and event count equal its number of evidence events,
  its state is its last event's, every chain verifies and ``caseflow verify`` exits 0;
- the letters issued on the way (consultation letters, numbered in the transaction) are numbered
  1..n without a gap or a repeat, each cites its event, and its HTML is in the document store;
- the restarted server serves every request at its stored version and takes new transitions.

On SQLite (WAL, synchronous=FULL) and on PostgreSQL. The kill comes after a number of
acknowledgements, not after a time: the clients never pause, so transitions are in flight.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from caseflow.dates import SHANGHAI
from caseflow.evidence.store import DocumentStore
from caseflow.models import EvidenceEvent, Letter
from tests.integration.conftest import World
from tests.reliability.conftest import (
    API,
    Server,
    caseflow_verify,
    consistent,
    letter_numbers_gap_free,
    new_server,
)

CLIENTS = 4
CASES_PER_CLIENT = 2
KILLS = 2
#: Acknowledged transitions between a start and the kill.
KILL_AFTER = 30
#: Where each action keeps the client's marker among its facts.
MARKER_FACT = {"add_note": "text", "start_consultation": "matters", "receive_opinion": "opinion_text"}


@dataclass(frozen=True)
class Sent:
    case_id: int
    version: int  # the version the transition leads to (= its event's seq)
    action: str
    marker: str


@dataclass
class Client:
    """One client's stream over its own requests, with what it saw."""

    name: str
    token: str
    cases: list[int]
    acked: list[Sent] = field(default_factory=list)
    inflight: list[Sent] = field(default_factory=list)
    error: str | None = None


class Progress:
    """Acknowledgements so far; the main thread waits for enough of them (or for every client to
    have stopped)."""

    def __init__(self, clients: int) -> None:
        self.count = 0
        self.running = clients
        self.cond = threading.Condition()

    def ack(self) -> None:
        with self.cond:
            self.count += 1
            self.cond.notify_all()

    def stopped(self) -> None:
        with self.cond:
            self.running -= 1
            self.cond.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.count >= count or self.running == 0, timeout)


def _next(state: str, step: int, marker: str) -> tuple[str, dict[str, Any]]:
    """The script: notes, and consultations opened (a numbered letter each) and answered."""
    if step % 2 == 0:
        return "add_note", {"text": marker}
    if state == "consultation":
        return "receive_opinion", {"opinion": "consent", "opinion_text": marker}
    return "start_consultation", {
        "party_kind": "third_party",
        "party_name": "某某建设工程有限公司",
        "matters": marker,
    }


def _stream(
    client: Client, server: Server, state: dict[int, tuple[str, int]], rnd: int, progress: Progress
) -> None:
    """Transitions until the server dies: each with the version last acknowledged."""
    step = 0
    try:
        with server.client(client.token) as http:
            while True:
                for case_id in client.cases:
                    current, version = state[case_id]
                    marker = f"{client.name}-r{rnd}-{step}-{case_id}"
                    action, facts = _next(current, step, marker)
                    sent = Sent(case_id, version + 1, action, marker)
                    client.inflight.append(sent)
                    try:
                        response = http.post(
                            f"{API}/requests/{case_id}/actions/{action}",
                            json={"facts": facts, "expected_version": version},
                        )
                    except httpx.TransportError:
                        return  # the server is gone; this one may or may not have been applied
                    if response.status_code != 200:
                        client.error = f"{action} on {case_id}: {response.status_code} {response.text[:300]}"
                        return
                    body = response.json()
                    if body["version"] != version + 1:
                        client.error = f"{action} on {case_id} answered version {body['version']}"
                        return
                    client.inflight.remove(sent)
                    client.acked.append(sent)
                    state[case_id] = (body["state"], body["version"])
                    progress.ack()
                step += 1
    except Exception as exc:  # noqa: BLE001 - reported by the test
        client.error = f"{exc.__class__.__name__}: {exc}"
    finally:
        progress.stopped()


def _states(server: Server, token: str, case_ids: list[int]) -> dict[int, tuple[str, int]]:
    with server.client(token) as http:
        out = {}
        for case_id in case_ids:
            response = http.get(f"{API}/requests/{case_id}")
            assert response.status_code == 200, response.text
            out[case_id] = (response.json()["state"], response.json()["version"])
        return out


def _markers(engine: Engine, case_ids: list[int]) -> dict[tuple[int, int], tuple[str, str | None]]:
    """(case, seq) -> (action, the marker its facts carry) for every event after registration."""
    with Session(engine) as s:
        rows = s.exec(
            select(
                EvidenceEvent.case_id, EvidenceEvent.seq, EvidenceEvent.action, EvidenceEvent.payload
            ).where(col(EvidenceEvent.case_id).in_(case_ids), col(EvidenceEvent.seq) > 1)
        ).all()
    out: dict[tuple[int, int], tuple[str, str | None]] = {}
    for case_id, seq, action, payload in rows:
        facts = json.loads(payload)["facts"]
        out[(case_id, seq)] = (action, facts.get(MARKER_FACT.get(action, ""), None))
    return out


def test_sigkill_mid_stream_loses_nothing_acknowledged_and_half_applies_nothing(
    world: World, engine: Engine, db_url: str, isolated_data_dir: Path, tmp_path: Path, servers: list[Server]
) -> None:
    arrived = dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)
    case_ids = []
    for _ in range(CLIENTS * CASES_PER_CLIENT):
        case = world.new_case(at=arrived)
        assert case.id is not None
        case_ids.append(case.id)
    world.session.rollback()

    clients: list[Client] = []
    for k in range(KILLS):
        server = new_server(db_url, isolated_data_dir, tmp_path, f"server-{k}")
        servers.append(server.start())
        if not clients:
            clients = [
                Client(f"c{i}", server.token("clerk" if i % 2 == 0 else "clerk2"), case_ids[i::CLIENTS])
                for i in range(CLIENTS)
            ]
        state = _states(server, clients[0].token, case_ids)
        progress = Progress(CLIENTS)
        threads = [
            threading.Thread(target=_stream, args=(c, server, state, k, progress), daemon=True)
            for c in clients
        ]
        for thread in threads:
            thread.start()
        reached = progress.wait_for(KILL_AFTER, timeout=180)
        server.kill()
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive()
        errors = [c.error for c in clients if c.error]
        assert not errors, f"refused or wrong answers before the kill: {errors}\n{server.output()}"
        assert reached and progress.count >= KILL_AFTER, (
            f"only {progress.count} acknowledged\n{server.output()}"
        )

    final = new_server(db_url, isolated_data_dir, tmp_path, "server-final")
    servers.append(final.start())

    # acknowledged: present at the acknowledged version with the facts sent; nothing else appears
    found = _markers(engine, case_ids)
    acked = [s for c in clients for s in c.acked]
    inflight = {(s.case_id, s.version, s.marker) for c in clients for s in c.inflight}
    assert len(acked) >= KILLS * KILL_AFTER
    for sent in acked:
        assert found.get((sent.case_id, sent.version)) == (sent.action, sent.marker), (
            f"acknowledged {sent} is not in the evidence: {found.get((sent.case_id, sent.version))}"
        )
    acked_keys = {(s.case_id, s.version, s.marker) for s in acked}
    for (case_id, seq), (action, marker) in found.items():
        key = (case_id, seq, marker)
        assert key in acked_keys or key in inflight, (
            f"event {seq} of {case_id} ({action} {marker}) was never sent"
        )
    applied_inflight = sum(1 for (c, v, m) in inflight if found.get((c, v), ("", None))[1] == m)
    assert len(found) == len(acked) + applied_inflight

    # nothing half-applied, chains intact, letters numbered without gaps and stored
    cases = consistent(engine)
    letters = letter_numbers_gap_free(engine)
    consultations = sum(1 for action, _m in found.values() if action == "start_consultation")
    with Session(engine) as s:
        rows = s.exec(select(Letter).where(col(Letter.doc_type) != "receipt")).all()
    assert len(rows) == consultations and letters == consultations + len(case_ids)
    store = DocumentStore(engine)
    for letter in rows:
        assert store.read(letter.html_sha256)  # present, and its bytes match its hash
    verify = caseflow_verify(db_url, isolated_data_dir)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f"{len(cases)}件申请" in verify.stdout

    # the restarted server serves what is stored and takes new transitions
    with final.client(clients[0].token) as http:
        for case_id in case_ids:
            shown = http.get(f"{API}/requests/{case_id}")
            assert shown.status_code == 200 and shown.json()["version"] == cases[case_id].version
            note = http.post(
                f"{API}/requests/{case_id}/actions/add_note",
                json={"facts": {"text": "after the crash"}, "expected_version": cases[case_id].version},
            )
            assert note.status_code == 200, note.text
    consistent(engine)
