"""The timing of online applications in the clerks' inbox (issue 18 / B).

Art. 31(3) takes the day both sides confirm an online application as its receipt date; intake asks for
the reason whenever the confirmation day is later than the day it arrived. An application that arrives
when the office is closed cannot be confirmed that day, so the reason is known:

- *closed*: a non-working day of the working calendar, or a working day from ``OFFICE_CLOSES``
  (17:00, Asia/Shanghai) on. One fixed hour for every agency, kept simple: offices close at about
  17:00, and an application sent later is in practice dealt with the next working day.
- the *first working day* after such an arrival is the office's first chance: a confirmation on it
  needs no typed reason, caseflow states it (``automatic_late_reason``); a later one still needs the
  clerk's reason (intake refuses it without one, on the ``late_confirmation_reason`` field).
- an application *waits too long* once the end of the next working day after the day it arrived has
  passed (``overdue_from``): the inbox highlights it and the ``portal_reminders`` job reminds the
  agency's clerks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from caseflow import law
from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.dates import SHANGHAI, legal_date, zh

#: From this hour (Asia/Shanghai) a working day counts as closed for confirming applications.
OFFICE_CLOSES = dt.time(17, 0)


def _closed(moment: dt.datetime, cal: WorkingCalendar) -> str | None:
    """Why the office was closed at ``moment`` (non-working day, after hours), or None if it was open."""
    local = moment.astimezone(SHANGHAI)
    day = local.date()
    if not cal.is_working_day(day):
        return "非工作日"
    if local.time() >= OFFICE_CLOSES:
        return f"工作日{OFFICE_CLOSES:%H:%M}以后"
    return None


def first_working_day(submitted_at: dt.datetime, cal: WorkingCalendar | None = None) -> dt.date:
    """The first day the office could confirm the application: the day it arrived if the office was
    open then, else the next working day."""
    cal = cal or default_calendar()
    arrived = legal_date(submitted_at)
    return arrived if _closed(submitted_at, cal) is None else cal.add_working_days(arrived, 1)


def automatic_late_reason(
    submitted_at: dt.datetime, confirmed_on: dt.date, cal: WorkingCalendar | None = None
) -> str | None:
    """The reason caseflow states itself for a confirmation later than the arrival day: only when the
    application arrived while the office was closed and is confirmed on the first working day after."""
    cal = cal or default_calendar()
    arrived = legal_date(submitted_at)
    why = _closed(submitted_at, cal)
    if why is None or confirmed_on <= arrived or confirmed_on != first_working_day(submitted_at, cal):
        return None
    local = submitted_at.astimezone(SHANGHAI)
    return (
        f"申请于{zh(arrived)} {local:%H:%M}（{why}）提交，于其后第一个工作日{zh(confirmed_on)}确认"
        f"（{law.RECEIPT_RULES[law.Channel.INTERNET].basis.label}：以双方确认之日为收到申请之日）"
    )


def overdue_from(submitted_at: dt.datetime, cal: WorkingCalendar | None = None) -> dt.datetime:
    """When the application starts waiting too long: the end (24:00) of the next working day after the
    day it arrived."""
    cal = cal or default_calendar()
    next_day = cal.add_working_days(legal_date(submitted_at), 1)
    return dt.datetime.combine(next_day + dt.timedelta(days=1), dt.time(0), tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Waiting:
    hours: float
    text: str
    #: The next working day after the arrival: confirm by its end.
    confirm_by: dt.date
    overdue: bool

    def as_json(self) -> dict[str, object]:
        return {
            "waited_hours": self.hours,
            "waiting_text": self.text,
            "confirm_by": self.confirm_by.isoformat(),
            "overdue": self.overdue,
        }


def waiting(submitted_at: dt.datetime, moment: dt.datetime, cal: WorkingCalendar | None = None) -> Waiting:
    """How long the application has waited at ``moment``: in hours, in words, and whether it is past
    the end of the next working day after its arrival."""
    cal = cal or default_calendar()
    seconds = max(0.0, (moment - submitted_at).total_seconds())
    hours = round(seconds / 3600, 1)
    days, rest = divmod(int(seconds // 3600), 24)
    span = f"{days}天{rest}小时" if days else f"{rest}小时" if rest else "不到1小时"
    worked = cal.working_days_between(legal_date(submitted_at), legal_date(moment))
    confirm_by = cal.add_working_days(legal_date(submitted_at), 1)
    overdue = moment >= overdue_from(submitted_at, cal)
    text = f"已等待{span}" + (f"（其间{worked}个工作日）" if worked else "")
    if overdue:
        text += f"，已超过提交后的下一个工作日（{zh(confirm_by)}）"
    else:
        text += f"，请不迟于{zh(confirm_by)}确认或退回"
    return Waiting(hours, text, confirm_by, overdue)


def confirm_hint(
    submitted_at: dt.datetime, moment: dt.datetime, cal: WorkingCalendar | None = None
) -> tuple[bool, str]:
    """(whether a confirmation at ``moment`` needs the clerk's reason, what the confirm form says)."""
    today = legal_date(moment)
    if today <= legal_date(submitted_at):
        return False, "今天确认的，收到申请之日为今天，无需说明理由。"
    automatic = automatic_late_reason(submitted_at, today, cal)
    if automatic:
        return False, f"今天确认的，系统自动载明理由：{automatic}。"
    basis = law.RECEIPT_RULES[law.Channel.INTERNET].basis.label
    return True, f"确认晚于提交之日，须写明理由（{basis}），理由记入登记记录并载明于登记回执。"
