"""The statutory clock's refusals, said to people: Chinese, naming the article, with a stable code.

``caseflow.clock`` checks a whole ledger (also for the ``caseflow deadline`` command, where its message
names the ledger position); when an action's clock event breaks a rule of the law, ``perform`` refuses
the action with the message and code given here, chosen by the error's ``kind`` and filled in with its
``dates``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from caseflow import law
from caseflow.clock import TimelineError
from caseflow.dates import zh

Refusal = tuple[str, str]
Say = Callable[[Mapping[str, Any]], Refusal]


def _day(value: object) -> str:
    assert isinstance(value, dt.date)
    return zh(value)


def _table(rules: law.RuleSet) -> dict[str, Say]:
    ext = rules.extension_basis.label
    supplement = rules.supplement_notice_basis.label
    art35 = law.ART35_DELAY.basis.label
    waiting = f"等待申请人补正期间答复期限不计算（{supplement}），请先登记收到补正"
    return {
        "extension_limit": lambda d: (f"答复期限只能延长一次（{ext}），本申请已经延期", "extension_limit"),
        "extension_late": lambda d: (
            f"延长答复期限须在答复期限届满前决定（{ext}）：现行答复期限为{_day(d['due'])}",
            "extension_late",
        ),
        "extension_too_long": lambda d: (
            f"延长的期限最长不超过{d['maximum']}个工作日（{ext}），不能延长{d['days']}个工作日",
            "extension_too_long",
        ),
        "extension_after_art35": lambda d: (
            f"已确定延迟答复的合理期限（{art35}），不能再延长答复期限",
            "extension_after_art35",
        ),
        "waiting_supplement": lambda d: (waiting, "waiting_supplement"),
        "art35_before_decision": lambda d: (
            f"延迟答复的合理期限（{_day(d['due'])}）须晚于作出决定之日（{art35}）",
            "art35_date",
        ),
        "art35_decided_late": lambda d: (
            f"{law.ART35_DATE_RULE}（{art35}）：现行答复期限为{_day(d['in_force'])}，已经届满",
            "art35_date",
        ),
        "art35_not_later": lambda d: (
            f"{law.ART35_DATE_RULE}（{art35}）：所定期限{_day(d['due'])}不晚于现行答复期限{_day(d['in_force'])}",
            "art35_date",
        ),
        "supplement_once": lambda d: (
            f"补正告知只能发出一次（{supplement}），本申请已经告知过补正",
            "supplement_once",
        ),
        "supplement_late": lambda d: (
            f"补正告知须在收到申请之日起{law.SUPPLEMENT_NOTICE.days}个工作日内发出（{supplement}）："
            f"期限为{_day(d['due'])}，已经届满",
            "supplement_late",
        ),
        "clock_paused": lambda d: (
            f"答复期限自{_day(d['since'])}起中止，中止期间不能进行此项操作",
            "clock_paused",
        ),
        "pause_open": lambda d: (f"答复期限自{_day(d['since'])}起已经中止，不能再次中止", "clock_paused"),
        "no_supplement": lambda d: ("本申请没有发出补正告知，无从登记补正", "no_supplement"),
        "no_pause": lambda d: ("答复期限没有中止，无从恢复计算", "no_pause"),
        "date_order": lambda d: (
            f"登记的日期早于本申请此前登记的事项日期（{_day(d['before'])}），请核对日期",
            "date_order",
        ),
    }


def refusal(error: TimelineError, rules_code: str) -> Refusal:
    """The Chinese refusal and its code for a clock error (another kind says the clock refused)."""
    rules = law.RULE_SETS.get(rules_code) or law.RULES_2019
    if error.kind == "invalid":  # a ledger the clock cannot read: damaged data, not a person's mistake
        return f"本申请登记的期限事项无法读取，数据可能已损坏，请联系系统管理员（{error}）", "ledger_damaged"
    say = _table(rules).get(error.kind)
    if say is None:
        return "按登记的事项无法计算答复期限，请核对日期后重试", "clock_refused"
    return say(error.dates)
