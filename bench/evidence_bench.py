"""Evidence packages (issue 7): export and verify a whole agency of bulk requests in SQLite.

Figures, at 10,000 requests (quick: 1,000):

- export, cases/s, against the ``export_evidence`` transition alone on the same requests (every
  exported request gets that evidence event first: the packaging's own cost is the difference);
- verification, cases/s, against the independent ``bagit`` validator alone on the extracted bag;
- verification (issue 17), packages/s, medians of rounds, against parsing every JSON text once with
  ``orjson`` (case.json, event lines, payloads) plus SHA-256 of every byte (goal: ratio >= 0.7), and
  against raw SHA-256 of every member alone (goal: ratio >= 0.25);
- verification, events/s, against raw ``hashlib`` SHA-256 of the same bytes (every file read back
  from the zip and every event payload, hashed once): the physical limit. Goal: ratio >= 0.3;
- peak memory of the export and of the verification at 10,000 requests against the same at 1,000
  (quick: 1,000 against 100). Goal: a ratio close to 1 (memory independent of the number of cases).

Each export and each verification runs in a fresh process (``multiprocessing`` spawn), timed there,
so that one measurement's memory does not hide the next one's; a verification runs three times
and the fastest counts, as for the hashing anchor (best of three). The export's peak memory is the
growth of the process's peak resident set (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``;
elsewhere ``ru_maxrss``) over its resident set before the work: tracing every allocation with
``tracemalloc`` slows the export about fourfold. Set ``CASEFLOW_BENCH_TRACEMALLOC=1`` to measure its
``tracemalloc`` peaks instead, in separate traced runs (the speeds still come from the untraced
runs; the full run takes much longer). The verification's working memory is below a megabyte, where
the resident set moves by whole allocator arenas: its peak is always measured with ``tracemalloc``,
in separate traced runs (its resident-set growth is in the figure's note).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from bench.common import Figure, best_of, restore_env, set_env
from caseflow.settings import get_settings

TRACE_FLAG = "CASEFLOW_BENCH_TRACEMALLOC"
ANCHOR_TRANSITIONS = 300  # export_evidence transitions timed for the export's anchor
WARM_UP = 20
VERIFY_RUNS = 3
ROUNDS = 7  # verification and its issue-17 anchors: medians


@dataclass(frozen=True)
class Measured:
    """One export or verification, in its own process."""

    seconds: float
    cases: int
    events: int
    peak_bytes: int  # growth of the peak over the memory in use before the work
    result_bytes: int = 0  # of which the result: a verification's summary keeps the tracking numbers


# --- in the measuring process ------------------------------------------------------------------


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _rss_now() -> int:
    kib = _status_kib("VmRSS")
    if kib is not None:
        return kib * 1024
    return _max_rss()


def _max_rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB on Linux


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS (Linux >= 4.0)
    except OSError:
        pass


def _peak_rss() -> int:
    kib = _status_kib("VmHWM")
    return kib * 1024 if kib is not None else _max_rss()


def _measure(task: str, target: str, out: str, trace: bool) -> Measured:
    """Export agency ``target`` to ``out`` or verify package ``target``; the environment (database,
    data directory) is the parent's."""
    import gc

    from caseflow import service
    from caseflow.db import make_engine
    from caseflow.evidence.export import Scope, export
    from caseflow.evidence.verify import verify_package
    from caseflow.models import User

    get_settings.cache_clear()
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            auditor = session.exec(select(User).where(col(User.username) == "auditor")).one()
            actor = service.Actor.of(session, auditor)
            session.commit()
            gc.collect()
            before = 0
            if trace:
                tracemalloc.start()
            else:
                before = _rss_now()
                _reset_peak()
            start = time.perf_counter()
            if task == "export":
                result = export(session=session, actor=actor, scope=Scope(agency=target), out=Path(out))
                cases, events = int(result["cases"]), int(result["events"])
            else:
                summary = verify_package(Path(target))
                cases, events = summary.cases, summary.events
            seconds = time.perf_counter() - start
            if trace:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            else:
                peak = max(0, _peak_rss() - before)
            kept = 0  # the summary's tracking numbers, one escaped line each (after the peak is read)
            if task == "verify":
                kept = sum(len(t.encode("unicode_escape")) + 1 for t in summary.tracking_nos)
    finally:
        engine.dispose()
    return Measured(seconds, cases, events, peak, kept)


