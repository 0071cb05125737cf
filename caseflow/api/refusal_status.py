"""The HTTP status of each kind of engine refusal (``caseflow.errors``): one table for the error
mapping of ``caseflow.api.main`` and for the pages that answer a refusal themselves."""

from __future__ import annotations

from caseflow.errors import (
    CaseflowError,
    FactsError,
    Forbidden,
    IllegalTransition,
    NotFound,
    RuleViolation,
    StaleVersion,
    TooManyAttempts,
)

STATUS: list[tuple[type[CaseflowError], int]] = [
    (NotFound, 404),
    (Forbidden, 403),
    (IllegalTransition, 409),
    (StaleVersion, 409),
    (RuleViolation, 409),
    (FactsError, 422),
    (TooManyAttempts, 429),
]


def status_of(exc: CaseflowError) -> int:
    """The status of a refusal: its kind's in :data:`STATUS`, else 400."""
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
