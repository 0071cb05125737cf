"""Rate limits of the public portal, shared by every server process through the database.

Each call is counted in table ``rate_limit`` (scope, key, window_start, count) by one statement,
``INSERT … ON CONFLICT (scope, key, window_start) DO UPDATE SET count = rate_limit.count + 1
RETURNING count`` (SQLite ≥ 3.35 and PostgreSQL), in a short transaction of its own on its own
connection (never the request's session): SQLite takes the write lock up front (``BEGIN
IMMEDIATE``), PostgreSQL the row's lock, so of any number of parallel calls in any number of
processes exactly the limit get through. A call is counted under its client address and under
``*`` (everyone); over either limit it is refused (``RateLimited``: 429 with Retry-After, the
moment to try again in Chinese) and its transaction is rolled back, so a refused call counts
nowhere (a flood from one address does not use up everyone's allowance).

Windows are fixed (the current hour or minute of Unix time), not sliding: simple and one row per
key and window, at the price of up to twice the limit across a window's boundary. Rows of past
windows are pruned when a scope's first call of a new window arrives (the ``*`` row is new): one
cheap ``DELETE`` per scope and window, no scheduled job.

Scopes (limits in ``caseflow.settings``, ``CASEFLOW_PORTAL_*``):

- ``submit``: online submissions (the JSON API and the form page), per address per hour (10) and
  for everyone (1000);
- ``lookup``: look-ups with a number and a code (the status page and its API, an online
  application's status, the applicant's request page), per address per minute (20) and for
  everyone (3000);
- ``lookup_fail``: failed look-ups (unknown number or wrong code, which answer alike), per address
  (10 per hour) and per looked-up number (key ``no:<NUMBER>``, 5 per hour, so that many addresses
  guessing one number are slowed too). Once either is used up, look-ups from that address or of
  that number are refused, *even with the right code*, until the window ends: were the right code
  let through, the difference between 429 and 200 would tell a guesser when it hit. The price: a
  stranger who knows a number can keep its owner from looking it up for at most an hour at a time
  (the owner's signed link and the office still answer). Successful look-ups never count as
  failures. There is no sleeping: the refusal is the slowdown (a delay would hold server workers).

What that leaves a guesser: codes are drawn from a 32-character alphabet, a request's query code
has 8 characters (32**8 = 2**40 ≈ 1.1e12 codes) and an online application's access code 12
(2**60 ≈ 1.2e18). At 5 guesses per number per hour (43,800 a year) finding one query code takes
on average 1.1e12 / 2 / 43,800 ≈ 12.6 million years. Spreading guesses over many numbers is capped
by the global look-up limit (3000 a minute, 1.6e9 a year): one hit in a year among a million
numbers has a chance of 1.6e9 / 1.1e12 ≈ 0.14 %, and it would take the portal's whole look-up
allowance away from everyone else all year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, text
from sqlmodel import Session, col, select

from caseflow.dates import SHANGHAI, now
from caseflow.db import WRITE_OPTION
from caseflow.errors import TooManyAttempts
from caseflow.models import RateLimitCount
from caseflow.settings import get_settings

SUBMIT, LOOKUP, LOOKUP_FAIL = "submit", "lookup", "lookup_fail"
SCOPES = (SUBMIT, LOOKUP, LOOKUP_FAIL)
EVERYONE = "*"
KEY_LENGTH = 120
NUMBER_PREFIX = "no:"
MINUTE, HOUR = 60, 3600

_UPSERT = text(
    "INSERT INTO rate_limit (scope, key, window_start, count) VALUES (:scope, :key, :start, 1) "
    "ON CONFLICT (scope, key, window_start) DO UPDATE SET count = rate_limit.count + 1 "
    "RETURNING count"
)


class RateLimited(TooManyAttempts):
    """Too many calls of one kind from an address, for everyone, or of one number: try again in
    ``retry_after`` seconds (HTTP 429 with Retry-After, code ``rate_limited``)."""

    code = "rate_limited"


@dataclass(frozen=True)
class Limit:
    """At most ``per_key`` calls per key and ``everyone`` (or, for ``lookup_fail``, per number) in
    each fixed window of ``window`` seconds."""

    scope: str
    per_key: int
    other: int
    window: int


def limit_of(scope: str) -> Limit:
    """The scope's limits, as configured (read on every call: settings are cached per process)."""
    s = get_settings()
    if scope == SUBMIT:
        return Limit(SUBMIT, s.portal_submissions_per_hour, s.portal_submissions_global_per_hour, HOUR)
    if scope == LOOKUP:
        return Limit(LOOKUP, s.portal_lookups_per_minute, s.portal_lookups_global_per_minute, MINUTE)
    if scope == LOOKUP_FAIL:
        return Limit(
            LOOKUP_FAIL,
            s.portal_lookup_failures_per_hour,
            s.portal_lookup_failures_per_number_per_hour,
            HOUR,
        )
    raise ValueError(f"unknown rate-limit scope {scope!r}")


def _engine(bind: Session | Engine | Connection) -> Engine:
    """The engine to open the limiter's own connection on (never the caller's transaction)."""
    if isinstance(bind, Session):
        found = bind.get_bind()
        return found.engine if isinstance(found, Connection) else found
    return bind.engine if isinstance(bind, Connection) else bind


