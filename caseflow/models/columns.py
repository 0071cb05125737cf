"""The column types the tables share: a moment (an aware datetime, ``AwareDateTime``) and the
required moment column that defaults to now (``moment_field``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, DateTime, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import Field

from caseflow.dates import SHANGHAI, now


class AwareDateTime(TypeDecorator[dt.datetime]):
    """A moment: refuses naive datetimes, stores UTC, reads back in Asia/Shanghai.

    SQLite keeps no time zone, so the value is normalised to UTC before it is written and the
    zone is attached again when it is read; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a moment must be timezone-aware, got {value!r}")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(SHANGHAI)


def moment_field(**kwargs: Any) -> Any:
    return Field(default_factory=now, sa_column=Column(AwareDateTime(), nullable=False, **kwargs))
