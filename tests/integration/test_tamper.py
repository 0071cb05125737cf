"""Tampering with the evidence log (DOMAIN.md section 8), on SQLite and PostgreSQL.

The database refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) of ``evidence_event``. An operator
who drops those triggers can change rows, but every kind of change is then found by
``verify_all`` and by ``caseflow verify``, which names the request and the event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

import caseflow.db
from caseflow.calendar import reset_default_calendar
from caseflow.cli import app
from caseflow.evidence.chain import verify_all
from caseflow.models import Case, EvidenceEvent
from caseflow.settings import get_settings
from tests.integration.conftest import T0, World

DAY = dt.timedelta(days=1)
DOCUMENTED_KEYS = {
    "v", "case", "seq", "moment", "actor", "role", "action", "from", "to", "facts", "basis",
    "documents", "prev_hash",
}  # fmt: skip


# --- helpers -------------------------------------------------------------------------------------


def _forget_caches() -> None:
    get_settings.cache_clear()
    caseflow.db._engine_for.cache_clear()
    reset_default_calendar()


def run_cli(session: Session, database_url: str, *args: str) -> Result:
    """``caseflow ARGS`` in-process against ``database_url``, with fresh settings and engine.

    The test's session first ends its transaction: on SQLite every transaction, even a read,
    begins IMMEDIATE and holds the write lock, which would keep the command waiting."""
    session.rollback()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATABASE_URL", database_url)
        _forget_caches()
        try:
            return CliRunner().invoke(app, list(args))
        finally:
            caseflow.db._engine_for(database_url).dispose()
            _forget_caches()


def flat(output: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(output.split())


@dataclass
class Cases:
    tampered: Case  # 5 events: register, extend, draft_reply, confidentiality_review, issue_reply
    intact: Case  # 2 events: register, extend


@pytest.fixture
def cases(world: World) -> Cases:
    a = world.new_case()
    a = world.act(a, "extend", {"reason": "申请内容涉及多个部门，需要会商"}, actor="supervisor", at=T0 + DAY)
    a = world.act(a, "draft_reply", {"outcome": "disclosed.provided", "provided": "预算表"}, at=T0 + 2 * DAY)
    a = world.act(a, "confidentiality_review", {"conclusion": "agree"}, actor="reviewer", at=T0 + 2 * DAY)
    a = world.act(a, "issue_reply", {}, at=T0 + 3 * DAY)
    b = world.new_case(at=T0 + dt.timedelta(hours=2))
    b = world.act(b, "extend", {"reason": "需要向第三方征求意见"}, actor="supervisor", at=T0 + DAY)
    assert (a.event_count, b.event_count) == (5, 2)
    assert verify_all(world.session) == (2, None)
    return Cases(a, b)


def _sql(session: Session, statement: str, **params: Any) -> None:
    session.execute(text(statement), params)
    session.commit()


def _event(session: Session, case_id: int, seq: int) -> dict[str, Any]:
    row = (
        session.execute(
            text("SELECT * FROM evidence_event WHERE case_id = :c AND seq = :s"), {"c": case_id, "s": seq}
        )
        .mappings()
        .one()
    )
    session.commit()
    return dict(row)


def _events(session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = (
        session.execute(text("SELECT * FROM evidence_event WHERE case_id = :c ORDER BY seq"), {"c": case_id})
        .mappings()
        .all()
    )
    session.commit()
    return [dict(r) for r in rows]


def _drop_triggers(session: Session) -> None:
    """What a privileged operator could do; the tests below show it is still found out."""
    if session.get_bind().dialect.name == "sqlite":
        _sql(session, "DROP TRIGGER evidence_event_no_update")
        _sql(session, "DROP TRIGGER evidence_event_no_delete")
    else:
        _sql(session, "DROP TRIGGER evidence_event_no_update_delete ON evidence_event")
        _sql(session, "DROP TRIGGER evidence_event_no_truncate ON evidence_event")


def _edited_payload(payload: str) -> str:
    body = json.loads(payload)
    body["facts"]["reason"] = "无需会商"  # the extension's stated reason, rewritten
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --- the triggers ----------------------------------------------------------------------------------


def _refused(session: Session, statement: str, **params: Any) -> str:
    with pytest.raises(DBAPIError) as info:
        session.execute(text(statement), params)
    session.rollback()
    return str(info.value)


def test_triggers_refuse_update_and_delete(world: World, cases: Cases) -> None:
    session = world.session
    case_id = cases.tampered.id
    before = _events(session, case_id)

    message = _refused(
        session, "UPDATE evidence_event SET payload = :p WHERE case_id = :c AND seq = 2",
        p=_edited_payload(before[1]["payload"]), c=case_id,
    )  # fmt: skip
    assert "append-only" in message and "UPDATE" in message

    message = _refused(
        session, "UPDATE evidence_event SET action = 'withdraw' WHERE id = :i", i=before[1]["id"]
    )
    assert "append-only" in message

    message = _refused(session, "DELETE FROM evidence_event WHERE case_id = :c AND seq = 4", c=case_id)
    assert "append-only" in message and "DELETE" in message

    message = _refused(session, "DELETE FROM evidence_event")
    assert "append-only" in message

    assert _events(session, case_id) == before
    assert verify_all(session) == (2, None)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_trigger_refuses_truncate(world: World, cases: Cases) -> None:
    """(SQLite has no TRUNCATE; its DELETE without WHERE is refused above.)"""
    session = world.session
    before = _events(session, cases.tampered.id)
    message = _refused(session, "TRUNCATE evidence_event")
    assert "append-only" in message and "TRUNCATE" in message
    message = _refused(session, "TRUNCATE evidence_event, request CASCADE")
    assert "append-only" in message
    assert _events(session, cases.tampered.id) == before
    count = session.execute(text("SELECT count(*) FROM evidence_event")).scalar_one()
    session.commit()
    assert count == 7
    assert verify_all(session) == (2, None)


def test_trigger_refusal_through_the_orm(world: World, cases: Cases) -> None:
    """Not only raw SQL: changing a loaded EvidenceEvent through the session is refused too."""
    session = world.session
    event = session.exec(
        select(EvidenceEvent).where(
            col(EvidenceEvent.case_id) == cases.tampered.id, col(EvidenceEvent.seq) == 2
        )
    ).one()
    event.to_state = "withdrawn"
    session.add(event)
    with pytest.raises(DBAPIError, match="append-only"):
        session.commit()
    session.rollback()
    session.delete(event)
    with pytest.raises(DBAPIError, match="append-only"):
        session.commit()
    session.rollback()
    session.expire_all()
    assert verify_all(session) == (2, None)


# --- tampering found out ---------------------------------------------------------------------------


def _edit_payload_keep_hash(session: Session, case_id: int) -> None:
    ev = _event(session, case_id, 2)
    _sql(
        session,
        "UPDATE evidence_event SET payload = :p WHERE id = :i",
        p=_edited_payload(ev["payload"]),
        i=ev["id"],
    )


def _edit_payload_and_rehash(session: Session, case_id: int) -> None:
    ev = _event(session, case_id, 2)
    payload = _edited_payload(ev["payload"])
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    _sql(
        session,
        "UPDATE evidence_event SET payload = :p, hash = :h WHERE id = :i",
        p=payload,
        h=digest,
        i=ev["id"],
    )


def _delete_second(session: Session, case_id: int) -> None:
    _sql(session, "DELETE FROM evidence_event WHERE case_id = :c AND seq = 2", c=case_id)


def _swap_second_and_third(session: Session, case_id: int) -> None:
    for old, new in ((2, -2), (3, 2), (-2, 3)):
        session.execute(
            text("UPDATE evidence_event SET seq = :new WHERE case_id = :c AND seq = :old"),
            {"c": case_id, "old": old, "new": new},
        )
    session.commit()


def _delete_last(session: Session, case_id: int) -> None:
    _sql(session, "DELETE FROM evidence_event WHERE case_id = :c AND seq = 5", c=case_id)


def _column(column: str, value: Any) -> Callable[[Session, int], None]:
    def tamper(session: Session, case_id: int) -> None:
        _sql(
            session,
            f"UPDATE evidence_event SET {column} = :v WHERE case_id = :c AND seq = 2",
            v=value,
            c=case_id,
        )

    return tamper


def _prev_hash_column(session: Session, case_id: int) -> None:
    _sql(
        session,
        "UPDATE evidence_event SET prev_hash = :v WHERE case_id = :c AND seq = 2",
        v="f" * 64,
        c=case_id,
    )


TAMPERING = {
    # name: (tamper, event named (None: the chain head), words of the message)
    "payload-edited": (_edit_payload_keep_hash, 2, "与其哈希值不符"),
    "payload-edited-and-rehashed": (_edit_payload_and_rehash, 3, "未与前一条事件衔接"),
    "event-deleted": (_delete_second, 3, "事件顺序不连续"),
    "events-reordered": (_swap_second_and_third, 2, "未与前一条事件衔接"),
    "last-event-deleted": (_delete_last, None, "最后一条事件被删除或替换"),
    "action-column": (_column("action", "withdraw"), 2, "action 列与已哈希的事件内容不一致"),
    "to-state-column": (_column("to_state", "withdrawn"), 2, "to_state 列与已哈希的事件内容不一致"),
    "actor-column": (_column("actor", "clerk2"), 2, "actor 列与已哈希的事件内容不一致"),
    "prev-hash-column": (_prev_hash_column, 2, "未与前一条事件衔接"),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_is_found(name: str, world: World, cases: Cases, db_url: str) -> None:
    tamper, seq, words = TAMPERING[name]
    session = world.session
    tracking_no = cases.tampered.tracking_no
    _drop_triggers(session)
    tamper(session, cases.tampered.id)
    session.expire_all()

    checked, problem = verify_all(session)
    assert problem is not None, f"{name} went unnoticed"
    assert (problem.tracking_no, problem.seq) == (tracking_no, seq), str(problem)
    assert words in problem.message
    where = f"第{seq}条事件" if seq is not None else "链头"
    assert str(problem).startswith(f"{tracking_no} {where}：")
    assert checked == 1  # the first request is the broken one: verification stops there

    result = run_cli(session, db_url, "verify")
    assert result.exit_code == 1, result.output
    out = flat(result.output)
    assert "BROKEN" in out and f"{tracking_no} {where}：" in out and words in out
    assert "Traceback" not in result.output

    result = run_cli(session, db_url, "verify", "--case", tracking_no)
    assert result.exit_code == 1, result.output
    assert f"{tracking_no} {where}：" in flat(result.output)

    result = run_cli(session, db_url, "verify", "--case", cases.intact.tracking_no)
    assert result.exit_code == 0, result.output
    assert "证据链完整：1件申请" in flat(result.output)
    assert verify_all(session, [cases.intact.tracking_no]) == (1, None)


@pytest.mark.parametrize(
    "column,value",
    [
        ("moment", dt.datetime(2026, 9, 25, 9, 0, tzinfo=dt.UTC)),  # "when": three days earlier
        ("role", "clerk"),  # "in what capacity": the extension was decided by a supervisor
        ("from_state", "answered"),
    ],
)
def test_editing_any_column_of_an_event_is_found(
    column: str, value: Any, world: World, cases: Cases, db_url: str
) -> None:
    """DOMAIN.md section 8: who, when, from which state to which... editing any event is detectable.

    ``evidence_event`` keeps the moment and the role both in the hashed payload and in columns that
    the application reads. A changed column that no longer agrees with the payload must be found.
    """
    session = world.session
    _drop_triggers(session)
    if column == "moment" and session.get_bind().dialect.name == "sqlite":
        value = value.replace(tzinfo=None)  # SQLite stores naive UTC (AwareDateTime)
    _column(column, value)(session, cases.tampered.id)
    session.expire_all()
    event = session.exec(
        select(EvidenceEvent).where(
            col(EvidenceEvent.case_id) == cases.tampered.id, col(EvidenceEvent.seq) == 2
        )
    ).one()
    body = json.loads(event.payload)
    stored = {"moment": event.moment.isoformat(), "role": event.role, "from_state": event.from_state}[column]
    hashed = body[{"moment": "moment", "role": "role", "from_state": "from"}[column]]
    assert stored != hashed  # what the application reads now disagrees with what was hashed
    session.rollback()
    _checked, problem = verify_all(session)
    assert problem is not None, f"evidence_event.{column} of event 2 was changed and verify_all found nothing"
    assert (problem.tracking_no, problem.seq) == (cases.tampered.tracking_no, 2), str(problem)
    result = run_cli(session, db_url, "verify")
    assert result.exit_code == 1, result.output


def test_request_head_rewritten_is_found(world: World, cases: Cases, db_url: str) -> None:
    """Changing the request's record of its chain (event_count, last_hash) is found as well."""
    session = world.session
    _sql(session, "UPDATE request SET event_count = 3 WHERE id = :i", i=cases.tampered.id)
    session.expire_all()
    _checked, problem = verify_all(session)
    assert problem is not None and problem.seq is None
    assert problem.tracking_no == cases.tampered.tracking_no
    result = run_cli(session, db_url, "verify")
    assert result.exit_code == 1
    assert f"{cases.tampered.tracking_no} 链头：" in flat(result.output)


