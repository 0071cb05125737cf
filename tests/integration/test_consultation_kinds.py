"""Consultation kinds (issue 15 item 5), through the service on SQLite and PostgreSQL.

A co-producing agency's silence is consent (Art. 34); another agency's, like a third party's
(Art. 32), is no opinion and the office decides. Several consultations may be open at once, each
with its own letter, delivery, window and answer; the clock is paused from the first letter until
the last one closes. Disclosing over a third party's objection needs the Art. 32 decision notice,
its delivery, and the end of the period it states (the last day refused, the day after allowed).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from caseflow import clock, law, queries
from caseflow.calendar import default_calendar
from caseflow.cases import delivery
from caseflow.cases.consultations import consultation_choices
from caseflow.dates import SHANGHAI, zh
from caseflow.db import migrations_dir
from caseflow.errors import FactsError, IllegalTransition, RuleViolation
from caseflow.evidence.chain import verify_all
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, Consultation, EvidenceEvent
from caseflow.scheduled.lapses import sweep_lapses
from caseflow.states.actions import ACTIONS
from tests.integration.conftest import World
from tests.integration.conftest import refused_unchanged as refused
from tests.integration.webapp import Web

D = dt.date
DAY = dt.timedelta(days=1)
START = D(2026, 11, 2)  # a Monday, clear of the holidays
THIRD = {"party_kind": "third_party", "party_name": "某建设工程有限公司", "matters": "合同报价涉及商业秘密"}
CO_PRODUCER = {"party_kind": "co_producer", "party_name": "某市财政局", "matters": "共同制作的预算文件"}
OTHER_AGENCY = {"party_kind": "agency", "party_name": "某市统计局", "matters": "统计口径"}
PROVIDED = {"outcome": "disclosed.provided", "provided": "2025年道路维修工程合同（电子版）"}
DECISION = {
    "content": "道路维修工程合同的价款条款",
    "reasons": "涉及公共资金使用，不公开可能对公共利益造成重大影响",
}


def on(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 30), tzinfo=SHANGHAI)


def deliver(
    world: World, case: Case, document: str, received: dt.date, consultation_id: int | None = None
) -> Case:
    facts: dict[str, Any] = {
        "document": document,
        "method": "post",
        "proof": "EMS1234567890CN 签收",
        "received_on": received.isoformat(),
    }
    if consultation_id is not None:
        facts["consultation_id"] = consultation_id
    return world.act(case, "record_notice_delivery", facts, at=on(received + DAY))


def rows(world: World, case: Case) -> list[Consultation]:
    world.session.rollback()  # a new transaction: see what other sessions (the sweep) committed
    world.session.expire_all()
    return list(
        world.session.exec(
            select(Consultation).where(col(Consultation.case_id) == case.id).order_by(col(Consultation.id))
        )
    )


def last_facts(world: World, case: Case) -> dict[str, Any]:
    payload = world.session.exec(
        select(EvidenceEvent.payload)
        .where(col(EvidenceEvent.case_id) == case.id)
        .order_by(col(EvidenceEvent.seq).desc())
    ).first()
    assert payload is not None
    return dict(json.loads(payload)["facts"])


def letter_text(world: World, case: Case, doc_type: str) -> str:
    letter = delivery.latest_letter(world.session, case.id or 0, doc_type)
    assert letter is not None
    return DocumentStore().read(letter.html_sha256, world.session).decode()


def fresh(world: World, case: Case) -> Case:
    world.session.rollback()  # a new transaction: see what other sessions (the sweep) committed
    world.session.expire_all()
    got = world.session.get(Case, case.id)
    assert got is not None
    return got


# --- Silence: consent for a co-producer only ----------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "deemed"), [(CO_PRODUCER, "consent"), (OTHER_AGENCY, "none")], ids=["co_producer", "agency"]
)
def test_silence_is_consent_only_for_a_co_producer(
    world: World, engine: Engine, facts: dict[str, str], deemed: str
) -> None:
    cal = default_calendar()
    kind = facts["party_kind"]
    case = world.act(world.new_case(at=on(START)), "start_consultation", facts, at=on(START + DAY))
    assert (case.state, case.paused) == ("consultation", True)
    text = letter_text(world, case, f"consultation_{kind}")
    if kind == "co_producer":  # Art. 34: silence counts as consent, and the letter says so
        assert "共同制作" in text and "逾期未提出意见的视为同意公开" in text
        assert law.CO_PRODUCER_OPINION.basis.label in text
    else:  # another agency: no such consequence; the office decides
        assert "视为同意" not in text and "决定是否公开" in text
        assert law.AGENCY_OPINION.basis.label in text and "第三十四条" not in text

    received = START + 2 * DAY
    case = deliver(world, case, f"consultation_{kind}", received)
    end = cal.add_working_days(received, 15)
    (row,) = rows(world, case)
    assert row.window_end == end and row.letter_id is not None

    # The last day is the party's: refused by hand, and the sweep leaves it.
    err = refused(world, case, RuleViolation, "lapse_consultation", {}, on(end), actor="system")
    assert zh(end) in err.message
    assert sweep_lapses(engine, on(end)).done == []
    report = sweep_lapses(engine, on(end + DAY))
    assert report.failed == [] and len(report.done) == 1
    (row,) = rows(world, case)
    assert (row.opinion, row.opinion_date) == (deemed, end)
    case = fresh(world, case)
    assert (case.state, case.paused) == ("received", False)
    assert case.ledger[-1] == {"type": "pause_ended", "date": end.isoformat()}
    assert last_facts(world, case)["deemed"] == deemed
    assert verify_all(world.session)[1] is None


# --- Several consultations open at once ------------------------------------------------------------


def test_two_consultations_pause_the_clock_until_both_are_closed(world: World) -> None:
    cal = default_calendar()
    case = world.new_case(at=on(START))
    case = world.act(case, "start_consultation", THIRD, at=on(START + DAY))
    case = world.act(case, "start_consultation", OTHER_AGENCY, at=on(START + 2 * DAY))
    third, other = rows(world, case)
    assert case.state == "consultation" and case.reply_due is None
    # One pause for both: the second letter added nothing to the ledger.
    assert case.ledger == [
        {"type": "pause_started", "date": (START + DAY).isoformat(), "reason": "consultation"}
    ]
    assert last_facts(world, case)["clock_event"] is False
    assert third.letter_id != other.letter_id and None not in (third.letter_id, other.letter_id)

    # A letter cannot predate the pause it joins.
    err = refused(
        world,
        case,
        FactsError,
        "start_consultation",
        {**CO_PRODUCER, "letter_date": START.isoformat()},
        on(START + 2 * DAY),
    )
    assert [f for f, _ in err.errors] == ["letter_date"]
    # Which one answered must be said when two are open (422 naming the field).
    err = refused(world, case, FactsError, "receive_opinion", {"opinion": "consent"}, on(START + 3 * DAY))
    assert [f for f, _ in err.errors] == ["consultation_id"]
    assert "某建设工程有限公司" in err.errors[0][1] and "某市统计局" in err.errors[0][1]
    err = refused(world, case, FactsError, "lapse_consultation", {}, on(START + 3 * DAY), actor="system")
    assert [f for f, _ in err.errors] == ["consultation_id"]

    # The third party's letter arrives first; its window ends before the agency answers.
    received = START + 3 * DAY
    case = deliver(world, case, "consultation_third_party", received)
    window_end = cal.add_working_days(received, 15)
    answered = window_end + 3 * DAY
    facts = {"consultation_id": other.id, "opinion": "consent", "opinion_date": answered.isoformat()}
    case = world.act(case, "receive_opinion", facts, at=on(answered))
    assert (case.state, case.paused, case.reply_due) == ("consultation", True, None)
    assert last_facts(world, case)["clock_event"] is False and len(case.ledger) == 1
    page = queries.case_detail(world.session, case, today=answered, full_identity=False)["consultations"]
    assert [(c["kind"], c["open"], c["opinion"]) for c in page] == [
        ("third_party", True, None),
        ("agency", False, "consent"),
    ]
    assert page[0]["window_end"] == window_end.isoformat() and page[0]["received_on"] == received.isoformat()
    assert page[0]["letter_no"] and page[1]["letter_no"] and page[1]["received_on"] is None
    assert list(consultation_choices(page, "receive_opinion")) == [str(third.id)]

    # The last one closes (the third party's lapse): the pause ends on the latest closing day.
    case = world.act(
        case, "lapse_consultation", {"consultation_id": third.id}, actor="system", at=on(answered)
    )
    assert case.state == "received" and not case.paused
    assert case.ledger[-1] == {"type": "pause_ended", "date": answered.isoformat()}
    expected = clock.compute(
        clock.Timeline.from_json(
            {
                "received": START.isoformat(),
                "events": [
                    {"type": "pause_started", "date": (START + DAY).isoformat(), "reason": "consultation"},
                    {"type": "pause_ended", "date": answered.isoformat()},
                ],
            }
        )
    )
    assert case.reply_due == expected.reply_due and case.reply_due is not None and case.reply_due > answered
    assert [r.opinion for r in rows(world, case)] == ["none", "consent"]
    assert verify_all(world.session)[1] is None


def test_deliveries_of_two_letters_of_one_kind_name_their_consultation(world: World) -> None:
    case = world.new_case(at=on(START))
    case = world.act(case, "start_consultation", THIRD, at=on(START + DAY))
    case = world.act(case, "start_consultation", {**THIRD, "party_name": "某设计院"}, at=on(START + DAY))
    first, second = rows(world, case)
    facts = {
        "document": "consultation_third_party",
        "method": "post",
        "proof": "EMS",
        "received_on": (START + 2 * DAY).isoformat(),
    }
    err = refused(world, case, FactsError, "record_notice_delivery", facts, on(START + 3 * DAY))
    assert [f for f, _ in err.errors] == ["consultation_id"]
    case = deliver(world, case, "consultation_third_party", START + 2 * DAY, consultation_id=first.id)
    first, second = rows(world, case)
    assert first.window_end == default_calendar().add_working_days(START + 2 * DAY, 15)
    assert second.window_end is None


# --- Art. 32: disclosure over a third party's objection -------------------------------------------


def _ready(world: World, case: Case, at: dt.datetime) -> Case:
    """A disclosing draft awaiting issue (with the review before disclosure where it exists)."""
    case = world.act(case, "draft_reply", PROVIDED, at=at)
    if case.state == "legal-review":
        case = world.act(case, "approve_reply", {}, actor="reviewer", at=at)
    if "confidentiality_review" in ACTIONS:
        case = world.act(case, "confidentiality_review", {"conclusion": "agree"}, actor="reviewer", at=at)
    assert case.state == "ready-to-issue"
    return case


def test_disclosure_over_an_objection_waits_for_the_decision_notice(world: World) -> None:
    cal = default_calendar()
    case = world.new_case(at=on(START))
    case = world.act(case, "start_consultation", THIRD, at=on(START + DAY))
    err = refused(world, case, IllegalTransition, "notify_third_party_decision", DECISION, on(START + DAY))
    assert "「收到意见」" in err.message  # while consulting, the answer comes first
    case = world.act(
        case, "receive_opinion", {"opinion": "object", "opinion_text": "涉及商业秘密"}, at=on(START + 3 * DAY)
    )
    case = _ready(world, case, on(START + 4 * DAY))

    err = refused(world, case, RuleViolation, "issue_reply", {}, on(START + 4 * DAY))
    assert "第三十二条" in err.message and "尚未发出公开决定告知书" in err.message

    case = world.act(case, "notify_third_party_decision", DECISION, at=on(START + 5 * DAY))
    assert case.state == "ready-to-issue"
    text = letter_text(world, case, "third_party_decision_notice")
    assert "公开决定告知书" in text and "某建设工程有限公司" in text
    assert DECISION["content"] in text and DECISION["reasons"] in text and "涉及商业秘密" in text
    assert "第三十二条" in text and "收到本告知书之次日起15个工作日届满后公开" in text
    assert "行政复议" in text  # the remedies clause
    (row,) = rows(world, case)
    assert (row.decision_wait_days, row.decision_wait_end) == (law.THIRD_PARTY_DECISION_WAIT.days, None)
    err = refused(world, case, RuleViolation, "notify_third_party_decision", DECISION, on(START + 5 * DAY))
    assert "不能重复" in err.message

    err = refused(world, case, RuleViolation, "issue_reply", {}, on(START + 6 * DAY))
    assert "第三十二条" in err.message and law.NOT_DELIVERED in err.message

    received = START + 7 * DAY
    case = deliver(world, case, "third_party_decision_notice", received)
    end = cal.add_working_days(received, 15)
    (row,) = rows(world, case)
    assert row.decision_wait_end == end
    assert last_facts(world, case)["disclose_after"] == end.isoformat()

    err = refused(world, case, RuleViolation, "issue_reply", {}, on(end))
    assert "第三十二条" in err.message and zh(end) in err.message
    case = world.act(case, "issue_reply", {}, at=on(end + DAY))
    assert (case.state, case.outcome, case.answered_on) == ("answered", "disclosed.provided", end + DAY)
    assert verify_all(world.session)[1] is None


def test_decision_notice_period_set_by_the_office_and_no_notice_after_consent(world: World) -> None:
    cal = default_calendar()
    consented = world.new_case(at=on(START))
    consented = world.act(consented, "start_consultation", THIRD, at=on(START + DAY))
    consented = world.act(consented, "receive_opinion", {"opinion": "consent"}, at=on(START + 2 * DAY))
    err = refused(
        world, consented, RuleViolation, "notify_third_party_decision", DECISION, on(START + 3 * DAY)
    )
    assert "第三十二条" in err.message
    consented = _ready(world, consented, on(START + 3 * DAY))
    assert world.act(consented, "issue_reply", {}, at=on(START + 3 * DAY)).state == "answered"

    case = world.new_case(at=on(START))
    case = world.act(case, "start_consultation", THIRD, at=on(START + DAY))
    case = world.act(case, "receive_opinion", {"opinion": "object"}, at=on(START + 2 * DAY))
    case = world.act(
        case, "notify_third_party_decision", {**DECISION, "wait_days": 5}, at=on(START + 3 * DAY)
    )
    assert "15个工作日" not in letter_text(world, case, "third_party_decision_notice")
    case = deliver(world, case, "third_party_decision_notice", START + 4 * DAY)
    end = cal.add_working_days(START + 4 * DAY, 5)
    assert rows(world, case)[0].decision_wait_end == end
    case = _ready(world, case, on(START + 5 * DAY))
    refused(world, case, RuleViolation, "issue_reply", {}, on(end))
    assert world.act(case, "issue_reply", {}, at=on(end + DAY)).state == "answered"


# --- Migration 0016: old "agency" rows were co-producers --------------------------------------------


def test_migration_makes_old_agency_rows_co_producers_linked_to_their_letters(
    world: World, engine: Engine
) -> None:
    case = world.act(world.new_case(at=on(START)), "start_consultation", CO_PRODUCER, at=on(START + DAY))
    (row,) = rows(world, case)
    letter_id = row.letter_id
    world.session.commit()
    world.session.close()
    spec = importlib.util.spec_from_file_location(
        "migration_0016", migrations_dir() / "versions" / "0016_consultation_kinds.py"
    )
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.downgrade()
        # As the data stood before: a co-producer was "agency", consulted by a consultation_agency letter.
        assert conn.execute(text("SELECT party_kind FROM consultation")).scalar_one() == "agency"
        conn.execute(
            text("UPDATE letter SET doc_type = 'consultation_agency' WHERE id = :i"), {"i": letter_id}
        )
        migration.upgrade()
    with Session(engine) as s:
        (again,) = s.exec(select(Consultation)).all()
        assert (again.party_kind, again.letter_id) == ("co_producer", letter_id)


# --- The case page ---------------------------------------------------------------------------------


def test_case_page_lists_the_consultations_and_offers_a_choice(web: Web) -> None:
    world = web.world
    case = world.new_case(at=on(START))
    case = world.act(case, "start_consultation", THIRD, at=on(START + DAY))
    case = world.act(case, "start_consultation", CO_PRODUCER, at=on(START + DAY))
    third, co = rows(world, case)
    world.session.commit()
    client = web.browser("clerk")
    client.headers.update({"Accept": "text/html"})
    page = client.get(f"/cases/{case.id}").text
    table = page[page.index('id="consultations"') : page.index("</table>", page.index('id="consultations"'))]
    assert "第三方：某建设工程有限公司" in table and "共同制作机关：某市财政局" in table
    assert "逾期未提出意见的视为同意公开" in table and "逾期未提出意见的由本机关决定是否公开" in table
    assert table.count(law.NOT_DELIVERED) == 2 and table.count("尚未答复") == 2
    form = page[page.index('id="action-receive_opinion"') :]
    form = form[: form.index("</form>")]
    assert '<select id="receive_opinion-consultation_id" name="consultation_id">' in form
    assert f'<option value="{third.id}"' in form and f'<option value="{co.id}"' in form

    csrf = Web.csrf(client, f"/cases/{case.id}")
    refused = client.post(
        f"/cases/{case.id}/actions/receive_opinion",
        data={"csrf_token": csrf, "expected_version": str(case.version), "opinion": "object"},
    )
    assert refused.status_code == 422 and "请指明是哪一项" in refused.text
    done = client.post(
        f"/cases/{case.id}/actions/receive_opinion",
        data={
            "csrf_token": csrf,
            "expected_version": str(case.version),
            "opinion": "object",
            "consultation_id": str(third.id),
            "opinion_date": (START + 2 * DAY).isoformat(),
        },
    )
    assert done.status_code in (200, 303), done.text[:300]
    assert [r.opinion for r in rows(world, case)] == ["object", None]


def test_a_partial_reply_withholding_the_third_partys_part_honours_its_objection(world: World) -> None:
    """Art. 32: a third party objected in whole. A partial reply that withholds on its ground (Art. 15)
    does not disclose what it objected to: it is issued without the decision notice. One that
    withholds only on another ground still discloses over the objection and waits for the notice."""
    partial = {
        "outcome": "partial",
        "reasons": "合同中的报价明细属于第三方商业秘密",
        "provided": "2025年道路维修工程合同（报价明细已遮盖）",
    }
    honouring = world.new_case(at=on(START))
    other = world.new_case(at=on(START))
    for case in (honouring, other):
        case = world.act(case, "start_consultation", THIRD, at=on(START + DAY))
        world.act(
            case,
            "receive_opinion",
            {"opinion": "object", "opinion_text": "涉及商业秘密"},
            at=on(START + 2 * DAY),
        )

    def ready(case: Case, grounds: list[str]) -> Case:
        case = world.act(
            case, "draft_reply", {**partial, "withheld_grounds": grounds}, at=on(START + 3 * DAY)
        )
        if case.state == "legal-review":
            case = world.act(case, "approve_reply", {}, actor="reviewer", at=on(START + 3 * DAY))
        if "confidentiality_review" in ACTIONS and case.state == "ready-to-issue":
            case = world.act(
                case,
                "confidentiality_review",
                {"conclusion": "agree"},
                actor="reviewer",
                at=on(START + 3 * DAY),
            )
        assert case.state == "ready-to-issue"
        return case

    honouring = ready(fresh(world, honouring), ["withheld.third_party"])
    honouring = world.act(honouring, "issue_reply", {}, at=on(START + 4 * DAY))
    assert (honouring.state, honouring.outcome) == ("answered", "partial")

    other = ready(fresh(world, other), ["withheld.internal_affairs"])
    err = refused(world, other, RuleViolation, "issue_reply", {}, on(START + 4 * DAY))
    assert "第三十二条" in err.message and "尚未发出公开决定告知书" in err.message
    assert verify_all(world.session)[1] is None
