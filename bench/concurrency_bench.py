"""8 concurrent clients on SQLite: today's path (each transition its own ``BEGIN IMMEDIATE`` ...
``COMMIT``, waiters in SQLite's busy handler) against group commit (``caseflow.groupcommit``: one
writer, a savepoint per transition, one durable COMMIT per batch).

Both sides do the same work: 8 threads over the real engine (``service.perform`` and
``service.perform_grouped``), each on its own requests, non-letter transitions (a reply drafted,
then full ID views), PDF off, ``synchronous=FULL``, a fresh database per round. Reported: the
medians over rounds of transitions/s and of each round's p50/p95 latency.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bench.common import Figure, restore_env, set_env
from bench.engine_bench import T0, _setup
from caseflow import groupcommit, service
from caseflow.db import make_engine, upgrade
from caseflow.evidence.chain import verify_all

CLIENTS = 8
CASES_PER_CLIENT = 4
AT = T0 + dt.timedelta(days=1)
DRAFT = {"outcome": "disclosed.provided", "provided": "电子文本"}
APPLICATION: dict[str, object] = {
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


def _round(
    folder: Path, *, grouped: bool, per_client: int, clients: int = CLIENTS
) -> tuple[float, list[float], list[int]]:
    """One round on a fresh database: (transitions/s, latencies in seconds, batch sizes)."""
    url = f"sqlite:///{folder / ('grouped.db' if grouped else 'direct.db')}"
    upgrade(url)
    engine = make_engine(url)
    actors = _setup(engine)
    with Session(engine, expire_on_commit=False) as session:
        ids = [
            service.register(
                session=session, actor=actors["clerk"], agency_code="bench", application=APPLICATION, now=T0
            ).id
            or 0
            for _ in range(clients * CASES_PER_CLIENT)
        ]
    perform: Callable[..., Any] = service.perform_grouped if grouped else service.perform
    latencies: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        mine = ids[i * CASES_PER_CLIENT : (i + 1) * CASES_PER_CLIENT]
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            for n in range(per_client):
                case_id = mine[n % len(mine)]
                action, facts = ("draft_reply", DRAFT) if n < len(mine) else ("view_identity", None)
                started = time.perf_counter()
                perform(
                    session=session,
                    case_id=case_id,
                    actor=actors["clerk"],
                    action=action,
                    facts=facts,
                    now=AT,
                )
                latencies[i].append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    with Session(engine) as session:
        checked, problem = verify_all(session)
        assert problem is None and checked == len(ids), problem
    committer = groupcommit._committers.get(engine)
    batches = list(committer.batches) if committer is not None else []
    engine.dispose()
    flat = [x for per in latencies for x in per]
    assert len(flat) == clients * per_client
    return len(flat) / seconds, flat, batches


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Stats = tuple[float, float, float, float]  # transitions/s, p50 s, p95 s, p99 s


def _measure(quick: bool) -> tuple[dict[tuple[int, bool], list[Stats]], list[int], int, int]:
    rounds, per_client = (2, 20) if quick else (5, 60)
    results: dict[tuple[int, bool], list[Stats]] = {}
    sizes: list[int] = []
    with tempfile.TemporaryDirectory(prefix="caseflow-concurrency-") as tmp:
        saved = set_env(
            CASEFLOW_DATA_DIR=str(Path(tmp) / "data"), CASEFLOW_LETTER_PDF="0", CASEFLOW_GROUP_COMMIT="1"
        )
        try:
            for r in range(rounds):
                for clients in (CLIENTS, 1):
                    for grouped in (False, True):  # alternate, so that both see the same machine
                        folder = Path(tmp) / f"r{r}c{clients}"
                        folder.mkdir(exist_ok=True)
                        rate, lat, batches = _round(
                            folder, grouped=grouped, per_client=per_client, clients=clients
                        )
                        stats = (rate, _quantile(lat, 0.5), _quantile(lat, 0.95), _quantile(lat, 0.99))
                        results.setdefault((clients, grouped), []).append(stats)
                        sizes += batches if clients == CLIENTS else []
        finally:
            restore_env(saved)
    return results, sizes, rounds, per_client


def run(quick: bool) -> list[Figure]:
    results, sizes, rounds, per_client = _measure(quick)

    def med(clients: int, grouped: bool, k: int) -> float:
        return statistics.median(x[k] for x in results[clients, grouped])

    old_rate, new_rate = med(CLIENTS, False, 0), med(CLIENTS, True, 0)
    old_p50, new_p50 = med(CLIENTS, False, 1) * 1000, med(CLIENTS, True, 1) * 1000
    old_p95, new_p95 = med(CLIENTS, False, 2) * 1000, med(CLIENTS, True, 2) * 1000
    mean_batch = statistics.fmean(sizes) if sizes else 0.0
    note = (
        f"{CLIENTS} threads × {per_client} non-letter transitions, medians of {rounds} rounds; "
        f"p50 {new_p50:.1f} ms grouped vs {old_p50:.1f} ms today; mean batch {mean_batch:.1f}"
    )
    return [
        Figure(
            name="8 clients on SQLite: transitions/s, group commit",
            value=new_rate,
            unit="/s",
            anchor_name="the same clients, each transition its own commit (today)",
            anchor_value=old_rate,
            goal="ratio >= 2",
            note=note,
        ),
        Figure(
            name="8 clients on SQLite: p95 latency, group commit",
            value=new_p95,
            unit="ms",
            anchor_name="p95 of the same clients today",
            anchor_value=old_p95,
            goal="value < 25 ms",
            note=f"p95 {new_p95:.1f} ms grouped vs {old_p95:.1f} ms today; "
            f"p99 {med(CLIENTS, True, 3) * 1000:.1f} ms grouped vs "
            f"{med(CLIENTS, False, 3) * 1000:.1f} ms today",
        ),
        Figure(
            name="1 client on SQLite: transitions/s through the writer (batches of one)",
            value=med(1, True, 0),
            unit="/s",
            anchor_name="the same client, its own commit (today)",
            anchor_value=med(1, False, 0),
            goal="ratio >= 0.95",
            note=f"p50 {med(1, True, 1) * 1000:.2f} ms through the writer, "
            f"{med(1, False, 1) * 1000:.2f} ms today",
        ),
    ]
