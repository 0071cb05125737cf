"""Working days (工作日) for mainland China.

- ``notices``: the State Council holiday notices (the notice file format, validating and reading it);
- ``table``: the working-day table built from the notices, the weekends and 调休 (is a day a working
  day, the N-th working day after a date, the working days between two dates);
- ``installed``: the installation's notices, loading one, and the process's default calendar.

The names the rest of caseflow uses are importable from here (``from caseflow.calendar import …``).
"""

from caseflow.calendar.installed import (
    RECHECK_SECONDS,
    SHIPPED_NOTICES_DIR,
    default_calendar,
    load_notice,
    notice_dirs,
    reset_default_calendar,
)
from caseflow.calendar.notices import (
    MAX_BLOCK_DAYS,
    TABLE_FIRST,
    TABLE_LAST,
    CalendarError,
    Festival,
    Notice,
    notices_in,
    read_notice,
)
from caseflow.calendar.table import DayInfo, WorkingCalendar, YearInfo, library_official_years

__all__ = [
    "MAX_BLOCK_DAYS",
    "RECHECK_SECONDS",
    "SHIPPED_NOTICES_DIR",
    "TABLE_FIRST",
    "TABLE_LAST",
    "CalendarError",
    "DayInfo",
    "Festival",
    "Notice",
    "WorkingCalendar",
    "YearInfo",
    "default_calendar",
    "library_official_years",
    "load_notice",
    "notice_dirs",
    "notices_in",
    "read_notice",
    "reset_default_calendar",
]
