"""The clock: reply deadlines for a million receipt dates against numpy's busday_offset, the cost of
one full deadline with its explanation, and ``caseflow deadline --batch`` on 2,000 timelines."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Figure, best_of
from caseflow import clock
from caseflow.calendar import default_calendar
from caseflow.demo import timelines


def reply_due_million(n: int) -> list[Figure]:
    cal = default_calendar()
    rng = random.Random(1)
    first = dt.date(2015, 1, 1).toordinal()
    last = dt.date(2025, 12, 31).toordinal()
    dates = [dt.date.fromordinal(rng.randint(first, last)) for _ in range(n)]
    ours = best_of(3, lambda: cal.add_working_days_many(dates, 20))
    try:
        import numpy as np
    except ImportError:
        return [
            Figure(
                f"reply_due for {n:,} receipt dates",
                ours,
                "s",
                "numpy not installed",
                0,
                "ratio <= 1.0",
                "install the dev extra for the busday_offset anchor",
            )
        ]
    epoch = dt.date(1970, 1, 1).toordinal()
    as_np = (np.fromiter((d.toordinal() for d in dates), dtype=np.int64, count=n) - epoch).astype(
        "datetime64[D]"
    )
    rest = [
        d
        for d in (cal.first + dt.timedelta(days=i) for i in range((cal.last - cal.first).days + 1))
        if not cal.is_working_day(d)
    ]
    busdaycal = np.busdaycalendar(weekmask="1111111", holidays=np.array(rest, dtype="datetime64[D]"))
    theirs = best_of(3, lambda: np.busday_offset(as_np, 20, roll="backward", busdaycal=busdaycal))
    expected = np.busday_offset(as_np, 20, roll="backward", busdaycal=busdaycal)
    got = cal.add_working_days_many(dates, 20)
    mismatches = sum(1 for a, b in zip(got, expected.tolist(), strict=True) if a != b)
    if mismatches:
        raise AssertionError(f"caseflow and busday_offset disagree on {mismatches} dates")
    return [
        Figure(
            f"reply_due for {n:,} receipt dates (list of date in, list of date out)",
            ours,
            "s",
            "numpy busday_offset, same calendar (datetime64 in and out)",
            theirs,
            "ratio <= 1.0",
            "answers identical on every date",
        )
    ]


def one_full_deadline() -> Figure:
    cal = default_calendar()
    timeline = clock.Timeline.from_json(
        {
            "received": "2025-09-01",
            "events": [
                {"type": "supplement_requested", "date": "2025-09-03"},
                {"type": "supplement_received", "date": "2025-09-10"},
                {"type": "pause_started", "date": "2025-09-15", "reason": "consultation"},
                {"type": "pause_ended", "date": "2025-09-30"},
                {"type": "pause_started", "date": "2025-10-13", "reason": "fee"},
                {"type": "pause_ended", "date": "2025-10-20"},
                {"type": "extended", "date": "2025-10-24", "days": 20},
            ],
        }
    )
    loops = 20_000
    seconds = best_of(3, lambda: [clock.compute(timeline, cal).to_json() for _ in range(loops)])
    return Figure(
        "one deadline with explanation (supplement, two pauses, extension)",
        seconds / loops * 1e6,
        "µs",
        "goal",
        50.0,
        "ratio <= 1.0",
        "computed and serialised to the API's JSON",
    )


def batch_cli(n: int) -> Figure:
    cal = default_calendar()
    lines = [
        json.dumps({"id": i, "timeline": t.to_json()})
        for i, t in enumerate(timelines(n, 3, cal, dt.date(2019, 6, 1), dt.date(2026, 6, 30)))
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "timelines.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "caseflow", "deadline", "--batch", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
    answered = done.stdout.count("\n")
    if done.returncode != 0 or answered != n:
        raise AssertionError(f"batch failed ({done.returncode}, {answered} lines): {done.stderr[-500:]}")
    return Figure(
        f"caseflow deadline --batch, {n:,} timelines (whole command)",
        seconds,
        "s",
        "limit",
        5.0,
        "ratio well under 1.0",
    )


def run(quick: bool) -> list[Figure]:
    return [
        *reply_due_million(100_000 if quick else 1_000_000),
        one_full_deadline(),
        batch_cli(2_000),
    ]
