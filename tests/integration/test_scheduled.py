"""Scheduled work: lapses through time, reminders on the right working days and once, escalation,
digests, failures counted and retried, job runs, catch-up and a crashed run, ``caseflow sweep`` twice."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from freezegun import freeze_time
from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from caseflow import law
from caseflow.calendar import default_calendar
from caseflow.dates import SHANGHAI, now
from caseflow.evidence.chain import verify_all
from caseflow.models import Case, Consultation, EvidenceEvent, FeeAssessment, JobRun, Notification, User
from caseflow.scheduled import JOBS, run_all
from caseflow.scheduled.reminders import digest, remind
from caseflow.scheduled.runs import mark_crashed, missed, run_job
from caseflow.scheduled.status import job_status
from tests.integration.conftest import T0, World

DAY = dt.timedelta(days=1)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def working_day_before(due: dt.date, n: int) -> dt.date:
    """The working day from which exactly ``n`` working days remain until ``due``."""
    cal = default_calendar()
    day = due
    while not (cal.is_working_day(day) and cal.working_days_between(day, due) == n):
        day -= DAY
    return day


def notes(engine: Engine, reason: str | None = None, case_id: int | None = None) -> list[tuple[str, str]]:
    """(recipient username, reason) of the notifications made, in order."""
    with Session(engine) as s:
        stmt = select(User.username, Notification.reason).join(
            User, col(User.id) == col(Notification.user_id)
        )
        if reason:
            stmt = stmt.where(col(Notification.reason) == reason)
        if case_id is not None:
            stmt = stmt.where(col(Notification.case_id) == case_id)
        return [(u, r) for u, r in s.exec(stmt.order_by(col(Notification.id)))]


def events(engine: Engine, case_id: int) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.exec(
            select(EvidenceEvent.payload)
            .where(col(EvidenceEvent.case_id) == case_id)
            .order_by(col(EvidenceEvent.seq))
        )
        return [json.loads(p) for p in rows]


def row(engine: Engine, case_id: int) -> Case:
    with Session(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def deliver(world: World, case: Case, document: str, received: dt.date, moment: dt.datetime) -> Case:
    """Record that the notice's recipient received it on ``received`` (its period starts the next day)."""
    facts = {"document": document, "method": "post", "proof": "EMS 签收", "received_on": received}
    return world.act(case, "record_notice_delivery", facts, at=moment)


# --- Lapses through time (freezegun) -------------------------------------------------------------


def test_supplement_lapse_is_proposed_when_its_time_comes(world: World, engine: Engine) -> None:
    with freeze_time(T0):
        case = world.new_case(at=now())
    with freeze_time(T0 + 2 * DAY):
        case = world.act(case, "request_supplement", {"items": ["请写明文件名称"]}, at=now())
    assert case.supplement_due is None and case.state == "supplement-required"
    with freeze_time(T0 + 5 * DAY):
        case = deliver(world, case, "supplement_notice", (T0 + 4 * DAY).date(), now())
    due = case.supplement_due
    assert due == default_calendar().add_working_days((T0 + 4 * DAY).date(), 15)
    world.session.rollback()
    with freeze_time(at(due, 23)):  # the last day of the period: nothing yet
        run_all(engine, now())
        assert row(engine, case.id or 0).lapse_proposed is None
    with freeze_time(at(due + DAY, 0)):  # the first moment after it
        (lapses_run, result) = run_job(engine, JOBS["lapses"], now())
    assert result.done == [f"{case.tracking_no} propose_lapse:supplement"] and lapses_run.status == "ok"
    proposed = row(engine, case.id or 0)
    assert (proposed.state, proposed.outcome, proposed.closed_on) == ("supplement-required", None, None)
    assert (proposed.lapse_proposed, proposed.lapse_proposed_on) == ("supplement", due + DAY)
    last = events(engine, case.id or 0)[-1]
    assert last["action"] == "propose_lapse" and last["actor"] == "system" and last["role"] == "system"
    assert any("第三十条" in b for b in last["basis"])
    assert due.isoformat() in json.dumps(last["facts"], ensure_ascii=False)
    assert notes(engine, "lapse_proposed", case.id) == [("clerk", "lapse_proposed")]