def _window_start(moment_s: float, window: int) -> int:
    return int(moment_s // window) * window


def address_key(address: str) -> str:
    return (address or "?")[:KEY_LENGTH]


def number_key(number: str) -> str:
    """A looked-up number, as the look-ups compare it (blanks around it and case do not matter)."""
    return (NUMBER_PREFIX + number.strip().upper())[:KEY_LENGTH]


def _count(
    bind: Session | Engine | Connection,
    scope: str,
    keys: list[tuple[str, int | None]],
    window: int,
    moment_s: float,
) -> None:
    """Count one call under each key in one transaction; over a key's limit: roll back, refuse."""
    start = _window_start(moment_s, window)
    engine = _engine(bind)
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})  # SQLite: BEGIN IMMEDIATE
        with conn.begin():
            first_of_window = False
            for key, most in keys:
                count = conn.execute(_UPSERT, {"scope": scope, "key": key, "start": start}).scalar_one()
                if most is not None and count > most:
                    raise _refusal(scope, key, most, window, start, moment_s)
                first_of_window |= key == EVERYONE and count == 1
            if first_of_window:
                prune(conn, moment_s)


def prune(conn: Connection, moment_s: float | None = None) -> int:
    """Delete the rows of windows that ended more than one window ago, every scope: rows deleted."""
    at = now().timestamp() if moment_s is None else moment_s
    deleted = 0
    for scope in SCOPES:
        window = limit_of(scope).window
        cutoff = _window_start(at, window) - window
        result = conn.execute(
            delete(RateLimitCount).where(
                col(RateLimitCount.scope) == scope, col(RateLimitCount.window_start) < cutoff
            )
        )
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


def hit(
    session_or_engine: Session | Engine | Connection,
    scope: str,
    address: str,
    *,
    moment_s: float | None = None,
) -> None:
    """Count a call of ``scope`` (``submit`` or ``lookup``) from ``address`` and for everyone, or
    raise ``RateLimited`` (uncounted) when either limit of the current window is used up.
    ``moment_s``: Unix time (tests); default now."""
    limit = limit_of(scope)
    at = now().timestamp() if moment_s is None else moment_s
    keys: list[tuple[str, int | None]] = [(address_key(address), limit.per_key), (EVERYONE, limit.other)]
    _count(session_or_engine, scope, keys, limit.window, at)


def check_guessing(
    session_or_engine: Session | Engine | Connection,
    address: str,
    number: str,
    *,
    moment_s: float | None = None,
) -> None:
    """Refuse (``RateLimited``) a look-up when this address, or anyone looking up this number, has
    used up the failed look-ups of the current window, whatever the code given this time."""
    limit = limit_of(LOOKUP_FAIL)
    at = now().timestamp() if moment_s is None else moment_s
    start = _window_start(at, limit.window)
    wanted = {address_key(address): limit.per_key, number_key(number): limit.other}
    with Session(_engine(session_or_engine)) as session:
        rows = session.exec(
            select(RateLimitCount.key, RateLimitCount.count).where(
                col(RateLimitCount.scope) == LOOKUP_FAIL,
                col(RateLimitCount.window_start) == start,
                col(RateLimitCount.key).in_(list(wanted)),
            )
        ).all()
    counts = dict(rows)
    for key, most in wanted.items():  # the address first
        if counts.get(key, 0) >= most:
            raise _refusal(LOOKUP_FAIL, key, most, limit.window, start, at)


def record_failure(
    session_or_engine: Session | Engine | Connection,
    address: str,
    number: str,
    *,
    moment_s: float | None = None,
) -> None:
    """Count a failed look-up (unknown number or wrong code) under the address and the number."""
    limit = limit_of(LOOKUP_FAIL)
    at = now().timestamp() if moment_s is None else moment_s
    keys: list[tuple[str, int | None]] = [(address_key(address), None), (number_key(number), None)]
    _count(session_or_engine, LOOKUP_FAIL, keys, limit.window, at)


def reset(session_or_engine: Session | Engine | Connection) -> None:
    """Forget every count (tests; an administrator after a false alarm)."""
    with _engine(session_or_engine).connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            conn.execute(delete(RateLimitCount))


# --- the refusal, in Chinese --------------------------------------------------------------------


def _span(window: int) -> str:
    return "1小时" if window == HOUR else "1分钟" if window == MINUTE else f"{window}秒"


def _wait(seconds: int) -> str:
    return f"约{seconds}秒后" if seconds < 60 else f"约{math.ceil(seconds / 60)}分钟后"


def _refusal(scope: str, key: str, most: int, window: int, start: int, moment_s: float) -> RateLimited:
    import datetime as dt

    seconds = max(1, math.ceil(start + window - moment_s))
    at = dt.datetime.fromtimestamp(start + window, SHANGHAI).strftime("%H:%M:%S")
    span = _span(window)
    if scope == LOOKUP_FAIL and key.startswith(NUMBER_PREFIX):
        what = f"该编号在{span}内已有{most}次编号或查询码不符的查询，为防止他人猜测查询码，暂停对该编号的查询"
    elif scope == LOOKUP_FAIL:
        what = f"查询失败次数过多：本机地址在{span}内已有{most}次编号或查询码不符，为防止猜测查询码，暂停查询"
    elif key == EVERYONE:
        kind = "网上申请提交" if scope == SUBMIT else "查询"
        what = f"{kind}量已达本系统{span}内{most}次的上限"
    else:
        kind = "提交网上申请" if scope == SUBMIT else "查询"
        what = f"{kind}过于频繁：本机地址在{span}内已{kind}{most}次"
    return RateLimited(f"{what}。请于 {at}（{_wait(seconds)}）再试。", seconds)