# --- an untouched database -------------------------------------------------------------------------


def test_untouched_database_verifies(world: World, cases: Cases, db_url: str) -> None:
    session = world.session
    result = run_cli(session, db_url, "verify")
    assert result.exit_code == 0, result.output
    assert "证据链完整：2件申请" in flat(result.output)
    for case in (cases.tampered, cases.intact):
        result = run_cli(session, db_url, "verify", "--case", case.tracking_no)
        assert result.exit_code == 0, result.output
        assert "证据链完整：1件申请" in flat(result.output)


def test_verify_unknown_case_is_an_error(world: World, cases: Cases, db_url: str) -> None:
    result = run_cli(world.session, db_url, "verify", "--case", "CITY-2026-99999")
    assert result.exit_code not in (0, 1), result.output  # not "intact", not "broken": no such request
    assert "no request CITY-2026-99999" in flat(result.output)
    assert "Traceback" not in result.output


# --- the canonical form, independently ---------------------------------------------------------------


def test_hashes_reproducible_without_caseflow(world: World, cases: Cases) -> None:
    """Recompute every hash and link from the documented canonical form with json and hashlib only."""
    session = world.session
    for case in (cases.tampered, cases.intact):
        events = _events(session, case.id)
        assert [e["seq"] for e in events] == list(range(1, case.event_count + 1))
        prev = "0" * 64
        for ev in events:
            body = json.loads(ev["payload"])
            assert set(body) == DOCUMENTED_KEYS
            canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            assert canonical == ev["payload"]  # stored exactly in canonical form
            digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
            assert digest == ev["hash"]
            assert body["prev_hash"] == prev == ev["prev_hash"]
            assert (body["case"], body["seq"]) == (case.tracking_no, ev["seq"])
            assert (body["action"], body["to"], body["actor"]) == (ev["action"], ev["to_state"], ev["actor"])
            moment = dt.datetime.fromisoformat(body["moment"])
            assert moment.utcoffset() == dt.timedelta(hours=8)  # Asia/Shanghai, with its offset
            prev = digest
        assert prev == case.last_hash

    first = _events(session, cases.tampered.id)[0]
    # Characters outside ASCII (and outside the BMP) are kept as themselves, not \u escapes.
    assert "𠀾王小明" in first["payload"] and "\\u" not in first["payload"]
    # The ID number is committed to and masked, never in clear (issue 13 item 6).
    assert "１１０１**********１２３Ｘ" in first["payload"]
    assert "１１０１０１１９９００１０７１２３Ｘ" not in first["payload"]
    body = json.loads(first["payload"])
    assert body["from"] is None and body["action"] == "register" and body["v"] == 1
    assert body["moment"] == T0.isoformat() == "2026-09-28T09:30:00+08:00"