def _verify_rounds(target: str, rounds: int) -> list[float]:
    """Seconds of ``rounds`` verifications of package ``target`` (this process, caches warm)."""
    from caseflow.evidence.verify import verify_package

    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        verify_package(Path(target))
        seconds.append(time.perf_counter() - start)
    return seconds


def _in_fresh_process(task: str, target: str, out: str = "", trace: bool = False) -> Measured:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_measure, (task, target, out, trace))


# --- in the benchmark's process ----------------------------------------------------------------


def _setup(url: str, sizes: dict[str, int]) -> None:
    """A fresh database: a city with one agency per size under it, a clerk and an auditor, and
    ``sizes[code]`` bulk requests (valid evidence chains) in each agency."""
    from caseflow.accounts import create_agency
    from caseflow.bulk import bulk_requests
    from caseflow.db import make_engine, upgrade
    from caseflow.evidence.keys import ensure_signing_key
    from caseflow.models import User

    upgrade(url)
    ensure_signing_key()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            city = create_agency(session, code="city", name="某市人民政府办公室", letter_prefix="某政办公开")
            for code in sizes:
                create_agency(session, code=code, name=f"某市{code}局", parent_code="city")
            session.commit()
            assert city.id is not None
            for name, roles in (("clerk", "clerk"), ("auditor", "auditor")):
                session.add(
                    User(username=name, display_name=name, password_hash="-", roles=roles, agency_id=city.id)
                )
            session.commit()
        for n, (code, count) in enumerate(sizes.items()):
            bulk_requests(engine, count=count, seed=11 + n, today=dt.date.today(), agency_codes=[code])
    finally:
        engine.dispose()


def _hashing_seconds(package: Path) -> tuple[float, int]:
    """(seconds for raw SHA-256 of every file in the zip and of every event payload, bytes hashed)."""
    blobs: list[bytes] = []
    with zipfile.ZipFile(package) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            blobs.append(data)
            if name.endswith("events.jsonl"):
                blobs.extend(json.loads(line)["payload"].encode("utf-8") for line in data.splitlines())

    def hash_all() -> None:
        for blob in blobs:
            hashlib.sha256(blob).digest()

    return best_of(3, hash_all), sum(len(b) for b in blobs)


def _parse_and_hash_rounds(package: Path, rounds: int) -> tuple[list[float], list[float]]:
    """The issue-17 anchors, medians over ``rounds``: (every JSON text parsed once with ``orjson``
    (case.json, each event line, each event payload) plus SHA-256 of every byte (members and
    payloads); raw SHA-256 of every member alone). The members are read into memory beforehand."""
    import orjson

    with zipfile.ZipFile(package) as archive:
        members = [(name, archive.read(name)) for name in archive.namelist()]
    sha256, loads = hashlib.sha256, orjson.loads

    def parse_and_hash() -> None:
        for name, data in members:
            sha256(data).digest()
            if name.endswith("events.jsonl"):
                for line in data.splitlines():
                    payload = loads(line)["payload"].encode()
                    sha256(payload).digest()
                    loads(payload)
            elif name.endswith("case.json"):
                loads(data)

    def raw() -> None:
        for _, data in members:
            sha256(data).digest()

    timed: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for out, work in zip(timed, (parse_and_hash, raw), strict=True):
            start = time.perf_counter()
            work()
            out.append(time.perf_counter() - start)
    return timed


