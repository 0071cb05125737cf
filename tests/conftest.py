"""Shared fixtures: one calendar for the session and an isolated CASEFLOW_DATA_DIR per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseflow.calendar import WorkingCalendar, default_calendar, reset_default_calendar
from caseflow.settings import get_settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _forget_settings() -> None:
    get_settings.cache_clear()
    reset_default_calendar()


@pytest.fixture(scope="session", autouse=True)
def _empty_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No notice a developer loaded into ./var/calendar may leak into the tests."""
    data_dir = tmp_path_factory.mktemp("caseflow-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATA_DIR", str(data_dir))
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
