"""Shared fixtures: one calendar for the session and an isolated CASEFLOW_DATA_DIR per test."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from caseflow.calendar import WorkingCalendar, default_calendar, reset_default_calendar
from caseflow.settings import get_settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"


#: Under ``pytest -n 2 --dist loadgroup`` (scripts/test.sh) these run as one unit in one worker: the
#: browser tests share one demo server (the session fixture ``server``) and run in their order.
ONE_WORKER_FOLDERS = ("tests/e2e/",)
_MODULE_FIXTURE = re.compile(r"@pytest\.fixture\([^)]*scope=\"(?:module|class|package)\"")


@functools.cache
def _has_module_fixture(root: Path, path: str) -> bool:
    try:
        return bool(_MODULE_FIXTURE.search((root / path).read_text(encoding="utf-8")))
    except OSError:
        return False


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: absent without the plugin
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup``: every test is its own unit of work, except a module that makes a fixture
    once for the module (its tests stay together: the fixture is made once) and the browser tests
    (ONE_WORKER_FOLDERS). pytest-xdist's own grouping by ``xdist_group`` marks does not reach the
    scheduler under pytest 9.2 (pytest-dev/pytest-xdist#1386); an explicit group still wins."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    root = config.rootpath

    class Grouped(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            explicit = super()._split_scope(nodeid)
            if explicit != nodeid:
                return str(explicit)
            path = nodeid.split("::", 1)[0]
            folder = next((f for f in ONE_WORKER_FOLDERS if path.startswith(f)), None)
            if folder is not None:
                return folder
            return path if _has_module_fixture(root, path) else nodeid

    return Grouped(config, log)


def _forget_settings() -> None:
    get_settings.cache_clear()
    reset_default_calendar()


@pytest.fixture(scope="session", autouse=True)
def _empty_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No notice a developer loaded into ./var/calendar may leak into the tests, and no test that
    forgets to name its database opens ./var/caseflow.db (a developer's, shared by every process)."""
    data_dir = tmp_path_factory.mktemp("caseflow-data")
    database = tmp_path_factory.mktemp("caseflow-db") / "caseflow.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATA_DIR", str(data_dir))
        mp.setenv("CASEFLOW_DATABASE_URL", f"sqlite:///{database}")
        # Letters are rendered as HTML everywhere; the letter tests turn PDF rendering on.
        mp.setenv("CASEFLOW_LETTER_PDF", "0")
        # A letter's PDF is rendered by the tests that look at it (caseflow.replies.pdf_after).
        mp.setenv("CASEFLOW_LETTER_PDF_WORKER", "0")
        # The prepared letter font takes a minute to make: keep it across tests and runs.
        mp.setenv(
            "CASEFLOW_FONT_CACHE_DIR",
            os.environ.get("CASEFLOW_FONT_CACHE_DIR", str(Path.home() / ".cache" / "caseflow" / "fonts")),
        )
        _forget_settings()
        yield data_dir
    _forget_settings()


@pytest.fixture(scope="session")
def cal(_empty_data_dir: Path) -> WorkingCalendar:
    """The default calendar: the library plus the shipped notices only."""
    return default_calendar()


@pytest.fixture
def isolated_data_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh CASEFLOW_DATA_DIR for one test; settings and the default calendar rebuilt around it."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATA_DIR", str(data_dir))
        _forget_settings()
        yield data_dir
    _forget_settings()


def require(component: str, missing_reason: str | None) -> None:
    """Skip when a component is missing (with the reason), or fail under CASEFLOW_REQUIRE_ALL=1."""
    if missing_reason is None:
        return
    if os.environ.get("CASEFLOW_REQUIRE_ALL") == "1":
        pytest.fail(f"{component} is required (CASEFLOW_REQUIRE_ALL=1): {missing_reason}", pytrace=False)
    pytest.skip(f"{component} unavailable: {missing_reason}")
