"""Four eyes (issue 13, item 8) on SQLite and PostgreSQL: whoever drafted a reply does not approve it,
also when an admin let them hold both the drafting and the approving role (a recorded exception);
the refusal names the rule, changes nothing, and the action is not offered to the drafter. The
drafter is taken from the evidence chain as well as from the draft, so editing the draft row does
not lift the rule. (That the roles themselves need the exception: ``test_accounts.py``.)
"""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from caseflow import account_admin, service
from caseflow.errors import Forbidden
from caseflow.models import Case, User
from tests.integration.conftest import World, snapshot
from tests.integration.webapp import PASSWORD, Web, serve

API = "/api/v1"
WITHHELD = {"outcome": "withheld.process_info", "reasons": "属于讨论记录，不予公开"}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def add_solo(world: World) -> None:
    """ "solo": clerk and reviewer of the city office, under a recorded exception."""
    user: User = account_admin.create(
        world.session,
        actor="admin",
        username="solo",
        display_name="兼任人员",
        password=PASSWORD,
        roles=["clerk", "reviewer"],
        agency_code="city",
        exception_reason="办公室仅两名工作人员，经主要负责人批准兼任",
    )
    world.actors["solo"] = service.Actor.of(world.session, user)


@pytest.fixture
def solo_world(world: World) -> World:
    add_solo(world)
    return world


def test_the_drafter_cannot_approve_their_own_reply(solo_world: World) -> None:
    world = solo_world
    case = world.act(world.new_case(actor="solo"), "draft_reply", WITHHELD, actor="solo")
    assert case.state == "legal-review" and case.id is not None
    offered = service.actions_for(world.session, world["solo"], case)
    assert "approve_reply" not in offered and "return_reply" in offered
    assert "approve_reply" in service.actions_for(world.session, world["reviewer"], case)
    before = snapshot(world.session, case.id)
    with pytest.raises(Forbidden) as refused:
        world.act(case, "approve_reply", {"comments": "同意"}, actor="solo")
    assert "四眼原则" in refused.value.message and "solo" in refused.value.message
    assert snapshot(world.session, case.id) == before
    # another reviewer approves
    approved = world.act(case, "approve_reply", {"comments": "同意"}, actor="reviewer")
    assert approved.state == "ready-to-issue" and approved.draft is not None
    assert approved.draft["approved_by"] == "reviewer"


def test_a_reply_redrafted_by_another_may_be_approved_by_the_first_drafter(solo_world: World) -> None:
    world = solo_world
    case = world.act(world.new_case(), "draft_reply", WITHHELD, actor="solo")
    case = world.act(case, "return_reply", {"comments": "理由不充分"}, actor="reviewer")
    case = world.act(case, "draft_reply", WITHHELD, actor="clerk")
    with pytest.raises(Forbidden):  # the new drafter may not
        world.act(case, "approve_reply", {}, actor="clerk")
    approved = world.act(case, "approve_reply", {"comments": "同意"}, actor="solo")
    assert approved.state == "ready-to-issue"


def test_editing_the_draft_row_does_not_lift_the_rule(solo_world: World, engine: Engine) -> None:
    """The drafter is also the actor of the chain's latest draft_reply event."""
    world = solo_world
    case = world.act(world.new_case(), "draft_reply", WITHHELD, actor="solo")
    assert case.id is not None and case.draft is not None
    forged = {**case.draft, "drafted_by": "clerk"}
    with Session(engine) as s:
        row = s.get(Case, case.id)
        assert row is not None
        row.draft = forged
        s.add(row)
        s.commit()
    world.session.expire_all()
    with pytest.raises(Forbidden):
        world.act(world.session.get(Case, case.id) or case, "approve_reply", {}, actor="solo")
    assert world.session.get(Case, case.id).state == "legal-review"  # type: ignore[union-attr]
    with Session(engine) as s:
        assert (
            s.execute(text("SELECT count(*) FROM evidence_event WHERE action = 'approve_reply'")).scalar()
            == 0
        )


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, db_url: str, solo_world: World, engine: Engine) -> Iterator[Web]:
    with serve(monkeypatch, db_url) as app:
        yield Web(app, solo_world, engine)


def test_over_http_the_refusal_is_403_naming_the_rule(web: Web) -> None:
    world = web.world
    case = world.act(world.new_case(), "draft_reply", WITHHELD, actor="solo")
    assert case.id is not None
    version, events = web.case(case.id).version, web.events(case.id)
    api = web.api("solo")
    offered = [a["action"] for a in api.get(f"{API}/requests/{case.id}/actions").json()]
    assert "approve_reply" not in offered and "return_reply" in offered
    refused = api.post(
        f"{API}/requests/{case.id}/actions/approve_reply", json={"facts": {"comments": "同意"}}
    )
    assert (
        refused.status_code == 403
        and "四眼原则：拟定答复的人不得审核通过同一答复" in refused.json()["detail"]
    )
    # the page: the form is not offered, and a forged post is refused with the rule
    browser = web.browser("solo")
    browser.headers.update(HTML)
    workspace = browser.get(f"/cases/{case.id}").text
    assert "/actions/approve_reply" not in workspace and "/actions/return_reply" in workspace
    csrf = web.csrf(browser, f"/cases/{case.id}")
    page = browser.post(
        f"/cases/{case.id}/actions/approve_reply", data={"comments": "同意", "csrf_token": csrf}
    )
    # (the workspace re-rendered with the refusal, as for every refused form: 409)
    assert page.status_code == 409 and "四眼原则" in html.unescape(page.text)
    assert (web.case(case.id).version, web.events(case.id)) == (version, events)
    # the other reviewer approves over HTTP
    done = web.api("reviewer").post(f"{API}/requests/{case.id}/actions/approve_reply", json={"facts": {}})
    assert done.status_code == 200 and done.json()["state"] == "ready-to-issue"
