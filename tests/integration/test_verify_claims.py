"""``caseflow verify`` checks everything the evidence claims (issue 13, item 2), SQLite and PostgreSQL.

Someone with database access edits a request row, backdates an event (re-hashing the chain so that
every hash and link still holds), swaps a letter's stored file, points a letter row at other bytes
or removes a stored file: ``caseflow verify`` names each (request, field, event) and exits 1. Requests
carried through every kind of action, the system's scheduled ones included, verify with no finding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from caseflow.calendar import default_calendar, load_notice
from caseflow.dates import SHANGHAI
from caseflow.evidence.dbcheck import check_database
from caseflow.evidence.dbexact import Report
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, Letter, RemedyRecord
from caseflow.scheduled import JOBS
from caseflow.scheduled.runs import run_job
from tests.integration import stored
from tests.integration.conftest import T0, World
from tests.integration.test_scheduled_calendar import NOTICE_2027
from tests.integration.test_tamper import flat, run_cli

DAY = dt.timedelta(days=1)
#: The review before disclosure (保密审查, Art. 17) of a disclosing draft.
REVIEWED = {"conclusion": "agree", "comments": "经审查，可以公开"}


def _sql(session: Session, statement: str, **params: Any) -> None:
    session.execute(text(statement), params)
    session.commit()


def _drop_event_triggers(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        _sql(session, "DROP TRIGGER evidence_event_no_update")
        _sql(session, "DROP TRIGGER evidence_event_no_delete")
    else:
        _sql(session, "DROP TRIGGER evidence_event_no_update_delete ON evidence_event")


def _check(engine: Engine) -> Report:
    return check_database(engine)


def _lines(report: Report) -> list[str]:
    return [str(p) for p in report.broken] + [str(f) for f in report.findings]


# --- requests through every kind of action verify clean ---------------------------------------------


def _full_reply(world: World) -> Case:
    """Supplement, consultation, extension, complexity, review returned and approved, reply,
    delivery, administrative review concluded, archive."""
    c = world.new_case()
    c = world.act(c, "request_supplement", {"items": ["请明确所需信息的名称"]}, at=T0 + DAY)
    c = world.act(c, "receive_supplement", {"summary": "已明确"}, at=T0 + 2 * DAY)
    c = world.act(
        c,
        "start_consultation",
        {"party_kind": "third_party", "party_name": "某建设公司", "matters": "可能涉及商业秘密"},
        at=T0 + 3 * DAY,
    )
    c = world.act(c, "receive_opinion", {"opinion": "object", "opinion_text": "不同意"}, at=T0 + 10 * DAY)
    c = world.act(c, "extend", {"reason": "需要会商", "days": 10}, actor="supervisor", at=T0 + 11 * DAY)
    c = world.act(c, "mark_complex", {"reason": "涉及多个部门"}, actor="reviewer", at=T0 + 11 * DAY)
    draft = {"outcome": "withheld.third_party", "reasons": "经征求第三方意见，公开会损害其合法权益。"}
    c = world.act(c, "draft_reply", draft, at=T0 + 12 * DAY)
    c = world.act(c, "return_reply", {"comments": "理由需进一步说明"}, actor="reviewer", at=T0 + 13 * DAY)
    c = world.act(c, "draft_reply", draft, at=T0 + 14 * DAY)
    c = world.act(c, "approve_reply", {"comments": "同意"}, actor="reviewer", at=T0 + 15 * DAY)
    c = world.act(c, "issue_reply", {}, at=T0 + 16 * DAY)
    c = world.act(c, "record_delivery", {"method": "email", "proof": "送达回执"}, at=T0 + 17 * DAY)
    filed = (T0 + 20 * DAY).date().isoformat()
    c = world.act(c, "record_review", {"body": "某市人民政府", "filed_on": filed}, at=T0 + 20 * DAY)
    record = world.session.exec(select(RemedyRecord).where(col(RemedyRecord.case_id) == c.id)).one()
    c = world.act(
        c,
        "conclude_remedy",
        {"record_id": record.id, "result": "maintained", "concluded_on": (T0 + 40 * DAY).date().isoformat()},
        at=T0 + 40 * DAY,
    )
    return world.act(c, "archive", {}, at=T0 + 41 * DAY)


def _fee_and_reassign(world: World) -> Case:
    """Fee assessed and paid, reassigned, a note, the applicant's reasons and an Art. 35 date, a reply
    without review."""
    c = world.new_case(
        applicant_name="某某科技有限公司",
        applicant_type="commercial",
        id_type="统一社会信用代码",
        id_number="91110000MA0000000H",
    )
    c = world.act(c, "assess_fee", {"method": "per_page", "pages": 150}, at=T0 + DAY)
    c = world.act(c, "record_payment", {"payment_ref": "缴款书001"}, at=T0 + 3 * DAY)
    c = world.act(c, "reassign", {"handler": "clerk2"}, actor="supervisor", at=T0 + 4 * DAY)
    c = world.act(c, "add_note", {"text": "申请人来电询问进度"}, actor="clerk2", at=T0 + 4 * DAY)
    ask = {"asked": "请说明短期内大量申请的理由", "period_days": 5}  # Art. 35: reasons first
    c = world.act(c, "request_art35_reasons", ask, actor="clerk2", at=T0 + 4 * DAY)
    reasons = {"answer": "given", "reasons": "企业投标需要"}
    c = world.act(c, "record_art35_reasons", reasons, actor="clerk2", at=T0 + 5 * DAY)
    due = (T0 + 60 * DAY).date().isoformat()
    c = world.act(
        c,
        "set_delayed_date",
        {"due": due, "reason": "申请数量明显超过合理范围"},
        actor="supervisor",
        at=T0 + 5 * DAY,
    )
    c = world.act(
        c,
        "draft_reply",
        {"outcome": "disclosed.provided", "provided": "预算表"},
        actor="clerk2",
        at=T0 + 6 * DAY,
    )
    c = world.act(c, "confidentiality_review", REVIEWED, actor="reviewer", at=T0 + 6 * DAY)  # Art. 17
    c = world.act(c, "issue_reply", {}, actor="clerk2", at=T0 + 7 * DAY)
    return world.act(
        c, "record_delivery", {"method": "post", "proof": "挂号信回执"}, actor="clerk2", at=T0 + 9 * DAY
    )


def _delivered(world: World, case: Case, document: str) -> Case:
    """The notice reached its recipient the day after its date (by post, signed for)."""
    received = (T0 + 2 * DAY).date().isoformat()
    facts = {"document": document, "method": "post", "proof": "EMS 签收", "received_on": received}
    return world.act(case, "record_notice_delivery", facts, at=T0 + 3 * DAY)


def _concluded_by_the_system(world: World) -> list[Case]:
    """Withdrawal, and the lapses the scheduled jobs record (supplement, fee, consultation)."""
    later = T0 + 60 * DAY
    withdrawn = world.new_case()
    withdrawn = world.act(withdrawn, "withdraw", {"reason": "申请人书面撤回"}, at=T0 + 2 * DAY)
    no_supplement = world.new_case()
    no_supplement = world.act(no_supplement, "request_supplement", {"items": ["请说明时间范围"]}, at=T0 + DAY)
    no_supplement = _delivered(world, no_supplement, "supplement_notice")
    no_supplement = world.act(
        no_supplement, "propose_lapse", {"kind": "supplement"}, actor="system", at=later
    )
    no_supplement = world.act(
        no_supplement, "keep_waiting", {"reason": "核实邮寄情况", "until": later.date()}, at=later
    )
    no_supplement = world.act(
        no_supplement, "propose_lapse", {"kind": "supplement"}, actor="system", at=later + DAY
    )
    no_supplement = world.act(no_supplement, "lapse_supplement", {}, at=later + DAY)
    unpaid = world.new_case()
    unpaid = world.act(unpaid, "assess_fee", {"method": "per_page", "pages": 260}, at=T0 + DAY)
    unpaid = _delivered(world, unpaid, "fee_notice")
    unpaid = world.act(unpaid, "propose_lapse", {"kind": "fee"}, actor="system", at=later)
    unpaid = world.act(unpaid, "lapse_fee", {}, at=later)
    silent = world.new_case()
    silent = world.act(
        silent,
        "start_consultation",
        {"party_kind": "co_producer", "party_name": "某市财政局", "matters": "是否同意公开"},
        at=T0 + DAY,
    )
    silent = _delivered(world, silent, "consultation_co_producer")
    silent = world.act(silent, "lapse_consultation", {}, actor="system", at=later)
    return [withdrawn, no_supplement, unpaid, silent]


def test_requests_through_every_kind_of_action_verify_clean(
    world: World, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    full = _full_reply(world)
    fee = _fee_and_reassign(world)
    concluded = _concluded_by_the_system(world)
    assert (full.state, fee.state) == ("archived", "answered") and full.extended and full.complex
    assert [c.state for c in concluded] == ["withdrawn", "closed", "closed", "received"]
    # A deadline on an estimated calendar, recalculated by the system when the notice is loaded;
    # and one of a request answered before, which keeps the deadline it had (never recalculated).
    december = dt.datetime(2026, 12, 10, 10, tzinfo=SHANGHAI)
    provisional = world.new_case(at=december)
    answered = world.new_case(at=december)
    answered = world.act(
        answered, "draft_reply", {"outcome": "disclosed.provided", "provided": "预算表"}, at=december + DAY
    )
    answered = world.act(answered, "confidentiality_review", REVIEWED, actor="reviewer", at=december + DAY)
    answered = world.act(answered, "issue_reply", {}, at=december + DAY)
    assert provisional.provisional and answered.provisional
    notice = tmp_path / "2027.json"
    notice.write_text(json.dumps(NOTICE_2027, ensure_ascii=False), encoding="utf-8")
    load_notice(notice)
    world.session.rollback()
    run, _ = run_job(engine, JOBS["calendar"], december + 2 * DAY)
    assert (run.status, run.done) == ("ok", 1)
    assert default_calendar().year_is_official(2027)
    with Session(engine) as s:
        actions = s.execute(text("SELECT action FROM evidence_event")).scalars().all()
    assert {
        "recalculate_deadline",
        "lapse_supplement",
        "lapse_fee",
        "lapse_consultation",
        "record_notice_delivery",
        "propose_lapse",
        "keep_waiting",
    } <= set(actions)

    report = _check(engine)
    assert _lines(report) == []
    assert report.requests == 8 and report.events == len(actions)
    assert report.letters >= 12 and report.documents >= report.letters  # receipts, notices, replies
    result = run_cli(world.session, db_url, "verify")
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert "证据链完整：8件申请" in out and f"{report.letters}份文书" in out


# --- tampering with the rows, the moments and the files ------------------------------------------------


@dataclass
class Tampered:
    case: Case  # register, extend, draft_reply, confidentiality_review, issue_reply, record_delivery
    other: Case  # register only


@pytest.fixture
def cases(world: World) -> Tampered:
    a = world.new_case()
    a = world.act(a, "extend", {"reason": "需要会商"}, actor="supervisor", at=T0 + DAY)
    a = world.act(a, "draft_reply", {"outcome": "disclosed.provided", "provided": "预算表"}, at=T0 + 2 * DAY)
    a = world.act(a, "confidentiality_review", REVIEWED, actor="reviewer", at=T0 + 2 * DAY)
    a = world.act(a, "issue_reply", {}, at=T0 + 3 * DAY)
    a = world.act(a, "record_delivery", {"method": "email", "proof": "回执"}, at=T0 + 4 * DAY)
    b = world.new_case(at=T0 + dt.timedelta(hours=2), id_number="110101199001049999")
    assert _lines(_check(world.session.get_bind())) == []  # type: ignore[arg-type]
    return Tampered(a, b)


_APPLICANT = "(SELECT applicant_id FROM request WHERE id = :i)"
ROW_EDITS: dict[str, tuple[str, str, int, str]] = {
    # name: (statement, field named, event named, its action)
    "state": ("UPDATE request SET state = 'withdrawn' WHERE id = :i", "state", 6, "record_delivery"),
    "outcome": (
        "UPDATE request SET outcome = 'rejected.repeated' WHERE id = :i", "outcome", 5, "issue_reply"
    ),
    "answered_on": (
        "UPDATE request SET answered_on = '2026-09-28' WHERE id = :i", "answered_on", 5, "issue_reply"
    ),
    "delivered_on": (
        "UPDATE request SET delivered_on = NULL WHERE id = :i", "delivered_on", 6, "record_delivery"
    ),
    "reply_due": ("UPDATE request SET reply_due = '2026-12-31' WHERE id = :i", "reply_due", 2, "extend"),
    "extended": ("UPDATE request SET extended = false WHERE id = :i", "extended", 2, "extend"),
    "handler": (
        "UPDATE request SET handler_id = (SELECT id FROM app_user WHERE username = 'clerk2') WHERE id = :i",
        "handler", 1, "register",
    ),
    "description": (
        "UPDATE request SET description = '另一项信息' WHERE id = :i", "description", 1, "register"
    ),
    "receipt_date": (
        "UPDATE request SET receipt_date = '2026-09-21' WHERE id = :i", "receipt_date", 1, "register"
    ),
    "applicant-name": (
        f"UPDATE applicant SET name = '张三' WHERE id = {_APPLICANT}",
        "applicant.name", 1, "register",
    ),
    "applicant-phone": (
        f"UPDATE applicant SET phone = '13900000000' WHERE id = {_APPLICANT}",
        "applicant.phone", 1, "register",
    ),
    "applicant-id-number": (
        "UPDATE applicant SET id_number_hmac = (SELECT a.id_number_hmac FROM applicant a JOIN request r"
        f" ON r.applicant_id = a.id WHERE r.id <> :i) WHERE id = {_APPLICANT}",
        "applicant.id_number", 1, "register",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(ROW_EDITS))
def test_a_row_edit_is_named(name: str, world: World, cases: Tampered, engine: Engine, db_url: str) -> None:
    statement, field, seq, action = ROW_EDITS[name]
    _sql(world.session, statement, i=cases.case.id)
    report = _check(engine)
    assert not report.broken  # every hash and link holds: only the row lies
    named = [f for f in report.findings if (f.tracking_no, f.field) == (cases.case.tracking_no, field)]
    assert named, _lines(report)
    assert (named[0].seq, named[0].action) == (seq, action)
    assert all(f.tracking_no == cases.case.tracking_no for f in report.findings)  # the other is intact

    result = run_cli(world.session, db_url, "verify")
    assert result.exit_code == 1, result.output
    out = flat(result.output)
    assert f"{cases.case.tracking_no} 事件{seq}（{action}） {field}：库中为" in out
    assert "Traceback" not in result.output
    result = run_cli(world.session, db_url, "verify", "--case", cases.other.tracking_no)
    assert result.exit_code == 0, result.output
    assert "证据链完整：1件申请" in flat(result.output)


def _rehash_from(session: Session, case: Case, seq: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite event ``seq`` with ``change`` and re-chain every later event consistently (payload,
    columns, hash, links and the request's head): what a thorough insider would do."""
    rows = session.execute(
        text("SELECT id, seq, payload FROM evidence_event WHERE case_id = :c ORDER BY seq"), {"c": case.id}
    ).all()
    sqlite = session.get_bind().dialect.name == "sqlite"
    prev = None
    for row_id, n, payload in rows:
        if n < seq:
            prev = hashlib.sha256(payload.encode()).hexdigest()
            continue
        body = json.loads(payload)
        if n == seq:
            change(body)
        body["prev_hash"] = prev
        new = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(new.encode()).hexdigest()
        moment = dt.datetime.fromisoformat(body["moment"]).astimezone(dt.UTC)
        session.execute(
            text(
                "UPDATE evidence_event SET payload = :p, hash = :h, prev_hash = :v, moment = :m WHERE id = :i"
            ),
            {
                "p": new,
                "h": digest,
                "v": prev,
                "m": moment.replace(tzinfo=None) if sqlite else moment,
                "i": row_id,
            },
        )
        prev = digest
    session.execute(text("UPDATE request SET last_hash = :h WHERE id = :i"), {"h": prev, "i": case.id})
    session.commit()


