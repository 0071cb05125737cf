"""The working-day calendar: the library, State Council notices, and the `caseflow calendar` commands."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import holidays
import pytest
from typer.testing import CliRunner

from caseflow.calendar import (
    SHIPPED_NOTICES_DIR,
    CalendarError,
    Notice,
    WorkingCalendar,
    default_calendar,
    load_notice,
    read_notice,
)
from caseflow.cli import app
from caseflow.clock import Timeline, compute

FIXTURE_2027 = Path(__file__).resolve().parents[1] / "fixtures" / "notice-2027-test.json"
D = dt.date
runner = CliRunner()


def days(first: dt.date, last: dt.date, step: int = 1) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(0, (last - first).days + 1, step)]


def flat(text: str) -> str:
    """Console output without the line breaks rich adds to fit its width."""
    return "".join(text.split())


def fixture_2027() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE_2027.read_text(encoding="utf-8"))
    return data


# --- the table against the library ----------------------------------------------------------


def test_table_agrees_with_holidays_china_every_day_2008_to_2026(cal: WorkingCalendar) -> None:
    library = holidays.China(years=range(2008, 2027))
    disagree = [
        d for d in days(D(2008, 1, 1), D(2026, 12, 31)) if cal.is_working_day(d) != library.is_working_day(d)
    ]
    assert disagree == []


def test_years_to_2026_are_official_and_2027_is_an_estimate(cal: WorkingCalendar) -> None:
    assert all(cal.year_is_official(y) for y in range(2008, 2027))
    assert not cal.year_is_official(2027)
    info = cal.year_info(2027)
    assert (info.source, info.official, info.notice) == ("estimate", False, None)
    assert "暂定" in info.source_label


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 14), True),  # Saturday, 调休上班 before the Spring Festival
        (D(2026, 2, 28), True),  # Saturday, 调休上班 after it
        (D(2026, 2, 15), False),  # Sunday inside the holiday
        (D(2026, 2, 16), False),  # Monday inside the holiday
        (D(2026, 2, 23), False),  # Monday, last holiday day
        (D(2026, 2, 24), True),  # Tuesday, back to work
        (D(2026, 1, 4), True),  # Sunday, 元旦调休上班
        (D(2026, 1, 2), False),  # Friday, 元旦
        (D(2026, 10, 7), False),  # Wednesday, last day of 国庆节
        (D(2026, 10, 8), True),  # Thursday, back to work
        (D(2026, 10, 10), True),  # Saturday, 国庆调休上班
        (D(2026, 3, 7), False),  # an ordinary Saturday
        (D(2026, 3, 9), True),  # an ordinary Monday
    ],
    ids=str,
)
def test_specific_days_of_2026(cal: WorkingCalendar, day: dt.date, working: bool) -> None:
    assert cal.is_working_day(day) is working


def test_2026_02_14_is_a_working_saturday(cal: WorkingCalendar) -> None:
    day = D(2026, 2, 14)
    assert day.weekday() == 5
    assert cal.is_working_day(day)
    assert "调休上班" in cal.day_name(day)
    assert day in [w.day for w in cal.year_info(2026).working_weekends]


def test_shipped_2026_notice_equals_the_library(cal: WorkingCalendar) -> None:
    notice = read_notice(SHIPPED_NOTICES_DIR / "2026.json")
    assert notice.year == 2026
    assert cal.year_info(2026).source == "notice"
    library_only = WorkingCalendar()
    with_notice = WorkingCalendar([notice])
    assert library_only.year_info(2026).source == "library"
    year = days(D(2026, 1, 1), D(2026, 12, 31))
    assert [with_notice.is_working_day(d) for d in year] == [library_only.is_working_day(d) for d in year]
    library = holidays.China(years=2026)
    for festival in notice.festivals:
        assert not any(library.is_working_day(d) for d in festival.rest_days()), festival.name
        assert all(library.is_working_day(d) for d in festival.workdays), festival.name


# --- arithmetic --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 15, 20, 40, 250])
def test_add_working_days_many_equals_one_at_a_time(cal: WorkingCalendar, n: int) -> None:
    sample = days(D(2008, 1, 1), D(2026, 12, 31), step=3) + [D(2026, 2, 14), D(2026, 2, 15), D(2008, 1, 1)]
    assert cal.add_working_days_many(sample, n) == [cal.add_working_days(d, n) for d in sample]
    assert cal.add_working_days_many([], n) == []


def test_add_working_days_is_the_nth_working_day_strictly_after(cal: WorkingCalendar) -> None:
    for start in days(D(2025, 12, 20), D(2026, 3, 10)):
        for n in (1, 5, 20):
            due = cal.add_working_days(start, n)
            assert cal.is_working_day(due)
            between = [d for d in days(start + dt.timedelta(days=1), due) if cal.is_working_day(d)]
            assert len(between) == n and between[-1] == due
            assert cal.working_days_between(start, due) == n
            assert cal.working_days_between(start, due - dt.timedelta(days=1)) == n - 1


def test_working_days_between_counts_the_half_open_interval(cal: WorkingCalendar) -> None:
    # (2026-02-13, 2026-02-28]: 14 Sat working, 15-23 holiday, 24-27 working, 28 Sat working
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == 6
    assert cal.working_days_between(D(2026, 2, 28), D(2026, 2, 13)) == -6
    assert cal.working_days_between(D(2026, 3, 9), D(2026, 3, 9)) == 0
    assert cal.working_days_between(D(2026, 3, 6), D(2026, 3, 9)) == 1  # Fri -> Mon
    for a in days(D(2026, 9, 1), D(2026, 10, 31), step=4):
        for b in days(D(2026, 9, 1), D(2026, 10, 31), step=5):
            naive = sum(cal.is_working_day(d) for d in days(a + dt.timedelta(days=1), b)) if b > a else 0
            assert cal.working_days_between(a, b) == (naive if b >= a else -cal.working_days_between(b, a))


def test_add_working_days_rejects_n_below_one(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        cal.add_working_days(D(2026, 3, 2), 0)
    with pytest.raises(ValueError, match="at least 1"):
        cal.add_working_days_many([D(2026, 3, 2)], 0)


@pytest.mark.parametrize(
    "ask",
    [
        lambda c: c.is_working_day(D(2007, 12, 31)),
        lambda c: c.is_working_day(D(2046, 1, 1)),
        lambda c: c.add_working_days(D(2007, 6, 1), 20),
        lambda c: c.working_days_between(D(2026, 1, 1), D(2046, 1, 1)),
        lambda c: c.working_days_between(D(2007, 1, 1), D(2026, 1, 1)),
        lambda c: c.add_working_days_many([D(2026, 1, 1), D(2007, 12, 31)], 3),
    ],
    ids=["before-table", "after-table", "add-before", "between-after", "between-before", "many-before"],
)
def test_dates_outside_the_table_name_the_range(cal: WorkingCalendar, ask: Any) -> None:
    with pytest.raises(CalendarError, match="超出工作日历的范围（2008-01-01 至 2045-12-31）"):
        ask(cal)


def test_counting_past_the_end_of_the_table_is_an_error(cal: WorkingCalendar) -> None:
    beyond = "2045-12-20 之后第20个工作日超出工作日历的范围（止于 2045-12-31）"
    with pytest.raises(CalendarError, match=beyond):
        cal.add_working_days(D(2045, 12, 20), 20)
    with pytest.raises(CalendarError, match=beyond):
        cal.add_working_days_many([D(2026, 1, 5), D(2045, 12, 20)], 20)
    with pytest.raises(CalendarError, match="2050年超出工作日历的范围（2008年至2045年）"):
        cal.year_info(2050)


# --- notices ------------------------------------------------------------------------------------


def _notice(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(fixture_2027())
    data.update(changes)
    return data


def _with_festival(n: int, **changes: Any) -> dict[str, Any]:
    data = _notice()
    data["festivals"][n].update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        pytest.param(
            _with_festival(1, workdays=["2027-01-11"]),
            ["festivals[2].workdays", "调休上班日 2027-01-11 是星期一", "只有星期六或星期日可以调为上班日"],
            id="weekday-declared-workday",
        ),
        pytest.param(
            _with_festival(0, **{"from": "2027-01-03", "to": "2027-01-01"}),
            ["festivals[1]：", "放假截止日（to）2027-01-01 早于起始日（from）2027-01-03"],
            id="to-before-from",
        ),
        pytest.param(
            _with_festival(1, **{"from": "2027-01-03", "to": "2027-01-07"}),
            ["festivals[2]：", "2027-01-03 同时出现在两个节日的放假安排中"],
            id="overlapping-blocks",
        ),
        pytest.param(
            _with_festival(1, workdays=["2027-01-02"]),
            ["festivals[2]：", "2027-01-02 同时出现在两个节日的放假安排中"],
            id="workday-inside-another-block",
        ),
        pytest.param(
            _with_festival(2, workdays=["2027-02-07"]),
            ["festivals[3].workdays：", "调休上班日 2027-02-07 在本节日的放假期间内"],
            id="workday-inside-own-block",
        ),
        pytest.param(
            _with_festival(2, **{"from": "2027-02-30"}),
            ["festivals[3].from：", "'2027-02-30' 不是有效的日期（应为年-月-日"],
            id="bad-date",
        ),
        pytest.param(
            _with_festival(0, to=20270103),
            ["festivals[1].to：", "应为“年-月-日”格式的日期文本", "实为 20270103"],
            id="date-not-text",
        ),
        pytest.param(_notice(festivals=[]), ["festivals：", "放假安排应为非空列表"], id="empty-festivals"),
        pytest.param(
            {k: v for k, v in _notice().items() if k != "festivals"},
            ["festivals：", "放假安排应为非空列表"],
            id="missing-festivals",
        ),
        pytest.param(
            _notice(year=2050),
            ["year：", "年度应为2008至2045之间的整数", "实为 2050"],
            id="year-out-of-range",
        ),
        pytest.param(_notice(year="2027"), ["year：", "实为 '2027'"], id="year-not-a-number"),
        pytest.param(
            _notice(year=2025),
            ["festivals[1].from：", "2027-01-01 既不在2025年内，也不在相邻年度"],
            id="dates-in-the-wrong-year",
        ),
        pytest.param(_with_festival(0, name=" "), ["festivals[1].name：", "请填写节日名称"], id="blank-name"),
        pytest.param(
            _with_festival(2, to="2027-02-28"),
            ["festivals[3]：", "连续放假23天，超过15天"],
            id="block-too-long",
        ),
        pytest.param(["not", "an", "object"], ["通知应为一个JSON对象", "festivals"], id="not-an-object"),
    ],
)
def test_notice_validation_names_the_problem(data: Any, fragments: list[str]) -> None:
    with pytest.raises(CalendarError) as info:
        Notice.from_json(data)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_read_notice_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_notice(festivals=[])), encoding="utf-8")
    with pytest.raises(CalendarError, match=r"bad\.json: festivals：放假安排应为非空列表"):
        read_notice(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CalendarError, match=r"broken\.json: 无法读取通知：第1行第2列不是有效的JSON"):
        read_notice(broken)


def test_a_bad_published_date_is_a_calendar_error() -> None:
    """Every problem in a notice is a CalendarError (the CLI and load_notice only catch that)."""
    with pytest.raises(CalendarError, match="published：'2026-13-01' 不是有效的日期"):
        Notice.from_json(_notice(published="2026-13-01"))


def test_the_test_fixture_says_it_is_fictional() -> None:
    notice = read_notice(FIXTURE_2027)
    assert "test fixture" in notice.title and "测试" in notice.title
    assert notice.year == 2027
    assert notice.to_json()["festivals"] == fixture_2027()["festivals"]


def test_a_2027_notice_makes_2027_official_and_changes_its_days(cal: WorkingCalendar) -> None:
    notice = read_notice(FIXTURE_2027)
    loaded = WorkingCalendar([notice])
    assert loaded.year_is_official(2027)
    info = loaded.year_info(2027)
    assert (info.source, info.official, info.notice) == ("notice", True, notice)
    assert info.source_label == f"{notice.title}（测试〔2027〕0号）"
    changed = {
        D(2027, 1, 6): (True, False),  # Wednesday: the fixture's rest day
        D(2027, 1, 7): (True, False),
        D(2027, 1, 9): (False, True),  # Saturday: the fixture's make-up working day
        D(2027, 2, 5): (False, True),  # the library's guessed New Year's Eve holiday: not in the fixture
        D(2027, 2, 11): (True, False),  # Thursday inside the fixture's Spring Festival
        D(2027, 2, 12): (True, False),
        D(2027, 2, 20): (False, True),  # Saturday make-up day
        D(2027, 6, 9): (False, True),  # the library's guessed Dragon Boat day: not in the fixture
    }
    for day, (before, after) in changed.items():
        assert (cal.is_working_day(day), loaded.is_working_day(day)) == (before, after), day
    assert loaded.day_name(D(2027, 1, 9)) == "测试休息日调休上班"
    assert loaded.day_name(D(2027, 1, 6)) == "测试休息日"
    # other years are untouched
    for day in days(D(2026, 1, 1), D(2026, 12, 31)):
        assert loaded.is_working_day(day) == cal.is_working_day(day)
    # a deadline across the new year moves and is no longer provisional
    assert not loaded.is_provisional(D(2026, 12, 14), D(2027, 1, 20))
    assert cal.is_provisional(D(2026, 12, 14), D(2027, 1, 20))
    assert cal.add_working_days(D(2026, 12, 14), 20) == D(2027, 1, 12)
    assert loaded.add_working_days(D(2026, 12, 14), 20) == D(2027, 1, 13)


def test_deadline_in_2027_is_provisional_until_the_notice_is_loaded(isolated_data_dir: Path) -> None:
    timeline = Timeline.from_json({"received": "2026-12-14", "events": []})
    before = compute(timeline)
    assert before.provisional
    assert before.reply_due == D(2027, 1, 12)
    assert "暂定" in before.explanation[-1].text

    notice = load_notice(FIXTURE_2027)
    installed = isolated_data_dir / "calendar" / "2027.json"
    assert notice.source == str(installed)
    assert default_calendar().year_is_official(2027)

    after = compute(timeline)
    assert not after.provisional
    assert after.reply_due == D(2027, 1, 13)
    assert "暂定" not in after.explanation[-1].text
    assert "2027年（官方）" in after.explanation[-1].text


def test_cli_calendar_load_installs_the_notice_and_show_names_it(isolated_data_dir: Path) -> None:
    before = runner.invoke(app, ["calendar", "show", "2027"])
    assert before.exit_code == 0, before.output
    assert "暂定" in before.stdout and "尚未发布" in flat(before.stdout)
    assert "测试用虚构通知" not in before.stdout

    loaded = runner.invoke(app, ["calendar", "load", str(FIXTURE_2027)])
    assert loaded.exit_code == 0, loaded.output
    installed = isolated_data_dir / "calendar" / "2027.json"
    assert installed.is_file()
    assert json.loads(installed.read_text(encoding="utf-8"))["festivals"] == fixture_2027()["festivals"]
    out = flat(loaded.stdout)
    assert "已载入" in out and "2027.json" in out
    assert "8个放假工作日" in out  # 1, 6, 7 January and 8-12 February
    assert "2个调休上班日" in out

    shown = runner.invoke(app, ["calendar", "show", "2027"])
    assert shown.exit_code == 0, shown.output
    text = flat(shown.stdout)
    assert "来源：测试用虚构通知" in text and "testfixture" in text
    assert "暂定" not in text
    assert "2027年1月9日（星期六）上班测试休息日调休上班" in text.replace("│", "")

    deadline = runner.invoke(app, ["deadline", "2026-12-14", "--json"])
    assert deadline.exit_code == 0, deadline.output
    answer = json.loads(deadline.stdout)
    assert answer["reply_due"] == "2027-01-13" and answer["provisional"] is False


def test_cli_deadline_in_2027_is_provisional_without_the_notice(isolated_data_dir: Path) -> None:
    result = runner.invoke(app, ["deadline", "2026-12-14", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["reply_due"] == "2027-01-12" and answer["provisional"] is True


def test_cli_calendar_load_refuses_a_bad_notice_and_installs_nothing(
    isolated_data_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad-2027.json"
    bad.write_text(json.dumps(_with_festival(1, workdays=["2027-01-11"])), encoding="utf-8")
    result = runner.invoke(app, ["calendar", "load", str(bad)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert flat("festivals[2].workdays：调休上班日 2027-01-11 是星期一") in flat(result.stderr)
    assert not (isolated_data_dir / "calendar" / "2027.json").exists()


def test_cli_calendar_load_bad_published_date_is_a_clean_error(
    isolated_data_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad-published.json"
    bad.write_text(json.dumps(_notice(published="2026-13-01")), encoding="utf-8")
    result = runner.invoke(app, ["calendar", "load", str(bad)])
    assert isinstance(result.exception, SystemExit), (
        f"traceback instead of an error message: {result.exception!r}"
    )
    assert result.exit_code == 2
    assert flat("published：'2026-13-01' 不是有效的日期") in flat(result.stderr)
    assert not (isolated_data_dir / "calendar" / "2027.json").exists()


def test_cli_calendar_show_2026_lists_the_shipped_notice() -> None:
    result = runner.invoke(app, ["calendar", "show", "2026"])
    assert result.exit_code == 0, result.output
    text = flat(result.stdout).replace("│", "")
    assert "来源：国务院办公厅关于2026年部分节假日安排的通知" in text
    assert "2026年2月14日（星期六）上班" in text
    assert "2026年10月7日（星期三）放假国庆节" in text


def test_cli_calendar_show_outside_the_table_fails_cleanly() -> None:
    result = runner.invoke(app, ["calendar", "show", "2050"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert flat("2050年超出工作日历的范围（2008年至2045年）") in flat(result.stderr)


def test_the_notice_form_and_the_loader_share_the_longest_block() -> None:
    """A block of MAX_BLOCK_DAYS is taken by the admin's form and one day more refused, in the words
    and at the limit of the loader (caseflow.calendar, tested above)."""
    from caseflow.api.web.calendar_form import parse
    from caseflow.calendar import MAX_BLOCK_DAYS

    def form(days: int) -> dict[str, str]:
        last = dt.date(2031, 10, 1) + dt.timedelta(days=days - 1)
        return {"cal_year": "2031", "h0_name": "国庆节", "h0_from": "2031-10-01", "h0_to": last.isoformat()}

    data, errors = parse(form(MAX_BLOCK_DAYS))
    assert data is not None and not errors, errors
    data, errors = parse(form(MAX_BLOCK_DAYS + 1))
    assert data is None and any(
        f"连续放假{MAX_BLOCK_DAYS + 1}天，超过{MAX_BLOCK_DAYS}天" in e for e in errors.values()
    )
