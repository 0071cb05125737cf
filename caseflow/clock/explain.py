"""The explanation of a deadline: its steps, and the Chinese wording of each one (what happened on
which day, under which article, and the reply deadline in force after it).

``caseflow.clock.deadline`` decides the dates; every sentence a person reads comes from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from caseflow import law
from caseflow.dates import iso, zh


@dataclass(slots=True)
class Step:
    """One line of a deadline's explanation, structured for the API, worded for people."""

    kind: str
    date: dt.date | None
    text: str
    basis: str = ""
    working_days: int | None = None  # working days this step added (or excluded)
    due: dt.date | None = None  # the reply deadline in force after this step

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "date": iso(self.date) if self.date else None,
            "text": self.text,
            "basis": self.basis,
            "working_days": self.working_days,
            "due": iso(self.due) if self.due else None,
        }


def received(day: dt.date, rules: law.RuleSet, due: dt.date) -> Step:
    """The request is received: the rules that apply and the first reply deadline."""
    return Step(
        "received",
        day,
        f"{zh(day)}收到申请，适用{rules.name}：自收到申请之日起{rules.reply_days}个工作日内"
        f"答复（起算日不计入），期限至{zh(due)}",
        rules.reply_basis.label,
        rules.reply_days,
        due,
    )


def supplement_notice_due(rules: law.RuleSet, notice_due: dt.date | None, due: dt.date | None) -> Step:
    """By when a supplement must be requested (``notice_due`` None: the rules set no limit)."""
    notice_days = rules.supplement_notice_days
    notice_basis = rules.supplement_notice_basis.label
    if notice_due is not None:
        return Step(
            "supplement_notice_due",
            notice_due,
            f"如需补正，应于收到申请之日起{notice_days}个工作日内一次性告知，最迟于{zh(notice_due)}",
            notice_basis,
            notice_days,
            due,
        )
    return Step(
        "supplement_notice_due",
        None,
        f"如需补正，应告知申请人作出更改、补充；{rules.name}未规定告知的期限",
        notice_basis,
        None,
        due,
    )


def supplement_requested(day: dt.date, rules: law.RuleSet) -> Step:
    return Step(
        "supplement_requested",
        day,
        f"{zh(day)}发出补正告知，答复期限停止计算，待申请人补正",
        rules.supplement_notice_basis.label,
        None,
        None,
    )


def supplement_received(day: dt.date, rules: law.RuleSet, due: dt.date) -> Step:
    return Step(
        "supplement_received",
        day,
        f"{zh(day)}收到补正后的申请，答复期限自该日起重新计算{rules.reply_days}个工作日"
        f"（此前的延期不再适用），期限至{zh(due)}",
        rules.supplement_notice_basis.label,
        rules.reply_days,
        due,
    )


#: Why a pause that started after the deadline in force does not count (said when it ends).
STARTED_TOO_LATE = "其开始时未中止期限"


def fixed_under_art35() -> str:
    """Why a pause open when an Art. 35 date is set no longer counts (said when it ends)."""
    return f"答复期限已依{law.ART35_DELAY.basis.article}确定，不再顺延"


def pause_ignored_after_art35(
    day: dt.date, reason: law.PauseReason, art35_due: dt.date, due: dt.date | None
) -> Step:
    """A pause that starts after an Art. 35 date was set: it does not move that date."""
    return Step(
        "pause_ignored",
        day,
        f"{zh(day)}开始{law.PAUSE_REASON_NAMES[reason]}；答复期限已依{law.ART35_DELAY.basis.article}确定为{zh(art35_due)}，不再中止",
        law.PAUSE_REASON_BASIS[reason].label,
        0,
        due,
    )


def pause_ignored_after_due(day: dt.date, reason: law.PauseReason, due: dt.date) -> Step:
    """A pause that starts after the deadline in force: a period that has run out cannot stop."""
    return Step(
        "pause_ignored",
        day,
        f"{zh(day)}开始{law.PAUSE_REASON_NAMES[reason]}；此时答复期限（{zh(due)}）已届满，不再中止计算",
        law.PAUSE_REASON_BASIS[reason].label,
        0,
        due,
    )


