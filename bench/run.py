"""``caseflow bench``: every benchmark in one run, a table of figures, anchors and ratios."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import clock_bench, engine_bench, evidence_bench, letters_bench, sweep_bench, web_bench
from bench.common import Figure


def run(*, quick: bool, out: Path | None, console: Console) -> int:
    figures: list[Figure] = []
    suites = [
        ("clock", clock_bench.run),
        ("engine", engine_bench.run),
        ("letters", letters_bench.run),
        ("web", web_bench.run),
        ("evidence", evidence_bench.run),
        ("sweep", sweep_bench.run),
    ]
    for name, suite in suites:
        console.print(f"[dim]running {name}…[/]")
        figures.extend(suite(quick))
    table = Table(
        title=f"caseflow bench{' --quick' if quick else ''} ({platform.python_version()}, "
        f"{platform.machine()})"
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
    if out is not None:
        out.write_text(
            json.dumps(
                {
                    "quick": quick,
                    "python": platform.python_version(),
                    "figures": [f.to_json() for f in figures],
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0