def test_a_backdated_event_is_named(world: World, cases: Tampered, engine: Engine, db_url: str) -> None:
    """The draft is backdated to before the extension, every hash re-computed: only the order shows it."""
    _drop_event_triggers(world.session)

    def backdate(body: dict[str, Any]) -> None:
        body["moment"] = (T0 + dt.timedelta(hours=20)).isoformat()  # before the extension (T0 + 1 day)

    _rehash_from(world.session, cases.case, 3, backdate)
    report = _check(engine)
    assert not report.broken, _lines(report)  # the chain itself holds
    assert [(f.tracking_no, f.field, f.seq, f.action) for f in report.findings] == [
        (cases.case.tracking_no, "moment", 3, "draft_reply")
    ]
    result = run_cli(world.session, db_url, "verify")
    assert result.exit_code == 1, result.output
    out = flat(result.output)
    assert f"{cases.case.tracking_no} 事件3（draft_reply） moment：" in out and "早于前一事件" in out


def test_a_rewritten_event_fact_and_row_together_still_disagree_with_the_ledger(
    world: World, cases: Tampered, engine: Engine
) -> None:
    """The extension's days rewritten in the event (re-hashed) but not in the ledger: named."""
    _drop_event_triggers(world.session)

    def fewer_days(body: dict[str, Any]) -> None:
        body["facts"]["days"] = 5

    _rehash_from(world.session, cases.case, 2, fewer_days)
    report = _check(engine)
    assert not report.broken
    assert (cases.case.tracking_no, "ledger[0]", 2, "extend") in {
        (f.tracking_no, f.field, f.seq, f.action) for f in report.findings
    }


