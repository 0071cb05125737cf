"""Accounts (issue 13, items 8 and 9) on SQLite and PostgreSQL, through the API and the admin page:

- deactivating a user ends their browser sessions and API tokens at once; reactivating lets them in;
- resetting a password and revoking all sign-ins end every session and token of the user;
- changing roles; both the drafting and the approving role only with a recorded exception (reason,
  who, when), shown on the admin page;
- every change recorded in the append-only ``account_change`` (who, when, what, whom, roles before and
  after; never a password or its hash), which the database refuses to update or delete;
- nobody deactivates or demotes the last active admin, themselves included;
- refusals change nothing.
"""

from __future__ import annotations

import html
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from caseflow.errors import RuleViolation
from caseflow.models import AccountChange, AuthToken, RoleException, User
from tests.integration.conftest import World
from tests.integration.webapp import PASSWORD, Web

API = "/api/v1"
ADMIN = f"{API}/admin"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
NEW_PASSWORD = "a brand new passphrase"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    return response.json()


def user(web: Web, username: str) -> User:
    with Session(web.engine) as s:
        return s.exec(select(User).where(col(User.username) == username)).one()


def changes(web: Web, username: str) -> list[AccountChange]:
    with Session(web.engine) as s:
        return list(
            s.exec(
                select(AccountChange)
                .where(col(AccountChange.target) == username)
                .order_by(col(AccountChange.id))
            )
        )


def live_tokens(web: Web, username: str) -> int:
    uid = user(web, username).id
    return web.count(AuthToken, col(AuthToken.user_id) == uid, col(AuthToken.revoked_at).is_(None))


def signed_in(web: Web, username: str) -> tuple[TestClient, TestClient]:
    """A fresh API client (bearer token) and a fresh browser (session cookie) of the user."""
    token = ok(web.client().post(f"{API}/auth/token", data={"username": username, "password": PASSWORD}))
    api = web.client(headers={"Authorization": f"Bearer {token['access_token']}"})
    browser = web.browser(username)
    browser.headers.update(HTML)
    return api, browser


def test_deactivation_ends_sessions_and_tokens_at_once(web: Web) -> None:
    api, browser = signed_in(web, "clerk")
    assert api.get(f"{API}/requests").status_code == 200
    assert browser.get("/cases").status_code == 200
    done = ok(web.api("admin").post(f"{ADMIN}/users/clerk/deactivate"))
    assert done["active"] is False
    assert api.get(f"{API}/requests").status_code == 401
    gone = browser.get("/cases")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    assert live_tokens(web, "clerk") == 0
    assert (
        web.client().post(f"{API}/auth/token", data={"username": "clerk", "password": PASSWORD}).status_code
        == 401
    )
    [change] = changes(web, "clerk")
    assert (change.actor, change.action, change.roles_before, change.roles_after) == (
        "admin",
        "deactivate",
        "clerk",
        "clerk",
    )
    assert "注销登录 2 个" in change.detail  # (the API token and the browser session)
    # again: refused, nothing recorded
    assert web.api("admin").post(f"{ADMIN}/users/clerk/deactivate").status_code == 409
    assert len(changes(web, "clerk")) == 1
    # reactivated, the user signs in again (the old sessions stay revoked)
    ok(web.api("admin").post(f"{ADMIN}/users/clerk/activate"))
    assert api.get(f"{API}/requests").status_code == 401
    assert (
        web.client().post(f"{API}/auth/token", data={"username": "clerk", "password": PASSWORD}).status_code
        == 200
    )
    assert [c.action for c in changes(web, "clerk")] == ["deactivate", "activate"]


def test_password_reset_revokes_everything_and_records_no_secret(web: Web) -> None:
    api, browser = signed_in(web, "reviewer")
    before_hash = user(web, "reviewer").password_hash
    for _ in range(5):  # locked out by failures: the reset lifts it
        web.client().post(f"{API}/auth/token", data={"username": "reviewer", "password": "guess"})
    locked = web.client().post(f"{API}/auth/token", data={"username": "reviewer", "password": PASSWORD})
    assert locked.status_code == 429
    admin = web.api("admin")
    ok(admin.post(f"{ADMIN}/users/reviewer/password", json={"password": NEW_PASSWORD}))
    assert api.get(f"{API}/requests").status_code == 401
    assert browser.get("/review").status_code == 303
    sign_in = web.client().post
    assert (
        sign_in(f"{API}/auth/token", data={"username": "reviewer", "password": PASSWORD}).status_code == 401
    )
    assert (
        sign_in(f"{API}/auth/token", data={"username": "reviewer", "password": NEW_PASSWORD}).status_code
        == 200
    )
    [change] = changes(web, "reviewer")
    assert change.action == "reset_password" and change.actor == "admin"
    with Session(web.engine) as s:
        row = s.execute(text("SELECT * FROM account_change")).mappings().one()
    recorded = " ".join(str(v) for v in row.values())
    assert NEW_PASSWORD not in recorded and "argon2" not in recorded and before_hash not in recorded
    # too short: refused, the password unchanged
    short = web.api("admin").post(f"{ADMIN}/users/reviewer/password", json={"password": "short"})
    assert short.status_code == 422
    assert len(changes(web, "reviewer")) == 1


