"""Several instances, one leader: schedulers started together run each job once, and a follower
takes over (catching up what is owed) when the leader stops."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from caseflow.db import make_engine
from caseflow.evidence.chain import verify_all
from caseflow.models import EvidenceEvent, JobRun, Notification
from caseflow.scheduled import JOBS
from caseflow.scheduled.scheduler import Scheduler
from tests.integration.conftest import T0, World

DAY = dt.timedelta(days=1)


def _due_work(world: World) -> None:
    supplement = world.act(world.new_case(), "request_supplement", {"items": ["请写明文号"]}, at=T0 + DAY)
    fee = world.act(world.new_case(), "assess_fee", {"method": "per_page", "pages": 150}, at=T0 + DAY)
    for case, document in ((supplement, "supplement_notice"), (fee, "fee_notice")):
        received = (T0 + 2 * DAY).date().isoformat()  # the periods run from the notices' delivery
        facts = {"document": document, "method": "post", "proof": "EMS 签收", "received_on": received}
        world.act(case, "record_notice_delivery", facts, at=T0 + 2 * DAY)
    world.new_case()  # overdue by now
    world.session.rollback()


def _finished_jobs(engine: Engine) -> set[str]:
    with Session(engine) as s:
        return set(s.exec(select(JobRun.job).where(col(JobRun.finished_at).is_not(None))))


def _wait_for(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the schedulers")


def test_two_schedulers_started_together_do_the_work_once(world: World, engine: Engine, db_url: str) -> None:
    _due_work(world)
    engines = [make_engine(db_url), make_engine(db_url)]
    schedulers = [Scheduler(e, instance=f"instance-{i}") for i, e in enumerate(engines)]
    gate = threading.Barrier(2)

    def start(s: Scheduler) -> None:
        gate.wait()
        s.start()

    threads = [threading.Thread(target=start, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        _wait_for(lambda: _finished_jobs(engine) == set(JOBS))
        leading = [s.lead() for s in schedulers]  # the follower asks again: still refused
    finally:
        for s in schedulers:
            s.shutdown()
        for e in engines:
            e.dispose()
    assert sorted(leading) == [False, True]
    with Session(engine) as s:
        runs = s.exec(select(JobRun.instance, JobRun.job, JobRun.status)).all()
        lapse_events = Counter(
            s.exec(select(EvidenceEvent.case_id).where(col(EvidenceEvent.action) == "propose_lapse")).all()
        )
        overdue = s.exec(
            select(func.count()).select_from(Notification).where(col(Notification.reason) == "overdue")
        ).one()
        assert verify_all(s)[1] is None
    assert len({instance for instance, _, _ in runs}) == 1  # one leader did all the work
    assert Counter(job for _, job, _ in runs) == Counter(set(JOBS))  # each job once (the catch-up)
    assert {status for _, _, status in runs} == {"ok"}
    assert sorted(lapse_events.values()) == [1, 1]  # each lapse proposed once
    assert overdue == 2  # the one request still open is overdue: its handler and supervisor, once each


def test_a_follower_takes_over_and_catches_up(world: World, engine: Engine, db_url: str) -> None:
    engines = [make_engine(db_url), make_engine(db_url)]
    clock = {"now": T0 + 30 * DAY}
    leader, follower = (
        Scheduler(e, instance=n, clock=lambda: clock["now"]) for e, n in zip(engines, "ab", strict=True)
    )
    try:
        assert leader.lead() is True  # catches up every job (never run)
        assert follower.lead() is False
        assert len(_finished_jobs(engine)) == len(JOBS)
        with Session(engine) as s:
            s.add(
                JobRun(job="lapses", instance="a", as_of=clock["now"], started_at=clock["now"])
            )  # a run in flight
            s.commit()
        leader.leader.release()  # the leader's process ends (its lock goes with it)
        clock["now"] += dt.timedelta(minutes=7)
        assert follower.lead() is True
        with Session(engine) as s:
            by_instance = Counter(s.exec(select(JobRun.instance)).all())
            crashed = s.exec(select(JobRun).where(col(JobRun.status) == "crashed")).all()
            caught_up = set(s.exec(select(JobRun.job).where(col(JobRun.instance) == "b")))
    finally:
        leader.shutdown()
        follower.shutdown()
        for e in engines:
            e.dispose()
    assert [r.instance for r in crashed] == ["a"]
    # 7 minutes on: calendar and letter_pdfs (every 5), mail and applicant_mail (every 2) were owed;
    # lapses (10), reminders (10) and the digest (daily) were not.
    assert caught_up == {"calendar", "letter_pdfs", "mail", "applicant_mail"} and by_instance["b"] == 4
