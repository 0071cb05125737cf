"""The replay of evidence events into the request row they describe (no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from caseflow.evidence import replay
from caseflow.states.actions import ACTIONS


def _event(
    seq: int, action: str, frm: str | None, to: str, facts: dict[str, Any], **more: Any
) -> dict[str, Any]:
    moment = dt.datetime(2026, 9, 28 + seq // 3, 10, seq, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return {"seq": seq, "action": action, "from": frm, "to": to, "facts": facts, "actor": "clerk",
            "moment": moment.isoformat(), **more}  # fmt: skip


def test_every_action_of_the_machine_has_a_replay_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    covered = set(replay.SETS) | set(replay.CLOCK) | replay.RECORD_ONLY_FOR_ROW
    assert covered == set(ACTIONS)
    monkeypatch.setitem(ACTIONS, "new_action", ACTIONS["add_note"])  # an action added without a rule
    with pytest.raises(RuntimeError, match="missing \\['new_action'\\]"):
        replay._check_complete()


def test_a_chain_replays_into_its_row() -> None:
    events = [
        _event(1, "register", None, "received",
               {"tracking_no": "CITY-2026-00001", "receipt_date": "2026-09-28", "applicant_name": "王小明",
                "description": "预算", "agency": "city"}),
        _event(2, "request_supplement", "received", "supplement-required",
               {"notice_date": "2026-09-29", "supplement_due": "2026-10-20"}),
        _event(3, "receive_supplement", "supplement-required", "received", {"received_on": "2026-10-09"}),
        _event(4, "extend", "received", "extended",
               {"decided_on": "2026-10-12", "days": 10, "reason": "会商"}),
        _event(5, "reassign", "extended", "extended", {"handler": "clerk2"}),
        _event(6, "issue_reply", "ready-to-issue", "answered",
               {"issued_on": "2026-10-30", "outcome": "partial"}),
    ]  # fmt: skip
    out = replay.replay("CITY-2026-00001", events)
    values = {name: value for name, (value, _seq, _action) in out.values.items()}
    assert values["state"] == "answered" and values["outcome"] == "partial"
    assert values["answered_on"] == dt.date(2026, 10, 30) and values["supplement_due"] is None
    assert values["handler"] == "clerk2" and values["extended"] is True
    assert values["applicant.name"] == "王小明" and values["receipt_date"] == dt.date(2026, 9, 28)
    assert out.values["outcome"][1:] == (6, "issue_reply") and out.values["handler"][1:] == (5, "reassign")
    assert out.ledger == [
        {"type": "supplement_requested", "date": "2026-09-29"},
        {"type": "supplement_received", "date": "2026-10-09"},
        {"type": "extended", "date": "2026-10-12", "days": 10},
    ]
    assert out.ledger_set == (4, "extend")
    # event 6 says it left "ready-to-issue", but event 5 left the request "extended"
    assert [(f.field, f.seq) for f in out.findings] == [("state", 6)]


def test_delivery_and_lapse_proposals_replay_into_the_row() -> None:
    """The supplement period starts at the notice's delivery; a delivery of another notice sets no
    supplement date; the proposal, the decision to wait and the confirmation set and clear the lapse
    fields; an old chain without ``supplement_days`` leaves it unknown (None)."""
    sr = "supplement-required"
    events = [
        _event(1, "register", None, "received", {"tracking_no": "T-1", "receipt_date": "2026-09-28"}),
        _event(2, "request_supplement", "received", sr,
               {"notice_date": "2026-09-29", "period_days": 10, "supplement_days": 10,
                "supplement_due": None}),
        _event(3, "record_notice_delivery", sr, sr,
               {"document": "supplement_notice", "received_on": "2026-09-30",
                "supplement_due": "2026-10-21"}),
        _event(4, "propose_lapse", sr, sr, {"kind": "supplement"}, actor="system"),
        _event(5, "keep_waiting", sr, sr, {"kind": "supplement", "reason": "在途", "until": "2026-10-30"}),
    ]  # fmt: skip
    values = {n: v for n, (v, _s, _a) in replay.replay("T-1", events).values.items()}
    assert values["supplement_days"] == 10 and values["supplement_due"] == dt.date(2026, 10, 21)
    assert (values["lapse_proposed"], values["lapse_proposed_on"]) == (None, None)
    assert (values["lapse_waiting"], values["lapse_wait_until"]) == ("supplement", dt.date(2026, 10, 30))
    proposed = {n: v for n, (v, _s, _a) in replay.replay("T-1", events[:4]).values.items()}
    assert (proposed["lapse_proposed"], proposed["lapse_proposed_on"]) == ("supplement", dt.date(2026, 9, 29))
    confirmed = [*events, _event(6, "lapse_supplement", sr, "closed", {"outcome": "other.no_supplement"})]
    closed = {n: v for n, (v, _s, _a) in replay.replay("T-1", confirmed).values.items()}
    assert closed["lapse_waiting"] is None and closed["outcome"] == "other.no_supplement"
    # another notice's delivery leaves the supplement date alone; an old chain has no supplement_days
    fee = [events[0], _event(2, "record_notice_delivery", "received", "received", {"document": "fee_notice"})]
    old = [events[0], _event(2, "request_supplement", "received", sr, {"supplement_due": "2026-10-20"})]
    assert replay.replay("T-1", fee).values["supplement_due"][0] is None
    assert replay.replay("T-1", old).values["supplement_days"][0] is None


def test_several_open_consultations_replay_into_one_pause() -> None:
    """The second letter adds no clock event (``clock_event: false``); the last answer ends the pause
    on the latest closing day (``clock_date``); an event recorded before these facts adds its own."""
    events = [
        _event(1, "register", None, "received",
               {"tracking_no": "CITY-2026-00002", "receipt_date": "2026-11-02"}),
        _event(2, "start_consultation", "received", "consultation", {"letter_date": "2026-11-03"}),
        _event(3, "start_consultation", "consultation", "consultation",
               {"letter_date": "2026-11-04", "clock_event": False}),
        _event(4, "receive_opinion", "consultation", "consultation",
               {"opinion_date": "2026-11-20", "clock_event": False}),
        _event(5, "lapse_consultation", "consultation", "received",
               {"window_end": "2026-11-18", "clock_event": True, "clock_date": "2026-11-20"}),
    ]  # fmt: skip
    out = replay.replay("CITY-2026-00002", events)
    assert out.ledger == [
        {"type": "pause_started", "date": "2026-11-03", "reason": "consultation"},
        {"type": "pause_ended", "date": "2026-11-20"},
    ]
    assert out.ledger_from == [(2, "start_consultation"), (5, "lapse_consultation")]
    assert out.findings == []
