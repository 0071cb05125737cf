"""Every deadline comes with its explanation: each step, its date, legal basis and working days."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from caseflow.calendar import WorkingCalendar
from caseflow.clock import Deadline, Timeline, batch_line, compute
from caseflow.dates import zh

D = dt.date
REGULATION = "《中华人民共和国政府信息公开条例》"

FULL = {
    "received": "2026-03-02",
    "events": [
        {"type": "supplement_requested", "date": "2026-03-04"},
        {"type": "supplement_received", "date": "2026-03-09"},
        {"type": "pause_started", "date": "2026-03-16", "reason": "consultation"},
        {"type": "pause_ended", "date": "2026-03-20"},
        {"type": "pause_started", "date": "2026-03-25", "reason": "fee"},
        {"type": "pause_ended", "date": "2026-03-31"},
        {"type": "extended", "date": "2026-04-10", "days": 10},
    ],
}


@pytest.fixture(scope="module")
def full() -> Deadline:
    return compute(Timeline.from_json(FULL))


def test_each_step_in_order_with_date_basis_and_working_days(full: Deadline, cal: WorkingCalendar) -> None:
    first_pause = cal.working_days_between(D(2026, 3, 16), D(2026, 3, 20))
    second_pause = cal.working_days_between(D(2026, 3, 25), D(2026, 3, 31))
    assert (first_pause, second_pause) == (4, 4)
    restart = D(2026, 3, 9)
    due = cal.add_working_days(restart, 20 + first_pause + second_pause + 10)
    expected: list[tuple[str, dt.date, str, int | None, dt.date | None]] = [
        ("received", D(2026, 3, 2), "第三十三条第二款", 20, cal.add_working_days(D(2026, 3, 2), 20)),
        ("supplement_notice_due", D(2026, 3, 11), "第三十条", 7, D(2026, 3, 30)),
        ("supplement_requested", D(2026, 3, 4), "第三十条", None, None),
        ("supplement_received", restart, "第三十条", 20, cal.add_working_days(restart, 20)),
        ("pause_started", D(2026, 3, 16), "第三十三条第三款", None, None),
        ("pause_ended", D(2026, 3, 20), "第三十三条第三款", 4, cal.add_working_days(restart, 24)),
        ("pause_started", D(2026, 3, 25), "信息处理费管理办法", None, None),
        ("pause_ended", D(2026, 3, 31), "信息处理费管理办法", 4, cal.add_working_days(restart, 28)),
        ("extended", D(2026, 4, 10), "第三十三条第二款", 10, due),
        ("reply_due", due, "民法典》第二百零一条", None, due),
    ]
    steps = [(s.kind, s.date, s.basis, s.working_days, s.due) for s in full.explanation]
    assert len(steps) == len(expected)
    for step, (kind, date, basis, working_days, step_due) in zip(steps, expected, strict=True):
        assert step[0] == kind
        assert (step[1], step[3], step[4]) == (date, working_days, step_due), kind
        assert basis in step[2], (kind, step[2])
    assert full.reply_due == due == D(2026, 5, 6)
    assert full.extended_days == 10
    regulation_steps = [
        s for s in full.explanation if s.kind not in ("reply_due",) and "信息处理费" not in s.basis
    ]
    assert all(s.basis.startswith(REGULATION) for s in regulation_steps)


def test_the_text_names_the_dates_in_chinese(full: Deadline) -> None:
    for step in full.explanation:
        assert step.date is not None
        assert zh(step.date) in step.text, step.kind
        if step.due is not None and step.kind != "supplement_notice_due":
            assert zh(step.due) in step.text, step.kind
        assert "-" not in step.text, f"ISO date in Chinese text: {step.text}"
    texts = {s.kind: s.text for s in full.explanation}
    assert "2026年3月2日收到申请" in texts["received"]
    assert "20个工作日" in texts["received"] and "起算日不计入" in texts["received"]
    assert "最迟于2026年3月11日" in texts["supplement_notice_due"]
    assert (
        "重新计算20个工作日" in texts["supplement_received"]
        and "延期不再适用" in texts["supplement_received"]
    )
    assert "2026年4月10日经批准延长答复期限10个工作日，期限至2026年5月6日" == texts["extended"]
    pause_texts = [s.text for s in full.explanation if s.kind == "pause_ended"]
    assert "2026年3月16日之后至2026年3月20日的4个工作日不计入" in pause_texts[0]
    assert "征求第三方或者其他机关意见" in pause_texts[0]
    assert "收取信息处理费" in pause_texts[1]
    last = full.explanation[-1].text
    assert last.startswith("答复期限：2026年5月6日")
    assert "2026年（官方）" in last and "暂定" not in last


def test_the_explanation_is_the_same_in_json_and_in_the_batch(full: Deadline, cal: WorkingCalendar) -> None:
    as_json = full.to_json()["explanation"]
    assert as_json == [s.to_json() for s in full.explanation]
    assert as_json[0] == {
        "kind": "received",
        "date": "2026-03-02",
        "text": full.explanation[0].text,
        "basis": f"{REGULATION}第三十三条第二款",
        "working_days": 20,
        "due": "2026-03-30",
    }
    out, ok = batch_line(json.dumps({"id": 1, "timeline": FULL}), 1, cal)
    assert ok and out["explanation"] == as_json
    numbered = full.explanation_text().splitlines()
    assert len(numbered) == len(full.explanation)
    assert numbered[0].startswith("1. 2026年3月2日收到申请")


def test_the_2007_rules_cite_the_2007_regulation() -> None:
    result = compute(
        Timeline.from_json({"received": "2018-03-05", "events": [{"type": "extended", "date": "2018-03-20"}]})
    )
    received, extended = result.explanation[0], result.explanation[2]
    assert "（2007年）第二十四条第二款" in received.basis
    assert "适用2007年公布的条例" in received.text and "15个工作日" in received.text
    assert (extended.kind, extended.working_days) == ("extended", 15)
    assert "（2007年）" in extended.basis
    assert result.reply_due == D(2018, 4, 17)


def test_waiting_for_a_supplement_says_the_clock_is_stopped() -> None:
    result = compute(
        Timeline.from_json(
            {"received": "2026-03-02", "events": [{"type": "supplement_requested", "date": "2026-03-04"}]}
        )
    )
    last = result.explanation[-1]
    assert last.kind == "reply_due" and last.due is None and last.date is None
    assert "期限停止计算中" in last.text and "等待申请人补正" in last.text


PROVISIONAL: list[Any] = [
    pytest.param({"received": "2026-12-14", "events": []}, D(2027, 1, 12), id="receipt-in-december"),
    pytest.param(
        {
            "received": "2026-11-02",
            "events": [
                {"type": "pause_started", "date": "2026-11-20", "reason": "consultation"},
                {"type": "pause_ended", "date": "2026-12-30"},
            ],
        },
        None,
        id="pause-into-2027",
    ),
    pytest.param(
        {"received": "2026-11-16", "events": [{"type": "extended", "date": "2026-12-01"}]},
        None,
        id="extension-into-2027",
    ),
    pytest.param(
        {
            "received": "2026-11-20",
            "events": [
                {"type": "supplement_requested", "date": "2026-11-23"},
                {"type": "supplement_received", "date": "2026-12-10"},
            ],
        },
        D(2027, 1, 8),
        id="supplement-restart-into-2027",
    ),
]


@pytest.mark.parametrize(("timeline", "due"), PROVISIONAL)
def test_a_deadline_in_2027_is_provisional_and_says_so(timeline: dict[str, Any], due: dt.date | None) -> None:
    result = compute(Timeline.from_json(timeline))
    assert result.reply_due is not None and result.reply_due.year == 2027
    if due is not None:
        assert result.reply_due == due
    last = result.explanation[-1]
    assert last.kind == "reply_due"
    assert result.provisional, f"due {result.reply_due} lies in 2027, which has no official schedule"
    assert "暂定" in last.text
    assert "2027年（推定）" in last.text
    assert 2027 in result.years


def test_the_2007_regulation_set_no_period_for_the_supplement_notice(cal: WorkingCalendar) -> None:
    """Art. 21(4) of 2007 required the notice but no period; the 7 working days are Art. 30 of 2019."""
    received = D(2019, 5, 14)  # the last day of the 2007 rules
    late = cal.add_working_days(received, 9)  # past what 7 working days would have allowed
    old = compute(
        Timeline.from_json(
            {
                "received": received.isoformat(),
                "events": [{"type": "supplement_requested", "date": late.isoformat()}],
            }
        )
    )
    assert (
        old.rules.code == "2007"
        and old.supplement_notice_due is None
        and old.to_json()["supplement_notice_due"] is None
    )
    step = next(s for s in old.explanation if s.kind == "supplement_notice_due")
    assert step.date is None and "未规定告知的期限" in step.text and "第二十一条第（四）项" in step.basis
    # the next day the 2019 Regulation applies: the same notice is too late
    out, ok = batch_line(
        json.dumps(
            {
                "id": "x",
                "timeline": {
                    "received": "2019-05-15",
                    "events": [
                        {
                            "type": "supplement_requested",
                            "date": cal.add_working_days(D(2019, 5, 15), 8).isoformat(),
                        }
                    ],
                },
            }
        ),
        1,
        cal,
    )
    assert not ok and "supplement notice was due by" in str(out["error"])
