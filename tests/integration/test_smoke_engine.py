"""The engine end to end on both databases: register, a few actions, the chain verifies."""

from __future__ import annotations

from caseflow.evidence.chain import verify_all
from tests.integration.conftest import World


def test_register_extend_answer_verifies(world: World) -> None:
    case = world.new_case()
    assert case.state == "received"
    assert case.tracking_no == "CITY-2026-00001"
    assert str(case.reply_due) == "2026-10-30"
    case = world.act(case, "extend", {"reason": "需要会商"}, actor="supervisor")
    assert case.state == "extended"
    assert str(case.reply_due) == "2026-11-27"
    case = world.act(case, "draft_reply", {"outcome": "disclosed.provided", "provided": "预算表"})
    assert case.state == "ready-to-issue"
    case = world.act(
        case,
        "confidentiality_review",
        {"conclusion": "agree", "comments": "经审查，可以公开"},
        actor="reviewer",
    )  # Art. 17
    case = world.act(case, "issue_reply", {})
    assert case.state == "answered" and case.outcome == "disclosed.provided"
    assert verify_all(world.session) == (1, None)
