"""The last day of the reply period, the Art. 35 date and the counting basis by date.

- A pause that starts on the deadline day counts (the last day runs to its end, Civil Code Art. 203);
  the day is used, so the reply is due on the first working day on or after the day the pause ends.
  A pause that starts after the deadline is ignored.
- An Art. 35 date is set on or before the reply deadline in force and is later than it.
- The counting rule is cited from the civil-law text in force when the period starts.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from caseflow import law
from caseflow.cli import app
from caseflow.clock import Deadline, Timeline, TimelineError, compute

ROOT = Path(__file__).resolve().parents[2]
D = dt.date

# Received Monday 2026-01-12: 20 working days from 01-13 end on Monday 2026-02-09.
R = "2026-01-12"
DUE = "2026-02-09"


def e(kind: str, date: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "date": date, **extra}


def run(*events: dict[str, Any], received: str = R) -> Deadline:
    return compute(Timeline.from_json({"received": received, "events": list(events)}))


def pause(start: str, end: str | None = None, reason: str = "consultation") -> list[dict[str, Any]]:
    events = [e("pause_started", start, reason=reason)]
    return events if end is None else [*events, e("pause_ended", end)]


def test_the_plain_deadline_is_the_day_the_vectors_start_from() -> None:
    assert run().reply_due == D(2026, 2, 9)


@pytest.mark.parametrize(
    ("end", "due"),
    [
        pytest.param("2026-02-09", D(2026, 2, 9), id="same-day"),
        pytest.param("2026-02-10", D(2026, 2, 10), id="next-working-day"),
        pytest.param("2026-02-14", D(2026, 2, 14), id="adjusted-working-saturday"),
        pytest.param("2026-02-15", D(2026, 2, 24), id="first-day-of-the-spring-festival"),
        pytest.param("2026-02-23", D(2026, 2, 24), id="last-day-of-the-spring-festival"),
        pytest.param("2026-02-24", D(2026, 2, 24), id="first-working-day-after-the-festival"),
        pytest.param("2026-03-07", D(2026, 3, 9), id="ordinary-saturday"),
        pytest.param("2026-03-08", D(2026, 3, 9), id="ordinary-sunday"),
    ],
)
def test_a_pause_starting_on_the_deadline_day_ends_with_the_first_working_day_from_its_end(
    end: str, due: dt.date
) -> None:
    result = run(*pause(DUE, end))
    assert result.reply_due == due
    assert not result.paused


def test_a_pause_starting_on_the_deadline_day_stops_the_clock() -> None:
    result = run(*pause(DUE, reason="fee"))
    assert result.paused and result.reply_due is None and result.pause_reason == "fee"
    assert not result.is_overdue(D(2026, 2, 10))
    assert result.working_days_left(D(2026, 2, 10)) is None


@pytest.mark.parametrize("start", ["2026-02-10", "2026-02-14", "2026-02-16"])
def test_a_pause_starting_after_the_deadline_day_is_ignored(start: str) -> None:
    open_pause = run(*pause(start))
    assert not open_pause.paused and open_pause.reply_due == D(2026, 2, 9)
    closed = run(*pause(start, "2026-03-02"))
    assert closed.reply_due == D(2026, 2, 9)
    assert [s.kind for s in closed.explanation].count("pause_ignored") == 2
    assert closed.is_overdue(D(2026, 2, 10))


def test_the_explanation_says_the_deadline_day_counts_as_used() -> None:
    result = run(*pause(DUE, "2026-02-18"))
    steps = {s.kind: s for s in result.explanation}
    started, ended = steps["pause_started"], steps["pause_ended"]
    assert "2026年2月9日于期限届满之日开始征求第三方或者其他机关意见" in started.text
    assert "该日计入已用期限（参照《中华人民共和国民法典》第二百零三条）" in started.text
    assert "中止事由消除之日为答复期限" in started.text
    assert started.basis == (
        "《中华人民共和国政府信息公开条例》第三十三条第三款、参照《中华人民共和国民法典》第二百零三条"
    )
    assert "已无剩余工作日" in ended.text
    assert "中止事由消除之日为休息日，答复期限顺延至其后第一个工作日2026年2月24日" in ended.text
    assert "第二百零三条" in ended.basis
    assert ended.due == D(2026, 2, 24)
    # the working days it added: 02-10..02-13, the 调休 Saturday 02-14, and 02-24 (no day was left)
    assert ended.working_days == 6
    on_a_working_day = {s.kind: s for s in run(*pause(DUE, "2026-02-11")).explanation}["pause_ended"]
    assert "答复期限为中止事由消除之日2026年2月11日" in on_a_working_day.text


def test_a_mid_period_pause_keeps_its_usual_explanation() -> None:
    steps = {s.kind: s for s in run(*pause("2026-02-06", "2026-02-07")).explanation}
    assert "于期限届满之日" not in steps["pause_started"].text
    assert "第二百零三条" not in steps["pause_started"].basis
    # one working day (02-09) was left on 02-06; the pause ends on Saturday 02-07: due Monday 02-09
    assert steps["reply_due"].due == D(2026, 2, 9)


def test_an_extension_during_a_last_day_pause_is_counted_from_its_end() -> None:
    result = run(
        e("pause_started", DUE, reason="consultation"),
        e("extended", "2026-02-12", days=5),
        e("pause_ended", "2026-02-13"),
    )
    # 02-14 (调休 Saturday), then after the festival 02-24, 25, 26, 27
    assert result.reply_due == D(2026, 2, 27)
    assert result.extended_days == 5


def test_the_last_day_basis_follows_the_date() -> None:
    # received Monday 2019-06-03 (2019 rules; 端午 2019-06-07): due Tuesday 2019-07-02, under 民法总则
    before = run(received="2019-06-03")
    assert before.reply_due == D(2019, 7, 2)
    started = {s.kind: s for s in run(*pause("2019-07-02", "2019-07-06"), received="2019-06-03").explanation}
    assert "参照《中华人民共和国民法总则》第二百零三条" in started["pause_started"].text
    assert started["reply_due"].due == D(2019, 7, 8)


# --- Art. 35 ---------------------------------------------------------------------------------


def test_an_art35_date_set_during_a_pause_is_checked_against_the_deadline_the_pause_would_give() -> None:
    # paused on 02-02 with 5 working days left; ended on 02-05 the reply would be due on 02-12
    with pytest.raises(TimelineError, match=r"later than the reply deadline in force \(2026-02-12\)"):
        run(*pause("2026-02-02"), e("deadline_set", "2026-02-05", due="2026-02-12"))
    result = run(*pause("2026-02-02"), e("deadline_set", "2026-02-05", due="2026-02-13"))
    assert not result.paused and result.reply_due == D(2026, 2, 13)
    ended = run(
        *pause("2026-02-02"),
        e("deadline_set", "2026-02-05", due="2026-02-13"),
        e("pause_ended", "2026-03-02"),
    )
    assert ended.reply_due == D(2026, 2, 13)
    assert "答复期限已依第三十五条确定，不再顺延" in ended.explanation[-2].text
    # during a last-day pause no working day is left: the floor is the decision day itself
    with pytest.raises(TimelineError, match=r"later than the reply deadline in force \(2026-02-24\)"):
        run(*pause(DUE), e("deadline_set", "2026-02-18", due="2026-02-24"))
    assert run(*pause(DUE), e("deadline_set", "2026-02-18", due="2026-02-25")).reply_due == D(2026, 2, 25)


# --- the counting basis ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "label"),
    [
        pytest.param(D(2008, 5, 1), "参照《中华人民共和国民法通则》第一百五十四条", id="2008"),
        pytest.param(D(2017, 9, 30), "参照《中华人民共和国民法通则》第一百五十四条", id="2017-09-30"),
        pytest.param(D(2017, 10, 1), "参照《中华人民共和国民法总则》第二百零一条", id="2017-10-01"),
        pytest.param(D(2020, 12, 31), "参照《中华人民共和国民法总则》第二百零一条", id="2020-12-31"),
        pytest.param(D(2021, 1, 1), "参照《中华人民共和国民法典》第二百零一条", id="2021-01-01"),
    ],
)
def test_the_counting_basis_is_the_text_in_force_when_the_period_starts(day: dt.date, label: str) -> None:
    assert law.counting_basis(day).label == label
    assert run(received=day.isoformat()).explanation[-1].basis == label


def test_the_names_of_today_still_work() -> None:
    assert law.COUNTING_BASIS.label == "参照《中华人民共和国民法典》第二百零一条"
    assert law.LAST_DAY_BASIS.label == "参照《中华人民共和国民法典》第二百零三条"
    assert law.last_day_basis(D(2016, 1, 4)).label == "参照《中华人民共和国民法通则》第一百五十四条"


def test_a_supplement_restart_after_2021_cites_the_civil_code() -> None:
    restarted = run(
        e("supplement_requested", "2020-12-22"), e("supplement_received", "2021-01-05"), received="2020-12-21"
    )
    assert restarted.explanation[-1].basis == "参照《中华人民共和国民法典》第二百零一条"
    plain = run(received="2020-12-21")
    assert plain.explanation[-1].basis == "参照《中华人民共和国民法总则》第二百零一条"


# --- `caseflow deadline --batch`, through the real command ---------------------------------------

BATCH: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    ("last-day-pause-saturday", pause(DUE, "2026-03-07"), {"reply_due": "2026-03-09", "paused": False}),
    ("last-day-pause-open", pause(DUE), {"reply_due": None, "paused": True}),
    ("pause-after-deadline", pause("2026-02-10", "2026-02-12"), {"reply_due": DUE, "paused": False}),
    ("art35-on-deadline", [e("deadline_set", DUE, due="2026-03-31")], {"reply_due": "2026-03-31"}),
    ("art35-day-after", [e("deadline_set", "2026-02-10", due="2026-03-31")], {"error": "on or before"}),
    ("art35-due-equal", [e("deadline_set", "2026-02-02", due=DUE)], {"error": "must be later than"}),
    ("art35-due-day-after", [e("deadline_set", "2026-02-02", due="2026-02-10")], {"reply_due": "2026-02-10"}),
]
BATCH_INPUT = (
    "\n".join(json.dumps({"id": i, "timeline": {"received": R, "events": ev}}) for i, ev, _ in BATCH) + "\n"
)


def check_batch(stdout: str) -> None:
    answers = [json.loads(line) for line in stdout.splitlines()]
    assert [a["id"] for a in answers] == [i for i, _, _ in BATCH]
    for lineno, (answer, (ident, _, expect)) in enumerate(zip(answers, BATCH, strict=True), 1):
        if "error" in expect:
            assert set(answer) == {"id", "error"}, answer
            assert answer["error"].startswith(f"line {lineno}: events[1] (deadline_set on ")
            assert expect["error"] in answer["error"]
            assert "Art. 35" in answer["error"] and "第三十五条" in answer["error"]
        else:
            assert "error" not in answer, answer
            assert {k: answer[k] for k in expect} == expect, ident


def test_batch_lines_for_the_last_day_and_art35() -> None:
    result = CliRunner().invoke(app, ["deadline", "--batch", "-"], input=BATCH_INPUT)
    assert result.exit_code == 1  # some lines are errors
    check_batch(result.stdout)


def test_batch_lines_for_the_last_day_and_art35_in_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "edges.jsonl"
    path.write_text(BATCH_INPUT, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "caseflow", "deadline", "--batch", str(path)],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    check_batch(proc.stdout.decode("utf-8"))