def _letter(session: Session, case: Case, doc_type: str) -> Letter:
    session.rollback()
    return session.exec(
        select(Letter).where(col(Letter.case_id) == case.id, col(Letter.doc_type) == doc_type)
    ).one()


def test_a_swapped_letter_file_is_named(world: World, cases: Tampered, engine: Engine, db_url: str) -> None:
    reply = _letter(world.session, cases.case, "reply")
    html = DocumentStore(engine).read(reply.html_sha256)
    stored.tamper(engine, reply.html_sha256, html.replace("预算表".encode(), "另一份".encode()))
    report = _check(engine)
    named = [(f.field, f.seq, f.action) for f in report.findings]
    assert named == [("document letter.html:reply", 5, "issue_reply")]
    assert "文件内容与事件记载的哈希不符" in report.findings[0].message
    result = run_cli(world.session, db_url, "verify")
    assert result.exit_code == 1, result.output
    where = f"{cases.case.tracking_no} 事件5（issue_reply）"
    assert f"{where} document letter.html:reply：" in flat(result.output)


def test_a_letter_row_pointed_at_other_bytes_is_named(
    world: World, cases: Tampered, engine: Engine, db_url: str
) -> None:
    """The reply's row made to serve the receipt's file (a real, intact document): refused."""
    reply = _letter(world.session, cases.case, "reply")
    receipt = _letter(world.session, cases.case, "receipt")
    _sql(world.session, "UPDATE letter SET html_sha256 = :h WHERE id = :i", h=receipt.html_sha256, i=reply.id)
    report = _check(engine)
    assert [(f.field, f.seq, f.action) for f in report.findings] == [("letter.html_sha256", 5, "issue_reply")]
    result = run_cli(world.session, db_url, "verify")
    assert result.exit_code == 1, result.output
    out = flat(result.output)
    where = f"{cases.case.tracking_no} 事件5（issue_reply）"
    assert f"{where} letter.html_sha256：库中为 “{receipt.html_sha256}”" in out


