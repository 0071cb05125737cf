"""The installed distribution provides ``caseflow`` alone (issue 20): the web application lives in
``caseflow.api``, the letter templates and migrations are packed inside it, and the benchmarks stay in
the checkout.

The wheel is built by the project's own build backend (hatchling, as pip would), then unpacked and
used in a fresh interpreter whose ``sys.path`` holds the unpacked wheel but not the checkout: it must
migrate a database and start the command line from what the wheel carries.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hatchling.build import build_wheel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    here = Path.cwd()
    os.chdir(ROOT)  # a PEP 517 backend builds the project in the current directory
    try:
        name = build_wheel(str(out))
    finally:
        os.chdir(here)
    return out / name


def test_the_wheel_installs_caseflow_alone(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"caseflow"}, sorted(top)
    assert len([t for t in top if t.endswith(".dist-info")]) == 1
    # what the checkout keeps for itself never ships
    assert not [n for n in names if n.startswith(("caseflow/bench", "tests/", "bench/", "api/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    # the web application, its pages and scripts, the letters and the migrations are inside
    for needed in (
        "caseflow/api/main.py",
        "caseflow/api/web/templates/case.html",
        "caseflow/api/web/static/forms.js",
        "caseflow/migrations/env.py",
        "caseflow/cli/__init__.py",
        "caseflow/law/__init__.py",
    ):
        assert needed in names, needed
    assert any(n.startswith("caseflow/templates/replies/") for n in names)
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt")))
    assert b"caseflow = caseflow.cli:app" in entry


def _run_from_wheel(unpacked: Path, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``caseflow ARGS`` in a fresh interpreter that sees the unpacked wheel and not the checkout
    (the editable install of the checkout puts its root on ``sys.path``; it is taken off)."""
    code = (
        "import sys\n"
        f"sys.path = [{str(unpacked)!r}] + [p for p in sys.path if p not in ('', {str(ROOT)!r})]\n"
        "import caseflow\n"
        f"assert caseflow.__file__.startswith({str(unpacked)!r}), caseflow.__file__\n"
        "from caseflow.cli import app\n"
        f"sys.argv = ['caseflow', *{list(args)!r}]\n"
        "app()\n"
    )
    env = {
        **os.environ,
        "CASEFLOW_DATABASE_URL": f"sqlite:///{work / 'caseflow.db'}",
        "CASEFLOW_DATA_DIR": str(work / "data"),
        "PYTHONPATH": "",
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_unpacked_wheel_runs_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    work = tmp_path / "office"
    work.mkdir()
    done = _run_from_wheel(unpacked, work, "init", "--admin-password", "Wheel-Test-Passw0rd")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "数据库已就绪" in done.stdout
    assert (work / "caseflow.db").stat().st_size > 0  # migrated from the migrations in the wheel

    bench = _run_from_wheel(unpacked, work, "bench")
    assert bench.returncode == 2, bench.stdout + bench.stderr
    assert "checkout" in (bench.stdout + bench.stderr)
