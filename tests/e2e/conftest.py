"""Browser tests: a demo database served by ``caseflow serve`` on 127.0.0.1, driven by Playwright
through Debian's Chromium (Playwright must not download its own browser here).

The server runs as a subprocess with its own database and data directory in a temporary folder;
the browser only ever connects to 127.0.0.1. Screenshots go to ``tests/e2e/artifacts/screenshots``
(ignored by git through a ``.gitignore`` written into ``tests/e2e/artifacts`` at run time), or to
``$CASEFLOW_E2E_ARTIFACTS/screenshots`` when that variable is set.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import require

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: The browser of a Chinese office: its own controls (the file picker's "选择文件", date fields' 年/月/日)
#: follow the UI language, which Chromium on Linux reads from LANGUAGE (Debian's chromium-l10n
#: provides the zh-CN strings). LANG stays a locale every machine has (C.UTF-8): with a LANG the
#: system lacks (zh_CN.UTF-8 is not generated on a fresh Debian), Chromium cannot open a file whose
#: path is not ASCII, and an upload of 扫描件.pdf silently sends nothing.
CHROMIUM_ENV = {**os.environ, "LANGUAGE": "zh_CN:zh", "LANG": "C.UTF-8"}
DEMO_TIMEOUT = 300.0
START_TIMEOUT = 60.0  # generous: the other test process (pytest -n 2) may be busy too


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    """Any HTTP answer counts (GET / without a session answers 303 or 401)."""
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    try:
        with urllib.request.urlopen(request, timeout=2):  # noqa: S310 - always http://127.0.0.1
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@contextmanager
def demo_server(tmp: Path, *setup: list[str]) -> Iterator[tuple[str, str]]:
    """``caseflow demo --cases 30 --seed 5`` into a fresh SQLite database in ``tmp``, then each of
    ``setup`` (arguments of ``python``, e.g. ``["-c", SCRIPT]``) with the same settings, then
    ``caseflow serve`` on a free port: yields (base URL, database URL); the server is stopped after."""
    db_url = f"sqlite:///{tmp / 'e2e.db'}"
    env = dict(os.environ)
    env.update(CASEFLOW_DATABASE_URL=db_url, CASEFLOW_DATA_DIR=str(tmp / "data"), CASEFLOW_LETTER_PDF="0")
    for command in (["-m", "caseflow", "demo", "--cases", "30", "--seed", "5"], *setup):
        done = subprocess.run(
            [sys.executable, *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=DEMO_TIMEOUT,
        )
        assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp / "serve.log"
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "caseflow", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(base + "/"):
            if proc.poll() is not None:
                pytest.fail(f"caseflow serve exited with {proc.returncode}:\n{log_path.read_text('utf-8')}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"caseflow serve did not answer within {START_TIMEOUT:.0f} s:\n"
                    f"{log_path.read_text('utf-8')}"
                )
            time.sleep(0.2)
        yield base, db_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo served for the journeys (see ``demo_server``)."""
    with demo_server(tmp_path_factory.mktemp("e2e")) as (base, _db_url):
        yield base


def _chromium_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; skipped (or failed under CASEFLOW_REQUIRE_ALL=1) when absent."""
    require("Chromium", _chromium_missing())
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a dev dependency
        require("Playwright", f"the playwright package cannot be imported: {exc}")
        raise
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            env=CHROMIUM_ENV,
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the screenshots go; emptied at the start of the run. Under pytest-xdist every worker
    asks for this fixture: the first one of the run (the run's id, PYTEST_XDIST_TESTRUNUID, is the
    same in every worker) empties the folder, under a lock, and the others keep what it holds."""
    base = Path(os.environ.get("CASEFLOW_E2E_ARTIFACTS") or ROOT / "tests" / "e2e" / "artifacts")
    base.mkdir(parents=True, exist_ok=True)
    ignore = base / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# screenshots of the browser tests (test artifacts)\n*\n", encoding="utf-8")
    folder = base / "screenshots"
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # None: one process, this session is the run
    with (base / ".screenshots.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = base / ".screenshots.run"
        if run is None or not stamp.exists() or stamp.read_text(encoding="utf-8") != run:
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            stamp.write_text(run or "", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def journey_record() -> dict[str, Any]:
    """What the journey learned (tracking number, query code, ...) for the tests that follow it."""
    return {}
