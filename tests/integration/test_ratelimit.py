"""The public portal's rate limits (``caseflow.ratelimit``), on SQLite and PostgreSQL: counted per
address and for everyone in fixed windows, refused past the limit with the moment to try again (a
refused call counts nowhere), old windows pruned, parallel calls counted exactly; failed look-ups
lock an address or a number (even for the right code) until the window ends; no public route
shows personal data without the code; a key rotation re-encrypts online applications too.
(Across two server processes: ``test_ratelimit_processes.py``.)"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from caseflow import identity, ratelimit
from caseflow.models import Applicant, OnlineApplication, RateLimitCount
from caseflow.portal import applications as portal
from caseflow.ratelimit import LOOKUP, LOOKUP_FAIL, SUBMIT, RateLimited
from caseflow.settings import get_settings
from tests.integration.conftest import World
from tests.integration.webapp import Web

API = "/api/v1"
T = 1_800_000_000.0  # the first second of an hour (and of a minute), Unix time
ADDRESS, OTHER = "192.0.2.1", "192.0.2.2"


def configure(monkeypatch: pytest.MonkeyPatch, **values: int) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"CASEFLOW_{name.upper()}", str(value))
    get_settings.cache_clear()


def counts(engine: Engine) -> dict[tuple[str, str, int], int]:
    with Session(engine) as s:
        rows = s.exec(select(RateLimitCount)).all()
        return {(r.scope, r.key, r.window_start): r.count for r in rows}


def test_hit_counts_per_address_and_refuses_past_the_limit(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, portal_submissions_per_hour=3, portal_submissions_global_per_hour=100)
    for _ in range(3):
        ratelimit.hit(engine, SUBMIT, ADDRESS, moment_s=T + 10)
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit(engine, SUBMIT, ADDRESS, moment_s=T + 10)
    assert refused.value.retry_after == 3590 and refused.value.code == "rate_limited"
    assert "本机地址在1小时内已提交网上申请3次" in refused.value.message
    assert "约60分钟后" in refused.value.message and "再试" in refused.value.message
    ratelimit.hit(engine, SUBMIT, OTHER, moment_s=T + 20)  # another address is not held up
    start = int(T)
    # the refused call counted nowhere, not even for everyone
    assert counts(engine) == {
        (SUBMIT, ADDRESS, start): 3,
        (SUBMIT, OTHER, start): 1,
        (SUBMIT, "*", start): 4,
    }
    ratelimit.hit(engine, SUBMIT, ADDRESS, moment_s=T + 3600)  # a new window: allowed again


def test_the_global_limit_holds_across_addresses(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, portal_lookups_per_minute=100, portal_lookups_global_per_minute=5)
    for i in range(5):
        ratelimit.hit(engine, LOOKUP, f"198.51.100.{i}", moment_s=T + 30)
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit(engine, LOOKUP, "198.51.100.99", moment_s=T + 30)
    assert refused.value.retry_after == 30 and "查询量已达本系统1分钟内5次的上限" in refused.value.message
    assert "约30秒后" in refused.value.message
    assert counts(engine)[(LOOKUP, "*", int(T))] == 5
    assert (LOOKUP, "198.51.100.99", int(T)) not in counts(engine)


def test_old_windows_are_pruned_when_a_new_window_begins(engine: Engine) -> None:
    with Session(engine) as s:
        rows = [
            (SUBMIT, ADDRESS, int(T) - 7200),  # ended an hour ago: pruned
            (SUBMIT, ADDRESS, int(T) - 3600),  # the window before: kept
            (LOOKUP, ADDRESS, int(T) - 120),  # a minute's window ended a minute ago: pruned
            (LOOKUP, ADDRESS, int(T) - 60),
            (LOOKUP_FAIL, "no:X", int(T) - 7200),
        ]
        s.execute(
            insert(RateLimitCount),
            [{"scope": a, "key": b, "window_start": c, "count": 1} for a, b, c in rows],
        )
        s.commit()
    ratelimit.hit(engine, LOOKUP, OTHER, moment_s=T + 1)  # the first look-up of this minute
    assert set(counts(engine)) == {
        (SUBMIT, ADDRESS, int(T) - 3600),
        (LOOKUP, ADDRESS, int(T) - 60),
        (LOOKUP, OTHER, int(T)),
        (LOOKUP, "*", int(T)),
    }


def test_parallel_hits_let_exactly_the_limit_through(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight threads, each on its own connection, 40 calls for a limit of 25: 25 get through."""
    configure(monkeypatch, portal_submissions_per_hour=25, portal_submissions_global_per_hour=1000)
    passed, refused, errors = [], [], []
    gate = threading.Barrier(8)

    def caller() -> None:
        gate.wait()
        for _ in range(5):
            try:
                ratelimit.hit(engine, SUBMIT, ADDRESS, moment_s=T + 5)
                passed.append(1)
            except RateLimited:
                refused.append(1)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and (len(passed), len(refused)) == (25, 15)
    assert counts(engine) == {(SUBMIT, ADDRESS, int(T)): 25, (SUBMIT, "*", int(T)): 25}


