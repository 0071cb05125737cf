"""Working days left: counted from today's date in Asia/Shanghai, 0 on the due day, < 0 when overdue."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from caseflow import dates
from caseflow.calendar import WorkingCalendar
from caseflow.cli import app
from caseflow.clock import Timeline, compute

D = dt.date
runner = CliRunner()


def flat(text: str) -> str:
    return "".join(text.split())


# received Monday 2026-03-02: reply due Monday 2026-03-30
DUE = D(2026, 3, 30)


@freeze_time("2026-03-05T17:30:00Z")
def test_today_is_the_shanghai_date() -> None:
    assert dt.datetime.now(dt.UTC).date() == D(2026, 3, 5)  # the premise: UTC is still on the 5th
    assert dates.today() == D(2026, 3, 6)
    now = dates.now()
    assert now.utcoffset() == dt.timedelta(hours=8)
    assert (now.date(), now.hour, now.minute) == (D(2026, 3, 6), 1, 30)
    assert dates.legal_date(dt.datetime(2026, 3, 5, 17, 30, tzinfo=dt.UTC)) == D(2026, 3, 6)
    assert dates.legal_date(dt.datetime(2026, 3, 5, 15, 59, tzinfo=dt.UTC)) == D(2026, 3, 5)


def test_legal_date_refuses_a_naive_moment() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        dates.legal_date(dt.datetime(2026, 3, 5, 12, 0))


@freeze_time("2026-03-05T17:30:00Z")
def test_cli_counts_days_left_from_the_shanghai_date() -> None:
    result = runner.invoke(app, ["deadline", "2026-03-02"])
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "答复期限：2026年3月30日（星期一）" in out
    # (6 March, 30 March] holds 16 working days; counted from UTC's 5 March it would say 17
    assert "截至2026年3月6日剩余16个工作日" in out
    assert "2026年3月5日" not in out and "剩余17" not in out
    assert "补正告知期限：2026年3月11日（星期三）" in out


@freeze_time("2026-03-08T16:30:00Z")  # Sunday in UTC, Monday 9 March 00:30 in Shanghai
def test_cli_days_left_on_a_shanghai_monday_while_utc_is_still_sunday() -> None:
    result = runner.invoke(app, ["deadline", "2026-03-02"])
    assert result.exit_code == 0, result.output
    assert "截至2026年3月9日剩余15个工作日" in flat(result.stdout)


@freeze_time("2026-03-05T17:30:00Z")
@pytest.mark.parametrize(
    ("as_of", "shown"),
    [
        ("2026-03-05", "截至2026年3月5日剩余17个工作日"),
        ("2026-03-30", "截至2026年3月30日剩余0个工作日"),
        ("2026-03-31", "截至2026年3月31日已逾期1个工作日"),
        ("2026-04-01", "截至2026年4月1日已逾期2个工作日"),
    ],
)
def test_cli_as_of_overrides_today(as_of: str, shown: str) -> None:
    result = runner.invoke(app, ["deadline", "2026-03-02", "--as-of", as_of])
    assert result.exit_code == 0, result.output
    assert shown in flat(result.stdout)


def test_cli_bad_as_of_is_a_clean_error() -> None:
    result = runner.invoke(app, ["deadline", "2026-03-02", "--as-of", "2026-03-32"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "error" in result.stderr


@freeze_time("2026-03-05T17:30:00Z")
def test_cli_shows_no_count_while_paused() -> None:
    result = runner.invoke(
        app, ["deadline", "2026-03-02", "--event", "pause_started:2026-03-04:consultation"]
    )
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "答复期限：停止计算中" in out
    assert "剩余" not in out and "逾期" not in out


@freeze_time("2026-03-05T17:30:00Z")
def test_cli_single_form_with_events_and_json() -> None:
    result = runner.invoke(
        app,
        [
            "deadline",
            "2026-03-02",
            "--event",
            "pause_started:2026-03-04:consultation",
            "--event",
            "pause_ended:2026-03-06",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["reply_due"] == "2026-04-01"  # 5 and 6 March do not count
    assert [s["kind"] for s in answer["explanation"]][2:4] == ["pause_started", "pause_ended"]
    assert answer["explanation"][3]["working_days"] == 2


def test_working_days_left_is_0_on_the_due_day_and_negative_after(cal: WorkingCalendar) -> None:
    result = compute(Timeline.from_json({"received": "2026-03-02", "events": []}))
    assert result.reply_due == DUE
    assert result.working_days_left(DUE, cal) == 0
    assert result.working_days_left(D(2026, 3, 27), cal) == 1  # Friday before a Monday deadline
    assert result.working_days_left(D(2026, 3, 2), cal) == 20
    assert result.working_days_left(D(2026, 3, 31), cal) == -1
    assert result.working_days_left(D(2026, 4, 10), cal) == -8  # 31 Mar-3 Apr and 7-10 Apr (Qingming 4-6)
    assert result.working_days_left(D(2026, 3, 31)) == -1  # the default calendar gives the same
    assert not result.is_overdue(DUE) and result.is_overdue(D(2026, 3, 31))


@pytest.mark.parametrize(
    "events",
    [
        [{"type": "supplement_requested", "date": "2026-03-04"}],
        [{"type": "pause_started", "date": "2026-03-10", "reason": "fee"}],
    ],
    ids=["waiting-for-supplement", "open-pause"],
)
def test_working_days_left_is_none_while_paused(
    cal: WorkingCalendar, events: list[dict[str, object]]
) -> None:
    result = compute(Timeline.from_json({"received": "2026-03-02", "events": events}))
    assert result.paused and result.reply_due is None
    assert result.working_days_left(D(2026, 3, 20), cal) is None
    assert not result.is_overdue(D(2027, 1, 1))


def test_working_days_left_is_negative_on_every_overdue_day(cal: WorkingCalendar) -> None:
    """Overdue means negative, also on the weekend and holidays right after the due day.

    Received Friday 2026-03-06: due Friday 2026-04-03, followed by Saturday 4 April and the Qingming
    holiday (4-6 April). On those days the request is overdue (``is_overdue`` is True), yet the count
    reads 0, which the CLI prints as "剩余0个工作日" (nothing said about being late).
    """
    result = compute(Timeline.from_json({"received": "2026-03-06", "events": []}))
    assert result.reply_due == D(2026, 4, 3)
    overdue_days = [D(2026, 4, 4), D(2026, 4, 5), D(2026, 4, 6)]
    assert all(result.is_overdue(d) for d in overdue_days)
    answers = {d.isoformat(): result.working_days_left(d, cal) for d in overdue_days}
    assert all(left is not None and left < 0 for left in answers.values()), answers
