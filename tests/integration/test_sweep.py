"""The lapse sweep: due lapses applied by the system actor, idempotent, one request at a time.

Periods run from the recorded delivery of their notice; the supplement and fee lapses are proposed
(the clerk confirms them), the consultation lapse resumes the clock by itself."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from caseflow.evidence.chain import verify_all
from caseflow.models import Case, EvidenceEvent
from caseflow.scheduled import sweep_lapses
from tests.integration.conftest import T0, World

LATER = T0 + dt.timedelta(days=90)


def _state(engine: Engine, case_id: int) -> tuple[str, str | None, int]:
    with Session(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.state, case.outcome, case.event_count


def _delivered(world: World, case: Case, document: str) -> Case:
    day = dt.timedelta(days=1)
    facts = {
        "document": document,
        "method": "post",
        "proof": "EMS 签收",
        "received_on": (T0 + 3 * day).date(),
    }
    return world.act(case, "record_notice_delivery", facts, at=T0 + 4 * day)


def _scenario(world: World) -> dict[str, int]:
    day = dt.timedelta(days=1)
    supplement = world.act(world.new_case(), "request_supplement", {"items": ["请写明文号"]}, at=T0 + day)
    fee = world.act(world.new_case(), "assess_fee", {"method": "per_page", "pages": 150}, at=T0 + day)
    consultation = world.act(
        world.new_case(),
        "start_consultation",
        {"party_kind": "co_producer", "party_name": "某局", "matters": "共同制作"},
        at=T0 + day,
    )
    undelivered = world.act(world.new_case(), "request_supplement", {"items": ["请写明文号"]}, at=T0 + day)
    for case, document in (
        (supplement, "supplement_notice"),
        (fee, "fee_notice"),
        (consultation, "consultation_co_producer"),
    ):
        _delivered(world, case, document)
    untouched = world.new_case()
    ids = {
        "supplement": supplement.id,
        "fee": fee.id,
        "consultation": consultation.id,
        "undelivered": undelivered.id,
        "untouched": untouched.id,
    }
    return {k: int(v or 0) for k, v in ids.items()}


def test_sweep_applies_due_lapses_once(world: World, engine: Engine) -> None:
    ids = _scenario(world)
    world.session.rollback()
    early = sweep_lapses(engine, T0 + dt.timedelta(days=3))  # nothing has lapsed yet
    assert early.done == [] and early.failed == []
    report = sweep_lapses(engine, LATER)
    assert sorted(line.split()[1] for line in report.done) == [
        "lapse_consultation",
        "propose_lapse:fee",
        "propose_lapse:supplement",
    ]
    assert report.failed == []
    # proposed, not closed: the clerk confirms (Art. 30: 无正当理由 is a human judgement)
    assert _state(engine, ids["supplement"])[:2] == ("supplement-required", None)
    assert _state(engine, ids["fee"])[:2] == ("fee-pending", None)
    assert _state(engine, ids["consultation"])[:2] == ("received", None)
    assert _state(engine, ids["undelivered"]) == ("supplement-required", None, 2)  # waits for delivery
    assert _state(engine, ids["untouched"])[:2] == ("received", None)
    with Session(engine) as s:
        actors = set(
            s.exec(
                select(EvidenceEvent.actor).where(
                    col(EvidenceEvent.action).in_(["lapse_consultation", "propose_lapse"])
                )
            )
        )
        assert actors == {"system"}
        assert verify_all(s) == (5, None)
    counts = {k: _state(engine, v)[2] for k, v in ids.items()}
    again = sweep_lapses(engine, LATER + dt.timedelta(days=1))
    assert again.done == [] and again.failed == []
    assert {k: _state(engine, v)[2] for k, v in ids.items()} == counts


def test_sweep_command(world: World, engine: Engine, db_url: str) -> None:
    from caseflow import db
    from caseflow.cli import app
    from caseflow.settings import get_settings

    ids = _scenario(world)
    world.session.rollback()
    mp = pytest.MonkeyPatch()
    mp.setenv("CASEFLOW_DATABASE_URL", db_url)
    get_settings.cache_clear()
    db._engine_for.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(app, ["sweep", "--now", LATER.isoformat()])
        assert first.exit_code == 0, first.output
        assert "3 done, 0 skipped" in first.output and "propose_lapse:supplement" in first.output
        second = runner.invoke(app, ["sweep", "--now", LATER.isoformat()])
        assert second.exit_code == 0 and "0 done, 0 skipped" in second.output
        bad = runner.invoke(app, ["sweep", "--now", "yesterday"])
        assert bad.exit_code == 2 and "ISO 8601" in bad.output
    finally:
        mp.undo()
        get_settings.cache_clear()
        db._engine_for.cache_clear()
    assert _state(engine, ids["fee"])[:2] == ("fee-pending", None)
