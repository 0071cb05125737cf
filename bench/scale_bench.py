"""``caseflow demo`` and ``caseflow verify`` at scale (issue 17, item 5), SQLite.

A database of N requests is built by ``caseflow demo --cases N`` in a subprocess (N = 100,000 by
default, 10,000 with ``--quick``; ``CASEFLOW_BENCH_SCALE=1000000`` for the issue's million). While it
runs the ``-wal`` file's size is polled every 50 ms: its peak is the figure (goal < 200 MB), against
the size of the database built (what the WAL grows to when a reader pins it, as before the fix).

``caseflow verify`` then runs over it in subprocesses (its time; the peak resident set of its largest
process, from ``os.wait4``; the peak RSS and PSS summed over the command and its worker processes,
polled from /proc), the median of several rounds:

- the streaming verify with min(CPUs, 4) worker processes (``caseflow verify --workers N``), and in
  one process (``--workers 1``), against the anchor: the same request and event streams read (same
  statements, same rows) in one process, every payload hashed (SHA-256) and parsed (orjson), no
  check made. Goal: < 30 s and < 200 MB at a million requests;
- the old per-request path (``check_database(exact=True)``: what the fallback does), once, for
  comparison (old anchor, kept printed), with its peak memory; skipped above ``OLD_UP_TO`` requests
  (it would take more than 5 minutes).

``CASEFLOW_BENCH_SCALE_DIR`` keeps the database (and reuses it when it already holds N requests).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import Figure
from caseflow.evidence.dbworkers import MAX_DEFAULT_WORKERS

ROUNDS = 3
POLL = 0.05
#: The old per-request path is run up to this many requests (~320 µs each: 5 min at a million).
OLD_UP_TO = 500_000


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CASEFLOW_DATABASE_URL": f"sqlite:///{folder / 'scale.db'}",
        "CASEFLOW_DATA_DIR": str(folder / "data"),
        "CASEFLOW_LETTER_PDF": "0",
    }


def _caseflow() -> list[str]:
    script = Path(sys.executable).with_name("caseflow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "caseflow"]


def _wait(proc: subprocess.Popen[bytes]) -> tuple[int, int]:
    """(exit status, peak resident set in bytes) of that child."""
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss * 1024


def build(folder: Path, cases: int) -> tuple[float, int, int]:
    """(seconds, WAL peak in bytes, database bytes) of ``caseflow demo --cases N`` into ``folder``."""
    db = folder / "scale.db"
    wal = folder / "scale.db-wal"
    marker = folder / f"built-{cases}.json"
    if marker.exists() and db.exists():
        seen = json.loads(marker.read_text())
        return seen["seconds"], seen["wal_peak"], db.stat().st_size
    folder.mkdir(parents=True, exist_ok=True)
    for stale in (db, wal, folder / "scale.db-shm"):
        stale.unlink(missing_ok=True)
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, wal.stat().st_size)
            except FileNotFoundError:
                pass
            time.sleep(POLL)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*_caseflow(), "demo", "--cases", str(cases)],
        env=_env(folder),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    code, _rss = _wait(proc)
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    if code != 0:
        raise RuntimeError(f"caseflow demo --cases {cases} failed ({code})")
    marker.write_text(json.dumps({"seconds": seconds, "wal_peak": peak}))
    return seconds, peak, db.stat().st_size


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    out, todo = [], [pid]
    while todo:
        here = todo.pop()
        out.append(here)
        todo.extend(child for child, parent in parents.items() if parent == here)
    return out


def _memory(pids: list[int]) -> tuple[int, int]:
    """(sum of resident sets, sum of proportional set sizes) in bytes: PSS splits the pages a forked
    worker shares with its parent between them, so its sum is the memory the tree really holds."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                name, _, rest = line.partition(":")
                if name in ("Rss", "Pss"):
                    kb = int(rest.split()[0]) * 1024
                    rss, pss = (rss + kb, pss) if name == "Rss" else (rss, pss + kb)
        except (OSError, ValueError):
            continue
    return rss, pss


