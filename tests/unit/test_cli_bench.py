"""``caseflow bench`` where the benchmarks are absent (issue 20): the wheel installs ``caseflow`` alone,
so from an installed copy the command says the benchmarks run from a source checkout, and exits 2."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from caseflow.cli import app

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_bench_without_the_benchmarks_says_they_run_from_a_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bench", None)  # as in an installed wheel: no importable bench
    monkeypatch.delitem(sys.modules, "bench.run", raising=False)
    result = runner.invoke(app, ["bench", "--quick"])
    assert result.exit_code == 2, result.output
    said = flat(result.output)
    assert "error: the benchmarks are not installed with caseflow" in said
    assert "source checkout" in said
    assert "pip install -e '.[dev]'" in said
    assert "caseflow bench" in said
