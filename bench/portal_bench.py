"""The public portal at scale (issue 18): p50/p95/p99 over HTTP (``caseflow serve`` on loopback, an
httpx client with keep-alive) of the online submission (``POST /api/v1/public/applications``) and
the status look-up (``GET /api/v1/public/applications/{submission_no}?code=``: awaiting, confirmed,
and with a wrong code), with N requests and some thousands of online applications (a fifth of them
confirmed, so registered requests) in SQLite. Goal: p95 < 100 ms.

The rate limits stay in the path (``caseflow.ratelimit``: a counting write per call, one more per
failed look-up): their settings (``CASEFLOW_PORTAL_*``) are raised above what the benchmark sends,
and every simulated applicant calls from an address of its own (X-Forwarded-For, which ``caseflow
serve`` trusts from 127.0.0.1, its proxy), so each call pays the limiter's cost without being refused.
The anchor is the same server's cheapest route (``GET /favicon.ico``) over the same client, in the
same shuffled sequence of calls.

N is 1,000,000 by default (10,000 with --quick): ``CASEFLOW_BENCH_PORTAL_CASES``. The database is
built by the read benchmark's builder; ``CASEFLOW_BENCH_PORTAL_DB=/path/x.db`` keeps it (built there
when absent; its identity keys in ``x.db.data``, the seeded applications' codes in ``x.db.codes.json``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import Session, col, select
from stdnum.cn import ric

from bench.common import Figure, restore_env, set_env
from bench.read_bench import _build
from bench.web_bench import _free_port
from caseflow.cases.actor import Actor
from caseflow.db import make_engine
from caseflow.models import OnlineApplication, User
from caseflow.portal import applications as portal

GOAL_MS = 100.0
SUBJECTS = ["公园绿化", "道路养护", "学校建设"]
API = "/api/v1/public/applications"
#: Limits far above what one run sends: the limiter is consulted on every call, never refuses.
LIMITS = {
    "CASEFLOW_PORTAL_SUBMISSIONS_PER_HOUR": "1000000",
    "CASEFLOW_PORTAL_SUBMISSIONS_GLOBAL_PER_HOUR": "1000000",
    "CASEFLOW_PORTAL_LOOKUPS_PER_MINUTE": "1000000",
    "CASEFLOW_PORTAL_LOOKUPS_GLOBAL_PER_MINUTE": "1000000",
    "CASEFLOW_PORTAL_LOOKUP_FAILURES_PER_HOUR": "1000000",
    "CASEFLOW_PORTAL_LOOKUP_FAILURES_PER_NUMBER_PER_HOUR": "1000000",
}


def _form(rng: random.Random) -> dict[str, Any]:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))
    body = f"110101{born:%Y%m%d}{rng.randrange(1000):03d}"
    return {
        "agency": "city",
        "applicant_type": "natural_person",
        "applicant_name": rng.choice("赵钱孙李周吴郑王") + rng.choice(["伟", "芳", "娜", "敏", "静", "磊"]),
        "id_type": "居民身份证",
        "id_number": body + ric.calc_check_digit(body + "0"),
        "phone": f"139{rng.randrange(10**8):08d}",
        "email": "",
        "address": "",
        "description": f"{rng.randrange(2015, 2026)}年本市{rng.choice(SUBJECTS)}合同及验收材料",
        "provision_form": "electronic",
    }


def _seed(url: str, count: int, confirmed: int) -> list[dict[str, Any]]:
    """``count`` online applications through the real code, the first ``confirmed`` of them confirmed
    by the city's clerk (registering requests); their numbers and codes."""
    engine = make_engine(url)
    rng = random.Random(18)
    seeded: list[dict[str, Any]] = []
    with Session(engine) as session:
        clerk = session.exec(select(User).where(col(User.username) == "clerk")).one()
        actor = Actor.of(session, clerk)
        for i in range(count):
            done = portal.submit(session, _form(rng), client_address=f"10.9.{i // 250}.{i % 250}")
            seeded.append({"no": done.submission_no, "code": done.access_code, "confirmed": i < confirmed})
        for item in seeded[:confirmed]:
            row_id = session.exec(
                select(OnlineApplication.id).where(col(OnlineApplication.submission_no) == item["no"])
            ).one()
            assert row_id is not None
            portal.confirm(session, actor, row_id)
    engine.dispose()
    return seeded


def _present(url: str, submission_no: str) -> bool:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM online_application WHERE submission_no = :no"), {"no": submission_no}
        ).scalar()
    engine.dispose()
    return bool(found)