def test_failed_look_ups_lock_the_number_and_the_address(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, portal_lookup_failures_per_hour=3, portal_lookup_failures_per_number_per_hour=2)
    # two addresses guessing one number: the number is locked for everyone, other numbers are not
    ratelimit.record_failure(engine, ADDRESS, "gk-2026-000001", moment_s=T + 1)
    ratelimit.record_failure(engine, OTHER, "GK-2026-000001 ", moment_s=T + 2)
    with pytest.raises(RateLimited) as refused:
        ratelimit.check_guessing(engine, "203.0.113.9", "GK-2026-000001", moment_s=T + 3)
    assert "该编号在1小时内已有2次编号或查询码不符的查询" in refused.value.message
    ratelimit.check_guessing(engine, "203.0.113.9", "GK-2026-000002", moment_s=T + 3)
    # one address guessing many numbers: the address is locked, whatever the number
    ratelimit.record_failure(engine, ADDRESS, "GK-2026-000003", moment_s=T + 4)
    ratelimit.record_failure(engine, ADDRESS, "GK-2026-000004", moment_s=T + 5)
    with pytest.raises(RateLimited) as refused:
        ratelimit.check_guessing(engine, ADDRESS, "GK-2026-000005", moment_s=T + 6)
    assert "本机地址在1小时内已有3次编号或查询码不符" in refused.value.message
    assert refused.value.retry_after == 3594
    ratelimit.check_guessing(engine, OTHER, "GK-2026-000005", moment_s=T + 6)
    # the next hour: both free again
    ratelimit.check_guessing(engine, ADDRESS, "GK-2026-000001", moment_s=T + 3600)


# --- over HTTP ----------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_wrong_codes_lock_a_number_even_for_the_right_code(
    web: Web, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        monkeypatch,
        portal_lookups_per_minute=100,
        portal_lookup_failures_per_hour=100,
        portal_lookup_failures_per_number_per_hour=3,
    )
    locked, free = world.new_case(), world.new_case()
    world.session.commit()
    client = web.api(None)

    def look(case: Any, code: str) -> Any:
        body = {"tracking_no": case.tracking_no, "code": code}
        return client.post(f"{API}/public/status", json=body)

    for _ in range(5):  # successes never count as failures
        assert look(locked, locked.query_code).status_code == 200
    for _ in range(3):
        assert look(locked, "WRONGCOD").status_code == 404
    refused = look(locked, locked.query_code)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "为防止他人猜测查询码" in refused.json()["detail"]
    # the page says so too, in Chinese, and the online application's look-up counts the same way
    page = web.client().post(
        "/public/status", data={"tracking_no": locked.tracking_no, "code": locked.query_code}
    )
    assert page.status_code == 429 and "暂停对该编号的查询" in page.text and "Retry-After" in page.headers
    assert look(free, free.query_code).status_code == 200  # other numbers answer
    done = portal.submit(world.session, portal.OnlineForm(**_online()), client_address="x")
    for _ in range(3):
        wrong = client.get(f"{API}/public/applications/{done.submission_no}", params={"code": "X"})
        assert wrong.status_code == 404
    right = client.get(f"{API}/public/applications/{done.submission_no}", params={"code": done.access_code})
    assert right.status_code == 429


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_look_ups_are_limited_per_address(web: Web, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, portal_lookups_per_minute=3)
    case = world.new_case()
    world.session.commit()
    body = {"tracking_no": case.tracking_no, "code": case.query_code}
    client = web.api(None)
    assert [client.post(f"{API}/public/status", json=body).status_code for _ in range(3)] == [200] * 3
    refused = client.post(f"{API}/public/status", json=body)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert "查询过于频繁：本机地址在1分钟内已查询3次" in refused.json()["detail"]
    from tests.integration.webapp import reset_limits

    reset_limits()  # the tests' reset forgets the counts
    assert client.post(f"{API}/public/status", json=body).status_code == 200


# --- privacy -------------------------------------------------------------------------------------

PERSONAL = {
    "applicant_name": "欧阳隐私",
    "phone": "13987654321",
    "email": "ouyang.private@example.cn",
    "address": "某市隐私路99号",
    "description": "关于隐私测试专用事项的政府信息",
}


