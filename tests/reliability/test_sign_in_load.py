"""Sign-in cannot take the server down (issue 13, item 5), against real ``caseflow serve`` processes
on SQLite and PostgreSQL:

- 100 wrong sign-ins at once while a signed-in probe (GET /api/v1/requests, which reads the database)
  is answered within a second every time: with the default limits (at most 5 failures counted for the
  user name and 20 for the address, every other attempt refused 429 with Retry-After, nothing slept),
  and with the limits lifted (all 100 passwords checked with argon2, in threads of their own: the event
  loop stays free);
- the limit is shared by two servers on one database.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from caseflow.models import LoginAttempt
from tests.integration.conftest import World
from tests.integration.webapp import PASSWORD
from tests.reliability.conftest import API, Server, new_server

ATTEMPTS = 100
PROBE_BUDGET = 1.0  # seconds


#: The attacker: a separate process (its threads do not compete with the probe's for this process's
#: interpreter), sending every sign-in at once with asyncio and printing each answer as JSON.
ATTACKER = """
import asyncio, json, sys
import httpx

async def main(base, usernames):
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=httpx.Limits(max_connections=None)) as c:
        async def one(i, name):
            r = await c.post("/api/v1/auth/token", data={"username": name, "password": f"wrong password {i}"})
            body = r.json()
            return [name, r.status_code, r.headers.get("retry-after"), body.get("code")]
        print(json.dumps(await asyncio.gather(*(one(i, n) for i, n in enumerate(usernames)))))

asyncio.run(main(sys.argv[1], sys.argv[2:]))
"""


def attack(server: Server, usernames: list[str]) -> list[tuple[str, int, str | None, str | None]]:
    """Every user name's wrong sign-in, all at once; (user name, status, Retry-After, code) each."""
    done = subprocess.run(
        [sys.executable, "-c", ATTACKER, server.base_url, *usernames],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [tuple(answer) for answer in json.loads(done.stdout)]  # type: ignore[misc]


def probe_while(server: Server, token: str, busy: threading.Event, done: threading.Event) -> list[float]:
    """Seconds each probe took, from the moment the attack starts until it ends."""
    timings: list[float] = []
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        busy.wait(timeout=60)
        while not done.is_set():
            started = time.monotonic()
            response = client.get(f"{API}/requests")
            # a failed probe counts as too slow (an assertion here would be lost with the thread)
            timings.append(time.monotonic() - started if response.status_code == 200 else float("inf"))
            time.sleep(0.05)
    return timings


@pytest.mark.parametrize("lifted", [False, True], ids=["default-limits", "limits-lifted"])
def test_parallel_wrong_sign_ins_leave_the_server_answering(
    world: World,
    engine: Engine,
    db_url: str,
    isolated_data_dir: Path,
    tmp_path: Path,
    servers: list[Server],
    monkeypatch: pytest.MonkeyPatch,
    lifted: bool,
) -> None:
    world.session.rollback()
    if lifted:
        monkeypatch.setenv("CASEFLOW_SIGNIN_USER_LIMIT", "1000")
        monkeypatch.setenv("CASEFLOW_SIGNIN_ADDRESS_LIMIT", "1000")
    server = new_server(db_url, isolated_data_dir, tmp_path, "server")
    servers.append(server.start())
    token = server.token("supervisor")
    baseline = []
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(5):
            started = time.monotonic()
            assert client.get(f"{API}/requests").status_code == 200
            baseline.append(round(time.monotonic() - started, 3))
    usernames = ["clerk" if i % 2 else f"guess{i}" for i in range(ATTEMPTS)]
    busy, done = threading.Event(), threading.Event()
    timings: list[float] = []
    prober = threading.Thread(target=lambda: timings.extend(probe_while(server, token, busy, done)))
    prober.start()
    started = time.monotonic()
    busy.set()
    try:
        answers = attack(server, usernames)
    finally:
        done.set()
        prober.join(timeout=120)
    took = time.monotonic() - started
    assert len(timings) >= 3, f"the probe ran {len(timings)} times during {took:.1f} s"
    slow = [round(t, 2) for t in timings if t >= PROBE_BUDGET]
    assert not slow, (
        f"probes slower than {PROBE_BUDGET} s during the attack ({took:.1f} s): {slow} "
        f"(of {len(timings)}; before the attack: {baseline})"
    )
    statuses = Counter(status for _, status, _, _ in answers)
    assert set(statuses) <= {401, 429}, statuses
    if lifted:
        assert statuses[401] == ATTEMPTS  # every password was checked (argon2), off the event loop
    else:
        assert statuses[401] <= 20, statuses  # at most the address's allowance was checked
        assert sum(1 for name, status, _, _ in answers if name == "clerk" and status == 401) <= 5
        refused = [(after, code) for _, status, after, code in answers if status == 429]
        assert len(refused) >= ATTEMPTS - 20
        assert all(after and int(after) > 0 and code == "sign_in_throttled" for after, code in refused)
        # the right password is refused too until the window passes
        right = httpx.post(
            f"{server.base_url}{API}/auth/token", data={"username": "clerk", "password": PASSWORD}
        )
        assert right.status_code == 429 and "retry-after" in right.headers


def test_the_limit_is_shared_by_two_servers(
    world: World, engine: Engine, db_url: str, isolated_data_dir: Path, tmp_path: Path, servers: list[Server]
) -> None:
    world.session.rollback()
    first = new_server(db_url, isolated_data_dir, tmp_path, "first")
    second = new_server(db_url, isolated_data_dir, tmp_path, "second")
    servers.extend([first.start(), second.start()])

    def sign_in(server: Server, password: str) -> httpx.Response:
        return httpx.post(
            f"{server.base_url}{API}/auth/token", data={"username": "clerk", "password": password}
        )

    for server in (first, first, first, second, second):
        assert sign_in(server, "wrong password").status_code == 401
    for server in (first, second):
        refused = sign_in(server, PASSWORD)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    with Session(engine) as s:
        counted = s.exec(
            select(func.count())
            .select_from(LoginAttempt)
            .where(col(LoginAttempt.kind) == "user", col(LoginAttempt.key) == "clerk")
        ).one()
    assert counted == 5  # both servers' failures, none of the refusals
    assert (
        httpx.post(
            f"{second.base_url}{API}/auth/token", data={"username": "reviewer", "password": PASSWORD}
        ).status_code
        == 200
    )
