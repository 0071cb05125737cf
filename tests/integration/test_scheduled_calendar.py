"""Calendar updates: a loaded State Council notice moves provisional deadlines only, with evidence."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from caseflow.calendar import default_calendar, load_notice
from caseflow.dates import SHANGHAI
from caseflow.errors import Forbidden, RuleViolation
from caseflow.evidence.chain import verify_all
from caseflow.models import Case, EvidenceEvent
from caseflow.scheduled import JOBS
from caseflow.scheduled.runs import run_job
from tests.integration.conftest import World

DECEMBER = dt.datetime(2026, 12, 10, 10, tzinfo=SHANGHAI)
OCTOBER = dt.datetime(2026, 10, 12, 10, tzinfo=SHANGHAI)

#: A 2027 notice for the test (the real one is not published yet): New Year's Day holiday from
#: 1 to 5 January, two weekdays more than the estimate, so a deadline in January moves.
NOTICE_2027 = {
    "year": 2027,
    "title": "国务院办公厅关于2027年部分节假日安排的通知",
    "document_no": "国办发明电〔2026〕99号",
    "festivals": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-05", "workdays": []},
        {"name": "春节", "from": "2027-02-05", "to": "2027-02-11", "workdays": []},
    ],
}


@pytest.fixture
def notice_file(tmp_path: Path) -> Path:
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(NOTICE_2027, ensure_ascii=False), encoding="utf-8")
    return path


def _case(engine: Engine, case_id: int | None) -> Case:
    with Session(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def _events(engine: Engine, case_id: int | None) -> list[dict[str, object]]:
    with Session(engine) as s:
        return [
            json.loads(p)
            for p in s.exec(
                select(EvidenceEvent.payload)
                .where(col(EvidenceEvent.case_id) == case_id)
                .order_by(col(EvidenceEvent.seq))
            )
        ]


def test_loading_a_notice_moves_only_provisional_deadlines(
    world: World, engine: Engine, notice_file: Path
) -> None:
    assert not default_calendar().year_is_official(2027)
    provisional = world.new_case(at=DECEMBER)
    official = world.new_case(at=OCTOBER)
    answered = world.new_case(at=DECEMBER)
    answered = world.act(
        answered,
        "draft_reply",
        {
            "outcome": "disclosed.provided",
            "reasons": "理由",
            "where_to_obtain": "本机关网站",
            "provided": "预算表",
        },
        at=DECEMBER + dt.timedelta(days=1),
    )
    answered = world.act(
        answered,
        "confidentiality_review",
        {"conclusion": "agree", "comments": "经审查，可以公开"},
        actor="reviewer",
        at=DECEMBER + dt.timedelta(days=1),
    )
    answered = world.act(answered, "issue_reply", {}, at=DECEMBER + dt.timedelta(days=1))
    world.session.rollback()
    before = _case(engine, provisional.id)
    assert before.provisional and before.reply_due is not None and before.reply_due.year == 2027
    assert not _case(engine, official.id).provisional
    untouched = {
        c.id: (_case(engine, c.id).model_dump(), len(_events(engine, c.id))) for c in (official, answered)
    }

    # Nothing loaded yet: the job finds nothing to change.
    run, _ = run_job(engine, JOBS["calendar"], DECEMBER + dt.timedelta(days=2))
    assert (run.status, run.done) == ("ok", 0)

    load_notice(notice_file)
    run, result = run_job(engine, JOBS["calendar"], DECEMBER + dt.timedelta(days=2))
    assert (run.status, run.done, run.failed) == ("ok", 1, 0)
    after = _case(engine, provisional.id)
    assert not after.provisional
    assert after.reply_due == default_calendar().add_working_days(before.reply_due, 2)  # 2 more rest days
    event = _events(engine, provisional.id)[-1]
    assert event["action"] == "recalculate_deadline" and event["actor"] == "system"
    assert event["from"] == event["to"] == "received"
    facts = event["facts"]
    assert isinstance(facts, dict)
    assert facts["old"] == {
        "reply_due": before.reply_due.isoformat(),
        "supplement_notice_due": before.supplement_notice_due.isoformat()
        if before.supplement_notice_due
        else None,
        "provisional": True,
    }
    assert facts["new"]["reply_due"] == after.reply_due.isoformat() and facts["new"]["provisional"] is False
    assert any("2027年部分节假日安排" in b for b in event["basis"])  # type: ignore[union-attr]
    # Deadlines that were not provisional, and closed requests, did not move and got no event.
    for case_id, (dump, count) in untouched.items():
        assert (_case(engine, case_id).model_dump(), len(_events(engine, case_id))) == (dump, count)
    # A second run does nothing more.
    count = len(_events(engine, provisional.id))
    run, _ = run_job(engine, JOBS["calendar"], DECEMBER + dt.timedelta(days=3))
    assert run.done == 0 and len(_events(engine, provisional.id)) == count
    with Session(engine) as s:
        assert verify_all(s)[1] is None


def test_only_the_system_recalculates_and_never_an_official_deadline(world: World, engine: Engine) -> None:
    official = world.new_case(at=OCTOBER)
    with pytest.raises(Forbidden):
        world.act(official, "recalculate_deadline", {}, actor="supervisor", at=OCTOBER)
    world.session.rollback()
    with pytest.raises(RuleViolation, match="不再变动"):
        world.act(official, "recalculate_deadline", {}, actor="system", at=OCTOBER)
    world.session.rollback()
    provisional = world.new_case(at=DECEMBER)
    with pytest.raises(RuleViolation, match="与原期限相同"):  # nothing loaded: the same answer
        world.act(provisional, "recalculate_deadline", {}, actor="system", at=DECEMBER)
    world.session.rollback()
    assert len(_events(engine, official.id)) == len(_events(engine, provisional.id)) == 1


def test_calendar_load_command_recalculates(
    world: World, engine: Engine, notice_file: Path, cli_runner: CliRunner
) -> None:
    from caseflow.cli import app

    provisional = world.new_case(at=DECEMBER)
    world.session.rollback()
    result = cli_runner.invoke(app, ["calendar", "load", str(notice_file)])
    assert result.exit_code == 0, result.output
    assert "已载入 国务院办公厅关于2027年部分节假日安排的通知" in result.output
    assert f"重算期限 {provisional.tracking_no} recalculate_deadline" in result.output
    assert "1件已重算" in result.output
    assert not _case(engine, provisional.id).provisional
