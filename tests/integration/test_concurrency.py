"""Concurrent writers on one request: the row lock (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
SQLite) lets exactly one transition win; the others are refused cleanly and the chain stays intact.

Every test runs on both databases (``db_url`` is parametrized): PostgreSQL is the case that matters
(many connections, row locks); SQLite serialises writers and must give the same answers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from caseflow import service
from caseflow.errors import IllegalTransition, RuleViolation, StaleVersion
from caseflow.evidence.chain import verify_all
from caseflow.models import Case, EvidenceEvent
from caseflow.states.machine import STATE_NAMES, State
from tests.integration.conftest import T0, World, snapshot

AT = T0 + dt.timedelta(days=1)
THREADS = 8

EXTEND = ("supervisor", "extend", {"reason": "申请内容涉及多个部门，需要会商"})
SUPPLEMENT = ("clerk", "request_supplement", {"items": ["请说明所需信息的时间范围"]})
DRAFT = ("clerk", "draft_reply", {"outcome": "disclosed.provided", "provided": "预算表"})
WITHDRAW = ("clerk", "withdraw", {"reason": "申请人书面申请撤回"})
#: Where each action leads from ``received``.
DESTINATION = {
    "extend": "extended",
    "request_supplement": "supplement-required",
    "draft_reply": "ready-to-issue",
    "withdraw": "withdrawn",
}


@dataclass
class Outcome:
    action: str
    case: Case | None = None
    error: BaseException | None = None


def _together(world: World, engine: Engine, count: int, work: Callable[[int, Session], Any]) -> list[Any]:
    """Run ``work(i, own_session)`` in ``count`` threads released at the same moment.

    The fixture's session first ends its transaction: on SQLite every transaction, even a read,
    begins IMMEDIATE and holds the write lock until it ends."""
    world.session.rollback()
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait(timeout=60)
            return work(i, session)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count), timeout=180))


def _race(
    world: World,
    engine: Engine,
    case_id: int,
    calls: list[tuple[str, str, dict[str, Any]]],
    expected_version: int | None = None,
) -> list[Outcome]:
    def work(i: int, session: Session) -> Outcome:
        actor, action, facts = calls[i]
        try:
            case = service.perform(
                session=session,
                case_id=case_id,
                actor=world[actor],
                action=action,
                facts=facts,
                expected_version=expected_version,
                now=AT,
            )
        except Exception as exc:  # noqa: BLE001 - every error is examined by the test
            return Outcome(action, error=exc)
        return Outcome(action, case=case)

    return _together(world, engine, len(calls), work)


def _check_single_winner(world: World, case_id: int, outcomes: list[Outcome]) -> Outcome:
    """Exactly one transition committed: 2 events, version 2, the chain verifies."""
    winners = [o for o in outcomes if o.error is None]
    assert len(winners) == 1, [(o.action, o.error) for o in outcomes]
    winner = winners[0]
    assert winner.case is not None
    assert winner.case.state == DESTINATION[winner.action]
    assert winner.case.version == 2
    row, events = snapshot(world.session, case_id)
    assert events == 2
    assert row["version"] == 2
    assert row["event_count"] == 2
    assert row["state"] == DESTINATION[winner.action]
    actions = world.session.exec(
        select(EvidenceEvent.action)
        .where(col(EvidenceEvent.case_id) == case_id)
        .order_by(col(EvidenceEvent.seq))
    ).all()
    assert list(actions) == ["register", winner.action]
    assert verify_all(world.session) == (1, None)
    return winner


def test_conflicting_transitions_exactly_one_wins(world: World, engine: Engine) -> None:
    """4 supervisors extend, 4 clerks ask for a supplement: whichever commits first makes the
    other action illegal (extend needs ``received``, request_supplement too)."""
    case = world.new_case()
    assert case.id is not None
    outcomes = _race(world, engine, case.id, [EXTEND, SUPPLEMENT] * (THREADS // 2))
    winner = _check_single_winner(world, case.id, outcomes)
    new_state = DESTINATION[winner.action]
    for loser in outcomes:
        if loser is winner:
            continue
        assert isinstance(loser.error, IllegalTransition), repr(loser.error)
        assert loser.error.action == loser.action
        assert loser.error.state == new_state
        assert f"「{STATE_NAMES[State(new_state)]}」" in loser.error.message  # the state by its Chinese name


def test_same_transition_from_many_threads_applies_once(world: World, engine: Engine) -> None:
    """8 supervisors extend the same request without a version: one extension, 7 refusals."""
    case = world.new_case()
    assert case.id is not None
    outcomes = _race(world, engine, case.id, [EXTEND] * THREADS)
    winner = _check_single_winner(world, case.id, outcomes)
    assert winner.action == "extend"
    for loser in outcomes:
        if loser is not winner:
            assert isinstance(loser.error, IllegalTransition), repr(loser.error)
            assert loser.error.state == "extended"
    row, _ = snapshot(world.session, case.id)
    assert row["extended"] is True
    assert len(row["ledger"]) == 1  # one extension on the clock, not eight


def test_mixed_transitions_without_version_are_serialised(world: World, engine: Engine) -> None:
    """4 extend, 2 draft_reply, 2 withdraw, no expected version. Several may succeed one after the
    other (extend, then draft_reply from ``extended``, then withdraw...), but never two from the same
    state: the stored events form one valid sequence and every other call is refused cleanly."""
    case = world.new_case()
    assert case.id is not None
    calls = [EXTEND, DRAFT, EXTEND, WITHDRAW, EXTEND, DRAFT, EXTEND, WITHDRAW]
    outcomes = _race(world, engine, case.id, calls)
    winners = [o for o in outcomes if o.error is None]
    for loser in outcomes:
        if loser.error is not None:
            assert isinstance(loser.error, IllegalTransition | RuleViolation), repr(loser.error)
    row, events = snapshot(world.session, case.id)
    assert events == 1 + len(winners) == row["event_count"] == row["version"]
    stored = world.session.exec(
        select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case.id).order_by(col(EvidenceEvent.seq))
    ).all()
    assert stored[0].action == "register"
    for before, after in itertools.pairwise(stored):
        assert after.from_state == before.to_state  # each transition started where the last ended
    assert sorted(e.action for e in stored[1:]) == sorted(o.action for o in winners)
    assert [e.action for e in stored[1:]].count("extend") <= 1  # one extension at most (Art. 33)
    assert row["state"] == stored[-1].to_state
    assert verify_all(world.session) == (1, None)


def test_conflicting_transitions_with_expected_version(world: World, engine: Engine) -> None:
    """extend, draft_reply and withdraw all claiming version 1: one wins, 7 get StaleVersion."""
    case = world.new_case()
    assert case.id is not None
    calls = [EXTEND, EXTEND, EXTEND, EXTEND, DRAFT, DRAFT, WITHDRAW, WITHDRAW]
    outcomes = _race(world, engine, case.id, calls, expected_version=1)
    winner = _check_single_winner(world, case.id, outcomes)
    for loser in outcomes:
        if loser is winner:
            continue
        assert isinstance(loser.error, StaleVersion), repr(loser.error)
        assert (loser.error.expected, loser.error.actual) == (1, 2)
        assert "第1版" in loser.error.message and "第2版" in loser.error.message


def test_same_extend_with_expected_version(world: World, engine: Engine) -> None:
    """8 identical extend calls with expected_version=1: exactly one succeeds, 7 StaleVersion."""
    case = world.new_case()
    assert case.id is not None
    outcomes = _race(world, engine, case.id, [EXTEND] * THREADS, expected_version=1)
    winner = _check_single_winner(world, case.id, outcomes)
    assert winner.action == "extend"
    stale = [o for o in outcomes if isinstance(o.error, StaleVersion)]
    assert len(stale) == THREADS - 1, [repr(o.error) for o in outcomes]


def test_concurrent_transitions_on_different_requests_all_succeed(world: World, engine: Engine) -> None:
    """The lock is per request: 8 threads acting on 8 requests all commit, every chain intact."""
    cases = [world.new_case() for _ in range(THREADS)]
    ids = [c.id for c in cases]

    def work(i: int, session: Session) -> Case:
        actor, action, facts = EXTEND
        case_id = ids[i]
        assert case_id is not None
        return service.perform(
            session=session, case_id=case_id, actor=world[actor], action=action, facts=facts, now=AT
        )

    results = _together(world, engine, THREADS, work)
    assert [c.state for c in results] == ["extended"] * THREADS
    world.session.expire_all()
    assert verify_all(world.session) == (THREADS, None)


def test_concurrent_registrations_get_gap_free_tracking_numbers(world: World, engine: Engine) -> None:
    """12 threads registering 3 requests each at one agency: 00001..00036, no gap, no duplicate."""
    threads, per_thread = 12, 3

    def work(i: int, session: Session) -> list[str]:
        numbers = []
        for j in range(per_thread):
            case = service.register(
                session=session,
                actor=world["clerk"],
                agency_code="city",
                application=world.application(description=f"线程{i}的第{j}件申请"),
                now=T0,
            )
            numbers.append(case.tracking_no)
        return numbers

    results = _together(world, engine, threads, work)
    total = threads * per_thread
    numbers = sorted(n for batch in results for n in batch)
    assert numbers == [f"CITY-2026-{n:05d}" for n in range(1, total + 1)]
    world.session.expire_all()
    stored = world.session.exec(select(Case.tracking_no).order_by(col(Case.tracking_no))).all()
    assert list(stored) == numbers
    assert verify_all(world.session) == (total, None)
    # every request's first event names its own tracking number
    rows = world.session.execute(
        text(
            "SELECT r.tracking_no, e.payload FROM request r JOIN evidence_event e ON e.case_id = r.id "
            "WHERE e.seq = 1"
        )
    ).all()
    assert len(rows) == total
    for tracking_no, payload in rows:
        assert f'"case":"{tracking_no}"' in payload