def test_fee_and_consultation_lapses_cite_their_dates(world: World, engine: Engine) -> None:
    fee = world.act(world.new_case(), "assess_fee", {"method": "per_page", "pages": 150}, at=T0 + DAY)
    consult = world.act(
        world.new_case(),
        "start_consultation",
        {"party_kind": "third_party", "party_name": "某公司", "matters": "商业秘密"},
        at=T0 + DAY,
    )
    deliver(world, fee, "fee_notice", (T0 + 3 * DAY).date(), T0 + 4 * DAY)
    deliver(world, consult, "consultation_third_party", (T0 + 3 * DAY).date(), T0 + 4 * DAY)
    world.session.rollback()
    run_job(engine, JOBS["lapses"], T0 + 80 * DAY)
    proposed = row(engine, fee.id or 0)
    assert (proposed.state, proposed.outcome, proposed.lapse_proposed) == ("fee-pending", None, "fee")
    resumed = row(engine, consult.id or 0)
    assert resumed.state == "received" and not resumed.paused and resumed.reply_due is not None
    fee_event, consult_event = events(engine, fee.id or 0)[-1], events(engine, consult.id or 0)[-1]
    assert fee_event["action"] == "propose_lapse" and fee_event["actor"] == "system"
    assert consult_event["action"] == "lapse_consultation" and consult_event["actor"] == "system"
    with Session(engine) as s:
        pay_by = s.exec(select(FeeAssessment.pay_by).where(col(FeeAssessment.case_id) == fee.id)).one()
        window_end = s.exec(
            select(Consultation.window_end).where(col(Consultation.case_id) == consult.id)
        ).one()
    assert fee_event["facts"]["period_end"] == pay_by.isoformat()
    assert consult_event["facts"]["window_end"] == window_end.isoformat()
    assert fee_event["basis"] and consult_event["basis"]


# --- Reminders: the right working days, once -------------------------------------------------------


def test_reply_reminders_on_the_right_working_days_and_only_once(world: World, engine: Engine) -> None:
    case = world.new_case()
    world.session.rollback()
    due = row(engine, case.id or 0).reply_due
    assert due is not None
    four, three = working_day_before(due, 4), working_day_before(due, 3)
    remind(engine, at(four))
    assert notes(engine, "reply_due_soon") == []
    remind(engine, at(three))
    assert notes(engine, "reply_due_soon") == [("clerk", "reply_due_soon")]
    for day in (three, three + DAY, due):  # again the same day, later days: nothing more
        remind(engine, at(day, 18))
    assert notes(engine, "reply_due_soon") == [("clerk", "reply_due_soon")]
    assert notes(engine, "overdue") == []
    # The day after the due day: overdue, to the handler and escalated to the agency's supervisor.
    remind(engine, at(due + DAY))
    assert sorted(notes(engine, "overdue")) == [("clerk", "overdue"), ("supervisor", "overdue")]
    remind(engine, at(due + 5 * DAY))
    assert len(notes(engine, "overdue")) == 2
    with Session(engine) as s:
        note = s.exec(select(Notification).where(col(Notification.reason) == "overdue")).first()
        assert note is not None and note.due_on == due and case.tracking_no in note.title
        assert f"/cases/{case.id}" in note.body


def test_escalation_goes_up_the_agency_tree(world: World, engine: Engine) -> None:
    case = world.new_case(agency="dept", actor="dept_clerk")
    world.session.rollback()
    due = row(engine, case.id or 0).reply_due
    assert due is not None
    remind(engine, at(due + DAY))
    # The dept's handler and supervisor, and the city's supervisor above; not the district's.
    assert sorted(u for u, _ in notes(engine, "overdue")) == ["dept_clerk", "dept_supervisor", "supervisor"]


def test_an_extension_earns_a_new_reminder_for_the_new_deadline(world: World, engine: Engine) -> None:
    case = world.new_case()
    world.session.rollback()
    first_due = row(engine, case.id or 0).reply_due
    assert first_due is not None
    remind(engine, at(working_day_before(first_due, 2)))
    extended = world.act(
        case,
        "extend",
        {"reason": "需要会商"},
        actor="supervisor",
        at=at(working_day_before(first_due, 2), 15),
    )
    world.session.rollback()
    assert extended.reply_due is not None and extended.reply_due > first_due
    remind(engine, at(working_day_before(first_due, 1)))
    assert len(notes(engine, "reply_due_soon")) == 1  # the old deadline no longer applies
    remind(engine, at(working_day_before(extended.reply_due, 3)))
    with Session(engine) as s:
        dues = [
            n.due_on for n in s.exec(select(Notification).where(col(Notification.reason) == "reply_due_soon"))
        ]
    assert dues == [first_due, extended.reply_due]


