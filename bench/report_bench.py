"""The annual report (tables 三 and 四 with their checks) for an agency tree holding 1,000,000 requests,
computed by SQL aggregation, on SQLite and on PostgreSQL. Goals: under 5 s on SQLite, 2 s on PostgreSQL.

Building a million requests takes minutes, so the built databases are kept between runs: the SQLite
file under ``~/.cache/caseflow/bench/`` and the PostgreSQL database ``cf_bench_report_<key>``, both
keyed by the parameters (count, seed, the fixed "today", the builder's version). A build that did not
finish is never reused (the SQLite file is renamed into place at the end; PostgreSQL gets a marker
row last). ``--quick`` uses 20,000 requests. PostgreSQL comes from ``CASEFLOW_BENCH_POSTGRES_URL``
(default: the local server); when it cannot be reached its figure is reported as skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from bench.common import Figure, best_of
from caseflow.accounts import create_agency
from caseflow.bulk import bulk_requests
from caseflow.db import make_engine, upgrade
from caseflow.models import Agency, Counter, User

FULL_COUNT = 1_000_000
QUICK_COUNT = 20_000
SEED = 8
#: Fixed, so that a cached database stays valid: requests are spread over 2024-01-01..2026-11-29.
TODAY = dt.date(2026, 11, 30)
YEAR = 2025
#: Bump when the data the builder makes changes (invalidates the caches).
BUILDER_VERSION = 4  # 4: bulk data with per-agency clerks, varied descriptions, spread answers
GOALS = {"sqlite": 5.0, "postgresql": 2.0}
#: The tree: a city office, six departments, three districts with two offices each.
TREE: tuple[tuple[str, str, str | None], ...] = (
    ("city", "某市人民政府办公室", None),
    *((f"dept{i}", f"某市第{i}局", "city") for i in range(1, 7)),
    *((f"district{i}", f"某市第{i}区人民政府", "city") for i in range(1, 4)),
    *((f"district{i}-{j}", f"某市第{i}区第{j}办", f"district{i}") for i in range(1, 4) for j in (1, 2)),
)
MARKER = ("bench", "report-complete")


def cache_key(count: int) -> str:
    raw = f"{count}-{SEED}-{TODAY.isoformat()}-{BUILDER_VERSION}"
    return f"{count}-{hashlib.sha256(raw.encode()).hexdigest()[:10]}"


def cache_dir() -> Path:
    return Path(os.environ.get("CASEFLOW_BENCH_CACHE", Path.home() / ".cache" / "caseflow" / "bench"))


def postgres_admin_url() -> str:
    return os.environ.get(
        "CASEFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )


def build(engine: Engine, count: int, progress: Callable[[int], None] | None = None) -> None:
    """The agency tree, a clerk, ``count`` bulk requests spread over the tree, review and litigation
    records for about one concluded request in a hundred, statistics for the planner, the marker."""
    with Session(engine) as session:
        for code, name, parent in TREE:
            create_agency(session, code=code, name=name, parent_code=parent)
        session.commit()
        city = session.exec(select(Agency.id).where(col(Agency.code) == "city")).one()
        assert city is not None
        session.add(
            User(username="clerk", display_name="clerk", password_hash="-", roles="clerk", agency_id=city)
        )
        session.commit()
    bulk_requests(
        engine,
        count=count,
        seed=SEED,
        today=TODAY,
        agency_codes=[code for code, _, _ in TREE],
        batch=5000,
        progress=progress,
    )
    with engine.begin() as conn:
        # Review (result by id) and litigation (direct or after review), concluded some weeks later
        # or still pending; only for decisions (answered or closed), as the engine allows.
        conn.execute(
            text(
                "INSERT INTO remedy_record (case_id, kind, path, filed_on, body, reference_no, result, "
                "concluded_on) SELECT id, CASE WHEN id % 3 = 0 THEN 'litigation' ELSE 'review' END, "
                "CASE WHEN id % 3 = 0 THEN (CASE WHEN id % 2 = 0 THEN 'direct' ELSE 'after_review' END) "
                "ELSE '' END, answered_on, '某市人民政府', '', "
                "CASE id % 4 WHEN 0 THEN 'maintained' WHEN 1 THEN 'corrected' WHEN 2 THEN 'other' END, "
                "CASE WHEN id % 4 = 3 THEN NULL ELSE answered_on END "
                "FROM request WHERE state = 'answered' AND id % 97 = 5"
            )
        )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    with Session(engine) as session:
        session.add(Counter(scope=MARKER[0], key=MARKER[1], value=count))
        session.commit()


def _complete(engine: Engine) -> bool:
    try:
        with Session(engine) as session:
            return session.get(Counter, MARKER) is not None
    except Exception:  # noqa: BLE001 - an unreadable or half-made database is simply rebuilt
        return False


def sqlite_database(count: int, say: Callable[[str], None]) -> str:
    """The cached SQLite database with ``count`` requests (built first if missing)."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"report-{cache_key(count)}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        upgrade(url)  # a newer schema since the cache was made: migrate it
        engine = make_engine(url)
        try:
            if _complete(engine):
                return url
        finally:
            engine.dispose()
        path.unlink()
    partial = path.with_suffix(".partial")
    for leftover in folder.glob(f"{partial.name}*"):
        leftover.unlink()
    partial_url = f"sqlite:///{partial}"
    say(f"building {count:,} requests in {path} (kept for later runs)…")
    started = time.perf_counter()
    upgrade(partial_url)
    engine = make_engine(partial_url)
    try:
        build(engine, count, _progress(count, say))
        with engine.begin() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    finally:
        engine.dispose()
    partial.rename(path)
    say(f"built in {time.perf_counter() - started:.0f} s")
    return url