def _prepare(db: Path, cases: int, applications: int) -> tuple[int, list[dict[str, Any]]]:
    """Build (or reuse) the database; seed its online applications once; the request count and them."""
    url = f"sqlite:///{db}"
    _build(url, cases)
    codes = Path(f"{db}.codes.json")
    seeded: list[dict[str, Any]] = json.loads(codes.read_text(encoding="utf-8")) if codes.exists() else []
    if not seeded or not _present(url, seeded[0]["no"]):  # none yet, or left from a deleted database
        seeded = _seed(url, applications, applications // 5)
        codes.write_text(json.dumps(seeded), encoding="utf-8")
    engine = make_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM request")).scalar() or 0)
    engine.dispose()
    return count, seeded


@contextmanager
def _server(env: dict[str, str], cwd: Path) -> Iterator[str]:
    """``caseflow serve`` as deployed (proxy headers trusted from 127.0.0.1), scheduler off."""
    port = _free_port()
    cmd = [sys.executable, "-m", "caseflow", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = cwd / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                httpx.get(f"{base}/favicon.ico", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                    raise RuntimeError(f"the server did not start:\n{tail}") from None
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


class _Addresses:
    """A fresh client address per simulated applicant (10.x.y.z)."""

    def __init__(self, start: int) -> None:
        self.next = start

    def __call__(self) -> dict[str, str]:
        self.next += 1
        n = self.next
        return {"X-Forwarded-For": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"}


def _round(
    client: httpx.Client,
    rng: random.Random,
    address: _Addresses,
    seeded: list[dict[str, Any]],
    sizes: dict[str, int],
) -> dict[str, list[float]]:
    """One round: every call of every kind in one shuffled sequence; milliseconds per kind."""
    awaiting = [x for x in seeded if not x["confirmed"]]
    confirmed = [x for x in seeded if x["confirmed"]]
    plan = [kind for kind, n in sizes.items() for _ in range(n)]
    rng.shuffle(plan)
    out: dict[str, list[float]] = {kind: [] for kind in sizes}
    for kind in plan:
        headers = address()
        if kind == "submission":
            start = time.perf_counter()
            reply = client.post(API, json=_form(rng), headers=headers)
            elapsed = time.perf_counter() - start
            expected = 201
        elif kind == "anchor":
            start = time.perf_counter()
            reply = client.get("/favicon.ico", headers=headers)
            elapsed = time.perf_counter() - start
            expected = 200
        else:
            item = rng.choice(confirmed if kind == "look-up, confirmed" else awaiting)
            code = item["code"] if kind != "look-up, wrong code" else item["code"][1:] + item["code"][0]
            start = time.perf_counter()
            reply = client.get(f"{API}/{item['no']}", params={"code": code}, headers=headers)
            elapsed = time.perf_counter() - start
            expected = 404 if kind == "look-up, wrong code" else 200
            if expected == 200 and ("tracking_no" in reply.text) != (kind == "look-up, confirmed"):
                raise AssertionError(f"{kind}: {reply.text[:200]}")
        if reply.status_code != expected:
            raise AssertionError(f"{kind}: {reply.status_code} {reply.text[:200]}")
        out[kind].append(elapsed * 1000)
    return out


def _pct(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def measure(
    base: str, seeded: list[dict[str, Any]], rounds: int, sizes: dict[str, int]
) -> list[dict[str, list[float]]]:
    """``rounds`` rounds over one keep-alive client (after a warm-up of each kind)."""
    rng = random.Random(7)
    address = _Addresses(int(time.time()) % 2**22)  # new addresses on every run against a kept database
    with httpx.Client(base_url=base, timeout=120) as client:
        _round(client, rng, address, seeded, dict.fromkeys(sizes, 3))
        return [_round(client, rng, address, seeded, sizes) for _ in range(rounds)]


def figures(results: list[dict[str, list[float]]], count: int, applications: int) -> list[Figure]:
    """Per kind: the medians over rounds of p50/p95/p99; the anchor's p95 beside each."""
    med = {
        kind: [statistics.median(_pct(r[kind])[i] for r in results) for i in range(3)] for kind in results[0]
    }
    anchor = med.pop("anchor")
    calls = {kind: len(results[0][kind]) for kind in med}
    out = []
    for kind, (p50, p95, p99) in med.items():
        verdict = "PASS" if p95 < GOAL_MS else "MISS"
        out.append(
            Figure(
                f"portal {kind}: p95 over HTTP, {count:,} requests and {applications:,} online "
                "applications in SQLite",
                p95,
                "ms",
                "GET /favicon.ico, same server and client",
                anchor[1],
                f"p95 < {GOAL_MS:.0f} ms: {verdict}",
                f"medians of {len(results)} rounds of {calls[kind]} calls: p50 {p50:.1f} ms, "
                f"p99 {p99:.1f} ms; anchor p50 {anchor[0]:.1f} ms, p95 {anchor[1]:.1f} ms, "
                f"p99 {anchor[2]:.1f} ms",
            )
        )
    return out


def run(quick: bool) -> list[Figure]:
    cases = int(os.environ.get("CASEFLOW_BENCH_PORTAL_CASES", "0")) or (10_000 if quick else 1_000_000)
    applications = 300 if quick else 5_000
    rounds = 2 if quick else 3
    sizes = (
        {"submission": 20, "look-up, awaiting": 40, "look-up, confirmed": 40, "look-up, wrong code": 20}
        if quick
        else {
            "submission": 200,
            "look-up, awaiting": 400,
            "look-up, confirmed": 400,
            "look-up, wrong code": 200,
        }
    )
    sizes["anchor"] = sizes["look-up, awaiting"]
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = Path(os.environ.get("CASEFLOW_BENCH_PORTAL_DB") or tmp / "portal.db")
        data = Path(f"{db}.data")
        settings = {"CASEFLOW_DATA_DIR": str(data), "CASEFLOW_LETTER_PDF": "0", "CASEFLOW_SCHEDULER": "false"}
        saved = set_env(**settings)
        try:
            count, seeded = _prepare(db, cases, applications)
        finally:
            restore_env(saved)
        env = {**os.environ, **settings, **LIMITS, "CASEFLOW_DATABASE_URL": f"sqlite:///{db}"}
        with _server(env, tmp) as base:
            results = measure(base, seeded, rounds, sizes)
        return figures(results, count, len(seeded))


if __name__ == "__main__":
    for f in run("--quick" in sys.argv):
        print(
            f"{f.name}\n  {f.value:.1f} {f.unit}, anchor {f.anchor_value:.2f} {f.unit}, "
            f"ratio {f.ratio:.1f}, {f.goal}\n  {f.note}"
        )