def _bagit_seconds(package: Path, work: Path) -> float:
    """The independent validator alone (``bagit``, every fixity), on the extracted bag."""
    import bagit

    target = work / "extracted"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(target)
    start = time.perf_counter()
    bagit.Bag(str(target)).validate(processes=1)
    return time.perf_counter() - start


def _transition_rate(url: str, agency: str, count: int) -> float:
    """``export_evidence`` transitions per second through the service, as the export makes them."""
    from caseflow import service
    from caseflow.dates import now
    from caseflow.db import make_engine
    from caseflow.models import Agency, Case, User

    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            actor = service.Actor.of(
                session, session.exec(select(User).where(col(User.username) == "auditor")).one()
            )
            agency_id = session.exec(select(Agency.id).where(col(Agency.code) == agency)).one()
            ids = [
                i
                for i in session.exec(
                    select(Case.id)
                    .where(col(Case.agency_id) == agency_id)
                    .order_by(col(Case.id))
                    .limit(count)
                )
                if i is not None
            ]
            session.commit()

            def transitions(chosen: list[int]) -> None:
                for case_id in chosen:
                    service.perform(
                        session=session,
                        case_id=case_id,
                        actor=actor,
                        action="export_evidence",
                        facts={"scope": f"agency {agency} and its subtree"},
                        now=now(),
                    )
                    session.expunge_all()

            transitions(ids[:WARM_UP])  # caches and the first statements' compilation
            start = time.perf_counter()
            transitions(ids[WARM_UP:])
            return (len(ids) - WARM_UP) / (time.perf_counter() - start)
    finally:
        engine.dispose()