def postgres_database(count: int, say: Callable[[str], None]) -> str | None:
    """The cached PostgreSQL database with ``count`` requests, or None when there is no server."""
    admin_url = make_url(postgres_admin_url())
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"cf_bench_report_{cache_key(count).replace('-', '_')}"
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    except Exception as exc:  # noqa: BLE001 - no server: the figure is skipped, not the suite
        say(f"PostgreSQL not reachable ({exc.__class__.__name__}); skipping its figure")
        admin.dispose()
        return None
    try:
        if exists:
            upgrade(url)
            engine = make_engine(url)
            try:
                if _complete(engine):
                    return url
            finally:
                engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    say(f"building {count:,} requests in PostgreSQL database {name} (kept for later runs)…")
    started = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    try:
        build(engine, count, _progress(count, say))
    finally:
        engine.dispose()
    say(f"built in {time.perf_counter() - started:.0f} s")
    return url


def _progress(count: int, say: Callable[[str], None]) -> Callable[[int], None]:
    step = max(count // 10, 1)

    def report(done: int) -> None:
        if done % step < 5000 or done == count:
            say(f"  {done:,} / {count:,}")

    return report


def measure(url: str, repeat: int = 3) -> tuple[float, float, int]:
    """(best seconds for the whole tree's report, best seconds for one district's, requests received)."""
    from caseflow.reports.annual import annual_report

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            city = session.exec(select(Agency).where(col(Agency.code) == "city")).one()
            district = session.exec(select(Agency).where(col(Agency.code) == "district2")).one()
            report = annual_report(session, city, YEAR)  # warm the cache and check the figures
            assert not [c for c in report.checks if c["kind"] == "balance"], report.checks
            received = report.table3["received"]["total"]
            tree = best_of(repeat, lambda: annual_report(session, city, YEAR))
            one = best_of(repeat, lambda: annual_report(session, district, YEAR))
        return tree, one, received
    finally:
        engine.dispose()


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    count = QUICK_COUNT if quick else FULL_COUNT
    figures = []
    for kind, make in (("sqlite", sqlite_database), ("postgresql", postgres_database)):
        url = make(count, say)
        label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        name = f"annual report {YEAR}, agency tree of {len(TREE)} holding {count:,} requests, {label}"
        if url is None:
            say(f"{name}: skipped (no PostgreSQL server)")
            continue
        tree, one, received = measure(url)
        figures.append(
            Figure(
                name,
                tree,
                "s",
                "goal",
                GOALS[kind],
                "ratio <= 1.0",
                f"{received:,} received in {YEAR}; one district's subtree: {one:.3f} s",
            )
        )
    return figures


if __name__ == "__main__":  # pragma: no cover - python -m bench.report_bench [--quick]
    import sys

    for figure in run("--quick" in sys.argv):
        print(f"{figure.name}: {figure.value:.3f} {figure.unit} (ratio {figure.ratio:.3f}) {figure.note}")