def _online(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "agency": "city",
        "applicant_type": "natural_person",
        "id_type": "居民身份证",
        "id_number": "110101199001061234",
        "provision_form": "electronic",
        **PERSONAL,
    }
    body.update(changes)
    return body


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_public_route_shows_personal_data_without_the_code(
    web: Web, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every public route (``caseflow.api.permissions`` PUBLIC), called with the real numbers and a wrong
    code, answers without the applicant's name, ID number, contacts or request."""
    from caseflow.api.permissions import PERMISSIONS, PUBLIC
    from tests.integration.test_permissions import ROUTES

    configure(monkeypatch, portal_lookups_per_minute=10_000, portal_lookup_failures_per_hour=10_000)
    configure(monkeypatch, portal_lookup_failures_per_number_per_hour=10_000)
    case = world.new_case(**PERSONAL, id_number="110101199001061234")
    done = portal.submit(world.session, portal.OnlineForm(**_online()), client_address="x")
    world.session.commit()
    secrets = [*PERSONAL.values(), "110101199001061234", case.query_code, done.access_code]
    numbers = {"tracking_no": case.tracking_no, "submission_no": done.submission_no, "code": "WRONG234"}
    client = web.client(raise_server_exceptions=False)
    called = []
    for route in ROUTES:
        if PERMISSIONS.get(route.name) != PUBLIC or route.name in ("auth_token", "page_login_submit"):
            continue
        path = route.path.format_map(_Params(case.tracking_no, done.submission_no))
        if route.method == "GET":
            response = client.get(path, params=numbers)
        elif route.is_api:
            response = client.post(path, json=numbers)
        else:
            response = client.post(path, data=numbers)
        called.append(route.name)
        leaked = [s for s in secrets if s in response.text]
        assert leaked == [], f"{route}: {response.status_code} shows {leaked}"
    assert {"public_status_lookup", "public_application_status", "page_public_status_lookup"} <= set(called)
    # and the right code does show the request (the check above could not pass by showing nothing)
    found = web.api(None).post(
        f"{API}/public/status", json={"tracking_no": case.tracking_no, "code": case.query_code}
    )
    assert found.status_code == 200 and found.json()["tracking_no"] == case.tracking_no
    wrong = web.api(None).get(f"{API}/public/applications/{done.submission_no}", params={"code": "X"})
    unknown = web.api(None).get(f"{API}/public/applications/W20990101-ZZZZZZZZ", params={"code": "X"})
    assert wrong.status_code == unknown.status_code == 404 and wrong.json() == unknown.json()


class _Params(dict[str, str]):
    """Path parameters: the real numbers where a route names them, something plausible elsewhere."""

    def __init__(self, tracking_no: str, submission_no: str) -> None:
        super().__init__(tracking_no=tracking_no, submission_no=submission_no)

    def __missing__(self, key: str) -> str:
        return "1"


# --- key rotation ---------------------------------------------------------------------------------


def test_key_rotation_reencrypts_online_applications(world: World) -> None:
    number = "110101199001061234"
    before = portal.submit(world.session, portal.OnlineForm(**_online(id_number=number)), client_address="x")
    world.new_case(id_number=number)
    old_kid = identity.load_keys().current
    new_kid = identity.rotate_key()
    after = portal.submit(world.session, portal.OnlineForm(**_online(id_number=number)), client_address="y")
    assert identity.reencrypt(world.session) == 2  # the applicant and the earlier application
    world.session.expire_all()
    for submission_no in (before.submission_no, after.submission_no):
        row = world.session.exec(
            select(OnlineApplication).where(col(OnlineApplication.submission_no) == submission_no)
        ).one()
        assert identity.key_id(row.id_number_enc) == new_kid
        assert identity.decrypt(row.id_number_enc) == number
    ciphertexts = [r.id_number_enc for r in world.session.exec(select(OnlineApplication)).all()]
    ciphertexts += [r.id_number_enc for r in world.session.exec(select(Applicant)).all()]
    assert len(ciphertexts) == 3 and not any(identity.key_id(c) == old_kid for c in ciphertexts)
    assert identity.reencrypt(world.session) == 0


def test_the_rotate_command_reencrypts_online_applications_too(world: World, cli_runner: Any) -> None:
    from caseflow.cli import app

    done = portal.submit(world.session, portal.OnlineForm(**_online()), client_address="x")
    world.session.commit()
    result = cli_runner.invoke(app, ["identity-key", "rotate"])
    assert result.exit_code == 0, result.output
    new_kid = identity.load_keys().current
    assert f"已启用新的身份证件号码加密密钥 {new_kid}" in result.output
    assert "重新加密 1 个证件号码" in result.output and "网上申请" in result.output
    world.session.expire_all()
    row = world.session.exec(
        select(OnlineApplication).where(col(OnlineApplication.submission_no) == done.submission_no)
    ).one()
    assert identity.key_id(row.id_number_enc) == new_kid
    again = cli_runner.invoke(app, ["identity-key", "reencrypt"])
    assert again.exit_code == 0 and "重新加密 0 个证件号码" in again.output
