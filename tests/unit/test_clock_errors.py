"""Illegal timelines and unreadable lines get precise messages; `deadline --batch` answers every line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from caseflow.calendar import WorkingCalendar
from caseflow.cli import app
from caseflow.clock import Timeline, TimelineError, batch_line, compute

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

# received 2026-09-28 (Monday): supplement notice due 2026-10-13, reply due 2026-10-30
R = "2026-09-28"


def tl(*events: dict[str, Any], received: str = R, **extra: Any) -> dict[str, Any]:
    return {"received": received, "events": list(events), **extra}


def e(kind: str, date: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "date": date, **extra}


def flat(text: str) -> str:
    return "".join(text.split())


BAD_TIMELINES = [
    pytest.param(
        tl(e("paused", "2026-10-01")),
        ["events[1].type", "unknown event type 'paused'", "supplement_requested", "pause_started"],
        id="unknown-event-type",
    ),
    pytest.param(
        tl(
            e("pause_started", "2026-10-14", reason="consultation"),
            e("pause_ended", "2026-10-20"),
            e("pause_started", "2026-10-16", reason="fee"),
        ),
        [
            "events[3] (pause_started on 2026-10-16)",
            "must be in date order",
            "the event before it (2026-10-20)",
        ],
        id="events-out-of-order",
    ),
    pytest.param(
        tl(e("extended", "2026-09-27")),
        [
            "events[1] (extended on 2026-09-27)",
            "must be in date order",
            "before the receipt date (2026-09-28)",
        ],
        id="event-before-receipt",
    ),
    pytest.param(
        tl(e("extended", "2026-10-12", days=21)),
        ["events[1] (extended on 2026-10-12)", "21 working days", "maximum of 20 under the 2019 rules"],
        id="extension-21-under-2019",
    ),
    pytest.param(
        tl(e("extended", "2018-03-20", days=16), received="2018-03-05"),
        ["events[1] (extended on 2018-03-20)", "16 working days", "maximum of 15 under the 2007 rules"],
        id="extension-16-under-2007",
    ),
    pytest.param(
        tl(e("extended", "2026-10-12", days=16), rules="2007"),
        ["16 working days", "maximum of 15 under the 2007 rules"],
        id="extension-16-under-explicit-2007",
    ),
    pytest.param(
        tl(e("extended", "2026-10-31")),
        ["events[1] (extended on 2026-10-31)", "decided by the deadline in force (2026-10-30)"],
        id="extension-after-deadline",
    ),
    pytest.param(
        tl(e("extended", "2026-10-12", days=5), e("extended", "2026-10-20", days=5)),
        ["events[2] (extended on 2026-10-20)", "extended only once"],
        id="second-extension",
    ),
    pytest.param(
        tl(e("pause_ended", "2026-10-20")),
        ["events[1] (pause_ended on 2026-10-20)", "a pause ended that never started"],
        id="pause-ended-never-started",
    ),
    pytest.param(
        tl(
            e("pause_started", "2026-10-14", reason="consultation"),
            e("pause_started", "2026-10-16", reason="fee"),
        ),
        ["events[2] (pause_started on 2026-10-16)", "a pause is already open since 2026-10-14"],
        id="pause-started-while-paused",
    ),
    pytest.param(
        tl(received="2026-02-30"), ["received", "'2026-02-30' is not a valid date"], id="impossible-received"
    ),
    pytest.param(
        tl(e("extended", "2026-02-30")),
        ["events[1].date", "'2026-02-30' is not a valid date"],
        id="impossible-date",
    ),
    pytest.param(
        tl(e("deadline_set", "2026-10-12", due="2026-13-01")),
        ["events[1].due", "'2026-13-01' is not a valid date"],
        id="impossible-due",
    ),
    pytest.param(
        {"events": []}, ["received", "expected a date as 'YYYY-MM-DD'", "None"], id="missing-received"
    ),
    pytest.param(
        tl(received="2008-04-30"),
        ["receipt date 2008-04-30", "before the Regulation came into force (2008-05-01)"],
        id="receipt-before-2008-05-01",
    ),
    pytest.param(tl(rules="2020"), ["rules", "'auto'", "'2019'", "'2007'", "got '2020'"], id="unknown-rules"),
    pytest.param(
        tl(
            e("supplement_requested", "2026-09-29"),
            e("supplement_received", "2026-09-30"),
            e("supplement_requested", "2026-10-08"),
        ),
        ["events[3] (supplement_requested on 2026-10-08)", "requested only once", "Art. 30"],
        id="second-supplement-request",
    ),
    pytest.param(
        tl(e("supplement_requested", "2026-10-14")),
        [
            "events[1] (supplement_requested on 2026-10-14)",
            "supplement notice was due by 2026-10-13",
            "7 working days after receipt",
        ],
        id="supplement-requested-too-late",
    ),
    pytest.param(
        tl(e("supplement_received", "2026-10-12")),
        ["events[1] (supplement_received on 2026-10-12)", "no supplement was requested"],
        id="supplement-received-without-request",
    ),
    pytest.param(
        tl(e("pause_started", "2026-10-14", reason="holiday")),
        ["events[1].reason", "'consultation' or 'fee'", "got 'holiday'"],
        id="bad-pause-reason",
    ),
    pytest.param(
        tl(e("pause_started", "2026-10-14")),
        ["events[1].reason", "'consultation' or 'fee'", "got None"],
        id="missing-pause-reason",
    ),
    pytest.param(
        tl(e("extended", "2026-10-12", days=0)),
        ["events[1].days", "whole number of working days >= 1"],
        id="days-0",
    ),
    pytest.param(
        tl(e("extended", "2026-10-12", days="5")), ["events[1].days", "whole number"], id="days-as-text"
    ),
    pytest.param(
        tl(e("supplement_requested", "2026-09-30"), e("extended", "2026-10-05")),
        ["events[2] (extended on 2026-10-05)", "waiting for a supplement"],
        id="extension-while-waiting-for-supplement",
    ),
    pytest.param(
        tl(e("supplement_requested", "2026-09-30"), e("pause_started", "2026-10-05", reason="fee")),
        ["events[2] (pause_started on 2026-10-05)", "waiting for a supplement"],
        id="pause-while-waiting-for-supplement",
    ),
    pytest.param(
        tl(e("pause_started", "2026-10-14", reason="fee"), e("supplement_requested", "2026-10-12")),
        ["events[2]", "date order"],
        id="supplement-after-pause-out-of-order",
    ),
    pytest.param(
        tl(e("deadline_set", "2026-10-12", due="2026-10-12")),
        ["events[1] (deadline_set on 2026-10-12)", "Art. 35 date 2026-10-12 must be after the decision"],
        id="art35-date-not-after-decision",
    ),
    pytest.param(
        tl(e("deadline_set", "2026-10-12", due="2026-12-31"), e("extended", "2026-10-20")),
        ["events[2] (extended on 2026-10-20)", "Art. 35", "cannot be extended"],
        id="extension-after-art35",
    ),
    pytest.param(
        tl(e("deadline_set", "2026-10-31", due="2026-12-31")),
        [
            "events[1] (deadline_set on 2026-10-31)",
            "must be set on or before the reply deadline in force (2026-10-30)",
            "Art. 35",
            "第三十五条",
        ],
        id="art35-set-the-day-after-the-deadline",
    ),
    pytest.param(
        tl(e("deadline_set", "2026-10-12", due="2026-10-30")),
        [
            "events[1] (deadline_set on 2026-10-12)",
            "Art. 35 date 2026-10-30 must be later than the reply deadline in force (2026-10-30)",
            "第三十五条",
            "晚于该答复期限",
        ],
        id="art35-date-equal-to-the-deadline",
    ),
    pytest.param(
        tl(e("deadline_set", "2026-10-12", due="2026-10-29")),
        ["must be later than the reply deadline in force (2026-10-30)"],
        id="art35-date-before-the-deadline",
    ),
    pytest.param(
        tl(
            e("pause_started", "2026-10-14", reason="consultation"),
            e("pause_ended", "2026-10-20"),
            e("deadline_set", "2026-11-06", due="2026-12-31"),
        ),
        ["events[3] (deadline_set on 2026-11-06)", "on or before the reply deadline in force (2026-11-05)"],
        id="art35-set-after-the-deadline-moved-by-a-pause",
    ),
    pytest.param(
        tl(
            e("pause_started", "2026-11-02", reason="fee"),
            e("deadline_set", "2026-11-05", due="2026-12-31"),
        ),
        ["events[2] (deadline_set on 2026-11-05)", "on or before the reply deadline in force (2026-10-30)"],
        id="art35-set-during-a-pause-that-started-after-the-deadline",
    ),
    pytest.param(
        tl(
            e("pause_started", "2026-10-30", reason="consultation"),
            e("deadline_set", "2026-11-03", due="2026-11-03"),
        ),
        ["the Art. 35 date 2026-11-03 must be after the decision"],
        id="art35-date-on-the-decision-day-during-a-last-day-pause",
    ),
    pytest.param(
        tl(
            e("pause_started", "2026-10-30", reason="consultation"),
            e("pause_ended", "2026-11-07"),
            e("extended", "2026-11-10"),
        ),
        ["events[3] (extended on 2026-11-10)", "decided by the deadline in force (2026-11-09)"],
        id="extension-after-the-deadline-a-last-day-pause-gave",
    ),
    pytest.param(
        tl(received="2045-12-20"), ["超出工作日历的范围", "止于 2045-12-31"], id="beyond-the-calendar"
    ),
    pytest.param([R], ["timeline: expected an object"], id="timeline-not-an-object"),
    pytest.param({"received": R, "events": {}}, ["events: expected a list"], id="events-not-a-list"),
    pytest.param(
        tl("extended"), ["events[1]", "expected an object with 'type' and 'date'"], id="event-not-an-object"
    ),
]


@pytest.mark.parametrize(("timeline", "fragments"), BAD_TIMELINES)
def test_an_illegal_timeline_is_refused_with_a_precise_message(timeline: Any, fragments: list[str]) -> None:
    with pytest.raises(TimelineError) as info:
        compute(Timeline.from_json(timeline))
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    if missing:
        pytest.fail(f"message {message!r} lacks {missing}")


@pytest.mark.parametrize(
    ("timeline", "reply_due"),
    [
        pytest.param(tl(e("extended", "2026-10-12", days=20)), "2026-11-27", id="extension-20-under-2019"),
        pytest.param(
            tl(e("extended", "2018-03-20", days=15), received="2018-03-05"),
            "2018-04-17",
            id="extension-15-under-2007",
        ),
        pytest.param(tl(e("extended", "2026-10-30", days=1)), "2026-11-02", id="extension-on-the-due-day"),
        pytest.param(
            tl(
                e("pause_started", "2026-10-14", reason="consultation"),
                e("pause_ended", "2026-10-20"),
                e("extended", "2026-11-05", days=1),
            ),
            "2026-11-06",
            id="extension-on-the-deadline-moved-by-a-pause",
        ),
        pytest.param(
            tl(e("supplement_requested", "2026-10-13"), e("supplement_received", "2026-10-15")),
            "2026-11-12",
            id="supplement-requested-on-the-last-day",
        ),
        pytest.param(tl(received="2008-05-01"), "2008-05-22", id="first-day-of-the-regulation"),
        pytest.param(
            tl(e("deadline_set", "2026-10-30", due="2026-11-02")),
            "2026-11-02",
            id="art35-set-on-the-deadline-day",
        ),
        pytest.param(
            tl(e("deadline_set", "2026-10-12", due="2026-10-31")),
            "2026-10-31",
            id="art35-date-the-day-after-the-deadline",
        ),
        pytest.param(
            tl(
                e("pause_started", "2026-10-14", reason="consultation"),
                e("pause_ended", "2026-10-20"),
                e("deadline_set", "2026-11-05", due="2026-11-06"),
            ),
            "2026-11-06",
            id="art35-set-on-the-deadline-moved-by-a-pause",
        ),
        pytest.param(
            tl(e("pause_started", "2026-10-30", reason="consultation"), e("pause_ended", "2026-11-10")),
            "2026-11-10",
            id="pause-started-on-the-due-day-ends-on-a-working-day",
        ),
        pytest.param(
            tl(e("pause_started", "2026-10-30", reason="fee"), e("pause_ended", "2026-11-07")),
            "2026-11-09",
            id="pause-started-on-the-due-day-ends-on-a-saturday",
        ),
        pytest.param(
            tl(
                e("pause_started", "2026-10-30", reason="consultation"),
                e("pause_ended", "2026-11-07"),
                e("extended", "2026-11-09", days=1),
            ),
            "2026-11-10",
            id="extension-on-the-deadline-a-last-day-pause-gave",
        ),
    ],
)
def test_the_limits_themselves_are_legal(timeline: dict[str, Any], reply_due: str) -> None:
    assert compute(Timeline.from_json(timeline)).to_json()["reply_due"] == reply_due


@pytest.mark.parametrize(
    ("timeline", "reply_due"),
    [
        pytest.param(
            tl(e("pause_started", "2026-10-31", reason="consultation"), e("pause_ended", "2026-11-10")),
            "2026-10-30",
            id="pause-started-the-day-after-the-due-day",
        ),
        pytest.param(
            tl(
                e("deadline_set", "2026-10-12", due="2026-12-31"),
                e("pause_started", "2026-11-02", reason="fee"),
                e("pause_ended", "2026-11-10"),
            ),
            "2026-12-31",
            id="pause-after-an-art35-date",
        ),
    ],
)
def test_the_end_of_an_ignored_pause_is_not_an_error(timeline: dict[str, Any], reply_due: str) -> None:
    """A pause the clock ignores (the period had run out, or Art. 35 fixed the date) is still a pause:
    its end must not be refused as "a pause ended that never started"."""
    result = compute(Timeline.from_json(timeline))
    assert result.to_json()["reply_due"] == reply_due
    assert not result.paused
    assert "pause_ignored" in [s.kind for s in result.explanation]


# --- one line of the batch --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "ident", "fragments"),
    [
        pytest.param('{"id": "a", "timeline": ', None, ["line 4: not valid JSON"], id="malformed-json"),
        pytest.param("not json at all", None, ["line 4: not valid JSON"], id="not-json"),
        pytest.param("[1, 2, 3]", None, ["line 4: expected a JSON object"], id="array-line"),
        pytest.param('"a string"', None, ["line 4: expected a JSON object"], id="string-line"),
        pytest.param('{"id": "m"}', "m", ["line 4: missing 'timeline'"], id="missing-timeline"),
        pytest.param(
            '{"id": 7, "timeline": null}', 7, ["line 4: timeline: expected an object"], id="null-timeline"
        ),
        pytest.param(
            json.dumps({"id": "p", "timeline": tl(e("pause_ended", "2026-10-20"))}),
            "p",
            ["line 4: events[1] (pause_ended on 2026-10-20): a pause ended that never started"],
            id="illegal-timeline",
        ),
    ],
)
def test_a_bad_batch_line_is_answered_with_its_line_number_and_id(
    cal: WorkingCalendar, line: str, ident: Any, fragments: list[str]
) -> None:
    out, ok = batch_line(line, 4, cal)
    assert not ok
    assert set(out) == {"id", "error"}
    assert out["id"] == ident
    for fragment in fragments:
        assert fragment in out["error"]
    assert out["error"].startswith("line 4: ")


def test_a_good_batch_line_has_the_interface_keys(cal: WorkingCalendar) -> None:
    line = json.dumps({"id": {"case": 1}, "note": "other keys are ignored", "timeline": tl()})
    out, ok = batch_line(line, 1, cal)
    assert ok
    assert out["id"] == {"case": 1}
    assert {"id", "reply_due", "paused", "supplement_notice_due", "provisional", "explanation"} <= set(out)
    assert (out["reply_due"], out["supplement_notice_due"], out["paused"]) == (
        "2026-10-30",
        "2026-10-13",
        False,
    )


# --- the command -----------------------------------------------------------------------------

GOOD_A = json.dumps({"id": "a", "timeline": tl()})
GOOD_B = json.dumps({"id": "b", "timeline": tl(e("supplement_requested", "2026-09-30"))})
GOOD_F = json.dumps(
    {"id": "f", "expect": {"ignored": True}, "timeline": tl(e("extended", "2026-10-12", days=5))}
)
BAD_C = json.dumps({"id": "c", "timeline": tl(e("extended", "2026-10-12", days=21))})

MIXED = (
    "\n".join(
        [
            GOOD_A,  # line 1
            "",  # line 2: blank, skipped but counted
            '{"id": "x", "timeline": {',  # line 3
            GOOD_B,  # line 4
            BAD_C,  # line 5
            "[1, 2]",  # line 6
            '{"id": "e"}',  # line 7
            "   ",  # line 8: blank
            GOOD_F,  # line 9
        ]
    )
    + "\n"
)

EXPECTED_MIXED: list[tuple[Any, str | None]] = [
    ("a", None),
    (None, "line 3: not valid JSON"),
    ("b", None),
    (
        "c",
        "line 5: events[1] (extended on 2026-10-12): an extension of 21 working days exceeds the maximum",
    ),
    (None, "line 6: expected a JSON object"),
    ("e", "line 7: missing 'timeline'"),
    ("f", None),
]


def check_mixed_output(stdout: str) -> None:
    lines = stdout.splitlines()
    assert len(lines) == len(EXPECTED_MIXED), stdout
    answers = [json.loads(line) for line in lines]
    for answer, (ident, error) in zip(answers, EXPECTED_MIXED, strict=True):
        assert answer["id"] == ident
        if error is None:
            assert "error" not in answer, answer
        else:
            assert set(answer) == {"id", "error"}
            assert answer["error"].startswith(error), answer["error"]
    assert answers[0]["reply_due"] == "2026-10-30"
    assert answers[2]["reply_due"] is None and answers[2]["paused"] is True
    assert answers[6]["reply_due"] == "2026-11-06"  # five working days later than a


def test_batch_file_mixing_good_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "timelines.jsonl"
    path.write_text(MIXED, encoding="utf-8")
    result = runner.invoke(app, ["deadline", "--batch", str(path)])
    assert result.exit_code == 1
    check_mixed_output(result.stdout)


def test_batch_all_good_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "good.jsonl"
    path.write_text("\n".join([GOOD_A, GOOD_B, "", GOOD_F]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["deadline", "--batch", str(path)])
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == ["a", "b", "f"]
    assert all("error" not in a for a in answers)
    assert answers[0]["explanation"][0]["kind"] == "received"


def test_batch_dash_reads_stdin() -> None:
    result = runner.invoke(app, ["deadline", "--batch", "-"], input=MIXED)
    assert result.exit_code == 1
    check_mixed_output(result.stdout)
    good = runner.invoke(app, ["deadline", "--batch", "-"], input=GOOD_A + "\n")
    assert good.exit_code == 0
    assert json.loads(good.stdout)["reply_due"] == "2026-10-30"


def test_batch_empty_input_answers_nothing_and_exits_0() -> None:
    result = runner.invoke(app, ["deadline", "--batch", "-"], input="\n\n")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_batch_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    result = runner.invoke(app, ["deadline", "--batch", str(missing)])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), f"not a clean exit: {result.exception!r}"
    assert result.stdout == ""
    assert flat(f"cannot read {missing}") in flat(result.stderr)
    assert "Traceback" not in result.output


def test_batch_with_a_receipt_date_is_refused() -> None:
    result = runner.invoke(app, ["deadline", R, "--batch", "-"], input=GOOD_A)
    assert result.exit_code == 2
    assert "--batch" in result.stderr and result.stdout == ""


def test_batch_in_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "timelines.jsonl"
    path.write_text(MIXED, encoding="utf-8")
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
    check_mixed_output(proc.stdout.decode("utf-8"))


def test_batch_missing_file_in_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "caseflow", "deadline", "--batch", str(missing)],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2
    assert "Traceback" not in stderr
    assert "cannot read" in stderr and "nope.jsonl" in flat(stderr)
    assert proc.stdout == b""