def pause_started_on_last_day(day: dt.date, reason: law.PauseReason) -> Step:
    """A pause that starts on the deadline day: it stops the period, and the day counts as used."""
    basis = law.PAUSE_REASON_BASIS[reason].label
    last_day = law.last_day_basis(day).label
    return Step(
        "pause_started",
        day,
        f"{zh(day)}于期限届满之日开始{law.PAUSE_REASON_NAMES[reason]}，所需时间不计算在答复期限内；"
        f"期限的最后一日截止到该日二十四时，该日计入已用期限（{last_day}），"
        "中止事由消除之日为答复期限（该日为休息日的，顺延至其后第一个工作日）",
        f"{basis}、{last_day}",
        None,
        None,
    )


def pause_started(day: dt.date, reason: law.PauseReason) -> Step:
    return Step(
        "pause_started",
        day,
        f"{zh(day)}开始{law.PAUSE_REASON_NAMES[reason]}，所需时间不计算在答复期限内",
        law.PAUSE_REASON_BASIS[reason].label,
        None,
        None,
    )


def pause_ignored_end(day: dt.date, why: str, due: dt.date | None) -> Step:
    """The end of a pause that did not count (``why``: ``STARTED_TOO_LATE`` or ``fixed_under_art35``)."""
    return Step("pause_ignored", day, f"{zh(day)}该中止事由消除；{why}，期限不变", "", 0, due)


def pause_ended(
    day: dt.date,
    reason: law.PauseReason,
    pause_start: dt.date,
    start: dt.date,
    left: int,
    days_out: int,
    due: dt.date,
) -> Step:
    """A pause ends: the working days not counted (``days_out``) and the deadline moved to ``due``;
    ``left`` is what was left of the period when it started on ``start`` (0: on the deadline day)."""
    name = law.PAUSE_REASON_NAMES[reason]
    if left == 0:
        text = f"{zh(day)}{name}结束；中止于期限届满之日开始，该日计入已用期限，已无剩余工作日，" + (
            f"答复期限为中止事由消除之日{zh(due)}"
            if due == day
            else f"中止事由消除之日为休息日，答复期限顺延至其后第一个工作日{zh(due)}"
        )
        basis = f"{law.PAUSE_REASON_BASIS[reason].label}、{law.last_day_basis(start).label}"
    else:
        text = (
            f"{zh(day)}{name}结束，{zh(pause_start)}之后至"
            f"{zh(day)}的{days_out}个工作日不计入，期限顺延至{zh(due)}"
        )
        basis = law.PAUSE_REASON_BASIS[reason].label
    return Step("pause_ended", day, text, basis, days_out, due)


def extended(day: dt.date, rules: law.RuleSet, days: int, due: dt.date | None) -> Step:
    """An extension of ``days`` working days (``due`` None: decided during a pause)."""
    return Step(
        "extended",
        day,
        f"{zh(day)}经批准延长答复期限{days}个工作日"
        + (f"，期限至{zh(due)}" if due else "（期限中止中，恢复计算后顺延）"),
        rules.extension_basis.label,
        days,
        due,
    )


def deadline_set(day: dt.date, due: dt.date) -> Step:
    """An Art. 35 date: the reasonable period for a delayed reply, set on ``day``."""
    return Step(
        "deadline_set",
        day,
        f"{zh(day)}因申请数量、频次明显超过合理范围，确定延迟答复的合理期限至{zh(due)}",
        law.ART35_DELAY.basis.label,
        None,
        due,
    )


def reply_due(
    due: dt.date | None,
    paused: bool,
    waiting_supplement: bool,
    year_labels: str,
    provisional: bool,
    base: dt.date,
) -> Step:
    """The last step: the reply deadline (or why the clock is stopped), the years of the calendar
    it used, and whether it is provisional; counted from ``base`` (receipt or supplement)."""
    if paused:
        final = "期限停止计算中：" + ("等待申请人补正" if waiting_supplement else "中止事由尚未消除")
    else:
        assert due is not None
        final = f"答复期限：{zh(due)}"
    final += f"。工作日依国务院放假安排计算，涉及{year_labels}"
    if provisional:
        final += "；其中尚未发布放假安排的年份按推定日历计算，期限为暂定，放假安排发布后重新计算"
    return Step("reply_due", due, final, law.counting_basis(base).label, None, due)