def test_a_case_document_row_pointed_at_other_bytes_is_named(
    world: World, cases: Tampered, engine: Engine
) -> None:
    reply = _letter(world.session, cases.case, "reply")
    receipt = _letter(world.session, cases.case, "receipt")
    _sql(
        world.session,
        "UPDATE case_document SET sha256 = :h WHERE case_id = :c AND sha256 = :old",
        h=receipt.html_sha256,
        c=cases.case.id,
        old=reply.html_sha256,
    )
    report = _check(engine)
    assert [(f.field, f.seq) for f in report.findings] == [("case_document letter.html:reply", 5)]


def test_a_deleted_letter_row_is_named(world: World, cases: Tampered, engine: Engine) -> None:
    reply = _letter(world.session, cases.case, "reply")
    _sql(world.session, "DELETE FROM letter WHERE id = :i", i=reply.id)
    report = _check(engine)
    assert [(f.field, f.seq) for f in report.findings] == [("letter", 5)]
    assert reply.letter_no in report.findings[0].message


def test_a_missing_document_file_is_named(world: World, cases: Tampered, engine: Engine, db_url: str) -> None:
    receipt = _letter(world.session, cases.other, "receipt")
    stored.remove(engine, receipt.html_sha256)
    report = _check(engine)
    assert [(f.tracking_no, f.field, f.seq) for f in report.findings] == [
        (cases.other.tracking_no, "document letter.html:receipt", 1)
    ]
    assert "文件缺失" in report.findings[0].message
    result = run_cli(world.session, db_url, "verify", "--case", cases.other.tracking_no)
    assert result.exit_code == 1, result.output
    assert "文件缺失" in flat(result.output)


