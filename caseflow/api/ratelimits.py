"""The public portal's rate limits, as the routes call them (the counting is ``caseflow.ratelimit``).

- ``check_submit(request)`` before an online submission is stored (the API and the form page);
- ``check_lookup(request, number)`` before a look-up with a number and a code: counts it (per address
  and for everyone) and refuses it when the address or the number has used up its failed look-ups;
  ``number=None`` for a look-up that cannot be a guess (a signed link): only counted;
- ``looked_up(request, number, found)`` after it: a miss (``None``: unknown number or wrong code)
  is counted as a failure; returns ``found``.

Each raises ``caseflow.ratelimit.RateLimited`` (429 with Retry-After, a Chinese message: JSON for the
API, the error page for pages). Call them before the request's session writes anything (on SQLite
the limiter's own short write transaction would wait for the session's).
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request

from caseflow import ratelimit
from caseflow.db import get_engine

T = TypeVar("T")

#: The 429 answers, as the API description states them.
LOOKUP_REFUSED = (
    "Too many look-ups from this address or for everyone, or too many failed look-ups from this "
    "address or of this number (refused even with the right code until the window ends); code "
    "rate_limited, Retry-After says when to try again"
)
SUBMIT_REFUSED = (
    "Too many online submissions from this address or for everyone; code rate_limited, Retry-After "
    "says when to try again"
)


def client_address(request: Request) -> str:
    """The caller's address (the proxy's X-Forwarded-For as uvicorn trusts it)."""
    return request.client.host if request.client else "?"


def check_submit(request: Request) -> None:
    """Count an online submission from this address; 429 over the per-address or global limit."""
    ratelimit.hit(get_engine(), ratelimit.SUBMIT, client_address(request))


def check_lookup(request: Request, number: str | None) -> None:
    """Count a look-up of ``number`` from this address; 429 over the look-up limits, or when this
    address or this number has too many failed look-ups in the window (even with the right code)."""
    engine = get_engine()
    address = client_address(request)
    ratelimit.hit(engine, ratelimit.LOOKUP, address)
    if number is not None:
        ratelimit.check_guessing(engine, address, number)


def looked_up(request: Request, number: str, found: T | None) -> T | None:
    """``found`` as given; when it is None (no match), the failure is counted."""
    if found is None:
        ratelimit.record_failure(get_engine(), client_address(request), number)
    return found


def reset() -> None:
    """Forget every count (tests)."""
    ratelimit.reset(get_engine())