def test_revoking_all_sign_ins(web: Web) -> None:
    first, browser = signed_in(web, "supervisor")
    second, _ = signed_in(web, "supervisor")
    other, _ = signed_in(web, "auditor")
    assert ok(web.api("admin").post(f"{ADMIN}/users/supervisor/revoke-tokens")) == {"revoked": 4}
    assert first.get(f"{API}/dashboard").status_code == second.get(f"{API}/dashboard").status_code == 401
    assert browser.get("/dashboard").status_code == 303
    assert other.get(f"{API}/dashboard").status_code == 200  # only that user's
    assert user(web, "supervisor").active  # still active: signs in again
    assert (
        web.client()
        .post(f"{API}/auth/token", data={"username": "supervisor", "password": PASSWORD})
        .status_code
        == 200
    )
    [change] = changes(web, "supervisor")
    assert change.action == "revoke_tokens" and "4" in change.detail


def test_changing_roles_and_the_duties_exception(web: Web) -> None:
    admin = web.api("admin")
    moved = ok(admin.put(f"{ADMIN}/users/clerk2/roles", json={"roles": ["supervisor", "auditor"]}))
    assert moved["roles"] == ["auditor", "supervisor"]
    assert web.api("clerk2").get(f"{API}/dashboard").status_code == 200  # the new roles hold at once
    # clerk and reviewer: refused without a reason, nothing changed, nothing recorded
    refused = admin.put(f"{ADMIN}/users/clerk/roles", json={"roles": ["clerk", "reviewer"]})
    assert refused.status_code == 422 and "职责分离" in refused.text
    assert refused.json()["errors"][0]["field"] == "exception_reason"
    assert user(web, "clerk").roles == "clerk" and changes(web, "clerk") == []
    assert web.count(RoleException) == 0
    reason = "科室仅两人，经主要负责人批准兼任法制审核"
    both = ok(
        admin.put(
            f"{ADMIN}/users/clerk/roles", json={"roles": ["clerk", "reviewer"], "exception_reason": reason}
        )
    )
    assert both["roles"] == ["clerk", "reviewer"]
    assert both["duties_exception"]["reason"] == reason and both["duties_exception"]["granted_by"] == "admin"
    with Session(web.engine) as s:
        [exception] = s.exec(select(RoleException)).all()
    assert exception.user_id == user(web, "clerk").id and exception.granted_at.tzinfo is not None
    [change] = changes(web, "clerk")
    assert (change.action, change.roles_before, change.roles_after) == (
        "set_roles",
        "clerk",
        "clerk,reviewer",
    )
    assert reason in change.detail
    # while held under the exception, other role changes need no new reason
    ok(admin.put(f"{ADMIN}/users/clerk/roles", json={"roles": ["clerk", "reviewer", "auditor"]}))
    assert web.count(RoleException) == 1
    # creating a user with both roles: the same rule
    new = {"username": "solo", "password": PASSWORD, "roles": ["clerk", "reviewer"], "agency": "district"}
    assert admin.post(f"{ADMIN}/users", json=new).status_code == 422
    assert web.count(User, col(User.username) == "solo") == 0
    created = ok(admin.post(f"{ADMIN}/users", json={**new, "exception_reason": reason}), 201)
    assert created["duties_exception"]["reason"] == reason
    assert [c.action for c in changes(web, "solo")] == ["create"]
    # the record, as the API gives it
    log = ok(admin.get(f"{ADMIN}/account-changes"))
    assert [c["action"] for c in log[:2]] == ["create", "set_roles"]
    assert log[-1]["roles_before"] == ["clerk"] and log[-1]["target"] == "clerk2"
    # unknown roles and users
    assert admin.put(f"{ADMIN}/users/clerk/roles", json={"roles": ["root"]}).status_code == 422
    assert admin.put(f"{ADMIN}/users/nobody/roles", json={"roles": ["clerk"]}).status_code == 404


def test_the_last_admin_stays(web: Web) -> None:
    admin = web.api("admin")
    for call in (
        lambda: admin.post(f"{ADMIN}/users/admin/deactivate"),
        lambda: admin.put(f"{ADMIN}/users/admin/roles", json={"roles": ["auditor"]}),
    ):
        refused = call()
        assert refused.status_code == 409 and "至少须保留一个有效的管理员" in refused.json()["detail"]
    assert user(web, "admin").active and user(web, "admin").roles == "admin"
    assert changes(web, "admin") == []
    # with a second admin, the first may step down (and the second may not then)
    ok(admin.put(f"{ADMIN}/users/auditor/roles", json={"roles": ["auditor", "admin"]}))
    ok(admin.put(f"{ADMIN}/users/admin/roles", json={"roles": ["supervisor"]}))
    assert admin.get(f"{ADMIN}/users").status_code == 403  # no longer an admin, at once
    assert web.api("auditor").post(f"{ADMIN}/users/auditor/deactivate").status_code == 409


