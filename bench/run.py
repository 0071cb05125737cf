"""``caseflow bench``: every benchmark in one run, a table of figures, anchors and ratios."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import (
    clock_bench,
    concurrency_bench,
    engine_bench,
    evidence_bench,
    letter_lock_bench,
    letters_bench,
    portal_bench,
    read_bench,
    redact_bench,
    report_bench,
    scale_bench,
    sweep_bench,
    web_bench,
    zip_reader_bench,
)
from bench.common import Figure


def machine() -> dict[str, Any]:
    """Where the figures come from."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "cpus": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
    }


def run(*, quick: bool, out: Path | None, console: Console) -> int:
    figures: list[Figure] = []
    suites = [
        ("clock", clock_bench.run),
        ("engine", engine_bench.run),
        ("concurrency", concurrency_bench.run),
        ("letters", letters_bench.run),
        ("letter lock", letter_lock_bench.run),
        ("web", web_bench.run),
        ("evidence", evidence_bench.run),
        ("zip reader", zip_reader_bench.run),
        ("sweep", sweep_bench.run),
        ("report", report_bench.run),
        ("scale", scale_bench.run),
        ("read paths", read_bench.run),
        ("portal", portal_bench.run),
        ("redact", redact_bench.run),
    ]
    timings: dict[str, float] = {}
    for name, suite in suites:
        console.print(f"[dim]running {name}…[/]")
        started = time.perf_counter()
        figures.extend(suite(quick))
        timings[name] = round(time.perf_counter() - started, 1)
    info = machine()
    table = Table(
        title=f"caseflow bench{' --quick' if quick else ''} (Python {info['python']}, {info['machine']}, "
        f"{info['cpus']} CPUs, {info['memory_gib']} GiB)"
    )
    for col in ("figure", "value", "anchor", "anchor value", "ratio", "goal"):
        table.add_column(col)
    for f in figures:
        table.add_row(
            f.name,
            f"{f.value:.4g} {f.unit}",
            f.anchor_name,
            f"{f.anchor_value:.4g} {f.unit}",
            f"{f.ratio:.3f}",
            f.goal,
        )
    console.print(table)
    for f in figures:
        if f.note:
            console.print(f"[dim]{f.name}: {f.note}[/]", highlight=False)
    console.print(f"[dim]seconds per suite: {timings}[/]", highlight=False)
    if out is not None:
        out.write_text(
            json.dumps(
                {
                    "quick": quick,
                    "python": platform.python_version(),
                    "machine": info,
                    "seconds_per_suite": timings,
                    "figures": [f.to_json() for f in figures],
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0