def test_supplement_notice_limit_reminder(world: World, engine: Engine) -> None:
    case = world.new_case()
    asked = world.new_case()
    asked = world.act(asked, "request_supplement", {"items": ["请写明文号"]}, at=T0 + DAY)
    asked = world.act(asked, "receive_supplement", {"summary": "已补正"}, at=T0 + 2 * DAY)
    world.session.rollback()
    limit = row(engine, case.id or 0).supplement_notice_due
    assert limit is not None
    remind(engine, at(working_day_before(limit, 3)))
    assert notes(engine, "supplement_notice_due_soon") == []
    remind(engine, at(working_day_before(limit, 2)))
    remind(engine, at(working_day_before(limit, 1)))
    # Once, and not for the request that has had its one supplement already.
    assert notes(engine, "supplement_notice_due_soon") == [("clerk", "supplement_notice_due_soon")]
    assert notes(engine, "supplement_notice_due_soon", case_id=asked.id) == []
    with Session(engine) as s:
        body = s.exec(
            select(Notification.body).where(col(Notification.reason) == "supplement_notice_due_soon")
        ).one()
    assert law.SUPPLEMENT_NOTICE.basis.label in body and "2个工作日" in body


def test_daily_digest_once_a_day_per_supervisor(world: World, engine: Engine) -> None:
    case = world.new_case()
    world.session.rollback()
    due = row(engine, case.id or 0).reply_due
    assert due is not None
    late = at(due + 2 * DAY)
    digest(engine, late)
    digest(engine, late + dt.timedelta(hours=3))
    got = notes(engine, "daily_digest")
    assert sorted(got) == [("dept_supervisor", "daily_digest"), ("supervisor", "daily_digest")]
    with Session(engine) as s:
        city = s.exec(
            select(Notification)
            .join(User, col(User.id) == col(Notification.user_id))
            .where(col(User.username) == "supervisor", col(Notification.reason) == "daily_digest")
        ).one()
        dept = s.exec(
            select(Notification)
            .join(User, col(User.id) == col(Notification.user_id))
            .where(col(User.username) == "dept_supervisor", col(Notification.reason) == "daily_digest")
        ).one()
    assert "已逾期1件" in city.body and case.tracking_no in city.body
    assert "已逾期0件" in dept.body and case.tracking_no not in dept.body  # the city's case is not theirs
    digest(engine, late + DAY)
    assert len(notes(engine, "daily_digest")) == 4


# --- Faults: a bad request is skipped, counted, retried ------------------------------------------


def test_a_request_that_makes_a_job_fail_is_skipped_counted_and_retried(world: World, engine: Engine) -> None:
    bad = world.act(world.new_case(), "assess_fee", {"method": "per_page", "pages": 150}, at=T0 + DAY)
    good = world.act(world.new_case(), "assess_fee", {"method": "per_page", "pages": 150}, at=T0 + DAY)
    bad = deliver(world, bad, "fee_notice", (T0 + 2 * DAY).date(), T0 + 2 * DAY)
    good = deliver(world, good, "fee_notice", (T0 + 2 * DAY).date(), T0 + 2 * DAY)
    world.session.rollback()
    ledger = row(engine, bad.id or 0).ledger
    with engine.begin() as conn:  # damaged data: a clock event of a kind the clock does not know
        conn.execute(
            text("UPDATE request SET ledger = :l WHERE id = :i"),
            {"l": json.dumps([*ledger, {"type": "teleported", "date": "2026-10-01"}]), "i": bad.id},
        )
    before = events(engine, bad.id or 0)
    run, result = run_job(engine, JOBS["lapses"], T0 + 80 * DAY)
    assert run.status == "errors" and (run.done, run.failed) == (1, 1)
    assert [f.tracking_no for f in result.failed] == [bad.tracking_no]
    assert "teleported" in result.failed[0].error
    assert row(engine, good.id or 0).lapse_proposed == "fee"  # the others went on
    assert events(engine, bad.id or 0) == before and row(engine, bad.id or 0).state == "fee-pending"
    # Counted for the supervisor (dashboard and API), not for another agency's supervisor.
    with Session(engine) as s:
        city = job_status(s, world["supervisor"])
        dept = job_status(s, world["dept_supervisor"])
    lapses = next(j for j in city if j["job"] == "lapses")
    assert lapses["skipped"] == 1 and lapses["skipped_requests"][0]["tracking_no"] == bad.tracking_no
    assert next(j for j in dept if j["job"] == "lapses")["skipped"] == 0
    # Repaired, it is handled on the next run.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE request SET ledger = :l WHERE id = :i"), {"l": json.dumps(ledger), "i": bad.id}
        )
    run, _ = run_job(engine, JOBS["lapses"], T0 + 81 * DAY)
    assert run.status == "ok" and run.done == 1 and row(engine, bad.id or 0).lapse_proposed == "fee"
    with Session(engine) as s:
        assert verify_all(s)[1] is None


# --- Job runs: catch-up, crashed runs ---------------------------------------------------------------