def test_only_admins_manage_accounts(web: Web) -> None:
    for username in ("clerk", "supervisor", "auditor"):
        assert web.api(username).post(f"{ADMIN}/users/clerk2/deactivate").status_code == 403
    assert web.client().post(f"{ADMIN}/users/clerk2/deactivate").status_code == 401
    assert user(web, "clerk2").active and changes(web, "clerk2") == []


def test_the_record_is_append_only(web: Web) -> None:
    ok(web.api("admin").post(f"{ADMIN}/users/clerk2/revoke-tokens"))
    for statement in ("UPDATE account_change SET actor = 'someone'", "DELETE FROM account_change"):
        with Session(web.engine) as s, pytest.raises(DatabaseError, match="append-only"):
            s.execute(text(statement))
            s.commit()
    assert changes(web, "clerk2")[0].actor == "admin"


# --- the admin page ------------------------------------------------------------------------------


def test_the_admin_page_manages_accounts(web: Web) -> None:
    admin = web.browser("admin")
    admin.headers.update(HTML)
    victim_api, victim_browser = signed_in(web, "clerk2")
    page = admin.get("/admin").text
    assert 'action="/admin/users/clerk2/active"' in page and "注销全部登录" in page
    csrf = web.csrf(admin, "/admin")
    # without the form's token: refused, nothing changed
    assert admin.post("/admin/users/clerk2/active", data={"active": "0"}).status_code == 403
    assert user(web, "clerk2").active
    done = admin.post("/admin/users/clerk2/active", data={"active": "0", "csrf_token": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/admin"
    assert victim_api.get(f"{API}/requests").status_code == 401
    assert victim_browser.get("/cases").status_code == 303
    page = html.unescape(admin.get("/admin").text)
    assert "已停用" in page and "停用账户" in page  # the state and the record
    # roles: both duties without a reason re-render the page with the rule (422), with one are recorded
    form = {"roles": ["clerk", "reviewer"], "csrf_token": csrf}
    refused = admin.post("/admin/users/dept_clerk/roles", data=form)
    assert refused.status_code == 422 and "职责分离" in html.unescape(refused.text)
    assert user(web, "dept_clerk").roles == "clerk"
    reason = "规划局窗口人手不足，临时兼任"
    assert (
        admin.post("/admin/users/dept_clerk/roles", data={**form, "exception_reason": reason}).status_code
        == 303
    )
    page = html.unescape(admin.get("/admin").text)
    exceptions = page[page.index("职责分离例外") : page.index("账户变更记录")]
    assert "dept_clerk" in exceptions and reason in exceptions and "admin" in exceptions
    # password reset and revoking from the page
    reset = admin.post(
        "/admin/users/dept_clerk/password", data={"password": NEW_PASSWORD, "csrf_token": csrf}
    )
    assert reset.status_code == 303
    assert (
        web.client()
        .post(f"{API}/auth/token", data={"username": "dept_clerk", "password": NEW_PASSWORD})
        .status_code
        == 200
    )
    assert admin.post("/admin/users/dept_clerk/revoke", data={"csrf_token": csrf}).status_code == 303
    assert live_tokens(web, "dept_clerk") == 0
    # the last admin, from the page
    last = admin.post("/admin/users/admin/active", data={"active": "0", "csrf_token": csrf})
    assert last.status_code == 409 and "至少须保留一个有效的管理员" in html.unescape(last.text)
    assert [c.action for c in changes(web, "dept_clerk")] == ["set_roles", "reset_password", "revoke_tokens"]


def test_two_admins_demoting_each_other_at_once_leave_one(world: World, engine: Engine) -> None:
    """Each demotes the other at the same moment (two connections): one wins, the other is refused,
    and an active admin remains (no deadlock on PostgreSQL, no lost check on either database)."""
    from caseflow import account_admin

    account_admin.set_roles(world.session, actor="admin", username="auditor", roles=["auditor", "admin"])
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def demote(actor: str, target: str) -> None:
        with Session(engine, expire_on_commit=False) as s:
            barrier.wait()
            try:
                account_admin.set_roles(s, actor=actor, username=target, roles=["supervisor"])
                outcomes[actor] = "done"
            except RuleViolation:
                outcomes[actor] = "refused"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcomes[actor] = repr(exc)

    threads = [
        threading.Thread(target=demote, args=("admin", "auditor")),
        threading.Thread(target=demote, args=("auditor", "admin")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == ["done", "refused"], outcomes
    with Session(engine) as s:
        admins = [u.username for u in s.exec(select(User).where(col(User.active))) if "admin" in u.role_set]
        recorded = s.exec(select(AccountChange).where(col(AccountChange.action) == "set_roles")).all()
    assert len(admins) == 1
    assert len(recorded) == 2  # the promotion and the one demotion that went through