def _timed(folder: Path, argv: list[str]) -> tuple[float, int, int, int]:
    """(seconds, peak resident set of one process, peak RSS summed over the process and its workers,
    the same as PSS), the sums polled every ``POLL`` s."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=_env(folder), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks = [0, 0]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            rss, pss = _memory(_tree(proc.pid))
            peaks[0], peaks[1] = max(peaks[0], rss), max(peaks[1], pss)
            time.sleep(POLL)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    code, rss = _wait(proc)
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    if code != 0:
        said = proc.stderr.read()[-2000:].decode(errors="replace") if proc.stderr else ""
        raise RuntimeError(f"{argv[-2:]} failed ({code}): {said}")
    return seconds, rss, peaks[0], peaks[1]


def _child(mode: str) -> None:
    """In a subprocess: the old per-request path, or the anchor (streams, hashing and parsing only)."""
    from caseflow.db import get_engine
    from caseflow.evidence.dbcheck import check_database

    engine = get_engine()
    if mode == "old":
        report = check_database(engine, exact=True)
        assert report.intact and report.requests, "the bench database does not verify"
        return
    import hashlib

    import orjson

    from caseflow.evidence.dbstream import _streams

    with engine.connect() as conn:
        streaming = conn.execution_options(stream_results=True, yield_per=2000)
        requests, events, *_ = (streaming.execute(s) for s in _streams(conn, None))
        count = sum(1 for _ in requests)
        for ev in events:
            if hashlib.sha256(ev[2].encode()).hexdigest() != ev[4]:
                raise SystemExit(f"bad hash at {ev[0]}")
            orjson.loads(ev[2])
    assert count


def run(quick: bool) -> list[Figure]:
    cases = int(os.environ.get("CASEFLOW_BENCH_SCALE", "10000" if quick else "100000"))
    kept = os.environ.get("CASEFLOW_BENCH_SCALE_DIR")
    workers = min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)
    with tempfile.TemporaryDirectory(prefix="caseflow-scale-bench-") as tmp:
        folder = Path(kept) if kept else Path(tmp)
        build_seconds, wal_peak, db_bytes = build(folder, cases)
        verify = [_timed(folder, [*_caseflow(), "verify", "--workers", str(workers)]) for _ in range(ROUNDS)]
        single = [_timed(folder, [*_caseflow(), "verify", "--workers", "1"]) for _ in range(ROUNDS)]
        anchor = [
            _timed(folder, [sys.executable, "-m", "bench.scale_bench", "anchor"]) for _ in range(ROUNDS)
        ]
        # the old per-request path: ~320 µs a request (issue 17), skipped where it would take > 5 min
        old = (
            _timed(folder, [sys.executable, "-m", "bench.scale_bench", "old"]) if cases <= OLD_UP_TO else None
        )
    mb = 1 << 20
    seconds = statistics.median(r[0] for r in verify)
    one_process = statistics.median(r[0] for r in single)
    peak_one = statistics.median(r[1] for r in verify)
    peak_rss_sum = statistics.median(r[2] for r in verify)
    peak_pss_sum = statistics.median(r[3] for r in verify)
    anchor_seconds = statistics.median(r[0] for r in anchor)
    label = f"{cases:,} requests"
    old_note = (
        f"old per-request path {old[0]:.1f} s (new/old {seconds / old[0]:.3f}), peak {old[1] / mb:.0f} MB"
        if old is not None
        else f"old per-request path skipped above {OLD_UP_TO:,} requests (would take > 5 min)"
    )
    return [
        Figure(
            f"caseflow demo --cases {cases:,}: WAL peak",
            wal_peak / mb,
            "MB",
            "the database built",
            db_bytes / mb,
            "< 200 MB",
            f"built in {build_seconds:.0f} s; -wal size polled every {POLL * 1000:.0f} ms",
        ),
        Figure(
            f"caseflow verify --workers {workers}, {label}",
            seconds,
            "s",
            "streams read + every payload SHA-256 + orjson, no check (one process)",
            anchor_seconds,
            "< 30 s at 1,000,000",
            f"median of {ROUNDS}; one process (--workers 1) {one_process:.1f} s; {old_note}",
        ),
        Figure(
            f"caseflow verify --workers {workers}, {label}: peak memory per process",
            peak_one / mb,
            "MB",
            "old per-request path" if old is not None else "one process (--workers 1)",
            (old[1] if old is not None else statistics.median(r[1] for r in single)) / mb,
            "< 200 MB",
            f"peak resident set of the largest process (os.wait4 ru_maxrss), median of {ROUNDS}; "
            f"summed over the command and its workers: RSS {peak_rss_sum / mb:.0f} MB, "
            f"PSS {peak_pss_sum / mb:.0f} MB (shared pages split; polled every {POLL * 1000:.0f} ms)",
        ),
    ]


if __name__ == "__main__":
    _child(sys.argv[1])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
