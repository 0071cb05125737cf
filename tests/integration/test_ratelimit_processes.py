"""The portal's rate limits hold across server processes: two real ``caseflow serve`` processes
(uvicorn) on one SQLite file, calls alternating between them, reach each limit exactly at its
configured count in total, not per process. Client addresses come from X-Forwarded-For, which
uvicorn trusts from the loopback proxy (as behind a real one)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, func, select

from caseflow.db import make_engine
from caseflow.models import Case, OnlineApplication
from tests.integration.conftest import World
from tests.integration.test_portal_applications import form
from tests.reliability.conftest import API, Server, new_server, servers  # noqa: F401 - fixture

PER_ADDRESS, GLOBAL, PER_NUMBER = 4, 7, 3


def _clear_of_the_hour_boundary(margin: float = 60.0) -> None:
    """The limits use fixed hourly windows: a run across an hour's end would start afresh. (The
    margin leaves room for a machine busy with other test processes: about 20 calls follow.)"""
    left = 3600 - time.time() % 3600
    if left < margin:
        time.sleep(left + 0.5)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_limits_are_shared_by_two_server_processes(
    db_url: str,
    world: World,
    tmp_path: Path,
    servers: list[Server],  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = world.new_case()
    world.session.commit()
    tracking_no, query_code = case.tracking_no, case.query_code
    world.session.close()
    for name, value in {
        "CASEFLOW_PORTAL_SUBMISSIONS_PER_HOUR": PER_ADDRESS,
        "CASEFLOW_PORTAL_SUBMISSIONS_GLOBAL_PER_HOUR": GLOBAL,
        "CASEFLOW_PORTAL_LOOKUP_FAILURES_PER_NUMBER_PER_HOUR": PER_NUMBER,
    }.items():
        monkeypatch.setenv(name, str(value))  # read by the servers' settings
    pair = [new_server(db_url, tmp_path / "data", tmp_path, name) for name in ("one", "two")]
    servers.extend(pair)  # stopped at the end, started or not
    with ThreadPoolExecutor(2) as starting:  # both at once: starting is most of this test's time
        list(starting.map(Server.start, pair))
    clients = [httpx.Client(base_url=s.base_url, timeout=30) for s in pair]
    _clear_of_the_hour_boundary()

    def submit(n: int, address: str) -> httpx.Response:
        return clients[n % 2].post(
            f"{API}/public/applications", json=form(), headers={"X-Forwarded-For": address}
        )

    # one address, alternating servers: exactly PER_ADDRESS in total, then refused by both
    answers = [submit(n, "203.0.113.1").status_code for n in range(PER_ADDRESS + 2)]
    assert answers == [201] * PER_ADDRESS + [429, 429]
    refused = submit(0, "203.0.113.1")
    assert (
        refused.json()["code"] == "rate_limited"
        and "本机地址在1小时内已提交网上申请" in refused.json()["detail"]
    )
    assert 0 < int(refused.headers["Retry-After"]) <= 3600

    # many addresses: everyone's limit is reached at GLOBAL in total
    answers = [submit(n, f"203.0.113.{10 + n}").status_code for n in range(GLOBAL - PER_ADDRESS + 2)]
    assert answers == [201] * (GLOBAL - PER_ADDRESS) + [429, 429]
    assert "网上申请提交量已达本系统1小时内7次的上限" in submit(1, "203.0.113.99").json()["detail"]

    # guessing one request's code from several addresses through both servers locks the number
    for n in range(PER_NUMBER):
        wrong = clients[n % 2].post(
            f"{API}/public/status",
            json={"tracking_no": tracking_no, "code": "WRONG234"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
        assert wrong.status_code == 404
    right = clients[1].post(
        f"{API}/public/status",
        json={"tracking_no": tracking_no, "code": query_code},
        headers={"X-Forwarded-For": "198.51.100.200"},
    )
    assert right.status_code == 429 and "暂停对该编号的查询" in right.json()["detail"]

    for client in clients:
        client.close()
    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(OnlineApplication)).one() == GLOBAL
        assert s.exec(select(func.count()).select_from(Case)).one() == 1
    engine.dispose()
