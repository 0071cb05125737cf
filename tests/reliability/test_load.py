"""Concurrency under load: three ``caseflow serve`` processes on one PostgreSQL database, eight
clients spread over them, racing on the same requests.

Each race releases every client at once (a barrier) on every request:

- the same transition with the same expected version (``start_consultation``, ``add_note``): exactly
  one wins per request, every other is refused 409 and leaves no trace;
- the same transition without a version (``receive_opinion``): the state machine lets exactly one
  through, the others are refused 409 (illegal in the new state);
- a note from every client without a version: every one is accepted, none overwrites another;
- and each client registers a new request at the same moment, all in one agency, each taking a
  tracking number and a receipt letter number (while that agency's consultation letters are
  numbered).

Then: no 5xx, no lost update (each request's version equals its number of events, which is one
plus the transitions accepted for it; each accepted transition appears exactly once, each refused
one not at all), tracking numbers and letter numbers per agency, series and year are 1..n with no
duplicate and no gap, every chain verifies, and ``caseflow verify`` exits 0.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from caseflow.dates import SHANGHAI
from caseflow.models import Case, EvidenceEvent
from tests.integration.conftest import World
from tests.reliability.conftest import (
    API,
    Server,
    application,
    caseflow_verify,
    consistent,
    letter_numbers_gap_free,
    new_server,
)

SERVERS = 3
#: The user of each client (the two clerks of the agency "city"); client i talks to server i % SERVERS.
CLIENTS = ("clerk", "clerk2") * 4
#: The requests raced on.
RACED = 3
ROUNDS = 4
MARKER_FACT = {"add_note": "text", "start_consultation": "matters", "receive_opinion": "opinion_text"}
POSTGRES_ONLY = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


@dataclass(frozen=True)
class Race:
    action: str
    versioned: bool  # every client sends the same expected version
    everyone_wins: bool = False

    def facts(self, marker: str) -> dict[str, Any]:
        if self.action == "start_consultation":
            return {"party_kind": "co_producer", "party_name": "某市财政局", "matters": marker}
        if self.action == "receive_opinion":
            return {"opinion": "partial", "opinion_text": marker}
        return {"text": marker}


RACES = [
    race
    for _ in range(ROUNDS)
    for race in (
        Race("start_consultation", versioned=True),
        Race("add_note", versioned=False, everyone_wins=True),
        Race("receive_opinion", versioned=False),
        Race("add_note", versioned=True),
    )
]


@dataclass
class Outcome:
    race: int
    case_id: int
    action: str
    marker: str
    status: int
    body: str


@dataclass
class Shared:
    versions: dict[int, int]
    outcomes: list[Outcome] = field(default_factory=list)
    registered: list[tuple[int, str]] = field(default_factory=list)  # (status, body)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(
    index: int, server: Server, token: str, cases: list[int], shared: Shared, barrier: threading.Barrier
) -> None:
    try:
        with server.client(token) as http:
            for r, race in enumerate(RACES):
                barrier.wait()  # every client starts the race together (the action refreshed the versions)
                order = cases[index % len(cases) :] + cases[: index % len(cases)]
                for case_id in order:
                    marker = f"c{index}-race{r}-{case_id}"
                    body: dict[str, Any] = {"facts": race.facts(marker)}
                    if race.versioned:
                        body["expected_version"] = shared.versions[case_id]
                    response = http.post(f"{API}/requests/{case_id}/actions/{race.action}", json=body)
                    with shared.lock:
                        shared.outcomes.append(
                            Outcome(
                                r, case_id, race.action, marker, response.status_code, response.text[:300]
                            )
                        )
                created = http.post(f"{API}/requests", json=application(applicant_name=f"申请人{index}-{r}"))
                with shared.lock:
                    shared.registered.append((created.status_code, created.text[:300]))
            barrier.wait()
    except Exception as exc:  # noqa: BLE001 - reported by the test (a broken barrier, a dead server...)
        with shared.lock:
            shared.errors.append(f"client {index}: {exc.__class__.__name__}: {exc}")
        barrier.abort()


def _versions(engine: Engine, case_ids: list[int]) -> dict[int, int]:
    with Session(engine) as s:
        return {c.id: c.version for c in s.exec(select(Case).where(col(Case.id).in_(case_ids))) if c.id}


@POSTGRES_ONLY
def test_servers_racing_on_the_same_requests_lose_nothing_and_number_once(
    world: World, engine: Engine, db_url: str, isolated_data_dir: Path, tmp_path: Path, servers: list[Server]
) -> None:
    arrived = dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)
    case_ids = []
    for _ in range(RACED):
        case = world.new_case(at=arrived)
        assert case.id is not None
        case_ids.append(case.id)
    world.session.rollback()

    for k in range(SERVERS):
        servers.append(new_server(db_url, isolated_data_dir, tmp_path, f"server-{k}").start())
    tokens = {user: servers[0].token(user) for user in set(CLIENTS)}
    shared = Shared(versions=_versions(engine, case_ids))

    def refresh() -> None:  # run by the barrier between races, while no client is sending
        shared.versions = _versions(engine, case_ids)

    barrier = threading.Barrier(len(CLIENTS), action=refresh, timeout=120)
    threads = [
        threading.Thread(
            target=_client,
            args=(i, servers[i % SERVERS], tokens[user], case_ids, shared, barrier),
            daemon=True,
        )
        for i, user in enumerate(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
        assert not thread.is_alive()
    logs = "\n".join(s.output()[-1500:] for s in servers)
    assert not shared.errors, f"{shared.errors}\n{logs}"

    # every answer: no 5xx; per race and request exactly one winner, or everyone for free notes
    statuses = Counter(o.status for o in shared.outcomes)
    assert set(statuses) <= {200, 409}, (
        f"{statuses}: {[o for o in shared.outcomes if o.status not in (200, 409)][:3]}"
    )
    assert len(shared.outcomes) == len(RACES) * RACED * len(CLIENTS)
    accepted: dict[tuple[int, str], Outcome] = {}
    for r, race in enumerate(RACES):
        for case_id in case_ids:
            here = [o for o in shared.outcomes if o.race == r and o.case_id == case_id]
            won = [o for o in here if o.status == 200]
            assert len(won) == (len(CLIENTS) if race.everyone_wins else 1), (
                f"race {r} ({race}) on {case_id}: {[(o.status, o.body[:120]) for o in here]}"
            )
            for o in won:
                accepted[(o.case_id, o.marker)] = o
    assert Counter(status for status, _b in shared.registered) == {201: len(RACES) * len(CLIENTS)}, [
        b for status, b in shared.registered if status != 201
    ][:3]

    # no lost update: each request holds exactly its accepted transitions, each once, in order
    with Session(engine) as s:
        rows = s.exec(
            select(EvidenceEvent.case_id, EvidenceEvent.seq, EvidenceEvent.action, EvidenceEvent.payload)
            .where(col(EvidenceEvent.case_id).in_(case_ids), col(EvidenceEvent.seq) > 1)
            .order_by(col(EvidenceEvent.case_id), col(EvidenceEvent.seq))
        ).all()
    recorded = Counter(
        (case_id, json.loads(payload)["facts"].get(MARKER_FACT[action]))
        for case_id, _seq, action, payload in rows
    )
    assert recorded == Counter(accepted.keys()), "evidence differs from the accepted transitions"
    cases = consistent(engine)
    for case_id in case_ids:
        assert cases[case_id].version == 1 + sum(1 for c, _m in accepted if c == case_id)

    # numbers: tracking numbers per agency and year, letter numbers per agency, series and year
    prefixes: dict[str, list[int]] = {}
    for case in cases.values():
        prefix, _, number = case.tracking_no.rpartition("-")
        prefixes.setdefault(prefix, []).append(int(number))
    for prefix, numbers in prefixes.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), (
            f"tracking numbers {prefix}: {sorted(numbers)}"
        )
    assert len(cases) == RACED + len(RACES) * len(CLIENTS)
    consultations = sum(1 for o in accepted.values() if o.action == "start_consultation")
    assert consultations == ROUNDS * RACED
    assert letter_numbers_gap_free(engine) == len(cases) + consultations  # a receipt each, and the letters

    verify = caseflow_verify(db_url, isolated_data_dir)
    assert verify.returncode == 0, verify.stdout + verify.stderr
