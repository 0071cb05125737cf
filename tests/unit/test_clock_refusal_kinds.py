"""Every kind of refusal the statutory clock can raise has its Chinese wording (and code) for people,
and each wording is filled in from the error's dates, not parsed from its English text."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from caseflow import clock, law
from caseflow.cases import clock_refusals
from caseflow.clock import deadline

CLOCK = Path(deadline.__file__)


def raised_kinds() -> set[str]:
    """The ``kind`` argument of every ``raise TimelineError(message, kind, ...)`` in
    caseflow/clock/deadline.py."""
    kinds = set()
    for node in ast.walk(ast.parse(CLOCK.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            call = node.exc
            if isinstance(call.func, ast.Name) and call.func.id == "TimelineError" and len(call.args) > 1:
                kind = call.args[1]
                assert isinstance(kind, ast.Constant) and isinstance(kind.value, str), ast.dump(kind)
                kinds.add(kind.value)
    return kinds


def test_every_kind_the_clock_raises_has_its_wording() -> None:
    kinds = raised_kinds()
    assert {"extension_limit", "extension_late", "art35_not_later", "supplement_late"} <= kinds
    table = clock_refusals._table(law.RULES_2019)
    assert kinds <= table.keys(), sorted(kinds - table.keys())


@pytest.mark.parametrize("rules", [law.RULES_2019, law.RULES_2007], ids=lambda r: r.code)
def test_the_wording_names_the_article_of_the_rules_in_force(rules: law.RuleSet) -> None:
    """An extension refused under the 2007 rules cites the 2007 article, not the 2019 one."""
    refused = clock.TimelineError(
        "events[2] (extended on 2026-10-10): ...", "extension_late", due=dt.date(2026, 10, 9)
    )
    message, code = clock_refusals.refusal(refused, rules.code)
    assert code == "extension_late"
    assert rules.extension_basis.label in message and "2026年10月9日" in message


def test_the_clocks_ledger_check_reaches_a_person_in_chinese() -> None:
    """A real ledger the clock refuses (a second extension), end to end through the table."""
    timeline = clock.Timeline.from_json(
        {
            "received": "2026-09-01",
            "events": [
                {"type": "extended", "date": "2026-09-10"},
                {"type": "extended", "date": "2026-09-11"},
            ],
        }
    )
    with pytest.raises(clock.TimelineError) as refused:
        clock.compute(timeline)
    assert refused.value.kind == "extension_limit"
    message, code = clock_refusals.refusal(refused.value, law.RULES_2019.code)
    assert code == "extension_limit" and "只能延长一次" in message and "第三十三条" in message


def test_a_ledger_the_clock_cannot_read_is_named_as_damaged_with_its_detail() -> None:
    timeline = clock.Timeline.from_json({"received": "2026-09-01", "events": []})
    timeline_json = timeline.to_json()
    timeline_json["events"] = [{"type": "teleported", "date": "2026-09-02"}]
    with pytest.raises(clock.TimelineError) as refused:
        clock.Timeline.from_json(timeline_json)
    message, code = clock_refusals.refusal(refused.value, law.RULES_2019.code)
    assert code == "ledger_damaged" and "数据可能已损坏" in message and "teleported" in message


def test_an_unknown_kind_says_the_clock_refused() -> None:
    message, code = clock_refusals.refusal(clock.TimelineError("?", "something_new"), law.RULES_2019.code)
    assert code == "clock_refused" and "无法计算答复期限" in message