def test_every_problem_is_listed_not_only_the_first(
    world: World, cases: Tampered, engine: Engine, db_url: str
) -> None:
    """A broken chain in one request does not hide a row edit in another (and stays worded as before)."""
    _drop_event_triggers(world.session)
    _sql(world.session, "DELETE FROM evidence_event WHERE case_id = :c AND seq = 6", c=cases.case.id)
    _sql(world.session, "UPDATE request SET description = '改过' WHERE id = :i", i=cases.other.id)
    report = _check(engine)
    assert [(p.tracking_no, p.seq) for p in report.broken] == [(cases.case.tracking_no, None)]
    assert [(f.tracking_no, f.field) for f in report.findings] == [(cases.other.tracking_no, "description")]
    result = run_cli(world.session, db_url, "verify")
    assert result.exit_code == 1, result.output
    out = flat(result.output)
    assert f"BROKEN {cases.case.tracking_no} 链头：" in out
    assert f"{cases.other.tracking_no} 事件1（register） description：" in out
    assert "发现2处问题" in out


def test_bulk_history_verifies_and_its_rows_are_checked(world: World, engine: Engine) -> None:
    """Bulk history (``caseflow demo`` above 2,000 requests) records its ledger and outcome as
    evidence: it verifies clean, and an edited outcome or deadline is named like any other."""
    from caseflow.bulk import bulk_requests

    world.session.rollback()  # its read snapshot would keep it from writing after the bulk insert
    bulk_requests(engine, count=150, seed=5, today=T0.date(), agency_codes=["dept", "district"])
    report = _check(engine)
    assert _lines(report) == [] and (report.requests, report.bulk) == (150, 150)
    with Session(engine) as s:
        rows = s.execute(text("SELECT id, state, outcome, ledger, reply_due FROM request")).all()
    answered = next(i for i, _state, outcome, _ledger, _due in rows if outcome is not None)
    ledgered = next(
        i
        for i, state, _o, ledger, due in rows
        if state == "received" and due and (json.loads(ledger) if isinstance(ledger, str) else ledger)
    )
    _sql(world.session, "UPDATE request SET outcome = 'rejected.repeated' WHERE id = :i", i=answered)
    _sql(world.session, "UPDATE request SET reply_due = '2045-01-02' WHERE id = :i", i=ledgered)
    found = {(f.field, f.seq, f.action) for f in _check(engine).findings}
    assert found == {("outcome", 2, "bulk_history"), ("reply_due", 2, "bulk_history")}


