"""``caseflow deadline`` and ``caseflow calendar show|load``: the statutory clock and the working-day
calendar from the command line (INTERFACES.md)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from caseflow import clock, law
from caseflow.calendar import CalendarError, default_calendar, load_notice
from caseflow.cli.common import console, fail
from caseflow.dates import today, zh, zh_weekday

calendar_app = typer.Typer(
    help="The working-day calendar (State Council holiday notices).", no_args_is_help=True
)


def _parse_event(text: str) -> dict[str, object]:
    """TYPE:DATE[:EXTRA]: pause_started:2026-10-14:consultation, extended:2026-11-02:20,
    deadline_set:2026-11-03:2026-12-31."""
    parts = text.split(":")
    if len(parts) < 2:
        raise ValueError(f"--event {text!r}: expected TYPE:DATE[:EXTRA]")
    event: dict[str, object] = {"type": parts[0], "date": parts[1]}
    if len(parts) > 2:
        extra = parts[2]
        if parts[0] == "pause_started":
            event["reason"] = extra
        elif parts[0] == "extended":
            if not extra.isdigit():
                raise ValueError(f"--event {text!r}: the extension's days must be a whole number")
            event["days"] = int(extra)
        elif parts[0] == "deadline_set":
            event["due"] = extra
    return event


def _batch(source: str) -> int:
    cal = default_calendar()
    stream = sys.stdin if source == "-" else None
    try:
        handle = stream or open(source, encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise fail(f"cannot read {source}: {exc.strerror}") from None
    failed = 0
    out = sys.stdout
    try:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            result, ok = clock.batch_line(line, lineno, cal)
            failed += not ok
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    except UnicodeDecodeError:
        raise fail(f"{source}: not UTF-8 text") from None
    finally:
        if handle is not sys.stdin:
            handle.close()
    return 1 if failed else 0


def deadline(
    received: Annotated[str | None, typer.Argument(help="Receipt date YYYY-MM-DD (single timeline).")] = None,
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            "-e",
            help="A clock event TYPE:DATE[:EXTRA], repeatable, in date order: supplement_requested:D, "
            "supplement_received:D, pause_started:D:consultation|fee, pause_ended:D, "
            "extended:D[:DAYS], deadline_set:D:DUE.",
        ),
    ] = None,
    rules: Annotated[str, typer.Option(help="auto (by receipt date), 2019 or 2007.")] = "auto",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Count working days left as of this date (default: today in Asia/Shanghai)."
        ),
    ] = None,
    batch: Annotated[
        str | None,
        typer.Option("--batch", help="JSON Lines of {id, timeline}; '-' reads stdin. One answer per line."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Single timeline: print JSON.")] = False,
) -> None:
    """The statutory clock: reply deadline, supplement-notice deadline and the explanation."""
    if batch is not None:
        if received is not None or event:
            raise fail("--batch reads timelines from the file; give no receipt date or --event")
        raise typer.Exit(_batch(batch))
    if received is None:
        raise fail("give a receipt date (caseflow deadline 2026-09-28 ...) or --batch FILE")
    try:
        timeline = clock.Timeline.from_json(
            {"received": received, "rules": rules, "events": [_parse_event(e) for e in event or []]}
        )
        result = clock.compute(timeline)
        as_of_date = dt.date.fromisoformat(as_of) if as_of else today()
    except ValueError as exc:
        raise fail(str(exc)) from None
    if as_json:
        console.print_json(json.dumps(result.to_json(), ensure_ascii=False))
        return
    table = Table(title=f"答复期限说明（{law.REGULATION}）", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("日期")
    table.add_column("说明")
    table.add_column("依据", style="dim")
    for i, step in enumerate(result.explanation, 1):
        table.add_row(str(i), zh(step.date) if step.date else "", step.text, step.basis)
    console.print(table)
    if result.reply_due is None:
        console.print("[bold]答复期限：[/]停止计算中")
    else:
        left = result.working_days_left(as_of_date)
        assert left is not None
        status = f"剩余{left}个工作日" if left >= 0 else f"已逾期{-left}个工作日"
        console.print(
            f"[bold]答复期限：{zh_weekday(result.reply_due)}[/]"
            f"{'（暂定）' if result.provisional else ''}；截至{zh(as_of_date)}{status}"
        )
    notice = result.supplement_notice_due
    console.print(f"补正告知期限：{zh_weekday(notice) if notice else f'无（{result.rules.name}未规定）'}")


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="The year, e.g. 2026.")]) -> None:
    """List a year's holiday weekdays and working weekends, and where they come from."""
    try:
        info = default_calendar().year_info(year)
    except CalendarError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"[bold]{year}年[/]  来源：{info.source_label}" + ("" if info.official else "  [yellow](暂定)[/]"),
        highlight=False,
    )
    table = Table(show_header=True)
    table.add_column("日期")
    table.add_column("")
    table.add_column("名称")
    for day in info.holidays:
        table.add_row(zh_weekday(day.day), "放假", day.name)
    for day in info.working_weekends:
        table.add_row(zh_weekday(day.day), "[bold]上班[/]", day.name)
    console.print(table)
    console.print(
        f"工作日以外的周一至周五：{len(info.holidays)}天；调休上班的周末：{len(info.working_weekends)}天"
    )


@calendar_app.command("load")
def calendar_load(path: Annotated[Path, typer.Argument(help="A notice as JSON (see README).")]) -> None:
    """Load a State Council holiday notice; deadlines in its year are no longer provisional."""
    try:
        notice = load_notice(path)
    except CalendarError as exc:
        raise fail(str(exc)) from None
    info = default_calendar().year_info(notice.year)
    console.print(
        f"已载入 {notice.title}：{len(info.holidays)}个放假工作日，"
        f"{len(info.working_weekends)}个调休上班日 -> {notice.source}",
        highlight=False,
    )
    from sqlalchemy.exc import SQLAlchemyError

    from caseflow.dates import now
    from caseflow.db import get_engine
    from caseflow.scheduled import JOBS
    from caseflow.scheduled.runs import run_job

    try:
        run, result = run_job(get_engine(), JOBS["calendar"], now())
    except SQLAlchemyError as exc:  # no database yet: the scheduler's calendar job will do it
        console.print(f"暂定期限未重算（数据库不可用：{exc.__class__.__name__}）", highlight=False)
        return
    for line in result.done:
        console.print(f"重算期限 {line}", highlight=False)
    for failure in run.failures:
        console.print(f"未能重算 {failure['tracking_no']}: {failure['error']}", highlight=False)
    console.print(f"暂定期限重算：{run.done}件已重算，{run.failed}件未能重算", highlight=False)