def run(quick: bool) -> list[Figure]:
    small, large = (100, 1_000) if quick else (1_000, 10_000)
    trace = os.environ.get(TRACE_FLAG) == "1"
    with tempfile.TemporaryDirectory(prefix="caseflow-evidence-bench-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work}/evidence.db"
        saved = set_env(
            CASEFLOW_DATA_DIR=str(work / "data"), CASEFLOW_LETTER_PDF="0", CASEFLOW_DATABASE_URL=url
        )
        try:
            _setup(url, {"small": small, "large": large})
            exports = {
                size: _in_fresh_process("export", code, str(work / f"{code}.zip"))
                for code, size in (("small", small), ("large", large))
            }
            verifies = {  # the best of three, as the hashing anchor
                size: min(
                    (_in_fresh_process("verify", str(work / f"{code}.zip")) for _ in range(VERIFY_RUNS)),
                    key=lambda m: m.seconds,
                )
                for code, size in (("small", small), ("large", large))
            }
            # memory from separate traced runs (the figures' speeds stay untraced)
            verify_peaks = {
                size: _in_fresh_process("verify", str(work / f"{code}.zip"), trace=True).peak_bytes
                for code, size in (("small", small), ("large", large))
            }
            if trace:
                export_peaks = {
                    size: _in_fresh_process("export", code, str(work / f"{code}-traced.zip"), True).peak_bytes
                    for code, size in (("small", small), ("large", large))
                }
            else:
                export_peaks = {size: m.peak_bytes for size, m in exports.items()}
            package = work / "large.zip"
            zip_size = package.stat().st_size
            spawn = multiprocessing.get_context("spawn")  # not daemonic: its verification has workers
            with ProcessPoolExecutor(1, mp_context=spawn) as fresh:
                verify_rounds = fresh.submit(_verify_rounds, str(package), ROUNDS).result()
            parse_rounds, raw_rounds = _parse_and_hash_rounds(package, ROUNDS)
            hash_seconds, hashed = _hashing_seconds(package)
            bagit_seconds = _bagit_seconds(package, work)
            transitions = _transition_rate(url, "large", min(ANCHOR_TRANSITIONS, large) + WARM_UP)
        finally:
            restore_env(saved)
    ex, ve = exports[large], verifies[large]
    method = "tracemalloc peak" if trace else "growth of the peak resident set (VmHWM)"
    mib = 1024 * 1024
    rss = ", ".join(f"{verifies[n].peak_bytes / mib:.2f} MiB at {n:,}" for n in (small, large))
    names = ", ".join(f"{verifies[n].result_bytes / 1024:.0f} KiB at {n:,}" for n in (small, large))
    verify_s, parse_s, raw_s = (statistics.median(r) for r in (verify_rounds, parse_rounds, raw_rounds))
    rounds = f"medians of {ROUNDS} rounds; verification {verify_s * 1000:.0f} ms ({_workers(ve.cases)})"
    return [
        Figure(
            f"evidence verify: packages/s, {ve.cases:,} requests, {zip_size / mib:.1f} MiB",
            1 / verify_s,
            "/s",
            "orjson-parse every JSON text once + SHA-256 of every byte, same package",
            1 / parse_s,
            "ratio >= 0.7",
            f"{rounds}; anchor {parse_s * 1000:.0f} ms",
        ),
        Figure(
            f"evidence verify: packages/s, {ve.cases:,} requests (against raw hashing)",
            1 / verify_s,
            "/s",
            "raw SHA-256 of every member alone, same package",
            1 / raw_s,
            "ratio >= 0.25",
            f"{rounds}; anchor {raw_s * 1000:.0f} ms",
        ),
        Figure(
            f"evidence export: cases/s, one package of {ex.cases:,} requests (SQLite)",
            ex.cases / ex.seconds,
            "/s",
            "the export_evidence transition alone, same requests",
            transitions,
            "ratio >= 0.5",
            f"{ex.events:,} events, {ex.seconds:.1f} s, a {zip_size / mib:.1f} MiB zip (stored)",
        ),
        Figure(
            f"evidence verify: cases/s, one package of {ve.cases:,} requests",
            ve.cases / ve.seconds,
            "/s",
            "bagit validation alone (every fixity), extracted bag",
            ve.cases / bagit_seconds,
            "ratio >= 0.5",
            f"{ve.seconds:.2f} s from the zip; bagit {bagit_seconds:.1f} s without unzipping",
        ),
        Figure(
            f"evidence verify: events/s, {ve.events:,} events in {ve.cases:,} requests",
            ve.events / ve.seconds,
            "/s",
            "raw hashlib SHA-256 of the same bytes (files and payloads)",
            ve.events / hash_seconds,
            "ratio >= 0.3",
            f"{hashed / mib:.1f} MiB hashed in {hash_seconds * 1000:.0f} ms",
        ),
        Figure(
            f"evidence export: peak memory at {large:,} requests",
            export_peaks[large] / mib,
            "MiB",
            f"the same at {small:,} requests",
            export_peaks[small] / mib,
            "ratio close to 1 (<= 1.5)",
            method,
        ),
        Figure(
            f"evidence verify: peak working memory at {large:,} requests",
            (verify_peaks[large] - verifies[large].result_bytes) / mib,
            "MiB",
            f"the same at {small:,} requests",
            (verify_peaks[small] - verifies[small].result_bytes) / mib,
            "ratio close to 1 (<= 1.5)",
            f"tracemalloc peak less the answer itself, the list of verified tracking numbers ({names}); "
            f"with it: {verify_peaks[small] / mib:.2f} and {verify_peaks[large] / mib:.2f} MiB; "
            f"resident set growth {rss}",
        ),
    ]


def _workers(cases: int) -> str:
    from caseflow.evidence.onepass import PARALLEL_MEMBERS

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    used = min(cpus - 1, 4) if cpus > 2 else 0
    return f"worker processes from {PARALLEL_MEMBERS:,} members and 3 CPUs: {used} on this machine"


def main() -> None:
    for figure in run("--quick" in sys.argv):
        print(json.dumps(figure.to_json(), ensure_ascii=False))


if __name__ == "__main__":
    main()
