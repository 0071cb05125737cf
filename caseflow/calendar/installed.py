"""The installation's calendar: where notices are kept (shipped with caseflow, and loaded by an
admin into ``$CASEFLOW_DATA_DIR/calendar/``), loading a new notice, and the process's working-day
table built from them, kept current when another process loads one."""

from __future__ import annotations

import json
import time
from pathlib import Path

from caseflow.calendar.notices import Notice, notices_in, read_notice
from caseflow.calendar.table import WorkingCalendar

SHIPPED_NOTICES_DIR = Path(__file__).parent.parent / "data" / "calendar"


def notice_dirs() -> list[Path]:
    """Where notices are read from: the shipped ones, then the installation's own."""
    from caseflow.settings import get_settings

    return [SHIPPED_NOTICES_DIR, get_settings().data_dir / "calendar"]


_default: WorkingCalendar | None = None
_default_stamp: tuple[tuple[str, int, int], ...] = ()
_checked_at = 0.0
#: How often a process looks whether another process loaded a notice (one ``stat`` per file).
RECHECK_SECONDS = 5.0


def _installed_stamp() -> tuple[tuple[str, int, int], ...]:
    """Names, modification times and sizes of the installation's notices."""
    directory = notice_dirs()[-1]
    try:
        return tuple(
            sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in directory.glob("*.json"))
        )
    except FileNotFoundError:
        return ()


def default_calendar() -> WorkingCalendar:
    """The process's calendar: the library plus every notice shipped or loaded.

    Several instances share one installation: a notice loaded by one of them (or by ``caseflow
    calendar load``) is seen by the others within ``RECHECK_SECONDS``.
    """
    global _default, _default_stamp, _checked_at
    if _default is not None and time.monotonic() - _checked_at < RECHECK_SECONDS:
        return _default
    stamp = _installed_stamp()
    _checked_at = time.monotonic()
    if _default is None or stamp != _default_stamp:
        notices = [n for directory in notice_dirs() for n in notices_in(directory)]
        _default, _default_stamp = WorkingCalendar(notices), stamp
    return _default


def reset_default_calendar() -> None:
    """Forget the process's calendar (after a notice is loaded); the next use rebuilds it."""
    global _default
    _default = None


def load_notice(path: Path) -> Notice:
    """Validate a notice file and install it for this installation; the calendar is rebuilt."""
    notice = read_notice(path)
    target_dir = notice_dirs()[-1]
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{notice.year}.json"
    target.write_text(json.dumps(notice.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    reset_default_calendar()
    return Notice.from_json(notice.to_json(), source=str(target))
