"""Signing in (issue 13, items 5 and 11) on SQLite and PostgreSQL, through the application:

- failed attempts are counted in the database before the password is checked, per user name and per
  client address; beyond the limit the API answers 429 (Chinese detail, ``code``, Retry-After) and the
  login page re-renders with a Chinese "try again at …" (429, Retry-After), even for the right password;
- a success forgets the user name's failures; a refusal is not counted (no lock-out that feeds itself);
- an unknown user name takes the path of a wrong password (one argon2 check, against a dummy hash) and
  is answered alike;
- login CSRF: a form or token request a browser posts from another site is refused; scripts (no Origin,
  no Referer) and the system's own pages sign in.

The 100 parallel sign-ins against real servers, and the limit shared by two servers, are in
``tests/reliability/test_sign_in_load.py``.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

import caseflow.signin
from caseflow.models import AuthToken, LoginAttempt, User
from tests.integration.webapp import PASSWORD, Web

API = "/api/v1"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def token_call(client: TestClient, username: str, password: str, **headers: str) -> tuple[int, dict, dict]:
    response = client.post(
        f"{API}/auth/token", data={"username": username, "password": password}, headers=headers
    )
    return response.status_code, response.json(), dict(response.headers)


def test_failures_per_user_name_then_429_with_retry_after(web: Web) -> None:
    client = web.client()
    for n in range(5):
        status, body, _ = token_call(client, "clerk", f"wrong password {n}")
        assert status == 401 and body["detail"] == "用户名或密码错误"
    assert web.count(LoginAttempt, col(LoginAttempt.kind) == "user") == 5
    tokens_before = web.count(AuthToken)
    # the sixth attempt is refused before its password is looked at: the right one too
    status, body, headers = token_call(client, "clerk", PASSWORD)
    assert status == 429, body
    assert body["code"] == "sign_in_throttled"
    assert "登录失败次数过多" in body["detail"] and "该用户名在15分钟内已失败5次" in body["detail"]
    assert 890 <= int(headers["retry-after"]) <= 900 and body["retry_after"] == int(headers["retry-after"])
    assert web.count(AuthToken) == tokens_before
    # the refusal is not counted (the lock-out does not extend itself); other users sign in
    assert web.count(LoginAttempt, col(LoginAttempt.kind) == "user") == 5
    assert token_call(client, "reviewer", PASSWORD)[0] == 200
    # user names are counted whatever their case and blanks
    assert token_call(client, " CLERK ", "wrong")[0] == 429


def test_a_success_forgets_the_user_names_failures(web: Web) -> None:
    client = web.client()
    for _ in range(4):
        assert token_call(client, "clerk", "wrong password")[0] == 401
    assert token_call(client, "clerk", PASSWORD)[0] == 200
    assert web.count(LoginAttempt, col(LoginAttempt.kind) == "user", col(LoginAttempt.key) == "clerk") == 0
    for _ in range(5):  # a fresh allowance of five
        assert token_call(client, "clerk", "wrong password")[0] == 401
    assert token_call(client, "clerk", "wrong password")[0] == 429


def test_failures_per_address(web: Web) -> None:
    """Twenty failures from one address, over many user names: the address is refused, another
    address is not."""
    here = web.client(client=("10.1.1.1", 40000))
    for n in range(20):
        assert token_call(here, f"guess{n}", "wrong password")[0] == 401
    status, body, headers = token_call(here, "clerk", PASSWORD)
    assert status == 429 and "本机地址在15分钟内已失败20次" in body["detail"] and headers["retry-after"]
    elsewhere = web.client(client=("10.2.2.2", 40000))
    assert token_call(elsewhere, "clerk", PASSWORD)[0] == 200


def test_the_login_page_says_when_to_try_again(web: Web) -> None:
    client = web.client(headers=HTML)
    for _ in range(5):
        page = client.post("/login", data={"username": "clerk", "password": "wrong", "next": "/cases"})
        assert page.status_code == 401 and "用户名或密码错误" in page.text
    refused = client.post("/login", data={"username": "clerk", "password": PASSWORD, "next": "/cases"})
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert "登录失败次数过多" in refused.text and "再试" in refused.text
    assert 'name="username"' in refused.text  # the form again, not an error page
    assert int(refused.headers["retry-after"]) > 0
    assert "caseflow_session" not in refused.cookies


def test_an_unknown_user_takes_the_path_of_a_wrong_password(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = caseflow.signin.verify_password

    def spy(password: str, stored: str) -> bool:
        checked.append(stored)
        return real(password, stored)

    monkeypatch.setattr(caseflow.signin, "verify_password", spy)
    client = web.client()
    wrong = client.post(f"{API}/auth/token", data={"username": "clerk", "password": "wrong password"})
    unknown = client.post(f"{API}/auth/token", data={"username": "nobody", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]
    # one real argon2 check each: the user's hash, then the dummy one
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)
    assert checked[1] == caseflow.signin.dummy_hash() != checked[0]
    # both are counted under their user name
    assert web.count(LoginAttempt, col(LoginAttempt.kind) == "user", col(LoginAttempt.key) == "nobody") == 1


def test_a_deactivated_user_is_answered_like_a_wrong_password(web: Web) -> None:
    with Session(web.engine) as s:
        clerk2 = s.exec(select(User).where(col(User.username) == "clerk2")).one()
        clerk2.active = False
        s.add(clerk2)
        s.commit()
    client = web.client()
    status, body, _ = token_call(client, "clerk2", PASSWORD)
    assert status == 401 and body["detail"] == "用户名或密码错误"


# --- login CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_login_form_posted_from_another_site_is_refused(web: Web) -> None:
    form = {"username": "clerk", "password": PASSWORD, "next": "/"}
    tokens = web.count(AuthToken)
    for header in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/x"},
    ):
        client = web.client(headers=HTML)
        refused = client.post("/login", data=form, headers=header)
        assert refused.status_code == 403, header
        assert "登录请求来自其他网站" in refused.text
        assert "caseflow_session" not in refused.cookies
        api = web.client().post(f"{API}/auth/token", data=form, headers=header)
        assert api.status_code == 403 and "access_token" not in api.text
    assert web.count(AuthToken) == tokens  # nobody was signed in
    # the system's own page (same origin, or the configured base URL) and scripts sign in
    for header in ({"Origin": "http://testserver"}, {"Referer": "http://testserver/login"}, {}):
        client = web.client(headers=HTML)
        assert client.post("/login", data=form, headers=header).status_code == 303, header
        assert web.client().post(f"{API}/auth/token", data=form, headers=header).status_code == 200
    behind_proxy = web.client(headers={**HTML, "Origin": "http://127.0.0.1:8000"})  # CASEFLOW_BASE_URL
    assert behind_proxy.post("/login", data=form).status_code == 303


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_login_form_returns_only_to_this_site(web: Web) -> None:
    client = web.client(headers=HTML)
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        signed_in = client.post("/login", data={"username": "clerk", "password": PASSWORD, "next": target})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/", target