def test_missed_runs_are_found_from_the_job_run_table(world: World, engine: Engine) -> None:
    start = T0 + 10 * DAY
    assert [j.name for j in missed(engine, list(JOBS.values()), start)] == list(JOBS)
    run_all(engine, start)
    assert missed(engine, list(JOBS.values()), start + dt.timedelta(minutes=1)) == []
    later = [j.name for j in missed(engine, list(JOBS.values()), start + dt.timedelta(minutes=7))]
    # calendar and letter_pdfs every 5 minutes, mail and applicant_mail every 2; lapses and reminders every 10
    assert sorted(later) == ["applicant_mail", "calendar", "letter_pdfs", "mail"]
    # The digest is owed once its daily slot (08:30) has passed since the last run.
    morning = at((start + DAY).date(), 8)
    assert "digest" not in [j.name for j in missed(engine, list(JOBS.values()), morning)]
    after_slot = morning + dt.timedelta(minutes=45)
    assert "digest" in [j.name for j in missed(engine, list(JOBS.values()), after_slot)]


def test_a_run_left_running_by_a_dead_leader_is_marked_crashed(world: World, engine: Engine) -> None:
    with Session(engine) as s:
        s.add(JobRun(job="lapses", instance="dead:1", as_of=T0, started_at=T0))
        s.add(JobRun(job="reminders", instance="me:2", as_of=T0, started_at=T0))
        s.commit()
    assert mark_crashed(engine, instance="me:2") == 1
    with Session(engine) as s:
        states = dict(s.exec(select(JobRun.instance, JobRun.status)).all())
    assert states == {"dead:1": "crashed", "me:2": "running"}
    # A crashed run is not a finished one: the job is still owed.
    assert "lapses" in [j.name for j in missed(engine, [JOBS["lapses"]], T0 + DAY)]


# --- caseflow sweep twice ------------------------------------------------------------------------


def _everything(engine: Engine) -> tuple[Any, ...]:
    with Session(engine) as s:
        return (
            s.exec(select(func.count()).select_from(EvidenceEvent)).one(),
            s.exec(select(func.count()).select_from(Notification)).one(),
            sorted((c.id, c.state, c.version, c.last_hash) for c in s.exec(select(Case))),
        )


def test_caseflow_sweep_twice_changes_nothing_the_second_time(
    world: World, engine: Engine, cli_runner: CliRunner
) -> None:
    from caseflow.cli import app

    supplement = world.act(world.new_case(), "request_supplement", {"items": ["请写明文号"]}, at=T0 + DAY)
    fee = world.act(world.new_case(), "assess_fee", {"method": "per_page", "pages": 150}, at=T0 + DAY)
    deliver(world, supplement, "supplement_notice", (T0 + 2 * DAY).date(), T0 + 2 * DAY)
    deliver(world, fee, "fee_notice", (T0 + 2 * DAY).date(), T0 + 2 * DAY)
    world.new_case()
    world.new_case(agency="dept", actor="dept_clerk")
    world.session.rollback()
    moment = (T0 + 60 * DAY).isoformat()
    first = cli_runner.invoke(app, ["sweep", "--now", moment])
    assert first.exit_code == 0, first.output
    assert "propose_lapse:supplement" in first.output and "propose_lapse:fee" in first.output
    assert "overdue" in first.output
    assert "daily_digest" in first.output
    after_first = _everything(engine)
    second = cli_runner.invoke(app, ["sweep", "--now", moment])
    assert second.exit_code == 0, second.output
    assert "done    " not in second.output
    for job in JOBS:
        assert f"{job}: ok, 0 done, 0 skipped" in second.output
    assert _everything(engine) == after_first
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(JobRun)).one() == 2 * len(JOBS)
        assert verify_all(s)[1] is None


# --- The sweep's queries use indexes -------------------------------------------------------------


def test_the_sweep_queries_search_indexes_never_scan_requests(world: World, engine: Engine) -> None:
    from caseflow.db import query_plan
    from caseflow.scheduled.lapses import lapse_queries
    from caseflow.scheduled.reminders import REASONS, candidate_query

    for _ in range(3):
        world.new_case()
    world.session.rollback()
    today = (T0 + 30 * DAY).date()
    queries = {**lapse_queries(today)}
    queries.update({r: candidate_query(r, today) for r in REASONS if r != "daily_digest"})
    with Session(engine) as s:
        if engine.dialect.name == "postgresql":
            s.execute(text("SET enable_seqscan = off"))  # tiny tables: ask whether an index can serve
        for name, query in queries.items():
            plan = "\n".join(query_plan(s, query))
            if engine.dialect.name == "sqlite":
                assert "SEARCH request USING" in plan and "SCAN request" not in plan, f"{name}:\n{plan}"
            else:
                assert "Seq Scan on request" not in plan, f"{name}:\n{plan}"