def test_the_moment_of_an_action_is_taken_under_the_row_lock(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clerks act on one request at once: the one that waited for the lock must not record the
    moment it started at (before the other's event), or the chain would go back in time."""
    from caseflow import service
    from caseflow.cases import engine as case_engine

    case = world.new_case()
    case_id = case.id
    assert case_id is not None
    world.session.commit()
    started, other, done = (
        T0 + 2 * DAY,
        T0 + 2 * DAY + dt.timedelta(minutes=1),
        T0 + 2 * DAY + dt.timedelta(minutes=2),
    )
    moments = iter([started, done])

    def clock() -> dt.datetime:
        moment = next(moments)
        if moment == started:  # meanwhile another clerk's action commits first
            with Session(engine, expire_on_commit=False) as s:
                service.perform(session=s, case_id=case_id, actor=world["clerk2"], action="add_note",
                                facts={"text": "先到"}, now=other)  # fmt: skip
        return moment

    monkeypatch.setattr(case_engine, "current_moment", clock)
    world.session.rollback()
    service.perform(session=world.session, case_id=case_id, actor=world["clerk"], action="add_note",
                    facts={"text": "后到"})  # fmt: skip
    with Session(engine) as s:
        stored = s.execute(text("SELECT seq, actor FROM evidence_event ORDER BY seq")).all()
    assert [tuple(r) for r in stored] == [(1, "clerk"), (2, "clerk2"), (3, "clerk")]
    assert _lines(_check(engine)) == []
